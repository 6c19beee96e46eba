/**
 * Micro-benchmark of the WebAssembly kernels (dist/nn/wasm/) against their TypeScript twins (dist/nn/kernels/*.js)
 * on real digit rows, one thread: sparseForward, sparseBackward, outputLayerStep,
 * sparseStepTenByTen (H = 10 only) and the prediction pair sparsePackedForward + outputLayerForward.
 *
 * Each kernel is called chunk by chunk over R rows (41,000 by default): 1024 rows a call for training's kernels,
 * in training's row order (ascending for the seed's H = 10, shuffled otherwise; --order to force one), 256 a call
 * for prediction (predictChunkRows), ascending. sparseBackward's output gradients are zero for the units the
 * forward's ReLU leaves inactive (about half with these weights); --active f keeps only a fraction f of them
 * non-zero instead (after a trained ReLU layer about a third are, and for 32 units or more sparseBackward then
 * updates only those). Those gradients, and the pre-activations outputLayerStep and outputLayerForward read,
 * are those of the first 8,192 real rows (poolRows), cycled through chunk after chunk. Before timing, each pair
 * is checked to give exactly the same numbers (Object.is on every element of the last chunk's outputs and of the
 * accumulated gradients, and the losses and counts of every call).
 *
 * Timing: a warm-up pass of each, then --reps rounds, each timing one TypeScript pass and one wasm pass in turn
 * (interleaved, so that a busy machine slows both alike); the figures are the medians, in ms per pass over R rows.
 *
 * Usage: npm run build && node test/bench/wasm.bench.mjs [--file train.csv[.gz]] [--rows 41000] [--hidden 10,256,800]
 *        [--reps 5] [--order training|sequential|shuffled] [--active relu|0.33] [--json]
 * Without --file it uses Kaggle's train.csv.gz in ../shared/data/digit-recognizer beside the repository if it is
 * there, else the bundled sample (4,000 real rows) repeated up to --rows.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fixed, median, permutation, readDigitsCsv } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const kaggleTrain = join(root, '..', 'shared', 'data', 'digit-recognizer', 'train.csv.gz');
const { values: options } = parseArgs({
  options: {
    file: { type: 'string', default: existsSync(kaggleTrain) ? kaggleTrain : join(root, 'data', 'sample', 'train.csv.gz') },
    rows: { type: 'string', default: '41000' },
    hidden: { type: 'string', default: '10,256,800' },
    reps: { type: 'string', default: '5' },
    order: { type: 'string', default: 'training' },
    active: { type: 'string', default: 'relu' },
    json: { type: 'boolean', default: false },
  },
});
if (!existsSync(join(root, 'dist', 'nn', 'wasm', 'kernels.wasm'))) {
  console.error('dist/ is missing or has no kernels.wasm: build first with `npm run build`.');
  process.exit(2);
}
if (!['training', 'sequential', 'shuffled'].includes(options.order)) {
  console.error('--order: training, sequential or shuffled');
  process.exit(2);
}
const ts = {
  ...(await import('../../dist/nn/kernels/firstLayer.js')),
  ...(await import('../../dist/nn/kernels/outputLayer.js')),
  ...(await import('../../dist/nn/kernels/seedStep.js')),
};
const { toSparseRows } = await import('../../dist/data/dataset.js');
const { WasmMemory } = await import('../../dist/nn/wasm/memory.js');
const { loadWasmKernels } = await import('../../dist/nn/wasm/module.js');

const R = Number(options.rows);
const reps = Number(options.reps);
const hiddenSizes = options.hidden.split(',').map(Number);
const trainChunk = 1024;
const predictChunk = ts.predictChunkRows;
const scale = 1 / 255;
const K = 10;
/**
 * Rows whose pre-activations feed the output layer's and the gradients' timings, chunk after chunk: enough that
 * the CPU's branch predictor cannot learn which units are active, as it would for one chunk seen again and again.
 */
