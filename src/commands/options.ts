/**
 * Parsers for option values: each rejects a bad value with a message saying what the option accepts. Commander
 * puts the option and the value in front ("option '--hidden <n>' argument '0' is invalid."), so each message
 * here is the second sentence. Negative numbers arrive here too: commander takes the word after an option that
 * needs a value as that value, even when it starts with "-".
 */
import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from 'commander';

const wholeNumber = /^\s*\d+\s*$/;

/** A whole number in [min, max]. */
export function intInRange(min: number, max: number, example?: string): (value: string) => number {
  const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
  const like = example ? `, like ${example}` : '';
  return (value: string): number => {
    const n = Number(value);
    if (!wholeNumber.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`Expected a whole number ${range}${like}.`);
    }
    return n;
  };
}

export const positiveInt = intInRange(1, Number.MAX_SAFE_INTEGER);
export const nonNegativeInt = intInRange(0, Number.MAX_SAFE_INTEGER);

/**
 * `--hidden`: the largest network whose model (weights and optimiser state) still fits in one JSON string;
 * beyond this the run would train for hours and then fail to save.
 */
export const maxHidden = 4096;
export const hiddenUnits = intInRange(1, maxHidden, '256');

/**
 * `--threads`: a training batch is split into one slice of rows per thread, and the default preset's batches
 * are 64 rows, so a 65th thread would have no rows; each thread is also a whole V8 instance (about 9 MB, and
 * time to start: --threads 1000 took 9 GB and 37 s for a 0.4 s job). 64 is more cores than this tool has been
 * measured on (2), with room for large machines; the default (cores available) is held to it too.
 */
export const maxThreads = 64;
export const threadCount = intInRange(1, maxThreads, '2');

/** Threads when --threads is not given: the cores available, within the same limit. */
export function defaultThreads(): number {
  return Math.min(maxThreads, Math.max(1, availableParallelism()));
}

/** `--seed`: the generator takes 32 bits. */
export const seed = intInRange(0, 2 ** 32 - 1, '42');

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError('Expected a number greater than 0, like 0.05.');
  }
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError('Expected a number of 0 or more, like 0.0001.');
  }
  return n;
}

/** `--holdout`: a row count (0, 1, 2, ...) or a fraction strictly between 0 and 1. */
export function holdout(value: string): number {
  const n = Number(value);
  const isCount = wholeNumber.test(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (!isCount && n >= 1) || (isCount && !Number.isSafeInteger(n))) {
    throw new InvalidArgumentError('Expected a row count (like 1000, or 0 for none) or a fraction between 0 and 1 (like 0.1).');
  }
  return n;
}

/** `--batch-size`: rows per step, or `0`/`full` for the whole training set. */
export function batchSize(value: string): number {
  if (value.trim().toLowerCase() === 'full') return 0;
  const n = Number(value);
  if (!wholeNumber.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('Expected a number of rows (like 64), or 0 or "full" for full batch.');
  }
  return n;
}

/** A comma-separated list of row numbers (1 = first data row), as `--rows 1,2,5` or ranges `1-8`. */
export function rowList(value: string): number[] {
  const rows: number[] = [];
  for (const part of value.split(',')) {
    const range = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!range) throw new InvalidArgumentError('Expected row numbers like 1,2,5 or 1-8 (1 is the first data row).');
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    if (from < 1 || to < from || to - from > 10000) throw new InvalidArgumentError('Expected row numbers from 1, ranges low-high.');
    for (let r = from; r <= to; r++) rows.push(r);
  }
  return rows;
}
