/**
 * Prediction's own forward pass (src/model/predictKernel.ts) and its threads (predictThreads.ts) must give
 * exactly, bit for bit, the probabilities of the training network's forward pass (nn/network.ts), whatever the
 * hidden size, the class count, the rows asked for and the thread count. toSparseRows, which both read, must
 * list exactly the non-zero pixels whichever of its two loops runs.
 */
import { describe, expect, it } from 'vitest';
import { pixelScale, toSparseRows } from '../../src/data/dataset.js';
import { createParameters, initialise, parameterCount, predictProbabilities, Workspace } from '../../src/nn/network.js';
import { Random } from '../../src/nn/random.js';
import { packFirstLayer, predictWithPacked } from '../../src/model/predictKernel.js';
import { PredictThreads, sharedBuffer } from '../../src/model/predictThreads.js';
import { readSampleRows, sampleTestPath, sampleTrainPath } from '../helpers/sample-rows.js';

const sample = readSampleRows(sampleTrainPath, 1200);
const scale = 1 / pixelScale;

function network(hiddenSize: number, classCount: number, seed: number) {
  const shape = { inputSize: sample.features, hiddenSize, classCount };
  const params = createParameters(shape);
  initialise(params, 'he', new Random(seed));
  // Biases away from zero, so that a wrong bias or a missed ReLU shows.
  for (let k = 0; k < params.b1.length; k++) params.b1[k] = ((k % 7) - 3) * 0.05;
  for (let k = 0; k < params.b2.length; k++) params.b2[k] = ((k % 5) - 2) * 0.1;
  return params;
}

function reference(params: ReturnType<typeof network>, rowIds: Uint32Array): Float64Array {
  const input = toSparseRows(sample.pixels, sample.rows, sample.features);
  const probs = new Float64Array(rowIds.length * params.shape.classCount);
  predictProbabilities(params, new Workspace(params.shape, 100), input, rowIds, probs);
  return probs;
}

function allRows(count: number): Uint32Array {
  return Uint32Array.from({ length: count }, (_, r) => r);
}

