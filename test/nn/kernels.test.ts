/**
 * The kernels of src/nn/kernels.ts against independent references:
 * - every backward against central finite differences of its forward, on small random shapes
 *   (relative error < 1e-6, see gradientTolerance);
 * - the sparse first layer against the dense one on the same input (1e-12 relative), real rows and empty rows;
 * - softmax / cross-entropy on huge logits, and argmax ties;
 * - the fused outputLayerStep bit for bit against the kernels it fuses, called one after the other, and the fused
 *   step of the seed's 784-10-10 network (sparseStepTenByTen) bit for bit against the three kernels it fuses.
 * The loss used for a layer's check is L = sum(out * G) for a fixed random G, so that dL/dout = G.
 */
import { describe, expect, it } from 'vitest';
import { toSparseRows, type SparseRows } from '../../src/data/dataset.js';
import {
  argmaxRow,
  denseBackward,
  denseForward,
  outputLayerStep,
  reluBackward,
  reluForward,
  softmaxCrossEntropyBackward,
  softmaxCrossEntropyForward,
  softmaxForward,
  sparseBackward,
  sparseForward,
  sparseStepTenByTen,
} from '../../src/nn/kernels.js';
import { Random } from '../../src/data/random.js';
import { fillUniform, maxRelativeError, numericalGradient } from '../helpers/gradcheck.js';
import { readSampleRows, sampleTrainPath } from '../helpers/sample-rows.js';

/** Backward vs finite differences: max |a - n| / max(|a|, |n|, 1e-6). */
const gradientTolerance = 1e-6;
/** Finite-difference step. The layers are linear in what is nudged (or smooth), so truncation error is tiny. */
const h = 1e-5;
/** Sparse vs dense on the same input: the same sums, only the rounding of x / 255 may differ. */
const sameResultTolerance = 1e-12;

/** Shapes [R, I, O]; O runs through the sparse kernels' four-wide unrolled loop and its remainder. */
const shapes: Array<[number, number, number]> = [
  [1, 1, 1],
  [3, 5, 4],
  [4, 7, 10],
  [2, 9, 3],
  [5, 6, 7],
];

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += a[k]! * b[k]!;
  return sum;
}

/** Random values in [-1, 1) with about a third set to exactly zero (the kernels skip zero inputs). */
function sparseish(n: number, random: Random): Float64Array {
  const values = fillUniform(new Float64Array(n), () => random.next());
  for (let k = 0; k < n; k++) if (random.next() < 0.33) values[k] = 0;
  return values;
}

/** Raw pixel rows (0..255), mostly zero like real digits, with the listed rows entirely zero. */
function pixelRows(rows: number, features: number, random: Random, emptyRows: number[]): Uint8Array {
  const pixels = new Uint8Array(rows * features);
  for (let p = 0; p < pixels.length; p++) if (random.next() < 0.3) pixels[p] = 1 + random.int(255);
  for (const r of emptyRows) pixels.fill(0, r * features, (r + 1) * features);
  return pixels;
}

/** The dense (R,I) matrix of the rows a sparse kernel reads: x[r,i] = pixels[rowIds[r], i] / 255. */
function denseCopy(pixels: Uint8Array, features: number, rowIds: Uint32Array): Float64Array {
  const x = new Float64Array(rowIds.length * features);
  for (let r = 0; r < rowIds.length; r++) {
    for (let i = 0; i < features; i++) x[r * features + i] = pixels[rowIds[r]! * features + i]! / 255;
  }
  return x;
}