const poolRows = Math.min(R, 8192);

const memory = WasmMemory.create({ maximumBytes: 2 ** 31 });
const wasm = loadWasmKernels(memory);
if (wasm === null) {
  console.error('This Node does not run WebAssembly SIMD over shared memory: nothing to compare.');
  process.exit(2);
}

// Real rows, repeated to R rows when the file has fewer.
const data = readDigitsCsv(options.file);
const I = data.features;
const pixels = new Uint8Array(R * I);
const labels = new Uint8Array(R);
for (let r = 0; r < R; r++) {
  pixels.set(data.pixels.subarray((r % data.rows) * I, (r % data.rows + 1) * I), r * I);
  labels[r] = data.labels[r % data.rows];
}
const jsRows = toSparseRows(pixels, R, I);
const wasmRows = memory.sparseRows(jsRows);
const sequentialIds = Uint32Array.from({ length: R }, (_, r) => r);
const shuffledIds = permutation(R, 42);
const orderFor = (H) => (options.order === 'training' ? (H === 10 ? 'sequential' : 'shuffled') : options.order);

/** Deterministic values in [low, high): no Math.random, so runs compare. */
function filled(length, seed, low = -0.5, high = 0.5) {
  const out = new Float64Array(length);
  let state = seed;
  for (let k = 0; k < length; k++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[k] = low + (high - low) * (state / 4294967296);
  }
  return out;
}

/** The same values twice: a plain array for TypeScript, a copy in the kernels' memory for wasm. */
function twin(values) {
  const inMemory = memory.array(values.constructor, values.length);
  inMemory.set(values);
  return { js: values, wasm: inMemory };
}

/** The index of the first element where a and b differ (Object.is), or -1. */
function firstDifference(a, b) {
  for (let k = 0; k < a.length; k++) if (!Object.is(a[k], b[k])) return k;
  return a.length === b.length ? -1 : Math.min(a.length, b.length);
}

/** Calls body(at, n) for each chunk of `size` rows of R. */
const chunked = (size, body) => () => {
  for (let at = 0; at < R; at += size) body(at, Math.min(size, R - at));
};

/** Median ms per pass of each of the two passes, warmed up, timed in turn `reps` times. */
function timePair(jsPass, wasmPass) {
  jsPass();
  wasmPass();
  const jsTimes = [];
  const wasmTimes = [];
  for (let k = 0; k < reps; k++) {
    let t = performance.now();
    jsPass();
    jsTimes.push(performance.now() - t);
    t = performance.now();
    wasmPass();
    wasmTimes.push(performance.now() - t);
  }
  return { js: median(jsTimes), wasm: median(wasmTimes) };
}

