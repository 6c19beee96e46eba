/**
 * The eval report for people: accuracy with its row count, the confusion matrix as a heat map, per-digit
 * precision/recall/F1, the most confused pairs and the worst mistakes drawn as digits. Also the two small
 * analyses behind it (mistakes ranked by confidence, confused pairs), which --json prints as data.
 */
import type { ChalkInstance } from 'chalk';
import type { Scores } from '../train/metrics.js';
import { count, percent, table, visibleLength, wrapCommand, wrapWords } from './format.js';
import { above, drawDigit, layoutTiles, tile, tilesPerRow, type Tile } from './digits.js';

/** A wrong prediction: which row, what it is, what the model said and how sure it was. */
export interface Mistake {
  /** Data row number as `digits show --rows` takes it: 1 is the first row after the header. */
  readonly row: number;
  readonly label: number;
  readonly predicted: number;
  /** The probability the model gave its (wrong) prediction. */
  readonly confidence: number;
  /** The probability it gave the true label. */
  readonly labelProbability: number;
}

export interface ConfusedPair {
  readonly label: number;
  readonly predicted: number;
  readonly count: number;
  /** count / rows with this label. */
  readonly shareOfLabel: number;
}

/**
 * The wrong predictions, most confident first. probs is (n, K) for the scored rows; rowIds[k] is the 0-based
 * data row of scored row k; labels and predicted are class indices.
 */
export function rankMistakes(
  probs: Float64Array,
  predicted: ArrayLike<number>,
  labels: ArrayLike<number>,
  rowIds: ArrayLike<number>,
  K: number,
): Mistake[] {
  const mistakes: Mistake[] = [];
  for (let k = 0; k < labels.length; k++) {
    const label = labels[k]!;
    const guess = predicted[k]!;
    if (label === guess) continue;
    mistakes.push({
      row: rowIds[k]! + 1,
      label,
      predicted: guess,
      confidence: probs[k * K + guess]!,
      labelProbability: probs[k * K + label]!,
    });
  }
  return mistakes.sort((a, b) => b.confidence - a.confidence || a.row - b.row);
}

/** Off-diagonal cells of the confusion matrix, largest first (ties: lower label, then lower prediction). */
export function confusedPairs(confusion: readonly (readonly number[])[]): ConfusedPair[] {
  const pairs: ConfusedPair[] = [];
  confusion.forEach((row, label) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((n, predicted) => {
      if (predicted !== label && n > 0) pairs.push({ label, predicted, count: n, shareOfLabel: total === 0 ? 0 : n / total });
    });
  });
  return pairs.sort((a, b) => b.count - a.count || a.label - b.label || a.predicted - b.predicted);
}

export interface ReportPictures {
  /** Pixels of the whole dataset, row-major, `features` per row. */
  readonly pixels: Uint8Array;
  readonly features: number;
  /** Mistakes to draw (already chosen). */
  readonly mistakes: readonly Mistake[];
  /**
   * A `digits show` command that looks closer at them, printed under the pictures: its pieces (words as a shell
   * reads them, an option with its value), between which it may be broken.
   */
  readonly showCommand?: readonly string[];
}

export interface EvalReportOptions {
  /** Columns to lay the report out in: the pictures, and the lines that wrap. */
  readonly width: number;
  /** Confused pairs to list. */
  readonly pairs?: number;
  readonly pictures?: ReportPictures;
}

export function formatEvalReport(scores: Scores, what: string, chalk: ChalkInstance, options: EvalReportOptions = { width: 80 }): string[] {
  const lines: string[] = [];
  lines.push(
    ...wrapWords(
      `Accuracy ${chalk.bold(percent(scores.accuracy))} ± ${percent(scores.standardError)} ` +
        `(${count(scores.correct)} of ${count(scores.rows)} rows correct) on ${what}`,
      options.width,
    ).split('\n'),
  );
  lines.push('');
  lines.push(chalk.bold('Confusion matrix') + chalk.dim(' (rows: true digit, columns: prediction; · is none)'));
  lines.push(...confusionHeatMap(scores.confusion, chalk));
  lines.push('');
  lines.push(chalk.bold('Per digit'));
  const perClass = [['digit', 'precision', 'recall', 'f1', 'rows']];
  for (let c = 0; c < scores.confusion.length; c++) {
    const support = scores.confusion[c]!.reduce((a, b) => a + b, 0);
    perClass.push([String(c), percent(scores.precision[c]!, 1), percent(scores.recall[c]!, 1), percent(scores.f1[c]!, 1), count(support)]);
  }
  lines.push(...table(perClass, visibleLength).map((line) => '  ' + line));

  const pairs = confusedPairs(scores.confusion).slice(0, options.pairs ?? 5);
  if (pairs.length > 0) {
    lines.push('');
    lines.push(chalk.bold('Most confused'));
    const rows = pairs.map((p) => [
      `${chalk.green(String(p.label))} read as ${chalk.red(String(p.predicted))}`,
      `${count(p.count)} time${p.count === 1 ? '' : 's'}`,
      chalk.dim(`(${percent(p.shareOfLabel, 1)} of the ${p.label}s)`),
    ]);
    lines.push(...table(rows, visibleLength).map((line) => '  ' + line));
  }

  const pictures = options.pictures;
  if (pictures && pictures.mistakes.length > 0) {
    const side = Math.round(Math.sqrt(pictures.features));
    lines.push('');
    lines.push(chalk.bold('Worst mistakes') + chalk.dim(' (the most confident wrong predictions)'));
    lines.push('');
    const tiles = pictures.mistakes.map((m) => mistakeTile(m, pictures, side, chalk));
    lines.push(...layoutTiles(tiles, options.width));
    if (pictures.showCommand) {
      lines.push('');
      lines.push(...lookCloser(pictures.showCommand, options.width, chalk));
    }
  }
  return lines;
}

