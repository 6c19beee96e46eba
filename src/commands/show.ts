/**
 * `digits show <file> [--rows 1,2,5] [--model m.json]`: digits from a CSV drawn in the terminal with their
 * labels, and with a model its prediction and top-3 probabilities beside each.
 */
import type { ChalkInstance } from 'chalk';
import { inputError } from '../errors.js';
import { loadModel } from '../model/read.js';
import type { Model } from '../train/model.js';
import { predictRows } from '../nn/predict.js';
import { chooseBackend } from './threads.js';
import { checkCompatible } from '../train/evaluate.js';
import { imageSide, type Dataset } from '../data/dataset.js';
import type { ProgressMode, Reporter } from '../ui/reporter.js';
import { beside, drawDigit, layoutTiles, tile, type Tile } from '../ui/digits.js';
import { count, outputWidth, percent } from '../ui/format.js';
import { commandReporter, type CommandContext } from './context.js';
import { loadCsv } from './load.js';
import { readDigitCsv } from '../data/csv.js';
import { openInput } from '../io/source.js';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { displayPath } from './paths.js';
import { writeToStdout } from './output.js';

export interface ShowOptions {
  rows?: number[];
  model?: string;
  json: boolean;
  quiet: boolean;
  progress: ProgressMode;
  maxErrors: number;
}

/** Rows drawn when --rows is not given. */
export const defaultShowRows = [1, 2, 3, 4, 5, 6];

/** One shown row, as `digits show --json` prints it (docs/json.md). */
export interface ShownRow {
  /** 1 is the first data row (the line after the header). */
  readonly row: number;
  readonly label: number | null;
  readonly predicted: number | null;
  readonly confidence: number | null;
  /** The three most probable digits, most probable first (empty without --model). */
  readonly top: readonly { readonly digit: number; readonly probability: number }[];
  /** Every class's probability, in the order of `classes` (null without --model). */
  readonly probabilities: readonly number[] | null;
}

export async function runShow(file: string, options: ShowOptions, context: CommandContext): Promise<number> {
  const reporter = commandReporter(options, context);
  const model = options.model ? loadModel(options.model) : undefined;
  const dataset = await readForShow(file, reporter, options.maxErrors);
  const wanted = options.rows ?? defaultShowRows.filter((r) => r <= dataset.rows);
  const tooFar = wanted.find((r) => r > dataset.rows);
  if (tooFar !== undefined) {
    throw inputError(`--rows ${tooFar}: ${displayPath(file, context.cwd)} has only ${count(dataset.rows)} data row${dataset.rows === 1 ? '' : 's'}`, [
      'Rows count from 1, the first line after the header.',
    ]);
  }
  if (model) checkCompatible(model, dataset, options.model!);
  const shown = describeRows(dataset, wanted, model);

  if (options.json) {
    const classes = model ? [...model.classes] : null;
    await writeToStdout(context.stdout, JSON.stringify({ file, model: options.model ?? null, classes, rows: shown }) + '\n');
    return 0;
  }
  if (options.quiet) return 0;
  const side = imageSide(dataset.features);
  if (side === null) {
    throw inputError(`${displayPath(file, context.cwd)}: rows have ${dataset.features} pixels, which is not a square image`, [
      'digits show draws square images such as 28x28 = 784 pixels; --json still lists labels and predictions.',
    ]);
  }
  const tiles = shown.map((row) => showTile(row, dataset, side, context.chalk));
  context.stderr.write(layoutTiles(tiles, outputWidth(context.stderr)).join('\n') + '\n');
  return 0;
}

/**
 * Reads the CSV keeping its labels when it has a label column (the reader drops labels it is not asked to
 * require), and reading unlabelled files too. The header is looked at first: for a file by opening it, for
 * standard input by reading it whole (show keeps every row in memory anyway).
 */
