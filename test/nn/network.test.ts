/**
 * The whole network (src/nn/network.ts) against an independent reference written plainly here: dense loops over
 * a Float64 copy of the pixels / 255, ReLU, softmax, cross-entropy. accumulateGradient is checked against
 * central finite differences of that reference's mean loss, over all four parameter tensors; training's forward
 * pass and the prediction path (src/nn/predict.ts) against that reference's probabilities.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { toSparseRows, type SparseRows } from '../../src/data/dataset.js';
import {
  accumulateGradient,
  createParameters,
  initialise,
  parameterCount,
  weightRanges,
  Workspace,
  type NetworkShape,
  type Parameters,
} from '../../src/nn/network.js';
import { packNetwork, predictedClasses, predictSparse, PredictScratch } from '../../src/nn/predict.js';
import { Random } from '../../src/data/random.js';
import { maxRelativeError, numericalGradient } from '../helpers/gradcheck.js';
import { readSampleRows, sampleTrainPath, type SampleRows } from '../helpers/sample-rows.js';
import { plainForward } from './plainForward.js';

/** Gradient vs finite differences: max |a - n| / max(|a|, |n|, 1e-6). */
const gradientTolerance = 1e-6;
const h = 1e-5;
/** Two computations of the same sums in a different order (or with x / 255 rounded differently). */
const sameResultTolerance = 1e-12;

interface Reference {
  /** Hidden pre-activations (R,H), for checking that finite differences stay off the ReLU's kink. */
  readonly hidden: number[][];
  readonly probs: number[][];
  readonly lossSum: number;
  readonly correct: number;
}

/** The network from its definition, one plain loop at a time. x is (R,I) pixels / 255. */
function referenceForward(params: Parameters, x: Float64Array, labels: Uint8Array, R: number): Reference {
  const { inputSize: I, hiddenSize: H, classCount: K } = params.shape;
  const hidden: number[][] = [];
  const probs: number[][] = [];
  let lossSum = 0;
  let correct = 0;
  for (let r = 0; r < R; r++) {
    const z: number[] = [];
    for (let j = 0; j < H; j++) {
      let sum = params.b1[j]!;
      for (let i = 0; i < I; i++) sum += x[r * I + i]! * params.w1[i * H + j]!;
      z.push(sum);
    }
    const a = z.map((v) => Math.max(0, v));
    const logits: number[] = [];
    for (let k = 0; k < K; k++) {
      let sum = params.b2[k]!;
      for (let j = 0; j < H; j++) sum += a[j]! * params.w2[j * K + k]!;
      logits.push(sum);
    }
    const max = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - max));
    const total = e.reduce((s, v) => s + v, 0);
    const p = e.map((v) => v / total);
    hidden.push(z);
    probs.push(p);
    lossSum -= Math.log(p[labels[r]!]!);
    if (p.indexOf(Math.max(...p)) === labels[r]) correct++;
  }
  return { hidden, probs, lossSum, correct };
}

/** The rows rowIds of a pixel table as the reference reads them: Float64, divided by 255, and their labels. */
function referenceInput(
  pixels: Uint8Array,
  allLabels: Uint8Array,
  features: number,
  rowIds: Uint32Array,
): { x: Float64Array; labels: Uint8Array } {
  const x = new Float64Array(rowIds.length * features);
  const labels = new Uint8Array(rowIds.length);
  for (let r = 0; r < rowIds.length; r++) {
    const row = rowIds[r]!;
    for (let i = 0; i < features; i++) x[r * features + i] = pixels[row * features + i]! / 255;
    labels[r] = allLabels[row]!;
  }
  return { x, labels };
}

interface Case {
  readonly params: Parameters;
  readonly input: SparseRows;
  readonly labels: Uint8Array;
  readonly rowIds: Uint32Array;
  readonly x: Float64Array;
  readonly rowLabels: Uint8Array;
}