describe('denseForward / denseBackward', () => {
  it.each(shapes)('gives dw, db and dx equal to finite differences (R=%i, I=%i, O=%i)', (R, I, O) => {
    const random = new Random(R * 100 + I * 10 + O);
    const x = sparseish(R * I, random);
    const w = fillUniform(new Float64Array(I * O), () => random.next());
    const b = fillUniform(new Float64Array(O), () => random.next());
    const G = fillUniform(new Float64Array(R * O), () => random.next());
    const out = new Float64Array(R * O);
    const loss = (): number => {
      denseForward(out, x, w, b, R, I, O);
      return dot(out, G);
    };

    const dx = new Float64Array(R * I);
    const dw = new Float64Array(I * O);
    const db = new Float64Array(O);
    denseBackward(dx, dw, db, G, x, w, R, I, O);

    expect(maxRelativeError(dw, numericalGradient(loss, w, h))).toBeLessThan(gradientTolerance);
    expect(maxRelativeError(db, numericalGradient(loss, b, h))).toBeLessThan(gradientTolerance);
    expect(maxRelativeError(dx, numericalGradient(loss, x, h))).toBeLessThan(gradientTolerance);
  });

  it('adds into dw and db (so a batch can be done in slices) but overwrites dx', () => {
    const [R, I, O] = [3, 5, 4];
    const random = new Random(7);
    const x = sparseish(R * I, random);
    const w = fillUniform(new Float64Array(I * O), () => random.next());
    const G = fillUniform(new Float64Array(R * O), () => random.next());

    const dxFresh = new Float64Array(R * I);
    const dwFresh = new Float64Array(I * O);
    const dbFresh = new Float64Array(O);
    denseBackward(dxFresh, dwFresh, dbFresh, G, x, w, R, I, O);

    const dwStart = fillUniform(new Float64Array(I * O), () => random.next());
    const dbStart = fillUniform(new Float64Array(O), () => random.next());
    const dw = dwStart.slice();
    const db = dbStart.slice();
    const dx = new Float64Array(R * I).fill(123);
    denseBackward(dx, dw, db, G, x, w, R, I, O);

    // Rows are added one by one onto the starting values, so only the rounding differs from start + fresh.
    expect(maxRelativeError(dw, Array.from(dwStart, (v, k) => v + dwFresh[k]!))).toBeLessThan(sameResultTolerance);
    expect(maxRelativeError(db, Array.from(dbStart, (v, k) => v + dbFresh[k]!))).toBeLessThan(sameResultTolerance);
    expect(Array.from(dx)).toEqual(Array.from(dxFresh));
  });

  it('gives the same dw and db with dx = null (the first layer needs no input gradient)', () => {
    const [R, I, O] = [4, 6, 5];
    const random = new Random(8);
    const x = sparseish(R * I, random);
    const w = fillUniform(new Float64Array(I * O), () => random.next());
    const G = fillUniform(new Float64Array(R * O), () => random.next());
    const withDx = { dw: new Float64Array(I * O), db: new Float64Array(O) };
    const withoutDx = { dw: new Float64Array(I * O), db: new Float64Array(O) };
    denseBackward(new Float64Array(R * I), withDx.dw, withDx.db, G, x, w, R, I, O);
    denseBackward(null, withoutDx.dw, withoutDx.db, G, x, w, R, I, O);
    expect(withoutDx).toEqual(withDx);
  });
});

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

describe('reluForward / reluBackward', () => {
  it('clamps negatives to zero', () => {
    const x = Float64Array.from([-2, -0.5, 0, 0.5, 3]);
    const out = new Float64Array(5);
    reluForward(out, x, 5);
    expect(Array.from(out)).toEqual([0, 0, 0, 0.5, 3]);
  });

  it('gives dx equal to finite differences away from the kink', () => {
    const n = 40;
    const random = new Random(5);
    // |x| >= 0.1, so that a step of h never crosses zero.
    const x = Float64Array.from({ length: n }, () => (random.next() < 0.5 ? -1 : 1) * (0.1 + random.next()));
    const G = fillUniform(new Float64Array(n), () => random.next());
    const out = new Float64Array(n);
    const loss = (): number => {
      reluForward(out, x, n);
      return dot(out, G);
    };
    const dx = new Float64Array(n);
    reluBackward(dx, G, x, n);
    expect(maxRelativeError(dx, numericalGradient(loss, x, h))).toBeLessThan(gradientTolerance);
  });

  it('may write dx over dout, and passes nothing back through x <= 0', () => {
    const x = Float64Array.from([-1, 0, 2, 3]);
    const dout = Float64Array.from([10, 20, 30, 40]);
    reluBackward(dout, dout, x, 4);
    expect(Array.from(dout)).toEqual([0, 0, 30, 40]);
  });
});

