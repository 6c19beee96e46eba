/**
 * Deskewing: each image is sheared sideways so that its ink stands upright, and moved so that its centre of mass
 * sits at the centre of the image. Slant is the largest variation between writers that says nothing about the
 * digit; taking it out before the network sees an image is the classic preprocessing for MNIST (LeCun et al.'s
 * table: a 300-unit network goes from 4.7% to 1.6% test error with it). Measured here with the default preset
 * on Kaggle's train.csv (seeds 1, 2, 3): 98.17/98.24/98.24% held-out without, 98.38/98.55/98.67% with.
 *
 * The skew is the ink's second moments: alpha = mu_xy / mu_yy, the change of x per row down the image. Output
 * pixel (x, y) takes the input at (x - c + cx + alpha * (y - c), y - c + cy), c being the image centre and
 * (cx, cy) the centre of mass, interpolated bilinearly and rounded back to a byte. Along one output row the
 * source point moves by whole pixels only, so the interpolation weights are computed once per row.
 *
 * Works in place on rows of bytes (0..255), square images only; training, prediction and serve all pass their
 * pixels through deskewRows, so the network always sees images prepared the same way.
 */
import type { Dataset } from './dataset.js';

/** Side of a square image of `features` pixels, or null when it is not square. */
export function squareSide(features: number): number | null {
  const side = Math.round(Math.sqrt(features));
  return side * side === features && side > 0 ? side : null;
}

/** Bytes of scratch deskewImage needs for images of side `side`: the image with a border of zeros. */
export function deskewScratchBytes(side: number): number {
  return (side + 2) * (side + 2);
}

/**
 * Deskews the square image of side `side` at pixels[offset .. offset + side*side) in place; `scratch` holds at
 * least deskewScratchBytes(side) bytes. An image without ink is left as it is.
 *
 * Only the ink's bounding box is read and only the output pixels that can receive ink are computed (the rest
 * are zero), with the source copied inside a border of zeros so that the interpolation needs no bounds tests:
 * about ten times less work than visiting every pixel, which matters because predict deskews while it reads.
 * Every computed pixel goes through exactly the arithmetic of the formula above.
 */
export function deskewImage(pixels: Uint8Array, offset: number, side: number, scratch: Uint8Array): void {
  let mass = 0;
  let sumX = 0;
  let sumY = 0;
  let minX = side;
  let maxX = -1;
  let minY = side;
  let maxY = -1;
  for (let y = 0; y < side; y++) {
    const row = offset + y * side;
    for (let x = 0; x < side; x++) {
      const v = pixels[row + x]!;
      if (v === 0) continue;
      mass += v;
      sumX += x * v;
      sumY += y * v;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      maxY = y;
    }
  }
  if (mass === 0) return;
  const cx = sumX / mass;
  const cy = sumY / mass;
  let xy = 0;
  let yy = 0;
  for (let y = minY; y <= maxY; y++) {
    const row = offset + y * side;
    const dy = y - cy;
    for (let x = minX; x <= maxX; x++) {
      const v = pixels[row + x]!;
      xy += (x - cx) * dy * v;
      yy += dy * dy * v;
    }
  }
  const alpha = yy > 0 ? xy / yy : 0;
  const c = side / 2;
  // The source with a border of zeros: padded (x, y) is source (x - 1, y - 1).
  const stride = side + 2;
  for (let p = 0; p < stride * stride; p++) scratch[p] = 0;
  for (let y = minY; y <= maxY; y++) {
    const from = offset + y * side;
    const to = (y + 1) * stride + 1;
    for (let x = minX; x <= maxX; x++) scratch[to + x] = pixels[from + x]!;
  }
  for (let p = offset; p < offset + side * side; p++) pixels[p] = 0;
  for (let y = 0; y < side; y++) {
    const sy = y - c + cy;
    const y0 = Math.floor(sy);
    // Rows y0 and y0 + 1 are read: at least one must be an ink row.
    if (y0 < minY - 1 || y0 > maxY) continue;
    const fy = sy - y0;
    const shift = alpha * (y - c) - c + cx;
    const whole = Math.floor(shift);
    const fx = shift - whole;
    const top = (y0 + 1) * stride + 1;
    const bottom = top + stride;
    const out = offset + y * side;
    // Columns x0 = x + whole and x0 + 1 are read: at least one must be an ink column.
    const xStart = Math.max(0, minX - 1 - whole);
    const xEnd = Math.min(side - 1, maxX - whole);
    for (let x = xStart; x <= xEnd; x++) {
      const x0 = x + whole;
      const a = scratch[top + x0]!;
      const b = scratch[top + x0 + 1]!;
      const d = scratch[bottom + x0]!;
      const e = scratch[bottom + x0 + 1]!;
      const v = (1 - fy) * ((1 - fx) * a + fx * b) + fy * ((1 - fx) * d + fx * e);
      pixels[out + x] = v >= 255 ? 255 : Math.round(v);
    }
  }
}

/** Deskews `count` square images of `features` pixels each, stored one after another from pixels[0], in place. */
export function deskewRows(pixels: Uint8Array, count: number, features: number): void {
  const side = squareSide(features);
  if (side === null) throw new RangeError(`deskewing needs square images; ${features} pixels is not a square`);
  const scratch = new Uint8Array(deskewScratchBytes(side));
  for (let r = 0; r < count; r++) deskewImage(pixels, r * features, side, scratch);
}

/**
 * The dataset with its images deskewed or not, as `deskew` asks: the same object when it already is (the CSV
 * reader deskews in place as it reads, for the commands), otherwise a deskewed copy. Images cannot be
 * un-deskewed: asking for raw images of a deskewed dataset is a mistake in the caller.
 */
export function withDeskew(dataset: Dataset, deskew: boolean): Dataset {
  const deskewed = dataset.deskewed === true;
  if (deskewed === deskew) return dataset;
  if (deskewed) throw new RangeError('withDeskew: the dataset was deskewed when it was read; raw images are gone');
  const pixels = dataset.pixels.slice(0, dataset.rows * dataset.features);
  deskewRows(pixels, dataset.rows, dataset.features);
  return { ...dataset, pixels, deskewed: true };
}