function makeCase(shape: NetworkShape, pixels: Uint8Array, labels: Uint8Array, rows: number, rowIds: Uint32Array, seed: number, init: 'uniform' | 'he'): Case {
  const params = createParameters(shape);
  initialise(params, init, new Random(seed));
  if (init === 'he') {
    // He leaves biases at zero; give them values so that their gradients are tested at a generic point.
    const random = new Random(seed + 1);
    for (const bias of [params.b1, params.b2]) for (let k = 0; k < bias.length; k++) bias[k] = random.uniform(-0.1, 0.1);
  }
  const input = toSparseRows(pixels, rows, shape.inputSize);
  const { x, labels: rowLabels } = referenceInput(pixels, labels, shape.inputSize, rowIds);
  return { params, input, labels, rowIds, x, rowLabels };
}

function gradientOf(c: Case, lossScale = 1 / c.rowIds.length): { grads: Parameters; lossSum: number; correct: number } {
  const shape = c.params.shape;
  const grads = createParameters(shape);
  const ws = new Workspace(shape, c.rowIds.length);
  const result = accumulateGradient(c.params, grads, ws, c.input, c.labels, c.rowIds, c.rowIds.length, lossScale);
  return { grads, ...result };
}

function minAbsHidden(reference: Reference): number {
  return Math.min(...reference.hidden.flat().map(Math.abs));
}

describe('accumulateGradient on a small random network', () => {
  const shape: NetworkShape = { inputSize: 12, hiddenSize: 5, classCount: 4 };
  const rows = 7;
  const random = new Random(11);
  const pixels = new Uint8Array(rows * shape.inputSize);
  for (let p = 0; p < pixels.length; p++) if (random.next() < 0.6) pixels[p] = 1 + random.int(255);
  pixels.fill(0, 3 * shape.inputSize, 4 * shape.inputSize); // row 3 has no ink at all
  const labels = Uint8Array.from({ length: rows }, () => random.int(shape.classCount));
  const rowIds = Uint32Array.from([6, 3, 0, 2, 5, 1, 4, 2]);
  const c = makeCase(shape, pixels, labels, rows, rowIds, 12, 'uniform');
  const R = rowIds.length;
  const meanLoss = (): number => referenceForward(c.params, c.x, c.rowLabels, R).lossSum / R;

  it('starts far enough from every ReLU kink for finite differences to be valid', () => {
    expect(minAbsHidden(referenceForward(c.params, c.x, c.rowLabels, R))).toBeGreaterThan(100 * h);
  });

  it('gives the gradient of the mean loss for w1, b1, w2 and b2 (finite differences)', () => {
    const { grads } = gradientOf(c);
    for (const name of ['w1', 'b1', 'w2', 'b2'] as const) {
      const numeric = numericalGradient(meanLoss, c.params[name], h);
      expect(maxRelativeError(grads[name], numeric), name).toBeLessThan(gradientTolerance);
    }
  });

  it('returns the summed loss and the count of correct predictions of the reference', () => {
    const reference = referenceForward(c.params, c.x, c.rowLabels, R);
    const { lossSum, correct } = gradientOf(c);
    expect(Math.abs(lossSum - reference.lossSum) / reference.lossSum).toBeLessThan(sameResultTolerance);
    expect(correct).toBe(reference.correct);
  });
});