/** The kernel pairs for H hidden units: name -> { js, wasm, check }, check() giving the first difference or -1. */
function pairsFor(H) {
  const ids = twin(orderFor(H) === 'sequential' ? sequentialIds.slice() : shuffledIds.slice());
  const sortedIds = twin(sequentialIds.slice());
  const w1 = twin(filled(I * H, 1, -0.1, 0.1));
  const b1 = twin(filled(H, 2));
  const w2 = twin(filled(H * K, 3));
  const b2 = twin(filled(K, 4));
  const rowLabels = twin(Uint8Array.from(ids.js, (row) => labels[row]));
  const out = twin(new Float64Array(trainChunk * H));
  const pairs = {};

  pairs.sparseForward = {
    js: chunked(trainChunk, (at, n) => ts.sparseForward(out.js, jsRows, ids.js.subarray(at, at + n), scale, w1.js, b1.js, n, H)),
    wasm: chunked(trainChunk, (at, n) => wasm.sparseForward(out.wasm, wasmRows, ids.wasm.subarray(at, at + n), scale, w1.wasm, b1.wasm, n, H)),
    outputs: [out],
  };

  // Pre-activations of the first poolRows rows: what the output layer reads, and the ReLU mask of the
  // first layer's gradients; chunk at reads pool rows at % poolRows onwards.
  const poolHidden = new Float64Array(poolRows * H);
  ts.sparseForward(poolHidden, jsRows, ids.js.subarray(0, poolRows), scale, w1.js, b1.js, poolRows, H);
  const dout = filled(poolRows * H, 5, -1, 1);
  const active = Number(options.active);
  for (let k = 0; k < dout.length; k++) {
    const inactive = options.active === 'relu' ? !(poolHidden[k] > 0) : (k * 0.6180339887) % 1 >= active;
    if (inactive) dout[k] = 0;
  }
  const douts = twin(dout);
  const pool = (array, at, n, width) => array.subarray((at % poolRows) * width, (at % poolRows + n) * width);
  const dw1 = twin(new Float64Array(I * H));
  const db1 = twin(new Float64Array(H));
  const scratch = { js: [new Int32Array(H), new Float64Array(H)], wasm: [memory.i32(H), memory.f64(H)] };
  pairs.sparseBackward = {
    js: chunked(trainChunk, (at, n) => ts.sparseBackward(dw1.js, db1.js, pool(douts.js, at, n, H), jsRows, ids.js.subarray(at, at + n), scale, n, H, ...scratch.js)),
    wasm: chunked(trainChunk, (at, n) => wasm.sparseBackward(dw1.wasm, db1.wasm, pool(douts.wasm, at, n, H), wasmRows, ids.wasm.subarray(at, at + n), scale, n, H, ...scratch.wasm)),
    outputs: [dw1, db1],
  };

  const hidden = twin(poolHidden);
  const step = {
    hidden: twin(new Float64Array(trainChunk * H)),
    dhidden: twin(new Float64Array(trainChunk * H)),
    probs: twin(new Float64Array(trainChunk * K)),
    dlogits: twin(new Float64Array(trainChunk * K)),
    dw2: twin(new Float64Array(H * K)),
    db2: twin(new Float64Array(K)),
  };
  const s = step;
  const results = { js: [], wasm: [] };
  const lossOf = (side, result) => results[side].push(result.lossSum, result.correct);
  pairs.outputLayerStep = {
    js: chunked(trainChunk, (at, n) => lossOf('js', ts.outputLayerStep(s.dhidden.js, s.dw2.js, s.db2.js, s.dlogits.js, s.probs.js,
      pool(hidden.js, at, n, H), rowLabels.js.subarray(at, at + n), w2.js, b2.js, 1 / trainChunk, n, H, K))),
    wasm: chunked(trainChunk, (at, n) => lossOf('wasm', wasm.outputLayerStep(s.dhidden.wasm, s.dw2.wasm, s.db2.wasm, s.dlogits.wasm,
      s.probs.wasm, pool(hidden.wasm, at, n, H), rowLabels.wasm.subarray(at, at + n), w2.wasm, b2.wasm, 1 / trainChunk, n, H, K))),
    outputs: [s.dhidden, s.dw2, s.db2, s.dlogits, s.probs],
    results,
  };

  if (H === 10) {
    const dw1s = twin(new Float64Array(I * H));
    const db1s = twin(new Float64Array(H));
    const stepResults = { js: [], wasm: [] };
    const side = (name) => (at, n) => {
      const k = name === 'js' ? ts : wasm;
      const rows = name === 'js' ? jsRows : wasmRows;
      const result = k.sparseStepTenByTen(dw1s[name], db1s[name], s.dw2[name], s.db2[name], s.hidden[name], s.dhidden[name],
        s.probs[name], s.dlogits[name], rows, ids[name].subarray(at, at + n), rowLabels[name].subarray(at, at + n), scale,
        w1[name], b1[name], w2[name], b2[name], 1 / trainChunk, n);
      stepResults[name].push(result.lossSum, result.correct);
    };
    pairs.sparseStepTenByTen = {
      js: chunked(trainChunk, side('js')),
      wasm: chunked(trainChunk, side('wasm')),
      outputs: [dw1s, db1s, s.dw2, s.db2, s.hidden, s.dhidden, s.probs, s.dlogits],
      results: stepResults,
    };
  }

  const packed = twin(ts.packFirstLayer(w1.js, I, H));
  const predictHidden = twin(new Float64Array(predictChunk * H));
  const logits = twin(new Float64Array(predictChunk * K));
  pairs.sparsePackedForward = {
    js: chunked(predictChunk, (at, n) => ts.sparsePackedForward(predictHidden.js, jsRows, sortedIds.js.subarray(at, at + n), scale, packed.js, w1.js, b1.js, n, I, H)),
    wasm: chunked(predictChunk, (at, n) => wasm.sparsePackedForward(predictHidden.wasm, wasmRows, sortedIds.wasm.subarray(at, at + n), scale, packed.wasm, w1.wasm, b1.wasm, n, I, H)),
    outputs: [predictHidden],
  };
  // The second layer reads the first poolRows rows' activations (the ReLU of the pool above).
  const activations = twin(poolHidden.map((v) => (v > 0 ? v : 0)));
  pairs.outputLayerForward = {
    js: chunked(predictChunk, (at, n) => ts.outputLayerForward(logits.js, pool(activations.js, at, n, H), w2.js, b2.js, n, H, K)),
    wasm: chunked(predictChunk, (at, n) => wasm.outputLayerForward(logits.wasm, pool(activations.wasm, at, n, H), w2.wasm, b2.wasm, n, H, K)),
    outputs: [logits],
  };
  return pairs;
}