describe('softmaxCrossEntropyForward / softmaxCrossEntropyBackward', () => {
  /** Plain softmax and loss for moderate logits, straight from the definition. */
  function naive(logits: Float64Array, labels: Uint8Array, R: number, K: number): { probs: number[]; loss: number } {
    const probs: number[] = [];
    let loss = 0;
    for (let r = 0; r < R; r++) {
      const e = Array.from(logits.subarray(r * K, (r + 1) * K), Math.exp);
      const sum = e.reduce((a, v) => a + v, 0);
      probs.push(...e.map((v) => v / sum));
      loss -= Math.log(e[labels[r]!]! / sum);
    }
    return { probs, loss };
  }

  it.each([
    [1, 2],
    [3, 10],
    [6, 4],
  ])('give dlogits equal to finite differences of the mean loss (R=%i, K=%i)', (R, K) => {
    const random = new Random(6000 + R * 10 + K);
    const logits = fillUniform(new Float64Array(R * K), () => random.next(), -3, 3);
    const labels = Uint8Array.from({ length: R }, () => random.int(K));
    const probs = new Float64Array(R * K);
    const scale = 1 / R;
    const loss = (): number => scale * softmaxCrossEntropyForward(probs, logits, labels, R, K);
    loss();
    const dlogits = new Float64Array(R * K);
    softmaxCrossEntropyBackward(dlogits, probs, labels, scale, R, K);
    expect(maxRelativeError(dlogits, numericalGradient(loss, logits, h))).toBeLessThan(gradientTolerance);
  });

  it('agree with the textbook formulas on moderate logits', () => {
    const [R, K] = [4, 10];
    const random = new Random(61);
    const logits = fillUniform(new Float64Array(R * K), () => random.next(), -5, 5);
    const labels = Uint8Array.from([0, 9, 4, 4]);
    const probs = new Float64Array(R * K);
    const loss = softmaxCrossEntropyForward(probs, logits, labels, R, K);
    const expected = naive(logits, labels, R, K);
    expect(maxRelativeError(probs, expected.probs, 1e-300)).toBeLessThan(1e-13);
    expect(Math.abs(loss - expected.loss) / expected.loss).toBeLessThan(1e-13);

    const alone = new Float64Array(R * K);
    softmaxForward(alone, logits, R, K);
    expect(maxRelativeError(alone, expected.probs, 1e-300)).toBeLessThan(1e-13);
  });

  it('stay finite and correct for huge logits (+-1e4)', () => {
    const K = 3;
    const logits = Float64Array.from([
      ...[1e4, -1e4, 0], // one class takes everything
      ...[-1e4, -1e4, -1e4], // all tiny: uniform
      ...[1e4, 1e4, -1e4], // two equal giants share
    ]);
    const labels = Uint8Array.from([1, 2, 0]);
    const R = 3;
    const probs = new Float64Array(R * K);
    const loss = softmaxCrossEntropyForward(probs, logits, labels, R, K);

    const expectedProbs = [1, 0, 0, 1 / 3, 1 / 3, 1 / 3, 0.5, 0.5, 0];
    expect(maxRelativeError(probs, expectedProbs, 1e-300)).toBeLessThan(1e-15);
    // Row 0's label has logit -1e4 against a maximum of 1e4: its loss is 2e4, not Infinity or NaN.
    expect(Number.isFinite(loss)).toBe(true);
    expect(loss).toBeCloseTo(2e4 + Math.log(3) + Math.log(2), 9);

    const alone = new Float64Array(R * K);
    softmaxForward(alone, logits, R, K);
    expect(Array.from(alone)).toEqual(Array.from(probs));

    const dlogits = new Float64Array(R * K);
    softmaxCrossEntropyBackward(dlogits, probs, labels, 1 / R, R, K);
    const onehot = [0, 1, 0, 0, 0, 1, 1, 0, 0];
    const expectedGradient = expectedProbs.map((p, k) => (p - onehot[k]!) / R);
    expect(maxRelativeError(dlogits, expectedGradient, 1e-300)).toBeLessThan(1e-15);
  });

  it('overwrites dlogits rather than adding to it', () => {
    const logits = Float64Array.from([0.5, -0.5]);
    const labels = Uint8Array.from([0]);
    const probs = new Float64Array(2);
    softmaxCrossEntropyForward(probs, logits, labels, 1, 2);
    const dlogits = Float64Array.from([7, 7]);
    softmaxCrossEntropyBackward(dlogits, probs, labels, 1, 1, 2);
    expect(dlogits[0]).toBeCloseTo(probs[0]! - 1, 15);
    expect(dlogits[1]).toBeCloseTo(probs[1]!, 15);
  });
});

describe('argmaxRow', () => {
  const scores = Float64Array.from([
    ...[0.1, 0.7, 0.7, 0.2], // tie between 1 and 2
    ...[5, 5, 5, 5], // all equal
    ...[-3, -2, -1, -0.5], // largest last, all negative
    ...[-Infinity, -Infinity, -1e300, -Infinity],
  ]);

  it('picks the largest score of the given row', () => {
    expect(argmaxRow(scores, 2, 4)).toBe(3);
    expect(argmaxRow(scores, 3, 4)).toBe(2);
  });

  it('gives ties to the first class', () => {
    expect(argmaxRow(scores, 0, 4)).toBe(1);
    expect(argmaxRow(scores, 1, 4)).toBe(0);
  });
});

