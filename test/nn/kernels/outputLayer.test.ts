/**
 * The output side's kernels (src/nn/kernels/outputLayer.ts):
 * - the fused training step outputLayerStep bit for bit against the plain kernels it fuses (reference.ts),
 *   called one after the other, for K = 10 and other K;
 * - the prediction's second layer (outputLayerForward) bit for bit against the plain dense layer;
 * - softmax / cross-entropy against finite differences and the textbook formulas, on huge logits too;
 * - argmax ties.
 */
import { describe, expect, it } from 'vitest';
import { toSparseRows } from '../../../src/data/dataset.js';
import { Random } from '../../../src/data/random.js';
import { sparseForward } from '../../../src/nn/kernels/firstLayer.js';
import { argmaxRow, outputLayerForward, outputLayerStep, softmaxForward } from '../../../src/nn/kernels/outputLayer.js';
import { fillUniform, maxRelativeError, numericalGradient } from '../../helpers/gradcheck.js';
import { readSampleRows, sampleTrainPath } from '../../helpers/sample-rows.js';
import {
  denseBackward,
  denseForward,
  reluBackward,
  reluForward,
  softmaxCrossEntropyBackward,
  softmaxCrossEntropyForward,
} from '../reference.js';
import { gradientTolerance, h } from './cases.js';

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

describe('outputLayerForward', () => {
  it.each([
    [1, 1, 2],
    [6, 10, 10],
    [9, 37, 10],
    [5, 13, 3],
    [4, 17, 23],
  ])('equals the plain dense layer bit for bit on ReLU activations (R=%i, H=%i, K=%i)', (R, H, K) => {
    const random = new Random(7500 + R * 100 + H * 10 + K);
    // Activations after a ReLU: about a third exactly zero, which both skip.
    const hidden = fillUniform(new Float64Array(R * H), () => random.next(), -1, 2);
    reluForward(hidden, hidden, R * H);
    const w2 = fillUniform(new Float64Array(H * K), () => random.next(), -1, 1);
    const b2 = fillUniform(new Float64Array(K), () => random.next(), -1, 1);
    const expected = new Float64Array(R * K);
    denseForward(expected, hidden, w2, b2, R, H, K);
    const logits = new Float64Array(R * K).fill(99);
    outputLayerForward(logits, hidden, w2, b2, R, H, K);
    expect(logits).toEqual(expected);
  });
});
