/**
 * Inputs and tolerances shared by the kernel tests. A layer's backward is checked on the loss L = sum(out * G)
 * for a fixed random G, so that dL/dout = G.
 */
import type { Random } from '../../../src/data/random.js';
import { fillUniform } from '../../helpers/gradcheck.js';

/** Backward vs finite differences: max |a - n| / max(|a|, |n|, 1e-6). */
export const gradientTolerance = 1e-6;
/** Finite-difference step. The layers are linear in what is nudged (or smooth), so truncation error is tiny. */
export const h = 1e-5;
/** Sparse vs dense on the same input: the same sums, only the rounding of x / 255 may differ. */
export const sameResultTolerance = 1e-12;

/** Shapes [R, I, O]; O runs through the sparse kernels' four-wide unrolled loop and its remainder. */
export const shapes: Array<[number, number, number]> = [
  [1, 1, 1],
  [3, 5, 4],
  [4, 7, 10],
  [2, 9, 3],
  [5, 6, 7],
];

export function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += a[k]! * b[k]!;
  return sum;
}

/** Random values in [-1, 1) with about a third set to exactly zero (the kernels skip zero inputs). */
export function sparseish(n: number, random: Random): Float64Array {
  const values = fillUniform(new Float64Array(n), () => random.next());
  for (let k = 0; k < n; k++) if (random.next() < 0.33) values[k] = 0;
  return values;
}

/** Raw pixel rows (0..255), mostly zero like real digits, with the listed rows entirely zero. */
export function pixelRows(rows: number, features: number, random: Random, emptyRows: number[]): Uint8Array {
  const pixels = new Uint8Array(rows * features);
  for (let p = 0; p < pixels.length; p++) if (random.next() < 0.3) pixels[p] = 1 + random.int(255);
  for (const r of emptyRows) pixels.fill(0, r * features, (r + 1) * features);
  return pixels;
}

/** The dense (R,I) matrix of the rows a sparse kernel reads: x[r,i] = pixels[rowIds[r], i] / 255. */
export function denseCopy(pixels: Uint8Array, features: number, rowIds: Uint32Array): Float64Array {
  const x = new Float64Array(rowIds.length * features);
  for (let r = 0; r < rowIds.length; r++) {
    for (let i = 0; i < features; i++) x[r * features + i] = pixels[rowIds[r]! * features + i]! / 255;
  }
  return x;
}
