/**
 * The first layer's kernels (src/nn/kernels/firstLayer.ts):
 * - sparseBackward against central finite differences of sparseForward, on small random shapes and on a wide
 *   layer with inactive units (the gathered path);
 * - sparseForward and sparseBackward against the plain dense kernels on the same input (1e-12 relative), real
 *   rows and empty rows, every unit active or most inactive as after a ReLU;
 * - the packed prediction forward (sparsePackedForward) bit for bit against sparseForward and a ReLU.
 */
import { describe, expect, it } from 'vitest';
import { toSparseRows, type SparseRows } from '../../../src/data/dataset.js';
import { Random } from '../../../src/data/random.js';
import {
  packedLength,
  packFirstLayer,
  sparseBackward,
  sparseForward,
  sparsePackedForward,
} from '../../../src/nn/kernels/firstLayer.js';
import { fillUniform, maxRelativeError, numericalGradient } from '../../helpers/gradcheck.js';
import { readSampleRows, sampleTrainPath } from '../../helpers/sample-rows.js';
import { denseBackward, denseForward, reluForward } from '../reference.js';
import { denseCopy, dot, gradientTolerance, h, pixelRows, sameResultTolerance, shapes } from './cases.js';

describe('sparseForward / sparseBackward', () => {
  it.each(shapes)('gives dw and db equal to finite differences (R=%i, I=%i, O=%i)', (R, I, O) => {
    const random = new Random(1000 + R * 100 + I * 10 + O);
    const stored = R + 2;
    const pixels = pixelRows(stored, I, random, [1]);
    const input = toSparseRows(pixels, stored, I);
    // Rows out of order, one repeated, the empty row included.
    const rowIds = Uint32Array.from({ length: R }, (_, r) => (r * 3 + 1) % stored);
    const G = fillUniform(new Float64Array(R * O), () => random.next());
    expectFiniteDifferenceGradients(input, rowIds, G, O, random);
  });

  /** sparseBackward's dw and db for the loss sum(sparseForward(...) * G) against central finite differences. */
  function expectFiniteDifferenceGradients(
    input: SparseRows,
    rowIds: Uint32Array,
    G: Float64Array,
    O: number,
    random: Random,
  ): void {
    const I = input.features;
    const R = rowIds.length;
    const w = fillUniform(new Float64Array(I * O), () => random.next());
    const b = fillUniform(new Float64Array(O), () => random.next());
    const out = new Float64Array(R * O);
    const loss = (): number => {
      sparseForward(out, input, rowIds, 1 / 255, w, b, R, O);
      return dot(out, G);
    };
    const dw = new Float64Array(I * O);
    const db = new Float64Array(O);
    sparseBackward(dw, db, G, input, rowIds, 1 / 255, R, O, new Int32Array(O), new Float64Array(O));
    expect(maxRelativeError(dw, numericalGradient(loss, w, h))).toBeLessThan(gradientTolerance);
    expect(maxRelativeError(db, numericalGradient(loss, b, h))).toBeLessThan(gradientTolerance);
  }

  /** Runs both kernels on the same rows and returns the largest relative difference of each output. */
  function compareWithDense(
    pixels: Uint8Array,
    input: SparseRows,
    rowIds: Uint32Array,
    O: number,
    random: Random,
    activeFraction = 1,
  ): { out: number; dw: number; db: number } {
    const I = input.features;
    const R = rowIds.length;
    const x = denseCopy(pixels, I, rowIds);
    const w = fillUniform(new Float64Array(I * O), () => random.next());
    const b = fillUniform(new Float64Array(O), () => random.next());
    // Gradients as after a ReLU: each unit of each row inactive (exactly zero) with probability 1 - activeFraction.
    const dout = fillUniform(new Float64Array(R * O), () => random.next());
    for (let k = 0; k < dout.length; k++) if (random.next() >= activeFraction) dout[k] = 0;

    const sparseOut = new Float64Array(R * O);
    const denseOut = new Float64Array(R * O);
    sparseForward(sparseOut, input, rowIds, 1 / 255, w, b, R, O);
    denseForward(denseOut, x, w, b, R, I, O);

    // Both start from the same non-zero gradients: both must add to them.
    const dwStart = fillUniform(new Float64Array(I * O), () => random.next());
    const dbStart = fillUniform(new Float64Array(O), () => random.next());
    const sparseDw = dwStart.slice();
    const sparseDb = dbStart.slice();
    const denseDw = dwStart.slice();
    const denseDb = dbStart.slice();
    sparseBackward(sparseDw, sparseDb, dout, input, rowIds, 1 / 255, R, O, new Int32Array(O), new Float64Array(O));
    denseBackward(null, denseDw, denseDb, dout, x, w, R, I, O);

    return {
      out: maxRelativeError(sparseOut, denseOut, 1e-300),
      dw: maxRelativeError(sparseDw, denseDw, 1e-300),
      db: maxRelativeError(sparseDb, denseDb, 1e-300),
    };
  }

  it.each([1, 3, 4, 7, 10, 16])('equal the dense kernels on rows including ones with no non-zero pixel (O=%i)', (O) => {
    const random = new Random(2000 + O);
    const [stored, I] = [8, 13];
    const pixels = pixelRows(stored, I, random, [0, 5, 7]);
    const input = toSparseRows(pixels, stored, I);
    const rowIds = Uint32Array.from([5, 2, 0, 7, 3, 3, 1, 6, 4]);
    const differences = compareWithDense(pixels, input, rowIds, O, random);
    expect(differences.out).toBeLessThan(sameResultTolerance);
    expect(differences.dw).toBeLessThan(sameResultTolerance);
    expect(differences.db).toBeLessThan(sameResultTolerance);
  });

  // Wide layers (32 units or more) take the gathered path for rows with at most 75% of their units active.
  it.each([
    [10, 0.3],
    [32, 0.3],
    [40, 1],
    [40, 0.7],
    [64, 0.3],
    [101, 0.05],
    [256, 0],
  ])('equal the dense kernels when most output gradients are zero, as after a ReLU (O=%i, active %f)', (O, active) => {
    const random = new Random(2500 + O);
    const sample = readSampleRows(sampleTrainPath, 12);
    const input = toSparseRows(sample.pixels, sample.rows, sample.features);
    const rowIds = Uint32Array.from([11, 0, 5, 5, 2, 9, 7]);
    const differences = compareWithDense(sample.pixels, input, rowIds, O, random, active);
    expect(differences.out).toBeLessThan(sameResultTolerance);
    expect(differences.dw).toBeLessThan(sameResultTolerance);
    expect(differences.db).toBeLessThan(sameResultTolerance);
  });

  it('gives dw and db equal to finite differences when a wide layer has inactive units', () => {
    const [R, I, O] = [3, 9, 48];
    const random = new Random(2600);
    const pixels = pixelRows(R, I, random, []);
    const input = toSparseRows(pixels, R, I);
    const rowIds = Uint32Array.from([2, 0, 1]);
    // Batch row 0 has 10 active units, row 1 has 40 (more than the gathered path takes), row 2 none.
    const G = new Float64Array(R * O);
    for (let o = 0; o < O; o++) {
      if (o % 5 === 0) G[o] = random.next();
      if (o % 6 !== 0) G[O + o] = random.next();
    }
    expectFiniteDifferenceGradients(input, rowIds, G, O, random);
  });

  it('equal the dense kernels on real sample rows plus an empty image', () => {
    const sample = readSampleRows(sampleTrainPath, 40);
    const rows = sample.rows + 1; // the extra last row stays all zero
    const pixels = new Uint8Array(rows * sample.features);
    pixels.set(sample.pixels);
    const input = toSparseRows(pixels, rows, sample.features);
    const rowIds = Uint32Array.from([40, 3, 17, 0, 39, 40, 25, 8]);
    const differences = compareWithDense(pixels, input, rowIds, 10, new Random(3));
    expect(differences.out).toBeLessThan(sameResultTolerance);
    expect(differences.dw).toBeLessThan(sameResultTolerance);
    expect(differences.db).toBeLessThan(sameResultTolerance);
  });

  it('leaves an empty row at the bias and adds only its bias gradient', () => {
    const I = 6;
    const O = 5;
    const input = toSparseRows(new Uint8Array(I), 1, I);
    const rowIds = Uint32Array.from([0]);
    const random = new Random(4);
    const w = fillUniform(new Float64Array(I * O), () => random.next());
    const b = fillUniform(new Float64Array(O), () => random.next());
    const out = new Float64Array(O).fill(99);
    sparseForward(out, input, rowIds, 1 / 255, w, b, 1, O);
    expect(Array.from(out)).toEqual(Array.from(b));

    const dout = fillUniform(new Float64Array(O), () => random.next());
    const dw = new Float64Array(I * O);
    const db = new Float64Array(O);
    sparseBackward(dw, db, dout, input, rowIds, 1 / 255, 1, O, new Int32Array(O), new Float64Array(O));
    expect(Array.from(dw)).toEqual(new Array(I * O).fill(0));
    expect(Array.from(db)).toEqual(Array.from(dout));
  });
});