describe('the network on real sample rows', () => {
  let sample: SampleRows;
  beforeAll(() => {
    sample = readSampleRows(sampleTrainPath, 60);
  });
  const shapeFor = (hiddenSize: number): NetworkShape => ({ inputSize: 784, hiddenSize, classCount: 10 });

  // 784-10-10, the seed network's shape, takes its own fused kernel (sparseStepTenByTen); 6 units the general ones.
  it.each([6, 10])('gives finite-difference gradients for b1, w2, b2 and sampled w1 entries; zero for pixels never inked (H=%i)', (hiddenSize) => {
    const shape = shapeFor(hiddenSize);
    const rowIds = Uint32Array.from({ length: 12 }, (_, r) => r * 4);
    const c = makeCase(shape, sample.pixels, sample.labels!, sample.rows, rowIds, 21, 'he');
    const R = rowIds.length;
    const meanLoss = (): number => referenceForward(c.params, c.x, c.rowLabels, R).lossSum / R;
    expect(minAbsHidden(referenceForward(c.params, c.x, c.rowLabels, R))).toBeGreaterThan(100 * h);
    const { grads } = gradientOf(c);

    for (const name of ['b1', 'w2', 'b2'] as const) {
      const numeric = numericalGradient(meanLoss, c.params[name], h);
      expect(maxRelativeError(grads[name], numeric), name).toBeLessThan(gradientTolerance);
    }

    // All of w1 by finite differences would take minutes with the plain reference: check the inputs that are
    // inked in some row (every hidden unit) and a few that are not.
    const { hiddenSize: H } = shape;
    const inked = new Set<number>();
    for (let r = 0; r < R; r++) for (let i = 0; i < 784; i++) if (c.x[r * 784 + i]! > 0) inked.add(i);
    const picked = [...inked].filter((_, k) => k % 6 === 0);
    const blank = Array.from({ length: 784 }, (_, i) => i).filter((i) => !inked.has(i));
    expect(picked.length).toBeGreaterThan(20);
    expect(blank.length).toBeGreaterThan(100);
    const analytic: number[] = [];
    const numeric: number[] = [];
    for (const i of [...picked, ...blank.slice(0, 5)]) {
      const entries = c.params.w1.subarray(i * H, (i + 1) * H);
      analytic.push(...grads.w1.subarray(i * H, (i + 1) * H));
      numeric.push(...numericalGradient(meanLoss, entries, h));
    }
    expect(maxRelativeError(analytic, numeric)).toBeLessThan(gradientTolerance);
    for (const i of blank) expect(Array.from(grads.w1.subarray(i * H, (i + 1) * H))).toEqual(new Array(H).fill(0));
  });

  it('gives each bias unit its own gradient: the mean over rows of that unit\'s error', () => {
    const shape = shapeFor(8);
    const { hiddenSize: H, classCount: K } = shape;
    const rowIds = Uint32Array.from({ length: 30 }, (_, r) => r);
    const c = makeCase(shape, sample.pixels, sample.labels!, sample.rows, rowIds, 31, 'he');
    const R = rowIds.length;
    const reference = referenceForward(c.params, c.x, c.rowLabels, R);
    const { grads } = gradientOf(c);

    // d(mean loss)/db2[k] = mean_r (p[r,k] - [label_r = k]);
    // d(mean loss)/db1[j] = mean_r [z[r,j] > 0] * sum_k (p[r,k] - [label_r = k]) * w2[j,k].
    const db2 = new Array<number>(K).fill(0);
    const db1 = new Array<number>(H).fill(0);
    for (let r = 0; r < R; r++) {
      const error = reference.probs[r]!.map((p, k) => p - (k === c.rowLabels[r] ? 1 : 0));
      for (let k = 0; k < K; k++) db2[k]! += error[k]! / R;
      for (let j = 0; j < H; j++) {
        if (reference.hidden[r]![j]! <= 0) continue;
        let back = 0;
        for (let k = 0; k < K; k++) back += error[k]! * c.params.w2[j * K + k]!;
        db1[j]! += back / R;
      }
    }
    expect(maxRelativeError(grads.b2, db2)).toBeLessThan(sameResultTolerance);
    expect(maxRelativeError(grads.b1, db1)).toBeLessThan(sameResultTolerance);
    // Not one number shared by every unit (the seed summed over all units), and b2's sum to zero (softmax).
    expect(new Set(grads.b1).size).toBe(H);
    expect(new Set(grads.b2).size).toBe(K);
    expect(Math.abs(db2.reduce((s, v) => s + v, 0))).toBeLessThan(1e-15);
  });

  it('adds up to the whole batch\'s gradient when the batch is done in two slices with lossScale 1/R', () => {
    const shape = shapeFor(16);
    const rowIds = Uint32Array.from([5, 59, 12, 0, 33, 33, 47, 8, 21, 2, 40]);
    const R = rowIds.length;
    const c = makeCase(shape, sample.pixels, sample.labels!, sample.rows, rowIds, 41, 'he');
    const whole = gradientOf(c);

    const grads = createParameters(shape);
    const split = 4;
    const ws = new Workspace(shape, R - split);
    const first = accumulateGradient(c.params, grads, ws, c.input, c.labels, rowIds.subarray(0, split), split, 1 / R);
    const second = accumulateGradient(c.params, grads, ws, c.input, c.labels, rowIds.subarray(split), R - split, 1 / R);

    expect(maxRelativeError(grads.data, whole.grads.data)).toBeLessThan(sameResultTolerance);
    expect(Math.abs(first.lossSum + second.lossSum - whole.lossSum) / whole.lossSum).toBeLessThan(sameResultTolerance);
    expect(first.correct + second.correct).toBe(whole.correct);
    // The slices really differ from each other: the sum is not one slice counted twice.
    expect(maxRelativeError(grads.data, gradientOf({ ...c, rowIds: rowIds.subarray(0, split) }, 1 / R).grads.data)).toBeGreaterThan(1e-3);
  });

  it('computes the same probabilities as the reference forward (training\'s forward and the prediction path)', () => {
    const shape = shapeFor(16);
    const { classCount: K } = shape;
    const rowIds = Uint32Array.from({ length: 50 }, (_, r) => (r * 7) % 60);
    const R = rowIds.length;
    const c = makeCase(shape, sample.pixels, sample.labels!, sample.rows, rowIds, 51, 'he');
    const reference = referenceForward(c.params, c.x, c.rowLabels, R);
    const expected = reference.probs.flat();

    expect(maxRelativeError(plainForward(c.params, c.input, rowIds).probs, expected, 1e-300)).toBeLessThan(sameResultTolerance);

    // In chunks of 7 rows through a smaller scratch: the same numbers.
    const probs = new Float64Array(R * K);
    predictSparse(packNetwork(c.params), c.input, rowIds, probs, new PredictScratch(shape, 7));
    expect(maxRelativeError(probs, expected, 1e-300)).toBeLessThan(sameResultTolerance);

    const predicted = predictedClasses(probs, R, K);
    const expectedClasses = reference.probs.map((p) => p.indexOf(Math.max(...p)));
    expect(Array.from(predicted)).toEqual(expectedClasses);
  });
});

