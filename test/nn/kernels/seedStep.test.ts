/**
 * The fused step of the seed's 784-10-10 network (src/nn/kernels/seedStep.ts) bit for bit against the three
 * kernels it fuses, called one after the other: sparseForward, outputLayerStep, sparseBackward.
 */
import { describe, expect, it } from 'vitest';
import { toSparseRows, type SparseRows } from '../../../src/data/dataset.js';
import { Random } from '../../../src/data/random.js';
import { sparseBackward, sparseForward } from '../../../src/nn/kernels/firstLayer.js';
import { outputLayerStep } from '../../../src/nn/kernels/outputLayer.js';
import { sparseStepTenByTen } from '../../../src/nn/kernels/seedStep.js';
import { fillUniform } from '../../helpers/gradcheck.js';
import { readSampleRows, sampleTrainPath } from '../../helpers/sample-rows.js';
import { pixelRows } from './cases.js';

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
