/**
 * Micro-benchmark of the first-layer kernels (dist/nn/kernels/firstLayer.js): sparseForward/sparseBackward
 * against the plain denseForward/denseBackward (test/nn/reference.ts, transpiled here as it is) on real digit
 * rows, for the seed's shape (784-10) and for H = 128.
 *
 * Each kernel is called chunk by chunk (1024 rows a call, as the engine does) over R rows (41,000 by default,
 * the seed's full batch and one epoch of the 784-128-10 run); the figure is the median of several passes, in
 * ms per pass. Sparse kernels get the project's compressed rows of bytes and row ids in the order training uses
 * (ascending for the full-batch 784-10, shuffled for mini-batch shapes; --order to force one); dense kernels
 * get the same rows already gathered and scaled into a Float64Array (R x 784), that copy not timed. Before timing, each pair is checked to give the same numbers, so a
 * fast but wrong kernel shows up here too. --active sets the fraction of non-zero output gradients: 1 (the
 * default) makes sparseBackward update every column; after a trained ReLU layer about a third are non-zero
 * (--active 0.33), and for 32 units or more sparseBackward then updates only those.
 *
 * Not here: the second layer, softmax, optimiser steps (whole-network figures are run.mjs's job); threads.
 *
 * Usage: npm run build && node test/bench/kernels.bench.mjs [--file train.csv[.gz]] [--rows 41000]
 *        [--hidden 10,128] [--min-ms 1000] [--order training|sequential|shuffled] [--active 1] [--json]
 * Without --file it uses the bundled sample (4,000 real rows), repeated up to --rows.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fixed, median, permutation, readDigitsCsv, renderKernelTable } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: options } = parseArgs({
  options: {
    file: { type: 'string', default: join(root, 'data', 'sample', 'train.csv.gz') },
    rows: { type: 'string', default: '41000' },
    hidden: { type: 'string', default: '10,128' },
    chunk: { type: 'string', default: '1024' },
    'min-ms': { type: 'string', default: '1000' },
    order: { type: 'string', default: 'training' },
    active: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
if (!existsSync(join(root, 'dist', 'nn', 'kernels', 'firstLayer.js'))) {
  console.error('dist/ is missing: build first with `npx tsc -p tsconfig.json`.');
  process.exit(2);
}
const { sparseForward, sparseBackward } = await import('../../dist/nn/kernels/firstLayer.js');
const { denseForward, denseBackward } = await importTypeScript(join(root, 'test', 'nn', 'reference.ts'));
const { toSparseRows } = await import('../../dist/data/dataset.js');

const R = Number(options.rows);
const chunk = Number(options.chunk);
const minMs = Number(options['min-ms']);
const hiddenSizes = options.hidden.split(',').map(Number);
const scale = 1 / 255;

// Real rows, repeated to R rows when the file has fewer.
const data = readDigitsCsv(options.file);
const I = data.features;
const pixels = new Uint8Array(R * I);
for (let r = 0; r < R; r++) pixels.set(data.pixels.subarray((r % data.rows) * I, (r % data.rows + 1) * I), r * I);
const sparse = toSparseRows(pixels, R, I);
// Row order as training has it: full-batch runs (the seed's 784-10) visit the training rows in ascending order,
// mini-batch epochs in a shuffled one. --order sequential|shuffled forces one for every shape.
const sequentialIds = Uint32Array.from({ length: R }, (_, r) => r);
const shuffledIds = permutation(R, 42);
const orderFor = (O) => (options.order === 'training' ? (O === 10 ? 'sequential' : 'shuffled') : options.order);
if (!['training', 'sequential', 'shuffled'].includes(options.order)) {
  console.error('--order: training, sequential or shuffled');
  process.exit(2);
}

/** Dense input: the same rows in the same order, gathered and scaled as a dense batch buffer would hold them. */
function denseRows(rowIds) {
  const dense = new Float64Array(R * I);
  for (let r = 0; r < R; r++) {
    const from = rowIds[r] * I;
    for (let i = 0; i < I; i++) dense[r * I + i] = pixels[from + i] * scale;
  }
  return dense;
}
const nonZeroPerRow = sparse.offsets[R] / R;

