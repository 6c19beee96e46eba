/** Parsers for option values: each rejects a bad value with a message saying what the option accepts. */
import { InvalidArgumentError } from 'commander';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('expected a whole number of at least 1.');
  }
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('expected a whole number of 0 or more.');
  }
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError('expected a number greater than 0, like 0.05.');
  }
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError('expected a number of 0 or more, like 0.0001.');
  }
  return n;
}

/** `--holdout`: a row count (0, 1, 2, ...) or a fraction strictly between 0 and 1. */
export function holdout(value: string): number {
  const n = Number(value);
  const isCount = /^\s*\d+\s*$/.test(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (!isCount && n >= 1)) {
    throw new InvalidArgumentError('expected a row count (0 for none, or 1000) or a fraction between 0 and 1 (like 0.1).');
  }
  return n;
}

/** `--batch-size`: rows per step, or `0`/`full` for the whole training set. */
export function batchSize(value: string): number {
  if (value.trim().toLowerCase() === 'full') return 0;
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('expected a number of rows (like 64), or 0 or "full" for full batch.');
  }
  return n;
}

/** A comma-separated list of row numbers (1 = first data row), as `--rows 1,2,5` or ranges `1-8`. */
export function rowList(value: string): number[] {
  const rows: number[] = [];
  for (const part of value.split(',')) {
    const range = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!range) throw new InvalidArgumentError('expected row numbers like 1,2,5 or 1-8 (1 is the first data row).');
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    if (from < 1 || to < from || to - from > 10000) throw new InvalidArgumentError('expected row numbers from 1, ranges low-high.');
    for (let r = from; r <= to; r++) rows.push(r);
  }
  return rows;
}