describe('outputLayerStep', () => {
  /** The unfused sequence the network used before: ReLU, dense, softmax + loss, argmax, and their backwards. */
  function unfused(hidden: Float64Array, labels: Uint8Array, w2: Float64Array, b2: Float64Array, scale: number, R: number, H: number, K: number) {
    const activations = new Float64Array(R * H);
    const logits = new Float64Array(R * K);
    const probs = new Float64Array(R * K);
    const dlogits = new Float64Array(R * K);
    const dhidden = new Float64Array(R * H);
    const dw2 = new Float64Array(H * K).fill(0.25);
    const db2 = new Float64Array(K).fill(-0.5);
    reluForward(activations, hidden, R * H);
    denseForward(logits, activations, w2, b2, R, H, K);
    const lossSum = softmaxCrossEntropyForward(probs, logits, labels, R, K);
    let correct = 0;
    for (let r = 0; r < R; r++) if (argmaxRow(probs, r, K) === labels[r]) correct++;
    softmaxCrossEntropyBackward(dlogits, probs, labels, scale, R, K);
    denseBackward(dhidden, dw2, db2, dlogits, activations, w2, R, H, K);
    reluBackward(dhidden, dhidden, hidden, R * H);
    return { lossSum, correct, probs, dlogits, dhidden, dw2, db2 };
  }

  it.each([
    [1, 1, 2],
    [7, 10, 10],
    [9, 37, 10],
    [5, 13, 3],
  ])('equals the unfused kernels bit for bit (R=%i, H=%i, K=%i)', (R, H, K) => {
    const random = new Random(7000 + R * 100 + H * 10 + K);
    // Pre-activations with exact zeros and negatives, so that ReLU's skip and its kink are both exercised.
    const hidden = fillUniform(new Float64Array(R * H), () => random.next(), -2, 2);
    for (let k = 0; k < hidden.length; k++) if (random.next() < 0.2) hidden[k] = 0;
    const w2 = fillUniform(new Float64Array(H * K), () => random.next(), -1, 1);
    const b2 = fillUniform(new Float64Array(K), () => random.next(), -1, 1);
    const labels = Uint8Array.from({ length: R }, () => random.int(K));
    const scale = 1 / (R + 3);
    const expected = unfused(hidden, labels, w2, b2, scale, R, H, K);

    const probs = new Float64Array(R * K);
    const dlogits = new Float64Array(R * K);
    const dhidden = new Float64Array(R * H).fill(99);
    const dw2 = new Float64Array(H * K).fill(0.25);
    const db2 = new Float64Array(K).fill(-0.5);
    const result = outputLayerStep(dhidden, dw2, db2, dlogits, probs, hidden, labels, w2, b2, scale, R, H, K);
    expect(result).toEqual({ lossSum: expected.lossSum, correct: expected.correct });
    expect(probs).toEqual(expected.probs);
    expect(dlogits).toEqual(expected.dlogits);
    expect(dhidden).toEqual(expected.dhidden);
    expect(dw2).toEqual(expected.dw2);
    expect(db2).toEqual(expected.db2);
  });

  it('equals them on the hidden layer of real sample rows (the seed network shape, 784-10-10)', () => {
    const sample = readSampleRows(sampleTrainPath, 64);
    const input = toSparseRows(sample.pixels, sample.rows, sample.features);
    const rowIds = Uint32Array.from({ length: sample.rows }, (_, r) => r);
    const random = new Random(8);
    const [R, H, K] = [sample.rows, 10, 10];
    const w1 = fillUniform(new Float64Array(sample.features * H), () => random.next(), -0.5, 0.5);
    const b1 = fillUniform(new Float64Array(H), () => random.next(), -0.5, 0.5);
    const w2 = fillUniform(new Float64Array(H * K), () => random.next(), -0.5, 0.5);
    const b2 = fillUniform(new Float64Array(K), () => random.next(), -0.5, 0.5);
    const hidden = new Float64Array(R * H);
    sparseForward(hidden, input, rowIds, 1 / 255, w1, b1, R, H);
    const expected = unfused(hidden, sample.labels!, w2, b2, 1 / R, R, H, K);
    const got = {
      probs: new Float64Array(R * K),
      dlogits: new Float64Array(R * K),
      dhidden: new Float64Array(R * H),
      dw2: new Float64Array(H * K).fill(0.25),
      db2: new Float64Array(K).fill(-0.5),
    };
    const result = outputLayerStep(got.dhidden, got.dw2, got.db2, got.dlogits, got.probs, hidden, sample.labels!, w2, b2, 1 / R, R, H, K);
    expect(result.lossSum).toBe(expected.lossSum);
    expect(result.correct).toBe(expected.correct);
    for (const key of ['probs', 'dlogits', 'dhidden', 'dw2', 'db2'] as const) expect(got[key]).toEqual(expected[key]);
  });
});

