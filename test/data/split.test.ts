/**
 * The held-out split (src/data/split.ts): how many rows are held out for a count or a fraction, and the seeded
 * split itself: disjoint, complete, sorted, the same for the same seed, rebuilt exactly from a model's record.
 */
import { describe, expect, it } from 'vitest';
import { heldOutCount, splitFromHeldOut, splitRows, type Split } from '../../src/data/split.js';

function expectValidSplit(split: Split, rows: number, heldOut: number): void {
  const held = Array.from(split.heldOutRows);
  const train = Array.from(split.trainRows);
  expect(held.length).toBe(heldOut);
  expect(train.length).toBe(rows - heldOut);
  // Sorted (file order), so no duplicates inside either part.
  for (const part of [held, train]) expect(part.every((row, k) => k === 0 || row > part[k - 1]!)).toBe(true);
  // Disjoint and complete: together they are every row exactly once.
  expect([...held, ...train].sort((a, b) => a - b)).toEqual(Array.from({ length: rows }, (_, r) => r));
}

describe('heldOutCount', () => {
  it('takes a whole number as a row count', () => {
    expect(heldOutCount(1000, 42000)).toBe(1000);
    expect(heldOutCount(1, 10)).toBe(1);
    expect(heldOutCount(0, 10)).toBe(0);
  });

  it('takes a number between 0 and 1 as a fraction of the rows, rounded', () => {
    expect(heldOutCount(0.1, 4000)).toBe(400);
    expect(heldOutCount(0.1, 42000)).toBe(4200);
    expect(heldOutCount(0.25, 10)).toBe(3); // 2.5 rounds up
    expect(heldOutCount(0.5, 3)).toBe(2); // 1.5 rounds up
    expect(heldOutCount(0.01, 10)).toBe(0); // 0.1 rounds to nothing held out
  });

  it('always leaves at least one training row: a fraction is rounded down to it, a count is refused', () => {
    expect(heldOutCount(0.99, 10)).toBe(9);
    expect(heldOutCount(999, 1000)).toBe(999);
    expect(() => heldOutCount(1000, 1000)).toThrow('--holdout 1000 would hold out 1000 rows, but the file has only 1000, leaving none to train on');
    expect(() => heldOutCount(5000, 1000)).toThrow('--holdout 5000 would hold out 5000 rows, but the file has only 1000, leaving none to train on');
    expect(() => heldOutCount(1, 1)).toThrow('--holdout 1 would hold out 1 row, but the file has only 1, leaving none to train on');
  });
});

describe('splitRows', () => {
  it('splits into disjoint, complete, sorted parts of the right sizes', () => {
    expectValidSplit(splitRows(4000, 400, 42), 4000, 400);
    expectValidSplit(splitRows(42000, 1000, 7), 42000, 1000);
    expectValidSplit(splitRows(10, 0, 1), 10, 0);
    expectValidSplit(splitRows(10, 9, 1), 10, 9);
  });

  it('gives the same split for the same seed, and another for another seed', () => {
    const a = splitRows(4000, 400, 42);
    const b = splitRows(4000, 400, 42);
    const c = splitRows(4000, 400, 43);
    expect(Array.from(b.heldOutRows)).toEqual(Array.from(a.heldOutRows));
    expect(Array.from(b.trainRows)).toEqual(Array.from(a.trainRows));
    expect(Array.from(c.heldOutRows)).not.toEqual(Array.from(a.heldOutRows));
  });

  it('holds out rows spread over the whole file, not its first rows', () => {
    const { heldOutRows } = splitRows(4000, 400, 42);
    expect(Array.from(heldOutRows)).not.toEqual(Array.from({ length: 400 }, (_, r) => r));
    // Each quarter of the file holds about 100 of the 400 (hypergeometric standard deviation about 8.7).
    for (let quarter = 0; quarter < 4; quarter++) {
      const inQuarter = Array.from(heldOutRows).filter((r) => Math.floor(r / 1000) === quarter).length;
      expect(Math.abs(inQuarter - 100)).toBeLessThan(45);
    }
  });

  it('holds out a prefix of the same shuffled order: a larger count keeps the smaller one\'s rows', () => {
    const small = new Set(splitRows(4000, 100, 42).heldOutRows);
    const large = new Set(splitRows(4000, 1000, 42).heldOutRows);
    for (const row of small) expect(large.has(row)).toBe(true);
  });
});

describe('splitFromHeldOut', () => {
  it('rebuilds exactly the split whose held-out rows a model recorded', () => {
    for (const [rows, heldOut, seed] of [
      [4000, 400, 42],
      [100, 1, 3],
      [100, 0, 3],
      [100, 99, 3],
    ] as const) {
      const split = splitRows(rows, heldOut, seed);
      const rebuilt = splitFromHeldOut(rows, Array.from(split.heldOutRows));
      expect(Array.from(rebuilt.heldOutRows)).toEqual(Array.from(split.heldOutRows));
      expect(Array.from(rebuilt.trainRows)).toEqual(Array.from(split.trainRows));
    }
  });

  it('sorts held-out rows given out of order', () => {
    const split = splitFromHeldOut(6, [4, 1, 3]);
    expect(Array.from(split.heldOutRows)).toEqual([1, 3, 4]);
    expect(Array.from(split.trainRows)).toEqual([0, 2, 5]);
  });
});
