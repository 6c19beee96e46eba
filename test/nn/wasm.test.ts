/**
 * The WebAssembly kernels (src/nn/wasm/) against their TypeScript twins, element by element with Object.is:
 * the same numbers bit for bit, +0 and -0 told apart, NaN where the twin gives NaN. Inputs: real rows of the
 * bundled sample (read by readDigitCsv, with an empty image added), random rows and shapes, odd H, K = 10 and
 * other K, and wide layers whose rows take sparseBackward's gathered path. Also: the SIMD check and what
 * happens without SIMD, the memory's allocator, and a worker thread running the kernels over the same memory.
 */
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { readDigitCsv } from '../../src/data/csv.js';
import { toSparseRows, type SparseRows } from '../../src/data/dataset.js';
import { Random } from '../../src/data/random.js';
import { packFirstLayer, sparseBackward, sparseForward, sparsePackedForward } from '../../src/nn/kernels/firstLayer.js';
import { outputLayerForward, outputLayerStep } from '../../src/nn/kernels/outputLayer.js';
import { sparseStepTenByTen } from '../../src/nn/kernels/seedStep.js';
import { WasmMemory, webAssembly } from '../../src/nn/wasm/memory.js';
import { compileWasmKernels, loadWasmKernels, wasmKernelsSupported, WasmKernels } from '../../src/nn/wasm/module.js';
import { sampleTrainPath } from '../helpers/sample-rows.js';

const scale = 1 / 255;
/** Odd widths, widths that are not a multiple of 8 (the packed blocks) or 10 (the unrolled blocks), the seed's 10. */
const hiddenSizes = [1, 3, 7, 9, 10, 11, 255, 257];

const memory = WasmMemory.create({ maximumBytes: 2 ** 30 });
const kernels = loadWasmKernels(memory)!;

/** The real sample, one empty image appended (its last row), as the TypeScript kernels and the wasm ones see it. */
let sample: { js: SparseRows; wasm: SparseRows; labels: Uint8Array; features: number; empty: number };

beforeAll(async () => {
  const dataset = await readDigitCsv(sampleTrainPath, { labels: 'required' });
  const rows = dataset.rows + 1;
  const pixels = new Uint8Array(rows * dataset.features);
  pixels.set(dataset.pixels);
  const js = toSparseRows(pixels, rows, dataset.features);
  const labels = new Uint8Array(rows);
  labels.set(dataset.labels!);
  sample = { js, wasm: memory.sparseRows(js), labels, features: dataset.features, empty: dataset.rows };
});

/** Fails at the first element where actual and expected differ as Object.is sees them, naming it. */
function expectSame(actual: ArrayLike<number>, expected: ArrayLike<number>, name: string): void {
  expect(actual.length, `${name}.length`).toBe(expected.length);
  for (let k = 0; k < expected.length; k++) {
    if (!Object.is(actual[k], expected[k])) expect(`${name}[${k}] = ${show(actual[k]!)}`).toBe(`${name}[${k}] = ${show(expected[k]!)}`);
  }
}

