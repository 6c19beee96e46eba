/** The eval report for people: accuracy with its row count, the confusion matrix and per-digit scores. */
import type { ChalkInstance } from 'chalk';
import type { Scores } from '../train/metrics.js';
import { count, percent, table } from './format.js';

const ansi = /\x1b\[[0-9;]*m/g;
const visible = (s: string): number => s.replace(ansi, '').length;

export function formatEvalReport(scores: Scores, what: string, chalk: ChalkInstance): string[] {
  const lines: string[] = [];
  lines.push(
    `Accuracy ${chalk.bold(percent(scores.accuracy))} ± ${percent(scores.standardError)} ` +
      `(${count(scores.correct)} of ${count(scores.rows)} rows correct) on ${what}`,
  );
  lines.push('');
  lines.push(chalk.dim('Confusion matrix: rows are the true digit, columns the prediction'));
  const classes = scores.confusion.length;
  const header = ['true\\pred', ...Array.from({ length: classes }, (_, c) => chalk.bold(String(c)))];
  const rows = scores.confusion.map((row, truth) => {
    const rowTotal = row.reduce((a, b) => a + b, 0);
    return [
      chalk.bold(String(truth)),
      ...row.map((n, predicted) => heatCell(n, rowTotal, predicted === truth, chalk)),
    ];
  });
  lines.push(...table([header, ...rows], visible));
  lines.push('');
  const perClass = [['digit', 'precision', 'recall', 'f1', 'rows']];
  for (let c = 0; c < classes; c++) {
    const support = scores.confusion[c]!.reduce((a, b) => a + b, 0);
    perClass.push([String(c), percent(scores.precision[c]!, 1), percent(scores.recall[c]!, 1), percent(scores.f1[c]!, 1), String(support)]);
  }
  lines.push(...table(perClass, visible));
  return lines;
}

/** A confusion-matrix cell shaded by its share of the row: the diagonal in green, mistakes in red. */
function heatCell(n: number, rowTotal: number, diagonal: boolean, chalk: ChalkInstance): string {
  const text = String(n);
  if (n === 0) return chalk.dim(text);
  if (diagonal) return chalk.green(text);
  const share = rowTotal === 0 ? 0 : n / rowTotal;
  if (share >= 0.02) return chalk.bgRed.white(text);
  if (share >= 0.005) return chalk.red(text);
  return chalk.yellow(text);
}
