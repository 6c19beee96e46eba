/**
 * The one prediction path (src/nn/predict.ts) and its threads (predictThreads.ts) must give exactly, bit for bit,
 * the probabilities of the plain forward pass (kernel after kernel over the whole batch, plainForward.ts),
 * whatever the hidden size, the class count, the rows asked for, the chunk size and the thread count; deskewing
 * as the model asks. toSparseRows, which every path reads, must list exactly the non-zero pixels whichever of
 * its two loops runs. The WebAssembly kernels give the same numbers, from rows in their memory or elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { selectRows, toSparseRows, type Dataset } from '../../src/data/dataset.js';
import { createParameters, initialise } from '../../src/nn/network.js';
import { Random } from '../../src/data/random.js';
import {
  networkInput,
  packNetwork,
  packNetworkFor,
  predictedClasses,
  predictImages,
  predictRows,
  PredictScratch,
  predictSparse,
} from '../../src/nn/predict.js';
import { PredictThreads } from '../../src/nn/predictThreads.js';
import { deskewRows } from '../../src/data/deskew.js';
import { sharedArrays } from '../../src/data/arrays.js';
import { WasmMemory } from '../../src/nn/wasm/memory.js';
import { wasmBackend } from '../../src/nn/backend.js';
import { readSampleRows, sampleTestPath, sampleTrainPath } from '../helpers/sample-rows.js';
import { plainForward } from './plainForward.js';

const sample = readSampleRows(sampleTrainPath, 1200);

function network(hiddenSize: number, classCount: number, seed: number) {
  const shape = { inputSize: sample.features, hiddenSize, classCount };
  const params = createParameters(shape);
  initialise(params, 'he', new Random(seed));
  // Biases away from zero, so that a wrong bias or a missed ReLU shows.
  for (let k = 0; k < params.b1.length; k++) params.b1[k] = ((k % 7) - 3) * 0.05;
  for (let k = 0; k < params.b2.length; k++) params.b2[k] = ((k % 5) - 2) * 0.1;
  return params;
}

function reference(params: ReturnType<typeof network>, rowIds: Uint32Array, deskew = false): Float64Array {
  const pixels = sample.pixels.slice();
  if (deskew) deskewRows(pixels, sample.rows, sample.features);
  return plainForward(params, toSparseRows(pixels, sample.rows, sample.features), rowIds).probs;
}

function allRows(count: number): Uint32Array {
  return Uint32Array.from({ length: count }, (_, r) => r);
}

const same = (a: Float64Array, b: Float64Array): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('predictSparse, the prediction forward pass', () => {
  for (const [hidden, classes] of [
    [256, 10],
    [13, 10],
    [10, 10],
    [5, 10],
    [24, 3],
    [17, 23],
  ] as const) {
    it(`gives the plain forward pass's probabilities bit for bit (H=${hidden}, K=${classes})`, () => {
      const params = network(hidden, classes, hidden * 31 + classes);
      // Rows out of order, one repeated, across several chunks of predictChunkRows.
      const rowIds = Uint32Array.from({ length: 700 }, (_, r) => (r * 7 + 3) % sample.rows);
      rowIds[5] = rowIds[4]!;
      const expected = reference(params, rowIds);
      const input = toSparseRows(sample.pixels, sample.rows, sample.features);
      const probs = new Float64Array(rowIds.length * classes);
      predictSparse(packNetwork(params), input, rowIds, probs);
      expect(same(probs, expected)).toBe(true);
      // The numbers are real probabilities, not all equal: the comparison above could have failed.
      expect(new Set(probs).size).toBeGreaterThan(rowIds.length);
    });
  }

  it('gives the same numbers in chunks of any size', () => {
    const params = network(40, 10, 12);
    const rowIds = allRows(300);
    const expected = reference(params, rowIds);
    const input = toSparseRows(sample.pixels, sample.rows, sample.features);
    for (const chunk of [1, 7, 300]) {
      const probs = new Float64Array(rowIds.length * 10);
      predictSparse(packNetwork(params), input, rowIds, probs, new PredictScratch(params.shape, chunk));
      expect(same(probs, expected)).toBe(true);
    }
  });

  it('gives an empty image the bias-only answer', () => {
    const params = network(16, 10, 7);
    const pixels = new Uint8Array(2 * sample.features);
    pixels.set(sample.pixels.subarray(0, sample.features));
    const input = toSparseRows(pixels, 2, sample.features);
    const probs = new Float64Array(20);
    predictSparse(packNetwork(params), input, allRows(2), probs);
    const expected = plainForward(params, input, allRows(2)).probs;
    expect(Array.from(probs)).toEqual(Array.from(expected));
  });
});

describe('prediction on the WebAssembly kernels', () => {
  const backend = wasmBackend();
  it.runIf(backend !== null)(
    'the plain forward pass bit for bit, from rows in their memory or copied there chunk by chunk, deskewed or not',
    () => {
      const wasm = backend!;
      for (const [hidden, classes, chunk] of [[256, 10, 256], [13, 10, 7], [10, 10, 256], [17, 23, 64]] as const) {
        const params = network(hidden, classes, hidden + chunk);
        const rowIds = Uint32Array.from({ length: 500 }, (_, r) => (r * 37 + 11) % sample.rows);
        const inMemory = toSparseRows(sample.pixels, sample.rows, sample.features, wasm.arrays);
        const packed = packNetworkFor(params, wasm);
        expect(packed.params.data).not.toBe(params.data);
        const scratch = new PredictScratch(params.shape, chunk, wasm);
        const fromMemory = new Float64Array(rowIds.length * classes);
        predictSparse(packed, inMemory, rowIds, fromMemory, scratch);
        expect(same(fromMemory, reference(params, rowIds))).toBe(true);
        for (const deskew of [false, true]) {
          const probs = new Float64Array(sample.rows * classes);
          predictImages(packed, sample.pixels, sample.rows, deskew, probs, scratch);
          expect(same(probs, reference(params, allRows(sample.rows), deskew))).toBe(true);
        }
      }
    },
  );
});

describe('predictImages and predictRows, from pixel bytes', () => {
  const dataset = (pixels: Uint8Array, deskewed?: boolean): Dataset => ({
    rows: sample.rows,
    features: sample.features,
    pixels,
    labels: sample.labels,
    ...(deskewed ? { deskewed } : {}),
    source: { path: 'sample', sha256: '', pixelColumns: [] },
  });

  it('prepare the images as training does (deskewed when asked) and leave the bytes as they were read', () => {
    const params = network(32, 10, 21);
    for (const deskew of [false, true]) {
      const expected = reference(params, allRows(sample.rows), deskew);
      const pixels = sample.pixels.slice();
      const probs = new Float64Array(sample.rows * 10);
      predictImages(packNetwork(params), pixels, sample.rows, deskew, probs);
      expect(same(probs, expected)).toBe(true);
      const fromInput = new Float64Array(sample.rows * 10);
      predictSparse(packNetwork(params), networkInput(pixels, sample.rows, sample.features, deskew), allRows(sample.rows), fromInput);
      expect(same(fromInput, expected)).toBe(true);
      const predictions = predictRows(params, dataset(pixels), { deskew });
      expect(same(predictions.probs, expected)).toBe(true);
      expect(predictions.predicted).toEqual(predictedClasses(expected, sample.rows, 10));
      expect(Buffer.from(pixels).equals(Buffer.from(sample.pixels))).toBe(true);
    }
  });

  it('predictRows predicts only the rows asked for, in their order, and does not deskew twice', () => {
    const params = network(32, 10, 22);
    const rowIds = Uint32Array.from([1100, 5, 5, 0, 731]);
    const expected = reference(params, rowIds, true);
    expect(same(predictRows(params, dataset(sample.pixels), { deskew: true, rowIds }).probs, expected)).toBe(true);
    // A dataset deskewed when it was read: the rows are taken as they are.
    const deskewedPixels = sample.pixels.slice();
    deskewRows(deskewedPixels, sample.rows, sample.features);
    const deskewed = dataset(deskewedPixels, true);
    expect(same(predictRows(params, deskewed, { deskew: true, rowIds }).probs, expected)).toBe(true);
    expect(() => predictRows(params, deskewed, { deskew: false, rowIds })).toThrow(RangeError);
    expect(same(predictRows(params, selectRows(dataset(sample.pixels), rowIds), { deskew: true }).probs, expected)).toBe(true);
  });
});

describe('prediction threads', () => {
  const dataset = (rows: number): Dataset => ({
    rows,
    features: sample.features,
    pixels: sample.pixels.subarray(0, rows * sample.features),
    labels: null,
    source: { path: 'sample', sha256: '', pixelColumns: [] },
  });

  /** Rows handed over as the CSV reader would, in pieces of these sizes (cyclically), up to `upTo` rows. */
  async function predictInPieces(
    threadCount: number,
    pieces: readonly number[],
    upTo: number,
    params: ReturnType<typeof network>,
    deskew = false,
  ) {
    const threads = new PredictThreads(threadCount);
    try {
      threads.start(params, deskew);
      for (let first = 0, k = 0; first < upTo; k++) {
        const count = Math.min(pieces[k % pieces.length]!, upTo - first);
        // A scratch copy, overwritten after the call, as the reader's buffer may be.
        const bytes = sample.pixels.slice(first * sample.features, (first + count) * sample.features);
        threads.addRows(bytes, first, count, sample.features);
        bytes.fill(7);
        first += count;
        // Let the workers take some batches while "reading" goes on.
        if (k % 3 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      return await threads.finish(dataset(sample.rows));
    } finally {
      await threads.close();
    }
  }

  it('give the same probabilities on 1, 2 and 3 threads, whatever the pieces the rows come in', async () => {
    const params = network(40, 10, 3);
    const expected = reference(params, allRows(sample.rows));
    for (const threadCount of [1, 2, 3]) {
      for (const pieces of [[2048], [1, 700, 33], [sample.rows]]) {
        const { probs, predicted } = await predictInPieces(threadCount, pieces, sample.rows, params);
        expect(same(probs, expected)).toBe(true);
        expect(predicted.length).toBe(sample.rows);
      }
    }
  });

  it('deskew on every thread, rows given early or only at the end, as the training side does', async () => {
    const params = network(40, 10, 8);
    const expected = reference(params, allRows(sample.rows), true);
    expect(same(expected, reference(params, allRows(sample.rows)))).toBe(false);
    for (const threadCount of [1, 2, 3]) {
      for (const [pieces, upTo] of [[[512], sample.rows], [[300], 900]] as const) {
        const { probs } = await predictInPieces(threadCount, pieces, upTo, params, true);
        expect(same(probs, expected)).toBe(true);
      }
    }
    // The dataset's own bytes are left as they were read.
    expect(Buffer.from(dataset(sample.rows).pixels).equals(Buffer.from(readSampleRows(sampleTrainPath, 1200).pixels))).toBe(true);
  });

  it('the workers predict rows while the reading goes on', async () => {
    const params = network(64, 10, 6);
    const expected = reference(params, allRows(sample.rows));
    const threads = new PredictThreads(2);
    try {
      threads.start(params, false);
      threads.addRows(sample.pixels, 0, sample.rows, sample.features);
      for (let waited = 0; threads.workerBatches === 0 && waited < 20_000; waited += 5) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(threads.workerBatches).toBeGreaterThan(0);
      expect(same((await threads.finish(dataset(sample.rows))).probs, expected)).toBe(true);
    } finally {
      await threads.close();
    }
  });

  it('predict at the end the rows never handed over, and ignore rows of another image size', async () => {
    const params = network(24, 10, 4);
    const expected = reference(params, allRows(sample.rows));
    // Only the first 900 rows come early; the rest only in the dataset.
    expect(same((await predictInPieces(2, [300], 900, params)).probs, expected)).toBe(true);
    const threads = new PredictThreads(2);
    try {
      threads.start(params, false);
      threads.addRows(new Uint8Array(10 * 5), 0, 10, 5); // not 784 pixels a row: left for the caller to report
      const { probs } = await threads.finish(dataset(sample.rows));
      expect(same(probs, expected)).toBe(true);
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
      for (const arrays of [undefined, sharedArrays, WasmMemory.create()]) {
        const sparse = toSparseRows(bytes, rows, features, arrays);
        expect(Array.from(sparse.offsets)).toEqual(expected.offsets);
        expect(Array.from(sparse.indices)).toEqual(expected.indices);
        expect(Array.from(sparse.values)).toEqual(expected.values);
      }
    }
  });
});