describe('sparseStepTenByTen', () => {
  /** The seed network's step by the three kernels it fuses, over the whole batch at once, into fresh buffers. */
  function threeKernels(c: StepCase) {
    const { R, input, rowIds, labels, w1, b1, w2, b2, lossScale } = c;
    const got = stepBuffers(R);
    sparseForward(got.hidden, input, rowIds, 1 / 255, w1, b1, R, 10);
    const result = outputLayerStep(got.dhidden, got.dw2, got.db2, got.dlogits, got.probs, got.hidden, labels, w2, b2, lossScale, R, 10, 10);
    sparseBackward(got.dw1, got.db1, got.dhidden, input, rowIds, 1 / 255, R, 10, new Int32Array(10), new Float64Array(10));
    return { result, got };
  }

  function fused(c: StepCase) {
    const { R, input, rowIds, labels, w1, b1, w2, b2, lossScale } = c;
    const got = stepBuffers(R);
    const result = sparseStepTenByTen(
      got.dw1, got.db1, got.dw2, got.db2, got.hidden, got.dhidden, got.probs, got.dlogits,
      input, rowIds, labels, 1 / 255, w1, b1, w2, b2, lossScale, R,
    );
    return { result, got };
  }

  interface StepCase {
    R: number;
    input: SparseRows;
    rowIds: Uint32Array;
    labels: Uint8Array;
    w1: Float64Array;
    b1: Float64Array;
    w2: Float64Array;
    b2: Float64Array;
    lossScale: number;
  }

  /** Output buffers; the gradients start non-zero, because the kernels add to them. */
  function stepBuffers(R: number) {
    return {
      hidden: new Float64Array(R * 10),
      dhidden: new Float64Array(R * 10),
      probs: new Float64Array(R * 10),
      dlogits: new Float64Array(R * 10),
      dw1: new Float64Array(784 * 10).fill(0.125),
      db1: new Float64Array(10).fill(-0.25),
      dw2: new Float64Array(100).fill(0.25),
      db2: new Float64Array(10).fill(-0.5),
    };
  }

  /** Seed-style weights (uniform in [-0.5, 0.5)): about a third of the hidden units come out inactive. */
  function weights(random: Random) {
    return {
      w1: fillUniform(new Float64Array(784 * 10), () => random.next(), -0.5, 0.5),
      b1: fillUniform(new Float64Array(10), () => random.next(), -0.5, 0.5),
      w2: fillUniform(new Float64Array(100), () => random.next(), -0.5, 0.5),
      b2: fillUniform(new Float64Array(10), () => random.next(), -0.5, 0.5),
    };
  }

  function expectSame(c: StepCase): void {
    const expected = threeKernels(c);
    const actual = fused(c);
    expect(actual.result).toEqual(expected.result);
    for (const key of Object.keys(expected.got) as Array<keyof ReturnType<typeof stepBuffers>>) {
      expect(actual.got[key], key).toEqual(expected.got[key]);
    }
  }

  it('equals sparseForward, outputLayerStep and sparseBackward bit for bit on real sample rows, in shuffled order', () => {
    const sample = readSampleRows(sampleTrainPath, 300);
    const input = toSparseRows(sample.pixels, sample.rows, sample.features);
    const random = new Random(91);
    const rowIds = Uint32Array.from({ length: 200 }, () => random.int(sample.rows));
    const labels = Uint8Array.from(rowIds, (row) => sample.labels![row]!);
    const c = { R: rowIds.length, input, rowIds, labels, ...weights(random), lossScale: 1 / 250 };
    const hidden = threeKernels(c).got.hidden;
    // Both sides of ReLU are exercised.
    expect(hidden.filter((z) => z > 0).length).toBeGreaterThan(hidden.length / 5);
    expect(hidden.filter((z) => z <= 0).length).toBeGreaterThan(hidden.length / 5);
    expectSame(c);
  });

  it('equals them on random images with empty rows, and on a batch of one row', () => {
    const random = new Random(92);
    const pixels = pixelRows(40, 784, random, [0, 17, 39]);
    const input = toSparseRows(pixels, 40, 784);
    const rowIds = Uint32Array.from({ length: 40 }, (_, r) => 39 - r);
    const labels = Uint8Array.from({ length: 40 }, () => random.int(10));
    expectSame({ R: 40, input, rowIds, labels, ...weights(random), lossScale: 1 / 40 });
    expectSame({ R: 1, input, rowIds: Uint32Array.of(17), labels: Uint8Array.of(3), ...weights(random), lossScale: 1 });
  });
});
