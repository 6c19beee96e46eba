/** Reading a CSV with a progress bar on a terminal: shared by the commands that read data. */
import { readDigitCsv, type ReadCsvOptions } from '../data/csv.js';
import type { Dataset } from '../data/dataset.js';
import type { Reporter } from '../ui/reporter.js';
import { statSync } from 'node:fs';

/** How to read the file (as readDigitCsv takes it), and the Reporter that shows the progress. */
export interface LoadCsvOptions extends Pick<ReadCsvOptions, 'labels' | 'maxErrors' | 'onRows' | 'deskew'> {
  readonly reporter: Reporter;
}

export async function loadCsv(path: string, options: LoadCsvOptions): Promise<{ dataset: Dataset; seconds: number }> {
  const { reporter, ...reading } = options;
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
    const dataset = await readDigitCsv(path, { ...reading, onProgress: (progress) => reporter.loadProgress(progress, started) });
    return { dataset, seconds: (performance.now() - started) / 1000 };
  } finally {
    reporter.loadFinished();
  }
}