describe('packFirstLayer / sparsePackedForward', () => {
  /** sparseForward followed by a ReLU: what the packed forward must give bit for bit. */
  function trainingForward(input: SparseRows, rowIds: Uint32Array, w1: Float64Array, b1: Float64Array, H: number) {
    const R = rowIds.length;
    const hidden = new Float64Array(R * H);
    sparseForward(hidden, input, rowIds, 1 / 255, w1, b1, R, H);
    reluForward(hidden, hidden, R * H);
    return hidden;
  }

  // Whole blocks of eight, a remainder only, and both; the seed's 10 and the default preset's 256.
  it.each([1, 5, 8, 10, 13, 24, 256])('equals sparseForward and a ReLU bit for bit, rows out of order and empty (H=%i)', (H) => {
    const random = new Random(3000 + H);
    const sample = readSampleRows(sampleTrainPath, 30);
    const rows = sample.rows + 1; // the extra last row stays all zero
    const pixels = new Uint8Array(rows * sample.features);
    pixels.set(sample.pixels);
    const input = toSparseRows(pixels, rows, sample.features);
    const rowIds = Uint32Array.from([30, 3, 17, 0, 29, 30, 25, 8, 8, 12]);
    const I = sample.features;
    const w1 = fillUniform(new Float64Array(I * H), () => random.next(), -0.5, 0.5);
    // Each unit's bias at minus its median sum over the rows: about half of them active, half not.
    const sums = new Float64Array(rowIds.length * H);
    sparseForward(sums, input, rowIds, 1 / 255, w1, new Float64Array(H), rowIds.length, H);
    const b1 = Float64Array.from({ length: H }, (_, o) => {
      const column = Array.from({ length: rowIds.length }, (_, r) => sums[r * H + o]!).sort((x, y) => x - y);
      return -column[column.length >> 1]! + 1e-3;
    });
    const expected = trainingForward(input, rowIds, w1, b1, H);
    const hidden = new Float64Array(rowIds.length * H).fill(99);
    sparsePackedForward(hidden, input, rowIds, 1 / 255, packFirstLayer(w1, I, H), w1, b1, rowIds.length, I, H);
    expect(hidden).toEqual(expected);
    // Both sides of the ReLU are exercised.
    expect(expected.some((a) => a > 0)).toBe(true);
    expect(expected.some((a) => a === 0)).toBe(true);
  });

  it('lays block b of eight units out as (I,8) at b*I*8, and leaves the last H % 8 units to w1', () => {
    const [I, H] = [784, 20];
    const random = new Random(9);
    const w1 = fillUniform(new Float64Array(I * H), () => random.next());
    const packed = packFirstLayer(w1, I, H);
    // Block b of 8 units holds w1[i, 8b + j] at b*I*8 + i*8 + j; units 16..19 are not packed.
    expect(packed.length).toBe(2 * I * 8);
    expect(packedLength(I, H)).toBe(2 * I * 8);
    expect(packed[1 * I * 8 + 5 * 8 + 3]).toBe(w1[5 * H + 11]);
    expect(packed[0 * I * 8 + 783 * 8 + 7]).toBe(w1[783 * H + 7]);
    // Into a buffer given: the same numbers, in that buffer.
    const into = new Float64Array(packedLength(I, H));
    expect(packFirstLayer(w1, I, H, into)).toBe(into);
    expect(into).toEqual(packed);
  });
});
