/** Reading a CSV with a progress bar on a terminal: shared by the commands that read data. */
import { readDigitCsv, type ReadCsvOptions } from '../data/csv.js';
import type { Dataset } from '../data/dataset.js';
import type { Reporter } from '../ui/reporter.js';
import { DigitsError, isSystemError } from '../errors.js';
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

/** Where Kaggle's files come from: said when the training or test file a command was given is not there. */
export const kaggleFilesHint: readonly string[] = [
  "Kaggle's digit files (train.csv, test.csv) come from the competition page,",
  'https://www.kaggle.com/competitions/digit-recognizer/data, or with its CLI:',
  'kaggle competitions download -c digit-recognizer && unzip digit-recognizer.zip',
];

/**
 * loadCsv for the files train, predict and eval read, which users fetch from Kaggle: a missing one is also told
 * where those come from (unless the message already points at the file beside it, x.csv.gz for x.csv).
 */
export async function loadKaggleCsv(...args: Parameters<typeof loadCsv>): ReturnType<typeof loadCsv> {
  const path = args[0];
  try {
    return await loadCsv(...args);
  } catch (error) {
    if (error instanceof DigitsError && error.details.length === 0 && error.message.startsWith(`${path}: `) && isMissing(path)) {
      throw new DigitsError(error.message, error.exitCode, kaggleFilesHint);
    }
    throw error;
  }
}

function isMissing(path: string): boolean {
  if (path === '-') return false;
  try {
    statSync(path);
    return false;
  } catch (error) {
    return isSystemError(error) && error.code === 'ENOENT';
  }
}