/** Deterministic values in [-0.5, 0.5): no Math.random, so runs compare. */
function filled(length, seed) {
  const out = new Float64Array(length);
  let state = seed;
  for (let k = 0; k < length; k++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[k] = state / 4294967296 - 0.5;
  }
  return out;
}

/** Median ms of one full pass of `pass`, after a warm-up pass, repeated until minMs has gone by (3 at least). */
function time(pass) {
  pass();
  const times = [];
  const started = performance.now();
  while (times.length < 3 || (performance.now() - started < minMs && times.length < 50)) {
    const t = performance.now();
    pass();
    times.push(performance.now() - t);
  }
  return { ms: median(times), passes: times.length };
}

function maxRelativeDifference(a, b) {
  let worst = 0;
  for (let k = 0; k < a.length; k++) {
    const d = Math.abs(a[k] - b[k]) / Math.max(1e-300, Math.abs(a[k]), Math.abs(b[k]));
    if (d > worst) worst = d;
  }
  return worst;
}

const results = [];
for (const O of hiddenSizes) {
  const order = orderFor(O);
  const rowIds = order === 'sequential' ? sequentialIds : shuffledIds;
  const dense = denseRows(rowIds);
  const w = filled(I * O, 1);
  const b = filled(O, 2);
  const dout = filled(chunk * O, 3);
  // Inactive units, spread evenly (golden-ratio steps) so every row has about the same number.
  const active = Number(options.active);
  for (let k = 0; k < dout.length; k++) if (((k * 0.6180339887) % 1) >= active) dout[k] = 0;
  const activeUnits = new Int32Array(O);
  const activeGrads = new Float64Array(O);
  const out = new Float64Array(chunk * O);
  const dw = new Float64Array(I * O);
  const db = new Float64Array(O);

  const chunks = (body) => () => {
    for (let at = 0; at < R; at += chunk) body(at, Math.min(chunk, R - at));
  };
  const passes = {
    sparseForward: chunks((at, n) => sparseForward(out, sparse, rowIds.subarray(at, at + n), scale, w, b, n, O)),
    denseForward: chunks((at, n) => denseForward(out, dense.subarray(at * I, (at + n) * I), w, b, n, I, O)),
    sparseBackward: chunks((at, n) => sparseBackward(dw, db, dout, sparse, rowIds.subarray(at, at + n), scale, n, O, activeUnits, activeGrads)),
    denseBackward: chunks((at, n) => denseBackward(null, dw, db, dout, dense.subarray(at * I, (at + n) * I), w, n, I, O)),
  };

  // Same numbers first: forward outputs of the last chunk, and one pass of weight gradients.
  passes.sparseForward();
  const sparseOut = out.slice();
  passes.denseForward();
  const forwardDifference = maxRelativeDifference(sparseOut, out);
  dw.fill(0);
  passes.sparseBackward();
  const sparseDw = dw.slice();
  dw.fill(0);
  passes.denseBackward();
  const backwardDifference = maxRelativeDifference(sparseDw, dw);

  const timed = {};
  for (const [name, pass] of Object.entries(passes)) timed[name] = time(pass);
  results.push({
    inputs: I,
    hidden: O,
    order,
    rows: R,
    chunk,
    forwardDifference,
    backwardDifference,
    ...Object.fromEntries(Object.entries(timed).map(([name, t]) => [name, t.ms])),
  });
}

if (options.json) {
  process.stdout.write(JSON.stringify({ nonZeroPerRow, file: options.file, results }) + '\n');
} else {
  console.log(`First-layer kernels, ${R} rows of ${I} pixels (${fixed(nonZeroPerRow)} non-zero a row), ${chunk} rows a call:`);
  console.log('');
  console.log(renderKernelTable(results));
}

/** A TypeScript module with no imports (the test references), transpiled by the project's TypeScript and loaded. */
async function importTypeScript(path) {
  const { default: ts } = await import('typescript');
  const { outputText } = ts.transpileModule(readFileSync(path, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
  });
  return import(`data:text/javascript;base64,${Buffer.from(outputText).toString('base64')}`);
}
