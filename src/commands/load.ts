/** Reading a CSV with a progress bar on a terminal: shared by the commands that read data. */
import { readDigitCsv, type ReadCsvOptions } from '../data/csv.js';
import type { LabelRequirement } from '../data/csvHeader.js';
import type { Dataset } from '../data/dataset.js';
import type { Reporter } from '../ui/reporter.js';
import { statSync } from 'node:fs';

export async function loadCsv(
  path: string,
  labels: LabelRequirement,
  reporter: Reporter,
  maxErrors = 1,
  onRows?: ReadCsvOptions['onRows'],
  deskew = false,
): Promise<{ dataset: Dataset; seconds: number }> {
  const started = performance.now();
  let size: number | undefined;
  try {
    size = path === '-' ? undefined : statSync(path).size;
  } catch {
    size = undefined; // readDigitCsv reports the missing file with the full message.
  }
  if (path === '-' && process.stdin.isTTY) {
    reporter.info('Reading CSV from standard input; paste or type rows, then Ctrl-D (or pipe a file in: < train.csv).');
  }
  reporter.loadStarted(path === '-' ? 'stdin' : path, size);
  try {
    const dataset = await readDigitCsv(path, {
      labels,
      maxErrors,
      onProgress: (progress) => reporter.loadProgress(progress, started),
      onRows,
      deskew,
    });
    return { dataset, seconds: (performance.now() - started) / 1000 };
  } finally {
    reporter.loadFinished();
  }
}
