/**
 * Deskewing (src/data/deskew.ts): against a plain reference written from the formula, on real sample rows; on
 * drawn shapes whose slant and centre are known; and as the CSV reader applies it while reading.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readDigitCsv } from '../../src/data/csv.js';
import { imageSide, toSparseRows, type SparseRows } from '../../src/data/dataset.js';
import { deskewImage, deskewRows, deskewSparseRows, withDeskew } from '../../src/data/deskew.js';
import { readSampleRows, sampleDataset, sampleTrainPath } from '../helpers/sample-rows.js';

const side = 28;
const P = side * side;

/**
 * The formula as written in deskew.ts's comment, pixel by pixel, with no shortcuts: moments, then every output
 * pixel (x, y) taken from source (x + round(alpha (y - c) + cx - c), y + round(cy - c)), zero outside the image.
 */
function referenceDeskew(image: Uint8Array): Uint8Array {
  let m = 0, sx = 0, sy = 0;
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) { const v = image[y * side + x]!; m += v; sx += x * v; sy += y * v; }
  if (m === 0) return image.slice();
  const cx = sx / m, cy = sy / m;
  let xy = 0, yy = 0;
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) { const v = image[y * side + x]!; xy += (x - cx) * (y - cy) * v; yy += (y - cy) * (y - cy) * v; }
  const alpha = yy > 0 ? xy / yy : 0;
  const c = side / 2;
  const at = (x: number, y: number): number => (x >= 0 && x < side && y >= 0 && y < side ? image[y * side + x]! : 0);
  const out = new Uint8Array(P);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) out[y * side + x] = at(x + Math.round(alpha * (y - c) + cx - c), y + Math.round(cy - c));
  }
  return out;
}

/** Centre of mass and skew (change of x per row) of an image's ink. */
function moments(image: Uint8Array): { cx: number; cy: number; skew: number } {
  let m = 0, sx = 0, sy = 0;
  for (let p = 0; p < P; p++) { m += image[p]!; sx += (p % side) * image[p]!; sy += Math.floor(p / side) * image[p]!; }
  const cx = sx / m, cy = sy / m;
  let xy = 0, yy = 0;
  for (let p = 0; p < P; p++) {
    const dx = (p % side) - cx, dy = Math.floor(p / side) - cy;
    xy += dx * dy * image[p]!;
    yy += dy * dy * image[p]!;
  }
  return { cx, cy, skew: xy / yy };
}

/** A stroke three pixels wide from row `top` to row `bottom`, leaning `lean` pixels right per row down. */
function slantedStroke(top: number, bottom: number, x0: number, lean: number): Uint8Array {
  const image = new Uint8Array(P);
  for (let y = top; y <= bottom; y++) {
    const x = Math.round(x0 + lean * (y - top));
    for (let dx = -1; dx <= 1; dx++) image[y * side + x + dx] = 255;
  }
  return image;
}