async function readForShow(file: string, reporter: Reporter, maxErrors: number): Promise<Dataset> {
  if (file !== '-') {
    const labelled = hasLabelColumn(await firstLine(file));
    return (await loadCsv(file, { labels: labelled ? 'required' : 'optional', reporter, maxErrors })).dataset;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  const raw = Buffer.concat(chunks);
  let text: Buffer = raw;
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      text = gunzipSync(raw);
    } catch {
      text = Buffer.alloc(0); // the reader reports damaged gzip with its own message
    }
  }
  const newline = text.indexOf(10);
  const labelled = hasLabelColumn(text.subarray(0, newline === -1 ? text.length : newline).toString('utf8'));
  return readDigitCsv('-', { labels: labelled ? 'required' : 'optional', maxErrors, stdin: Readable.from([raw]) });
}

/** The first line of a (possibly gzip) file, or '' if it cannot be read (the reader then says why). */
async function firstLine(path: string): Promise<string> {
  let text = '';
  try {
    for await (const chunk of openInput(path).chunks) {
      text += chunk.toString('utf8');
      const newline = text.indexOf('\n');
      if (newline !== -1) return text.slice(0, newline);
      if (text.length > 1 << 20) break;
    }
  } catch {
    return '';
  }
  return text;
}

/** Whether a CSV header line names a `label` column (any case, quoted or not). */
export function hasLabelColumn(header: string): boolean {
  return header
    .replace(/^\uFEFF/, '')
    .split(',')
    .some((field) => field.trim().replace(/^"(.*)"$/, '$1').trim().toLowerCase() === 'label');
}

/** Labels, and with a model predictions and probabilities, of the wanted rows (1-based). */
export function describeRows(dataset: Dataset, rows: readonly number[], model?: Model): ShownRow[] {
  const ids = Uint32Array.from(rows, (r) => r - 1);
  // The kernels are chosen for show as they are by default elsewhere: the numbers are the same either way.
  const backend = chooseBackend('auto', false);
  const predictions = model ? predictRows(model.params, dataset, { deskew: model.deskew, rowIds: ids, backend }) : undefined;
  const K = model?.params.shape.classCount ?? 0;
  return rows.map((row, k) => {
    const label = dataset.labels ? dataset.labels[row - 1]! : null;
    if (!model || !predictions) return { row, label, predicted: null, confidence: null, top: [], probabilities: null };
    const probabilities = Array.from(predictions.probs.subarray(k * K, (k + 1) * K));
    const order = probabilities.map((p, c) => [p, c] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    const top = order.slice(0, 3).map(([probability, c]) => ({ digit: model.classes[c]!, probability }));
    const best = order[0]!;
    return { row, label, predicted: model.classes[best[1]]!, confidence: best[0], top, probabilities };
  });
}

const barWidth = 10;

function showTile(row: ShownRow, dataset: Dataset, side: number, chalk: ChalkInstance): Tile {
  const picture = tile(drawDigit(dataset.pixels, side, chalk, (row.row - 1) * dataset.features));
  const labelText = row.label === null ? chalk.dim('no label') : `label ${chalk.bold(String(row.label))}`;
  if (row.predicted === null) {
    return { lines: [...picture.lines, `row ${row.row} · ${labelText}`], width: side };
  }
  const verdict =
    row.label === null ? '' : row.label === row.predicted ? ' ' + chalk.green('✓ right') : ' ' + chalk.red('✗ wrong');
  const panel = [
    chalk.dim(`row ${row.row}`),
    labelText,
    `predicted ${chalk.bold(String(row.predicted))}${verdict}`,
    '',
    chalk.dim('top 3'),
    ...row.top.map(({ digit, probability }, k) => {
      const filled = Math.round(probability * barWidth);
      const bar = '█'.repeat(filled) + chalk.dim('·'.repeat(barWidth - filled));
      const text = `${digit}  ${percent(probability, 1).padStart(6)} ${bar}`;
      return k === 0 ? chalk.bold(text) : text;
    }),
  ];
  return beside(picture, tile(panel), 2);
}