/** A number as text, -0 included (`${-0}` is "0"). */
function show(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

/** n uniform values in [low, high). */
function uniform(n: number, random: Random, low = -1, high = 1): Float64Array {
  return Float64Array.from({ length: n }, () => random.uniform(low, high));
}

/** A copy of `values` in the kernels' memory. */
function inMemory(values: Float64Array): Float64Array;
function inMemory(values: Uint32Array): Uint32Array;
function inMemory(values: Uint8Array): Uint8Array;
function inMemory(values: Float64Array | Uint32Array | Uint8Array): Float64Array | Uint32Array | Uint8Array {
  if (values instanceof Float64Array) return copyInto(memory.f64(values.length), values);
  if (values instanceof Uint32Array) return copyInto(memory.u32(values.length), values);
  return copyInto(memory.u8(values.length), values);
}

function copyInto<T extends { set(values: ArrayLike<number>): void }>(target: T, values: ArrayLike<number>): T {
  target.set(values);
  return target;
}

/** Row ids of the sample: `count` rows in a shuffled order, the empty row and a repeated row among them. */
function sampleRowIds(count: number, seed: number): Uint32Array {
  const ids = new Random(seed).shuffle(Uint32Array.from({ length: sample.js.rows }, (_, r) => r)).slice(0, count);
  if (count > 3) {
    ids[1] = sample.empty;
    ids[count - 1] = ids[0]!;
  }
  return ids;
}

/** Random rows of raw pixels (about 30% non-zero) as SparseRows, with the listed rows all zero. */
function randomRows(rows: number, features: number, random: Random, emptyRows: number[] = []): SparseRows {
  const pixels = new Uint8Array(rows * features);
  for (let p = 0; p < pixels.length; p++) if (random.next() < 0.3) pixels[p] = 1 + random.int(255);
  for (const r of emptyRows) pixels.fill(0, r * features, (r + 1) * features);
  return toSparseRows(pixels, rows, features);
}

describe('wasm sparseForward', () => {
  it.each(hiddenSizes)('equals the TypeScript kernel on real sample rows (H=%i)', (H) => {
    const random = new Random(100 + H);
    const rowIds = sampleRowIds(300, H);
    const R = rowIds.length;
    const w = uniform(sample.features * H, random, -0.5, 0.5);
    const b = uniform(H, random);
    const expected = new Float64Array(R * H);
    sparseForward(expected, sample.js, rowIds, scale, w, b, R, H);
    const out = memory.f64(R * H).fill(99);
    kernels.sparseForward(out, sample.wasm, inMemory(rowIds), scale, inMemory(w), inMemory(b), R, H);
    expectSame(out, expected, 'out');
  });

  it.each([
    [0, 5, 3],
    [1, 13, 1],
    [1, 784, 10],
    [6, 13, 7],
    [9, 1, 11],
    [40, 30, 40],
  ])('equals it on random rows with empty ones (R=%i, I=%i, H=%i)', (R, I, H) => {
    const random = new Random(200 + R * 31 + I * 7 + H);
    const js = randomRows(R + 2, I, random, [0, R + 1]);
    const rowIds = Uint32Array.from({ length: R }, (_, r) => (r * 5 + 1) % (R + 2));
    if (R > 0) rowIds[0] = R + 1;
    const w = uniform(I * H, random);
    const b = uniform(H, random);
    const expected = new Float64Array(R * H);
    sparseForward(expected, js, rowIds, scale, w, b, R, H);
    const out = memory.f64(R * H);
    kernels.sparseForward(out, memory.sparseRows(js), inMemory(rowIds), scale, inMemory(w), inMemory(b), R, H);
    expectSame(out, expected, 'out');
  });

  it('gives the same NaN, infinities and signed zeros as the TypeScript kernel', () => {
    const random = new Random(300);
    const [R, I, H] = [7, 20, 13];
    const js = randomRows(R, I, random, [3]);
    const rowIds = Uint32Array.from([0, 1, 2, 3, 4, 5, 6]);
    const w = uniform(I * H, random);
    const specials = [NaN, Infinity, -Infinity, -0, 0, 1e308, -1e308, 5e-324];
    for (let k = 0; k < w.length; k += 3) w[k] = specials[k % specials.length]!;
    const b = Float64Array.from({ length: H }, (_, o) => specials[o % specials.length]!);
    const expected = new Float64Array(R * H);
    sparseForward(expected, js, rowIds, scale, w, b, R, H);
    const out = memory.f64(R * H);
    kernels.sparseForward(out, memory.sparseRows(js), inMemory(rowIds), scale, inMemory(w), inMemory(b), R, H);
    expectSame(out, expected, 'out');
  });
});

describe('wasm sparseBackward', () => {
  /** Runs both kernels from the same non-zero dw and db (both add to them) and compares. */
  function compare(js: SparseRows, wasmRows: SparseRows, rowIds: Uint32Array, dout: Float64Array, H: number, random: Random): void {
    const R = rowIds.length;
    const dwStart = uniform(js.features * H, random);
    // Some -0 entries: adding a zero product turns -0 into +0, skipping it does not.
    for (let k = 0; k < dwStart.length; k += 7) dwStart[k] = -0;
    const dbStart = uniform(H, random);
    const expected = { dw: dwStart.slice(), db: dbStart.slice() };
    sparseBackward(expected.dw, expected.db, dout, js, rowIds, scale, R, H, new Int32Array(H), new Float64Array(H));
    const dw = inMemory(dwStart);
    const db = inMemory(dbStart);
    kernels.sparseBackward(dw, db, inMemory(dout), wasmRows, inMemory(rowIds), scale, R, H, memory.i32(H), memory.f64(H));
    expectSame(dw, expected.dw, 'dw');
    expectSame(db, expected.db, 'db');
  }

  /** Output gradients as after a ReLU: each unit of each row exactly zero with probability 1 - active. */
  function gradients(R: number, H: number, active: number, random: Random): Float64Array {
    const dout = uniform(R * H, random);
    for (let k = 0; k < dout.length; k++) if (random.next() >= active) dout[k] = random.next() < 0.5 ? 0 : -0;
    return dout;
  }

  // 32 units or more with at most 75% active: the gathered path; fewer units, or more active: all columns.
  it.each(hiddenSizes.flatMap((H) => [1, 0.33, 0].map((active) => [H, active] as const)))(
    'equals the TypeScript kernel on real sample rows (H=%i, active %f)',
    (H, active) => {
      const random = new Random(400 + H + active * 1000);
      const rowIds = sampleRowIds(200, H + 1);
      compare(sample.js, sample.wasm, rowIds, gradients(rowIds.length, H, active, random), H, random);
    },
  );

  it('takes the same path as the TypeScript kernel on both sides of the gathering threshold', () => {
    const random = new Random(500);
    const H = 40; // gathers a row with at most floor(0.75 * 40) = 30 active units
    const rowIds = sampleRowIds(6, 7);
    const activeCounts = [30, 31, 0, 40, 29, 1];
    const dout = new Float64Array(rowIds.length * H);
    activeCounts.forEach((count, r) => {
      for (let o = 0; o < count; o++) dout[r * H + ((o * 7) % H)] = random.uniform(-1, 1);
    });
    compare(sample.js, sample.wasm, rowIds, dout, H, random);
  });

  it.each([
    [0, 5, 40],
    [1, 784, 10],
    [1, 784, 64],
    [5, 13, 33],
    [8, 9, 7],
  ])('equals it on random rows with empty ones (R=%i, I=%i, H=%i)', (R, I, H) => {
    const random = new Random(600 + R * 31 + I * 7 + H);
    const js = randomRows(R + 1, I, random, [R]);
    const rowIds = Uint32Array.from({ length: R }, (_, r) => (r * 3 + R) % (R + 1));
    compare(js, memory.sparseRows(js), rowIds, gradients(R, H, 0.4, random), H, random);
  });
});

describe('wasm outputLayerStep', () => {
  function compare(hidden: Float64Array, labels: Uint8Array, H: number, K: number, random: Random): void {
    const R = labels.length;
    const w2 = uniform(H * K, random, -0.5, 0.5);
    const b2 = uniform(K, random, -0.5, 0.5);
    const dw2Start = uniform(H * K, random);
    const db2Start = uniform(K, random);
    const expected = {
      dhidden: new Float64Array(R * H),
      dw2: dw2Start.slice(),
      db2: db2Start.slice(),
      dlogits: new Float64Array(R * K),
      probs: new Float64Array(R * K),
    };
    const e = expected;
    const expectedResult = outputLayerStep(e.dhidden, e.dw2, e.db2, e.dlogits, e.probs, hidden, labels, w2, b2, 1 / R, R, H, K);
    const got = {
      dhidden: memory.f64(R * H).fill(7),
      dw2: inMemory(dw2Start),
      db2: inMemory(db2Start),
      dlogits: memory.f64(R * K),
      probs: memory.f64(R * K),
    };
    const g = got;
    const result = kernels.outputLayerStep(g.dhidden, g.dw2, g.db2, g.dlogits, g.probs, inMemory(hidden), inMemory(labels),
      inMemory(w2), inMemory(b2), 1 / R, R, H, K);
    expect(Object.is(result.lossSum, expectedResult.lossSum), `lossSum ${result.lossSum} vs ${expectedResult.lossSum}`).toBe(true);
    expect(result.correct).toBe(expectedResult.correct);
    for (const key of ['dhidden', 'dw2', 'db2', 'dlogits', 'probs'] as const) expectSame(got[key], expected[key], key);
  }

  it.each(hiddenSizes)('equals the TypeScript kernel on the hidden layer of real rows, K = 10 (H=%i)', (H) => {
    const random = new Random(700 + H);
    const rowIds = sampleRowIds(256, H + 2);
    const R = rowIds.length;
    const hidden = new Float64Array(R * H);
    sparseForward(hidden, sample.js, rowIds, scale, uniform(sample.features * H, random, -0.1, 0.1), uniform(H, random), R, H);
    compare(hidden, Uint8Array.from(rowIds, (row) => sample.labels[row]!), H, 10, random);
  });

  it.each([
    [1, 1, 1],
    [1, 7, 3],
    [5, 3, 2],
    [9, 11, 7],
    [4, 10, 11],
    [6, 257, 20],
  ])('equals it for other K, and single rows (R=%i, H=%i, K=%i)', (R, H, K) => {
    const random = new Random(800 + R * 31 + H * 7 + K);
    const hidden = uniform(R * H, random);
    const labels = Uint8Array.from({ length: R }, () => random.int(K));
    compare(hidden, labels, H, K, random);
  });

  it('gives the same numbers for NaN, infinite and signed-zero activations and huge logits', () => {
    const random = new Random(900);
    const [R, H] = [6, 11];
    const hidden = uniform(R * H, random, -1, 1);
    const specials = [NaN, -0, 0, Infinity, 1e300, -Infinity, 5e-324];
    for (let k = 0; k < hidden.length; k += 4) hidden[k] = specials[k % specials.length]!;
    compare(hidden, Uint8Array.from([0, 9, 3, 3, 5, 1]), H, 10, random);
  });
});

describe('wasm sparseStepTenByTen', () => {
  /** Output buffers; the gradients start non-zero, because the kernels add to them. */
  function buffers(R: number, allocate: (length: number) => Float64Array) {
    const filled = (length: number, value: number): Float64Array => allocate(length).fill(value);
    return {
      dw1: filled(784 * 10, 0.125),
      db1: filled(10, -0.25),
      dw2: filled(100, 0.25),
      db2: filled(10, -0.5),
      hidden: allocate(R * 10),
      dhidden: allocate(R * 10),
      probs: allocate(R * 10),
      dlogits: allocate(R * 10),
    };
  }

  it.each([
    [1024, 2],
    [1, 1],
    [0, 1],
    [97, 3],
  ])('equals the TypeScript kernel on real rows, %i rows a call, %i calls adding up', (R, calls) => {
    const random = new Random(1000 + R);
    const rowIds = sampleRowIds(R * calls, R + calls);
    const w1 = uniform(784 * 10, random, -0.5, 0.5);
    const b1 = uniform(10, random, -0.5, 0.5);
    const w2 = uniform(100, random, -0.5, 0.5);
    const b2 = uniform(10, random, -0.5, 0.5);
    const labels = Uint8Array.from(rowIds, (row) => sample.labels[row]!);
    const e = buffers(R, (length) => new Float64Array(length));
    const g = buffers(R, (length) => memory.f64(length));
    const [w1m, b1m, w2m, b2m] = [inMemory(w1), inMemory(b1), inMemory(w2), inMemory(b2)];
    for (let call = 0; call < calls; call++) {
      const ids = rowIds.subarray(call * R, (call + 1) * R);
      const callLabels = labels.subarray(call * R, (call + 1) * R);
      const expected = sparseStepTenByTen(e.dw1, e.db1, e.dw2, e.db2, e.hidden, e.dhidden, e.probs, e.dlogits,
        sample.js, ids, callLabels, scale, w1, b1, w2, b2, 1 / (R * calls), R);
      const result = kernels.sparseStepTenByTen(g.dw1, g.db1, g.dw2, g.db2, g.hidden, g.dhidden, g.probs, g.dlogits,
        sample.wasm, inMemory(ids), inMemory(callLabels), scale, w1m, b1m, w2m, b2m, 1 / (R * calls), R);
      expect(Object.is(result.lossSum, expected.lossSum), `lossSum ${result.lossSum} vs ${expected.lossSum}`).toBe(true);
      expect(result.correct).toBe(expected.correct);
    }
    for (const key of Object.keys(e) as (keyof typeof e)[]) expectSame(g[key], e[key], key);
  });
});

describe('wasm sparsePackedForward / outputLayerForward', () => {
  it.each(hiddenSizes)('equal the TypeScript prediction kernels on real rows (H=%i)', (H) => {
    const random = new Random(1100 + H);
    const rowIds = sampleRowIds(256, H + 3);
    const [R, I] = [rowIds.length, sample.features];
    const w1 = uniform(I * H, random, -0.1, 0.1);
    const b1 = uniform(H, random, -0.5, 0.5);
    const packed = packFirstLayer(w1, I, H);
    const expectedHidden = new Float64Array(R * H);
    sparsePackedForward(expectedHidden, sample.js, rowIds, scale, packed, w1, b1, R, I, H);
    const hidden = memory.f64(R * H).fill(-1);
    kernels.sparsePackedForward(hidden, sample.wasm, inMemory(rowIds), scale, inMemory(packed), inMemory(w1), inMemory(b1), R, I, H);
    expectSame(hidden, expectedHidden, 'hidden');

    for (const K of [10, 1, 3, 11]) {
      const w2 = uniform(H * K, random, -0.5, 0.5);
      const b2 = uniform(K, random, -0.5, 0.5);
      const expectedLogits = new Float64Array(R * K);
      outputLayerForward(expectedLogits, expectedHidden, w2, b2, R, H, K);
      const logits = memory.f64(R * K);
      kernels.outputLayerForward(logits, hidden, inMemory(w2), inMemory(b2), R, H, K);
      expectSame(logits, expectedLogits, `logits (K=${K})`);
    }
  });

  it('give the same numbers for zero rows, a single row and special values', () => {
    const random = new Random(1200);
    const [I, H, K] = [13, 17, 10];
    const js = randomRows(3, I, random, [1]);
    const w1 = uniform(I * H, random);
    for (let k = 0; k < w1.length; k += 5) w1[k] = [NaN, -0, Infinity, -Infinity][k % 4]!;
    const b1 = uniform(H, random);
    const packed = packFirstLayer(w1, I, H);
    for (const rowIds of [new Uint32Array(0), Uint32Array.from([1]), Uint32Array.from([2, 1, 0, 2])]) {
      const R = rowIds.length;
      const expectedHidden = new Float64Array(R * H);
      sparsePackedForward(expectedHidden, js, rowIds, scale, packed, w1, b1, R, I, H);
      const hidden = memory.f64(R * H);
      kernels.sparsePackedForward(hidden, memory.sparseRows(js), inMemory(rowIds), scale, inMemory(packed), inMemory(w1), inMemory(b1), R, I, H);
      expectSame(hidden, expectedHidden, `hidden (R=${R})`);
      const w2 = uniform(H * K, random);
      const b2 = uniform(K, random);
      const expectedLogits = new Float64Array(R * K);
      outputLayerForward(expectedLogits, expectedHidden, w2, b2, R, H, K);
      const logits = memory.f64(R * K);
      kernels.outputLayerForward(logits, hidden, inMemory(w2), inMemory(b2), R, H, K);
      expectSame(logits, expectedLogits, `logits (R=${R})`);
    }
  });
});

describe('WebAssembly support', () => {
  it('is detected here: this Node runs 128-bit SIMD over shared memory', () => {
    expect(wasmKernelsSupported()).toBe(true);
    expect(kernels).toBeInstanceOf(WasmKernels);
  });

  it('without SIMD, loading gives null and the caller keeps the TypeScript kernels', () => {
    const validate = vi.spyOn(webAssembly(), 'validate').mockReturnValue(false);
    try {
      expect(wasmKernelsSupported()).toBe(false);
      expect(loadWasmKernels()).toBeNull();
      // The probe is a module of SIMD instructions: the 0xfd prefix opens every one of them.
      expect(Array.from(validate.mock.calls[0]![0])).toContain(0xfd);
    } finally {
      validate.mockRestore();
    }
  });
});

describe('WasmMemory', () => {
  it('hands out zeroed, 16-byte aligned arrays that stay valid while the memory grows', () => {
    const small = WasmMemory.create({ initialBytes: 1, maximumBytes: 1 << 22 });
    const first = small.u8(3);
    first.set([1, 2, 3]);
    const second = small.f64(2);
    expect(second.byteOffset % 16).toBe(0);
    expect(second.byteOffset).toBeGreaterThanOrEqual(first.byteOffset + 3);
    const big = small.f64(100_000); // 800 kB: the memory grows past its first page
    expect(big.every((v) => v === 0)).toBe(true);
    expect(small.memory.buffer.byteLength).toBeGreaterThanOrEqual(big.byteOffset + big.byteLength);
    expect(Array.from(first)).toEqual([1, 2, 3]);
    expect(Array.from(small.at(Uint8Array, first.byteOffset, 3))).toEqual([1, 2, 3]);
    expect(() => small.f64(1 << 20)).toThrow(RangeError);
  });

  it('refuses arrays outside the memory, and arrays too short for the call', () => {
    const w = memory.f64(13 * 4);
    const rowIds = memory.u32(2);
    const rows = memory.sparseRows(toSparseRows(new Uint8Array(13 * 2), 2, 13));
    expect(() => kernels.sparseForward(new Float64Array(8), rows, rowIds, scale, w, memory.f64(4), 2, 4)).toThrow(
      "out is not in the kernels' WebAssembly memory",
    );
    expect(() => kernels.sparseForward(memory.f64(7), rows, rowIds, scale, w, memory.f64(4), 2, 4)).toThrow(
      'out has 7 elements, the kernel needs 8',
    );
  });

  it('is shared with a worker thread, which instantiates the same module over it and allocates from it too', async () => {
    const random = new Random(1300);
    const rowIds = inMemory(sampleRowIds(64, 5));
    const [R, H] = [rowIds.length, 12];
    const w = inMemory(uniform(sample.features * H, random));
    const b = inMemory(uniform(H, random));
    const expected = memory.f64(R * H);
    kernels.sparseForward(expected, sample.wasm, rowIds, scale, w, b, R, H);
    const pointers = {
      offsets: sample.wasm.offsets.byteOffset, indices: sample.wasm.indices.byteOffset, values: sample.wasm.values.byteOffset,
      nonZero: sample.wasm.values.length, rows: sample.wasm.rows, features: sample.wasm.features,
      rowIds: rowIds.byteOffset, w: w.byteOffset, b: b.byteOffset, R, H,
    };
    const moduleUrl = pathToFileURL(new URL('../../dist/nn/wasm/module.js', import.meta.url).pathname).href;
    const memoryUrl = pathToFileURL(new URL('../../dist/nn/wasm/memory.js', import.meta.url).pathname).href;
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
      Promise.all([import(workerData.moduleUrl), import(workerData.memoryUrl)]).then(([{ WasmKernels }, { WasmMemory }]) => {
        const memory = WasmMemory.attach(workerData.memory);
        const kernels = WasmKernels.instantiate(workerData.module, memory);
        const p = workerData.pointers;
        const input = { rows: p.rows, features: p.features, offsets: memory.at(Uint32Array, p.offsets, p.rows + 1),
          indices: memory.at(Uint16Array, p.indices, p.nonZero), values: memory.at(Uint8Array, p.values, p.nonZero) };
        const out = memory.f64(p.R * p.H);
        kernels.sparseForward(out, input, memory.at(Uint32Array, p.rowIds, p.R), ${scale}, memory.at(Float64Array, p.w, p.features * p.H),
          memory.at(Float64Array, p.b, p.H), p.R, p.H);
        parentPort.postMessage(out.byteOffset);
      });`,
      { eval: true, workerData: { memory: memory.memory, module: kernels.module, pointers, moduleUrl, memoryUrl } },
    );
    const before = memory.usedBytes;
    const outPointer = await new Promise<number>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(outPointer).toBeGreaterThanOrEqual(before);
    expectSame(memory.at(Float64Array, outPointer, R * H), expected, 'worker out');
  });
});

describe('compileWasmKernels', () => {
  it('compiles the built module once, for any number of instances over any memories', () => {
    const module = compileWasmKernels();
    const other = WasmMemory.create({ maximumBytes: 1 << 20 });
    const again = WasmKernels.instantiate(module, other);
    const out = other.f64(2);
    const rows = other.sparseRows(toSparseRows(Uint8Array.from([0, 255]), 1, 2));
    again.sparseForward(out, rows, other.u32(1), scale, other.f64(4).fill(0.5), other.f64(2).fill(1), 1, 2);
    expect(Array.from(out)).toEqual([1.5, 1.5]);
  });
});