describe('deskewImage', () => {
  it('equals the plain reference exactly on 300 real sample rows', () => {
    const sample = readSampleRows(sampleTrainPath, 300);
    const scratch = new Uint8Array(P);
    for (let r = 0; r < sample.rows; r++) {
      const image = sample.pixels.slice(r * P, (r + 1) * P);
      const expected = referenceDeskew(image);
      deskewImage(image, 0, side, scratch);
      expect(image).toEqual(expected);
    }
  });

  it('keeps every pixel value: it moves pixels, it does not blend them', () => {
    const sample = readSampleRows(sampleTrainPath, 200);
    const after = sample.pixels.slice();
    deskewRows(after, sample.rows, sample.features);
    const values = (bytes: Uint8Array): Set<number> => new Set(bytes);
    for (const v of values(after)) expect(values(sample.pixels).has(v)).toBe(true);
  });

  it('stands a slanted stroke upright and moves its ink to the centre', () => {
    const image = slantedStroke(3, 24, 6, 0.5);
    expect(moments(image).skew).toBeCloseTo(0.5, 1);
    deskewImage(image, 0, side, new Uint8Array(P));
    const after = moments(image);
    expect(Math.abs(after.skew)).toBeLessThan(0.05); // from 0.5; whole-pixel moves leave a little
    // Centred to the nearest whole pixel.
    expect(Math.abs(after.cx - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(after.cy - 14)).toBeLessThanOrEqual(0.5);
  });

  it('leaves an upright stroke centred on the image as it is, and an empty image untouched', () => {
    const upright = slantedStroke(4, 24, 14, 0);
    const copy = upright.slice();
    deskewImage(upright, 0, side, new Uint8Array(P));
    expect(upright).toEqual(copy);
    const empty = new Uint8Array(P);
    deskewImage(empty, 0, side, new Uint8Array(P));
    expect(empty).toEqual(new Uint8Array(P));
  });

  it('works on one image inside a larger buffer without touching its neighbours', () => {
    const sample = readSampleRows(sampleTrainPath, 3);
    const buffer = sample.pixels.slice();
    deskewImage(buffer, P, side, new Uint8Array(P));
    expect(buffer.subarray(0, P)).toEqual(sample.pixels.subarray(0, P));
    expect(buffer.subarray(P, 2 * P)).toEqual(referenceDeskew(sample.pixels.slice(P, 2 * P)));
    expect(buffer.subarray(2 * P)).toEqual(sample.pixels.subarray(2 * P));
  });
});

describe('deskewRows, squareSide and withDeskew', () => {
  it('refuses images that are not square', () => {
    expect(imageSide(784)).toBe(28);
    expect(imageSide(700)).toBeNull();
    expect(() => deskewRows(new Uint8Array(700), 1, 700)).toThrow('deskewing needs square images; 700 pixels is not a square');
  });

  it('gives the same dataset back when it is already as asked, a deskewed copy otherwise', () => {
    const raw = sampleDataset(20);
    expect(withDeskew(raw, false)).toBe(raw);
    const before = raw.pixels.slice();
    const deskewed = withDeskew(raw, true);
    expect(deskewed.deskewed).toBe(true);
    expect(raw.pixels).toEqual(before);
    for (let r = 0; r < raw.rows; r++) {
      expect(deskewed.pixels.subarray(r * P, (r + 1) * P)).toEqual(referenceDeskew(raw.pixels.slice(r * P, (r + 1) * P)));
    }
    expect(withDeskew(deskewed, true)).toBe(deskewed);
    expect(() => withDeskew(deskewed, false)).toThrow(RangeError);
  });
});

/** The sparse view of the deskewed bytes: what deskewSparseRows must give, exactly. */
function sparseOfDeskewedBytes(pixels: Uint8Array, rows: number, features: number): SparseRows {
  const bytes = pixels.slice();
  deskewRows(bytes, rows, features);
  return toSparseRows(bytes, rows, features);
}

function expectSameSparse(actual: SparseRows, expected: SparseRows): void {
  expect(actual.rows).toBe(expected.rows);
  expect(actual.offsets).toEqual(expected.offsets);
  expect(Array.from(actual.indices)).toEqual(Array.from(expected.indices));
  expect(Array.from(actual.values)).toEqual(Array.from(expected.values));
}

describe('deskewSparseRows', () => {
  it('gives exactly the images deskewRows gives, on all 4,000 rows of the bundled sample', () => {
    const sample = readSampleRows(sampleTrainPath);
    const expected = sparseOfDeskewedBytes(sample.pixels, sample.rows, P);
    expectSameSparse(deskewSparseRows(toSparseRows(sample.pixels, sample.rows, P)), expected);
    // A few real images lose ink at the edges (9 pixels of 602,483 here); the comparison covers that too.
    expect(expected.offsets[sample.rows]).toBeLessThan(toSparseRows(sample.pixels, sample.rows, P).offsets[sample.rows]!);
  });

  it('drops what moves out of the image and keeps empty rows empty, as deskewRows does', () => {
    // Ink in a corner, heavy enough at the far edge that centring pushes some of it out; then an empty image.
    const corner = new Uint8Array(P);
    for (let y = 0; y < 6; y++) for (let x = 0; x < 4 + y; x++) corner[y * side + x] = 200 + y;
    corner[27 * side + 27] = 1;
    const pixels = new Uint8Array(3 * P);
    pixels.set(corner, 0);
    pixels.set(slantedStroke(4, 23, 8, 0.5), 2 * P);
    const expected = sparseOfDeskewedBytes(pixels, 3, P);
    expect(expected.offsets[1]! - expected.offsets[0]!).toBeLessThan(toSparseRows(corner, 1, P).offsets[1]!);
    expect(expected.offsets[2]).toBe(expected.offsets[1]);
    expectSameSparse(deskewSparseRows(toSparseRows(pixels, 3, P)), expected);
  });

  it('agrees with deskewRows on random sparse images of other square sizes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (imageSide, rows, seed) => {
          const features = imageSide * imageSide;
          const pixels = new Uint8Array(rows * features);
          let state = seed;
          for (let p = 0; p < pixels.length; p++) {
            state = (Math.imul(state, 1103515245) + 12345) >>> 0;
            // About a quarter of the pixels inked, as in real digits.
            pixels[p] = state % 4 === 0 ? 1 + ((state >>> 8) % 255) : 0;
          }
          expectSameSparse(deskewSparseRows(toSparseRows(pixels, rows, features)), sparseOfDeskewedBytes(pixels, rows, features));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses images that are not square', () => {
    expect(() => deskewSparseRows(toSparseRows(new Uint8Array(700), 1, 700))).toThrow(
      'deskewing needs square images; 700 pixels is not a square',
    );
  });
});

describe('readDigitCsv with deskew', () => {
  it.each([true, false])('deskews every row as it reads (fast path %s), before onRows sees it', async (fastPath) => {
    const raw = await readDigitCsv(sampleTrainPath, { labels: 'required', fastPath });
    const seen = new Uint8Array(raw.pixels.length);
    const read = await readDigitCsv(sampleTrainPath, {
      labels: 'required',
      fastPath,
      deskew: true,
      onRows: (pixels, first) => seen.set(pixels, first * P),
    });
    expect(raw.deskewed).toBe(false);
    expect(read.deskewed).toBe(true);
    const expected = withDeskew(raw, true).pixels;
    // Compared as buffers: a deep toEqual over three million bytes takes vitest many seconds.
    expect(Buffer.from(read.pixels).equals(Buffer.from(expected))).toBe(true);
    expect(Buffer.from(seen).equals(Buffer.from(expected))).toBe(true);
    expect(Buffer.from(read.pixels).equals(Buffer.from(raw.pixels))).toBe(false);
  });
});