/** The show command after its label when both fit on a line; else under it, in lines that paste back as one. */
function lookCloser(pieces: readonly string[], width: number, chalk: ChalkInstance): string[] {
  const label = 'Look closer:';
  const command = pieces.join(' ');
  if (label.length + 1 + command.length <= width) return [`${chalk.dim(label)} ${command}`];
  return [chalk.dim(label), ...wrapCommand(pieces, width, '  ')];
}

/** How many mistake pictures fill one row of the given width (at least 2, at most 8). */
export function mistakesForWidth(width: number, side = 28): number {
  return Math.min(8, Math.max(2, tilesPerRow(side, width)));
}

function mistakeTile(m: Mistake, pictures: ReportPictures, side: number, chalk: ChalkInstance): Tile {
  const picture = tile(drawDigit(pictures.pixels, side, chalk, (m.row - 1) * pictures.features));
  const caption = tile([
    `row ${m.row}`,
    `${chalk.green(`true ${m.label}`)}, read ${chalk.red(String(m.predicted))} ${percent(m.confidence, 1)}`,
  ]);
  return above(picture, { lines: caption.lines, width: Math.max(side, caption.width) });
}

/**
 * The confusion matrix with each cell shaded by its share of the row (the true digit's rows): correct
 * predictions in green, mistakes in red, darker the rarer. Without colour the numbers stand alone.
 */
export function confusionHeatMap(confusion: readonly (readonly number[])[], chalk: ChalkInstance): string[] {
  const K = confusion.length;
  const width = Math.max(3, ...confusion.flat().map((n) => String(n).length));
  const cell = (text: string): string => ' ' + text.padStart(width) + ' ';
  // Each row starts "  true 5 ": the header's column numbers start over the first cell.
  const labelWidth = String(K - 1).length;
  const totals = confusion.map((row) => count(row.reduce((a, b) => a + b, 0)));
  const totalWidth = Math.max(4, ...totals.map((t) => t.length));
  const lines = [
    ' '.repeat(8 + labelWidth) + chalk.dim(Array.from({ length: K }, (_, c) => cell(String(c))).join('') + '  ' + 'rows'.padStart(totalWidth)),
  ];
  confusion.forEach((row, truth) => {
    const total = row.reduce((a, b) => a + b, 0);
    const cells = row.map((n, predicted) => heatCell(cell(n === 0 ? '·' : String(n)), n, total, predicted === truth, chalk));
    lines.push(`  ${chalk.dim('true')} ${String(truth).padStart(labelWidth)} ` + cells.join('') + chalk.dim('  ' + totals[truth]!.padStart(totalWidth)));
  });
  return lines;
}

function heatCell(text: string, n: number, rowTotal: number, diagonal: boolean, chalk: ChalkInstance): string {
  if (chalk.level === 0) return text;
  if (n === 0) return chalk.dim(text);
  const share = rowTotal === 0 ? 0 : n / rowTotal;
  if (chalk.level === 1) {
    if (diagonal) return chalk.bgGreen.black(text);
    if (share >= 0.02) return chalk.bgRed.white(text);
    if (share >= 0.005) return chalk.red(text);
    return chalk.yellow(text);
  }
  if (diagonal) {
    // 50% of the row correct is dark green, 100% bright.
    const t = Math.max(0, Math.min(1, (share - 0.5) / 0.5));
    return chalk.bgRgb(mix(20, 40, t), mix(70, 160, t), mix(30, 60, t)).whiteBright(text);
  }
  // A mistake's shade grows with the square root of its share, so that 1% is visible and 10% is full.
  const t = Math.min(1, Math.sqrt(share / 0.1));
  return chalk.bgRgb(mix(60, 220, t), mix(25, 40, t), mix(25, 40, t)).whiteBright(text);
}

function mix(from: number, to: number, t: number): number {
  return Math.round(from + (to - from) * t);
}
