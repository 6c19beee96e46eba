/**
 * The held-out split and mini-batch order. Rows are shuffled with the run's seed and the first `heldOut` of
 * that order are held out: the rule of the seed network's script (np.random.shuffle, then data[0:1000]), which
 * the seed preset reproduces.
 */
import { Random } from './random.js';
import { inputError } from '../errors.js';

export interface Split {
  /** Row indices of the training rows, in file order. */
  readonly trainRows: Uint32Array;
  /** Row indices of the held-out rows, in file order. */
  readonly heldOutRows: Uint32Array;
}

/**
 * How many rows to hold out: a count (integer >= 1), or a fraction of the file (0 < x < 1). `0` holds out
 * nothing. A fraction always leaves at least one training row; a count that leaves none is an error rather
 * than being cut down silently to a one-row training set.
 */
export function heldOutCount(holdout: number, rows: number): number {
  const fraction = holdout > 0 && holdout < 1;
  const count = fraction ? Math.min(Math.round(holdout * rows), rows - 1) : Math.floor(holdout);
  if (count >= rows) {
    const rowsWord = (n: number): string => `${n} row${n === 1 ? '' : 's'}`;
    throw inputError(`--holdout ${holdout} would hold out ${rowsWord(count)}, but the file has only ${rows}, leaving none to train on`, [
      'Hold out fewer rows (a count, or a fraction like 0.1), or none with --holdout 0.',
    ]);
  }
  return Math.max(0, count);
}

export function splitRows(rows: number, heldOut: number, seed: number): Split {
  const order = new Uint32Array(rows);
  for (let r = 0; r < rows; r++) order[r] = r;
  new Random(seed ^ 0x5eed).shuffle(order);
  const heldOutRows = order.slice(0, heldOut).sort();
  const trainRows = order.slice(heldOut).sort();
  return { trainRows, heldOutRows };
}

/** Rebuilds a split from held-out rows recorded in a model. */
export function splitFromHeldOut(rows: number, heldOutRows: readonly number[]): Split {
  const held = new Uint8Array(rows);
  for (const r of heldOutRows) held[r] = 1;
  const trainRows = new Uint32Array(rows - heldOutRows.length);
  let at = 0;
  for (let r = 0; r < rows; r++) if (!held[r]) trainRows[at++] = r;
  return { trainRows, heldOutRows: Uint32Array.from(heldOutRows).sort() };
}