/** One pass of each side from the same state, then the first difference of any output (or of the results). */
function check(pair) {
  pair.js();
  pair.wasm();
  for (const [k, output] of pair.outputs.entries()) {
    const at = firstDifference(output.js, output.wasm);
    if (at >= 0) return `output ${k} differs at ${at}: ${output.js[at]} vs ${output.wasm[at]}`;
  }
  if (pair.results) {
    const at = firstDifference(pair.results.js, pair.results.wasm);
    if (at >= 0) return `loss/correct differ at call ${at >> 1}`;
  }
  return null;
}

const rows = [];
for (const H of hiddenSizes) {
  for (const [kernel, pair] of Object.entries(pairsFor(H))) {
    const difference = check(pair);
    if (difference !== null) {
      console.error(`${kernel}, H = ${H}: the wasm kernel does not give the TypeScript kernel's numbers: ${difference}`);
      process.exit(1);
    }
    const timed = timePair(pair.js, pair.wasm);
    rows.push({ kernel, hidden: H, order: kernel.startsWith('sparsePacked') || kernel.startsWith('dense') ? 'sequential' : orderFor(H), rows: R, ...timed });
    if (!options.json) process.stderr.write(`  ${kernel}, H = ${H}: ${fixed(timed.js)} ms vs ${fixed(timed.wasm)} ms\n`);
  }
}

if (options.json) {
  process.stdout.write(JSON.stringify({ file: options.file, nonZeroPerRow: jsRows.offsets[R] / R, reps, results: rows }) + '\n');
} else {
  console.log(`WebAssembly SIMD kernels vs TypeScript, ${R} rows of ${I} pixels (${fixed(jsRows.offsets[R] / R)} non-zero a row), ` +
    `1 thread, median of ${reps} interleaved passes, ms per pass over all rows (same numbers checked first):`);
  console.log('');
  console.log('| Kernel | H | Row order | TypeScript | wasm | wasm / TypeScript |');
  console.log('|---|---:|---|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.kernel} | ${r.hidden} | ${r.order} | ${fixed(r.js)} ms | ${fixed(r.wasm)} ms | ${fixed(r.wasm / r.js, 2)}x |`);
  }
}