describe('parameters', () => {
  const shape: NetworkShape = { inputSize: 784, hiddenSize: 256, classCount: 10 };

  it('lays w1, b1, w2, b2 back to back, and weightRanges covers exactly w1 and w2', () => {
    const params = createParameters(shape);
    const { inputSize: I, hiddenSize: H, classCount: K } = shape;
    expect(parameterCount(shape)).toBe(I * H + H + H * K + K);
    const offset = (view: Float64Array): number => view.byteOffset / Float64Array.BYTES_PER_ELEMENT;
    expect([offset(params.w1), params.w1.length]).toEqual([0, I * H]);
    expect([offset(params.b1), params.b1.length]).toEqual([I * H, H]);
    expect([offset(params.w2), params.w2.length]).toEqual([I * H + H, H * K]);
    expect([offset(params.b2), params.b2.length]).toEqual([I * H + H + H * K, K]);
    expect(weightRanges(shape)).toEqual([
      [offset(params.w1), offset(params.w1) + params.w1.length],
      [offset(params.w2), offset(params.w2) + params.w2.length],
    ]);
  });

  it('initialises uniformly in [-0.5, 0.5) (the seed\'s scheme), the same for the same seed', () => {
    const a = createParameters(shape);
    const b = createParameters(shape);
    initialise(a, 'uniform', new Random(42));
    initialise(b, 'uniform', new Random(42));
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
    const low = a.data.reduce((m, v) => Math.min(m, v), Infinity);
    const high = a.data.reduce((m, v) => Math.max(m, v), -Infinity);
    expect(low).toBeGreaterThanOrEqual(-0.5);
    expect(high).toBeLessThan(0.5);
    // 200k draws: the extremes come close to the ends of the interval.
    expect(low).toBeLessThan(-0.499);
    expect(high).toBeGreaterThan(0.499);
  });

  it('initialises He-style: weight variance 2 / fan-in (within 3%), biases zero', () => {
    const params = createParameters(shape);
    initialise(params, 'he', new Random(42));
    const variance = (v: Float64Array): number => v.reduce((s, x) => s + x * x, 0) / v.length;
    // 200,704 draws for w1: one standard error of the sample variance is 0.3%.
    expect(Math.abs(variance(params.w1) / (2 / 784) - 1)).toBeLessThan(0.03);
    // 2,560 draws for w2: standard error of the variance about 3%; allow 12%.
    expect(Math.abs(variance(params.w2) / (2 / 256) - 1)).toBeLessThan(0.12);
    expect(Array.from(params.b1).every((v) => v === 0)).toBe(true);
    expect(Array.from(params.b2).every((v) => v === 0)).toBe(true);
  });
});