describe('the prediction forward pass', () => {
  for (const [hidden, classes] of [
    [256, 10],
    [13, 10],
    [5, 10],
    [24, 3],
    [17, 23],
  ] as const) {
    it(`gives the training forward's probabilities bit for bit (H=${hidden}, K=${classes})`, () => {
      const params = network(hidden, classes, hidden * 31 + classes);
      // Rows out of order, one repeated, across several chunks of predictChunkRows.
      const rowIds = Uint32Array.from({ length: 700 }, (_, r) => (r * 7 + 3) % sample.rows);
      rowIds[5] = rowIds[4]!;
      const expected = reference(params, rowIds);
      const input = toSparseRows(sample.pixels, sample.rows, sample.features);
      const probs = new Float64Array(rowIds.length * classes);
      predictWithPacked(params, packFirstLayer(params.w1, sample.features, hidden), input, rowIds, scale, probs);
      expect(Buffer.from(probs.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
      // The numbers are real probabilities, not all equal: the comparison above could have failed.
      expect(new Set(probs).size).toBeGreaterThan(rowIds.length);
    });
  }

  it('gives an empty image the bias-only answer', () => {
    const params = network(16, 10, 7);
    const pixels = new Uint8Array(2 * sample.features);
    pixels.set(sample.pixels.subarray(0, sample.features));
    const input = toSparseRows(pixels, 2, sample.features);
    const probs = new Float64Array(20);
    predictWithPacked(params, packFirstLayer(params.w1, sample.features, 16), input, allRows(2), scale, probs);
    const expected = new Float64Array(20);
    predictProbabilities(params, new Workspace(params.shape, 2), input, allRows(2), expected);
    expect(Array.from(probs)).toEqual(Array.from(expected));
  });
});

describe('prediction threads', () => {
  it('give the same probabilities on 1, 2 and 3 threads, in shared memory', async () => {
    const params = network(40, 10, 3);
    const expected = reference(params, allRows(sample.rows));
    for (const count of [1, 2, 3]) {
      const threads = new PredictThreads(count);
      try {
        const input = toSparseRows(sample.pixels, sample.rows, sample.features, sharedBuffer);
        const ids = new Uint32Array(sharedBuffer(sample.rows * 4), 0, sample.rows);
        ids.set(allRows(sample.rows));
        const probs = new Float64Array(sharedBuffer(expected.byteLength), 0, expected.length);
        await threads.predict(params, input, ids, scale, probs);
        expect(Buffer.from(probs.buffer, 0, probs.byteLength).equals(Buffer.from(expected.buffer))).toBe(true);
        // A second job on the same threads.
        probs.fill(0);
        await threads.predict(params, input, ids, scale, probs);
        expect(Buffer.from(probs.buffer, 0, probs.byteLength).equals(Buffer.from(expected.buffer))).toBe(true);
      } finally {
        await threads.close();
      }
    }
  });

  it('a few rows stay on the main thread', async () => {
    const params = network(8, 10, 5);
    const threads = new PredictThreads(2);
    try {
      const input = toSparseRows(sample.pixels, 3, sample.features);
      const probs = new Float64Array(30);
      await threads.predict(params, input, allRows(3), scale, probs); // not shared: fine for so few rows
      expect(Array.from(probs)).toEqual(Array.from(reference(params, allRows(3))));
    } finally {
      await threads.close();
    }
  });
});

describe('toSparseRows', () => {
  function plainSparse(pixels: Uint8Array, rows: number, features: number) {
    const offsets = [0];
    const indices: number[] = [];
    const values: number[] = [];
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < features; i++) {
        const v = pixels[r * features + i]!;
        if (v !== 0) {
          indices.push(i);
          values.push(v);
        }
      }
      offsets.push(indices.length);
    }
    return { offsets, indices, values };
  }

  function unaligned(bytes: Uint8Array): Uint8Array {
    const raw = new Uint8Array(bytes.length + 1);
    raw.set(bytes, 1);
    return raw.subarray(1);
  }

  it('lists every non-zero pixel, four bytes at a time or one, shared or not', () => {
    const test = readSampleRows(sampleTestPath, 50);
    const random = new Random(11);
    // Every byte position of a word non-zero in some row, and some isolated 1s and 255s.
    const pixels = test.pixels.slice();
    for (let k = 0; k < 400; k++) pixels[Math.floor(random.next() * pixels.length)] = k % 2 ? 1 : 255;
    const cases: Array<[number, number, Uint8Array]> = [
      [50, 784, pixels], // whole words
      [70, 560, pixels.subarray(0, 70 * 560)],
      [49, 799, pixels.subarray(0, 49 * 799)], // rows that are not whole words: the byte loop
      [40, 784, unaligned(pixels.subarray(0, 40 * 784))], // rows not at a multiple of four bytes: the byte loop
      [3, 784, new Uint8Array(3 * 784)], // all zero
    ];
    for (const [rows, features, bytes] of cases) {
      expect(bytes.length).toBeGreaterThanOrEqual(rows * features);
      const expected = plainSparse(bytes, rows, features);
      for (const allocate of [undefined, sharedBuffer]) {
        const sparse = toSparseRows(bytes, rows, features, allocate);
        expect(Array.from(sparse.offsets)).toEqual(expected.offsets);
        expect(Array.from(sparse.indices)).toEqual(expected.indices);
        expect(Array.from(sparse.values)).toEqual(expected.values);
      }
    }
  });

  it('keeps parameterCount-sized weights intact when packing (a sanity check of the layout)', () => {
    const params = network(20, 10, 9);
    const packed = packFirstLayer(params.w1, sample.features, 20);
    // Block b of 8 units holds w1[i, 8b + j] at b*I*8 + i*8 + j; units 16..19 are not packed.
    expect(packed.length).toBe(2 * sample.features * 8);
    expect(packed[1 * sample.features * 8 + 5 * 8 + 3]).toBe(params.w1[5 * 20 + 11]);
    expect(params.data.length).toBe(parameterCount(params.shape));
  });
});
