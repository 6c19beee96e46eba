/** Paths the commands default to, and display of paths relative to where the user stands. */
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeFileError, failure, isSystemError } from '../errors.js';

/** The bundled sample of real Kaggle rows, used when `digits train` gets no file. */
export const bundledTrainFile = fileURLToPath(new URL('../../data/sample/train.csv.gz', import.meta.url));
export const defaultModelPath = 'models/model.json';

/** A path as short as possible for messages: relative to cwd when inside it. */
export function displayPath(path: string, cwd = process.cwd()): string {
  if (path === '-') return 'stdin';
  if (!isAbsolute(path)) return path;
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** Creates the folder an output file goes into, if it is missing. */
export function ensureParentFolder(path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    if (isSystemError(error)) throw failure(describeFileError(error, dirname(path), 'creating the output folder'));
    throw error;
  }
}
