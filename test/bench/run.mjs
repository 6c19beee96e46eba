/**
 * `npm run bench`: digits beside its references, in one run on the full Kaggle data, as a markdown table with
 * ratios. Printed on stdout and written to test/bench/results/latest.md (and latest.json, the raw figures).
 *
 *   seed     ms per full-batch iteration of the seed's 784-10-10 network on 41,000 rows:
 *            digits --preset seed (--threads 1 and 2) vs the numpy re-implementation (seed_numpy.py), the
 *            median of --runs rounds; beside them, as a yardstick, the same iteration in C (seed_native.c,
 *            built with cc in a scalar and a 128-bit SIMD flavour; left out when there is no C compiler)
 *   mlp      s per epoch of a 784-128-10 network, mini-batches of 128, Adam 0.001, 41,000 rows:
 *            digits vs TensorFlow.js 4.22 on its wasm backend, the median of --runs rounds, and its cpu
 *            backend, once (tfjs_mlp.mjs)
 *   load     whole-process wall time: digits predict test.csv and digits eval train.csv vs
 *            python3 -c "pandas.read_csv(file)"
 *   rss      peak RSS of one default-preset epoch of digits on train.csv vs the numpy seed
 *   kernels  kernels.bench.mjs: sparse vs dense first-layer kernels
 *
 * How it times: per-iteration and per-epoch figures are slopes of each program's own training clock (digits'
 * `elapsedSeconds` in its --json reports, the peers' `BENCH` lines) between a short and a long point of the
 * same run (iteration 20 and 120; epoch 1 and the last), so start-up, loading and warm-up cancel. Load figures
 * are wall times of whole, fresh processes (median of --runs after one warm-up run). Peak RSS is
 * /usr/bin/time's maximum resident set size (or VmHWM from /proc when it is missing).
 *
 * Not here: assertions. The table states figures beside their references; nothing fails on them.
 *
 * Usage: npm run bench [-- --only seed,mlp,load,rss,kernels] [--kernels wasm|js] [--data <dir>] [--runs 3] [--threads 1,2]
 *        [--seed-iterations 20,120] [--mlp-epochs 3] [--tf-cpu-epochs 2] [--rows <n>] [--install] [--no-build]
 *        [--keep]
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import { benchLines, fixed, jsonLines, median, renderKernelTable } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const digitsBin = join(root, 'bin', 'digits.js');
const sections = ['seed', 'mlp', 'load', 'rss', 'kernels'];

const { values: options } = parseArgs({
  options: {
    only: { type: 'string', default: sections.join(',') },
    data: { type: 'string' },
    runs: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1,2' },
    'seed-iterations': { type: 'string', default: '20,120' },
    'mlp-epochs': { type: 'string', default: '3' },
    'tf-cpu-epochs': { type: 'string', default: '2' },
    rows: { type: 'string' },
    kernels: { type: 'string', default: 'wasm' },
    install: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (options.help) {
  const source = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  process.stdout.write(source.slice(source.indexOf('/**') + 4, source.indexOf('*/')).replace(/^ \* ?/gm, '') + '\n');
  process.exit(0);
}

const only = new Set(options.only.split(',').map((s) => s.trim()).filter(Boolean));
for (const name of only) {
  if (!sections.includes(name)) fail(`--only: unknown section "${name}"; choose from ${sections.join(', ')}`);
}
const runs = positive(options.runs, '--runs');
const threadCounts = options.threads.split(',').map((s) => positive(s, '--threads'));
const [seedShort, seedLong] = options['seed-iterations'].split(',').map((s) => positive(s, '--seed-iterations'));
if (!(seedShort < seedLong) || seedShort % 10 !== 0 || seedLong % 10 !== 0) {
  fail('--seed-iterations wants two multiples of 10, short before long (reports come every 10 iterations)');
}
const mlpEpochs = positive(options['mlp-epochs'], '--mlp-epochs');
const tfCpuEpochs = positive(options['tf-cpu-epochs'], '--tf-cpu-epochs');
if (mlpEpochs < 2 || tfCpuEpochs < 2) fail('--mlp-epochs and --tf-cpu-epochs need 2 epochs at least (the first is warm-up)');
const subsetRows = options.rows === undefined ? null : positive(options.rows, '--rows');
if (!['wasm', 'js'].includes(options.kernels)) fail(`--kernels: expected wasm or js, got "${options.kernels}"`);
/** Every digits train, predict and eval below runs these kernels: the WebAssembly SIMD ones or the TypeScript ones. */
const kernelsArgs = ['--kernels', options.kernels];
const kernelsName = options.kernels === 'wasm' ? 'WebAssembly SIMD kernels' : 'TypeScript kernels';

function positive(text, name) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) fail(`${name}: expected a positive integer, got "${text}"`);
  return value;
}

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

const log = (line) => process.stderr.write(`${line}\n`);

// Processes -------------------------------------------------------------------------------------------------

const timeBinary = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/**
 * Runs a command to the end and returns its output, exit code, wall seconds and (with `rss`) peak resident set
 * size in bytes. Wall time runs from just before spawn to the close of its streams.
 */
async function run(command, args, { rss = false, cwd = root, env = process.env } = {}) {
  const tmp = rss && timeBinary ? join(work(), `time-${process.hrtime.bigint()}.txt`) : null;
  const [file, argv] = tmp ? [timeBinary, ['-f', '%M', '-o', tmp, command, ...args]] : [command, args];
  const started = performance.now();
  const child = spawn(file, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  let polledPeak = 0;
  const poll = rss && !tmp ? setInterval(() => (polledPeak = Math.max(polledPeak, vmHwm(child.pid))), 20) : null;
  const code = await new Promise((done, failed) => {
    child.on('error', failed);
    child.on('close', (status) => done(status));
  });
  const seconds = (performance.now() - started) / 1000;
  if (poll) clearInterval(poll);
  let peakBytes = null;
  if (tmp) {
    const kib = Number(readFileSync(tmp, 'utf8').trim().split('\n').at(-1));
    peakBytes = Number.isFinite(kib) ? kib * 1024 : null;
  } else if (rss) {
    peakBytes = polledPeak || null;
  }
  if (code !== 0) {
    const tail = (stderr || stdout).trim().split('\n').slice(-6).join('\n');
    throw new Error(`${[command, ...args].join(' ')} exited with ${code}:\n${tail}`);
  }
  return { stdout, stderr, seconds, peakBytes };
}

/** VmHWM (peak resident set) of a live process, in bytes; 0 when it cannot be read. */
function vmHwm(pid) {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const digits = (args, opts) => run(process.execPath, [digitsBin, ...args, ...kernelsArgs], opts);

// Set-up: build, tools, data --------------------------------------------------------------------------------

let workDir = null;
function work() {
  workDir ??= mkdtempSync(join(tmpdir(), 'digits-bench-'));
  return workDir;
}

function build() {
  if (options['no-build']) return;
  log('Building dist/ (tsc -p tsconfig.json; --no-build to skip)...');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) fail('the build failed; fix it or run with --no-build');
}

const aptPackages = ['python3-numpy', 'python3-pandas', 'time'];

/** A python3 that imports numpy and pandas: $BENCH_PYTHON, Debian's /usr/bin/python3, or python3 on PATH. */
function findPython() {
  const candidates = [process.env.BENCH_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean);
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import numpy, pandas; print(numpy.__version__, pandas.__version__)'], { encoding: 'utf8' });
    if (probe.status === 0) {
      const [numpy, pandas] = probe.stdout.trim().split(' ');
      return { python, numpy, pandas };
    }
  }
  return null;
}

function ensureTools() {
  let python = findPython();
  const missing = [];
  if (!python) missing.push('python3-numpy', 'python3-pandas');
  if (!timeBinary) missing.push('time');
  if (missing.length > 0 && options.install) {
    if (process.getuid?.() !== 0) fail(`--install needs root: run apt-get install -y ${aptPackages.join(' ')} as root`);
    log(`Installing ${aptPackages.join(', ')} from Debian...`);
    spawnSync('apt-get', ['update'], { stdio: 'inherit' });
    const installed = spawnSync('apt-get', ['install', '-y', ...aptPackages], { stdio: 'inherit' });
    if (installed.status !== 0) fail('apt-get install failed');
    python = findPython();
  }
  const needsPython = only.has('seed') || only.has('load') || only.has('rss');
  if (!python && needsPython) {
    fail(
      'numpy and pandas are needed for the references but no python3 here imports them.\n' +
        `  Install them from Debian:  apt-get install -y ${aptPackages.join(' ')}\n` +
        '  or, as root:              npm run bench -- --install\n' +
        '  (another interpreter:     BENCH_PYTHON=/path/to/python3 npm run bench)',
    );
  }
  if (!timeBinary) log('Note: /usr/bin/time is missing (apt-get install -y time); peak RSS comes from polling /proc/<pid>/status VmHWM.');
  const tfjs = join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist', 'tfjs-backend-wasm-simd.wasm');
  if (only.has('mlp') && !existsSync(tfjs)) {
    fail('TensorFlow.js is not installed: it is a devDependency, run `npm ci` (or `npm install`) in the repository first.');
  }
  return python;
}

/** The folder holding Kaggle's train/test CSV: --data, $DIGITS_DATA, or ../shared/data/digit-recognizer. */
function findDataFolder() {
  const candidates = [options.data, process.env.DIGITS_DATA, join(root, '..', 'shared', 'data', 'digit-recognizer')];
  // In a git worktree the repository's own root is where ../shared is relative to.
  const common = spawnSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], { cwd: root, encoding: 'utf8' });
  if (common.status === 0) candidates.push(join(dirname(common.stdout.trim()), '..', 'shared', 'data', 'digit-recognizer'));
  candidates.push(join(root, 'data'));
  for (const folder of candidates.filter(Boolean)) {
    if (dataFile(folder, 'train') && dataFile(folder, 'test')) return resolve(folder);
  }
  fail(
    "Kaggle's train.csv and test.csv (or .csv.gz) were not found in any of:\n" +
      candidates.filter(Boolean).map((c) => `  ${resolve(c)}`).join('\n') +
      '\nGive the folder with --data <dir> or DIGITS_DATA=<dir>.',
  );
}

function dataFile(folder, name) {
  for (const file of [`${name}.csv.gz`, `${name}.csv`]) if (existsSync(join(folder, file))) return join(folder, file);
  return null;
}

/** Plain CSV copies in the work folder (unpacked; the first --rows rows only, with --rows). */
async function prepareData(folder) {
  const out = {};
  for (const name of ['train', 'test']) {
    const source = dataFile(folder, name);
    const target = join(work(), `${name}.csv`);
    const started = performance.now();
    const head = Buffer.alloc(2);
    const fd = openSync(source, 'r');
    readSync(fd, head, 0, 2, 0);
    closeSync(fd);
    const input = createReadStream(source);
    const plain = head[0] === 0x1f && head[1] === 0x8b ? input.pipe(createGunzip()) : input;
    if (subsetRows === null) {
      await pipeline(plain, createWriteStream(target));
    } else {
      const lines = createInterface({ input: plain, crlfDelay: Infinity });
      const chunks = [];
      for await (const line of lines) {
        chunks.push(line);
        if (chunks.length > subsetRows) break;
      }
      writeFileSync(target, chunks.join('\n') + '\n');
      input.destroy();
    }
    out[name] = target;
    out[`${name}Rows`] = dataRows(target);
    log(`Unpacked ${source} to ${target} in ${fixed((performance.now() - started) / 1000)} s.`);
  }
  return out;
}

/** Data rows of a CSV file: its lines, less the header (a missing final newline counted). */
function dataRows(path) {
  const bytes = readFileSync(path);
  let lines = 0;
  for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) lines++;
  if (bytes.length > 0 && bytes[bytes.length - 1] !== 10) lines++;
  return lines - 1;
}

// Measurements ----------------------------------------------------------------------------------------------

/** Slope (seconds per unit) between the points nearest to x = a and x = b of a list of { x, seconds }. */
function slope(points, a, b) {
  const nearest = (x) => points.reduce((best, p) => (Math.abs(p.x - x) < Math.abs(best.x - x) ? p : best));
  const p = nearest(a);
  const q = nearest(b);
  if (p.x === q.x) throw new Error(`not enough report points for a slope between ${a} and ${b}`);
  return { perUnit: (q.seconds - p.seconds) / (q.x - p.x), from: p, to: q };
}

const mb = (bytes) => (bytes === null ? null : bytes / 1e6);

/**
 * The run whose `key` figure is the median of `rounds` (of an even count, the lower of the two middle ones), with
 * every round's figure in `all`.
 */
function medianRun(rounds, key = 'msPerIteration') {
  const sorted = [...rounds].sort((a, b) => a[key] - b[key]);
  return { ...sorted[(sorted.length - 1) >> 1], all: rounds.map((r) => r[key]) };
}

async function seedDigits(files, threads) {
  const out = join(work(), `model-seed-${threads}.json`);
  const r = await digits(
    ['train', files.train, '--preset', 'seed', '--iterations', String(seedLong), '--json', '--threads', String(threads), '--out', out],
    { rss: true },
  );
  const events = jsonLines(r.stdout);
  const points = events.filter((e) => e.kind === 'iteration').map((e) => ({ x: e.iteration, seconds: e.elapsedSeconds }));
  const summary = events.find((e) => e.event === 'summary');
  const s = slope(points, seedShort, seedLong);
  return {
    msPerIteration: s.perUnit * 1000,
    trainRows: events.find((e) => e.event === 'start')?.trainRows ?? null,
    slope: s,
    heldOutAccuracy: summary?.heldOutAccuracy ?? null,
    loadSeconds: summary?.loadSeconds ?? null,
    trainSeconds: summary?.trainSeconds ?? null,
    wallSeconds: r.seconds,
    peakMB: mb(r.peakBytes),
  };
}

/**
 * Slope of a seed reference's `BENCH {"event": "iteration", "iterations": n, "seconds": t}` lines (seed_numpy.py,
 * seed_native.c). Like the seed, they report after iteration i when i % 10 == 0 (0-based), i.e. after 1, 11, 21,
 * ... steps, hence the + 1.
 */
function seedReferenceSlope(events) {
  const points = events.filter((e) => e.event === 'iteration').map((e) => ({ x: e.iterations, seconds: e.seconds }));
  return slope(points, seedShort + 1, seedLong + 1);
}

async function seedNumpy(files, python) {
  const r = await run(python.python, [join(here, 'seed_numpy.py'), files.train, '--iterations', String(seedLong + 1)], { rss: true });
  const events = benchLines(r.stderr);
  const s = seedReferenceSlope(events);
  const loaded = events.find((e) => e.event === 'loaded');
  return {
    msPerIteration: s.perUnit * 1000,
    trainRows: loaded?.train_rows ?? null,
    slope: s,
    heldOutAccuracy: events.find((e) => e.event === 'held-out')?.accuracy ?? null,
    loadSeconds: loaded?.seconds ?? null,
    blas: loaded?.blas ?? [],
    wallSeconds: r.seconds,
    peakMB: mb(r.peakBytes),
  };
}

/**
 * seed_native.c's two builds (see its header): `scalar`, one double operation at a time as V8 runs digits'
 * loops, and `simd128`, two at a time as WebAssembly's SIMD would.
 */
const nativeBuilds = {
  scalar: ['-O2', '-fno-tree-vectorize', '-fno-tree-slp-vectorize', '-ffp-contract=off'],
  simd128: ['-O3', '-mno-avx', '-ffp-contract=off'],
};

/** The builds that compiled, by name, and the compiler's name; null, with the reason logged, when none did. */
function buildNative() {
  const compiler = ['cc', 'gcc'].find((name) => spawnSync(name, ['--version'], { encoding: 'utf8' }).status === 0);
  if (!compiler) {
    log('seed: no C compiler (cc or gcc): the native yardstick is left out (apt-get install -y gcc).');
    return null;
  }
  const version = spawnSync(compiler, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  const binaries = {};
  for (const [name, flags] of Object.entries(nativeBuilds)) {
    const binary = join(work(), `seed_native_${name}`);
    const built = spawnSync(compiler, [...flags, '-pthread', '-o', binary, join(here, 'seed_native.c'), '-lm'], { encoding: 'utf8' });
    if (built.status !== 0) {
      log(`seed: building seed_native.c (${name}) failed; that build is left out:\n${built.stderr.trim()}`);
      continue;
    }
    binaries[name] = binary;
  }
  return Object.keys(binaries).length > 0 ? { compiler: version, binaries } : null;
}

async function seedNative(files, binary, threads) {
  const r = await run(binary, [files.train, '--iterations', String(seedLong + 1), '--threads', String(threads)]);
  const events = benchLines(r.stderr);
  const s = seedReferenceSlope(events);
  return { msPerIteration: s.perUnit * 1000, slope: s, trainRows: events.find((e) => e.event === 'loaded')?.train_rows ?? null };
}

/**
 * --runs rounds, each running every program once in turn (digits at each thread count, numpy, the native
 * builds), so that a slow spell of the machine falls on all of them; each figure is its program's median round.
 */
async function benchSeed(files, python) {
  const native = buildNative();
  const rounds = { digits: {}, numpy: [], native: {} };
  for (const threads of threadCounts) rounds.digits[threads] = [];
  for (const name of Object.keys(native?.binaries ?? {})) {
    rounds.native[name] = {};
    for (const threads of threadCounts) rounds.native[name][threads] = [];
  }
  for (let round = 1; round <= runs; round++) {
    for (const threads of threadCounts) {
      log(`seed, round ${round} of ${runs}: digits --preset seed --iterations ${seedLong} --threads ${threads}...`);
      const d = await seedDigits(files, threads);
      rounds.digits[threads].push(d);
      log(`  ${fixed(d.msPerIteration)} ms/iteration (wall ${fixed(d.wallSeconds)} s)`);
    }
    log(`seed, round ${round} of ${runs}: numpy seed_numpy.py --iterations ${seedLong + 1}...`);
    const n = await seedNumpy(files, python);
    rounds.numpy.push(n);
    log(`  ${fixed(n.msPerIteration)} ms/iteration (wall ${fixed(n.wallSeconds)} s)`);
    for (const [name, binary] of Object.entries(native?.binaries ?? {})) {
      try {
        for (const threads of threadCounts) {
          const c = await seedNative(files, binary, threads);
          rounds.native[name][threads].push(c);
          log(`  native ${name}, ${threads} thread(s): ${fixed(c.msPerIteration)} ms/iteration`);
        }
      } catch (error) {
        // A yardstick, not a measurement the table needs: a failed build is left out, the rest goes on.
        log(`  native ${name} failed, and is left out: ${error.message ?? error}`);
        delete native.binaries[name];
        delete rounds.native[name];
      }
    }
  }
  const result = { digits: {}, numpy: medianRun(rounds.numpy), native: native && Object.keys(rounds.native).length > 0 ? { compiler: native.compiler, builds: {} } : null };
  for (const threads of threadCounts) result.digits[threads] = medianRun(rounds.digits[threads]);
  for (const [name, byThreads] of Object.entries(rounds.native)) {
    result.native.builds[name] = {};
    for (const threads of threadCounts) result.native.builds[name][threads] = medianRun(byThreads[threads]);
  }
  return result;
}

async function mlpDigits(files, threads) {
  const r = await digits([
    'train', files.train, '--hidden', '128', '--batch-size', '128', '--epochs', String(mlpEpochs),
    '--optimizer', 'adam', '--lr', '0.001', '--schedule', 'constant', '--weight-decay', '0', '--holdout', '1000',
    // The same work as TensorFlow.js's model.fit on the same pixels: no augmentation, no deskewing.
    '--no-augment', '--no-deskew', '--json', '--threads', String(threads), '--out', join(work(), `model-mlp-${threads}.json`),
  ]);
  const events = jsonLines(r.stdout);
  const epochs = events.filter((e) => e.kind === 'epoch');
  const s = slope(epochs.map((e) => ({ x: Math.round(e.epoch), seconds: e.elapsedSeconds })), 1, mlpEpochs);
  return {
    secondsPerEpoch: s.perUnit,
    trainRows: events.find((e) => e.event === 'start')?.trainRows ?? null,
    slope: s,
    heldOutAccuracy: epochs.at(-1)?.heldOutAccuracy ?? null,
    wallSeconds: r.seconds,
  };
}

async function mlpTensorFlow(files, backend, epochCount) {
  const r = await run(process.execPath, [join(here, 'tfjs_mlp.mjs'), files.train, '--backend', backend, '--epochs', String(epochCount)]);
  const events = benchLines(r.stderr);
  const start = events.find((e) => e.event === 'start');
  const epochs = events.filter((e) => e.event === 'epoch');
  const s = slope(epochs.map((e) => ({ x: e.epoch, seconds: e.seconds })), 1, epochCount);
  return {
    secondsPerEpoch: s.perUnit,
    trainRows: start?.trainRows ?? null,
    slope: s,
    threads: start?.threads ?? null,
    simd: start?.simd ?? null,
    heldOutAccuracy: epochs.at(-1)?.heldOutAccuracy ?? null,
    wallSeconds: r.seconds,
  };
}

/**
 * Like the seed section, --runs rounds of digits (each thread count) and TensorFlow.js's wasm backend, each
 * figure its program's median round; the cpu backend, slow and only for context, runs once at the end.
 */
async function benchMlp(files) {
  const rounds = { digits: {}, wasm: [] };
  for (const threads of threadCounts) rounds.digits[threads] = [];
  let wasmError = null;
  for (let round = 1; round <= runs; round++) {
    for (const threads of threadCounts) {
      log(`mlp, round ${round} of ${runs}: digits --hidden 128 --batch-size 128 --epochs ${mlpEpochs} --threads ${threads}...`);
      const d = await mlpDigits(files, threads);
      rounds.digits[threads].push(d);
      log(`  ${fixed(d.secondsPerEpoch)} s/epoch (wall ${fixed(d.wallSeconds)} s)`);
    }
    if (wasmError) continue;
    log(`mlp, round ${round} of ${runs}: TensorFlow.js wasm backend, ${mlpEpochs} epochs...`);
    try {
      const t = await mlpTensorFlow(files, 'wasm', mlpEpochs);
      rounds.wasm.push(t);
      log(`  ${fixed(t.secondsPerEpoch)} s/epoch (wall ${fixed(t.wallSeconds)} s)`);
    } catch (error) {
      wasmError = String(error.message ?? error);
      log(`  failed: ${wasmError}`);
    }
  }
  const result = { digits: {}, tfjs: { wasm: wasmError ? { error: wasmError } : medianRun(rounds.wasm, 'secondsPerEpoch') } };
  for (const threads of threadCounts) result.digits[threads] = medianRun(rounds.digits[threads], 'secondsPerEpoch');
  log(`mlp: TensorFlow.js cpu backend, ${tfCpuEpochs} epochs (once)...`);
  try {
    result.tfjs.cpu = await mlpTensorFlow(files, 'cpu', tfCpuEpochs);
    log(`  ${fixed(result.tfjs.cpu.secondsPerEpoch)} s/epoch (wall ${fixed(result.tfjs.cpu.wallSeconds)} s)`);
  } catch (error) {
    result.tfjs.cpu = { error: String(error.message ?? error) };
    log(`  failed: ${result.tfjs.cpu.error}`);
  }
  return result;
}

/** Median wall seconds of `runs` fresh processes, after one warm-up run that puts the file in the page cache. */
async function wallTimes(label, command, args) {
  log(`load: ${label} (1 warm-up + ${runs} runs)...`);
  await run(command, args);
  const seconds = [];
  for (let k = 0; k < runs; k++) seconds.push((await run(command, args)).seconds);
  log(`  median ${fixed(median(seconds))} s of ${seconds.map((s) => fixed(s)).join(', ')}`);
  return { median: median(seconds), all: seconds };
}

async function benchLoad(files, python) {
  log('load: training a default-architecture model on the bundled sample for predict/eval (not timed)...');
  const model = join(work(), 'model-load.json');
  const trained = await digits(['train', join(root, 'data', 'sample', 'train.csv.gz'), '--epochs', '1', '--json', '--out', model]);
  const config = jsonLines(trained.stdout).find((e) => e.event === 'start')?.config;
  const readCsv = (file) => [python.python, ['-c', 'import sys, pandas; pandas.read_csv(sys.argv[1])', file]];
  return {
    modelShape: config ? `784-${config.hiddenSize}-10` : 'default-preset',
    predictTest: await wallTimes('digits predict test.csv', process.execPath, [digitsBin, 'predict', files.test, '--model', model, '--out', join(work(), 'submission.csv'), ...kernelsArgs]),
    pandasTest: await wallTimes('pandas.read_csv(test.csv)', ...readCsv(files.test)),
    evalTrain: await wallTimes('digits eval train.csv', process.execPath, [digitsBin, 'eval', files.train, '--model', model, '--json', ...kernelsArgs]),
    pandasTrain: await wallTimes('pandas.read_csv(train.csv)', ...readCsv(files.train)),
  };
}

async function benchRss(files, python, seed) {
  log('rss: digits train train.csv --epochs 1 (default preset, default threads)...');
  const r = await digits(['train', files.train, '--epochs', '1', '--json', '--out', join(work(), 'model-rss.json')], { rss: true });
  const events = jsonLines(r.stdout);
  const summary = events.find((e) => e.event === 'summary');
  const start = events.find((e) => e.event === 'start');
  const digitsResult = { config: start?.config ?? null, trainRows: start?.trainRows ?? null, threads: start?.threads ?? null, peakMB: mb(r.peakBytes), wallSeconds: r.seconds, trainSeconds: summary?.trainSeconds ?? null, heldOutAccuracy: summary?.heldOutAccuracy ?? null };
  log(`  ${fixed(digitsResult.peakMB)} MB peak`);
  let numpy = seed?.numpy ? { peakMB: seed.numpy.peakMB, from: `the seed section's run (${seedLong + 1} iterations)` } : null;
  if (!numpy) {
    log('rss: numpy seed, 1 iteration...');
    const n = await run(python.python, [join(here, 'seed_numpy.py'), files.train, '--iterations', '1'], { rss: true });
    numpy = { peakMB: mb(n.peakBytes), from: 'a 1-iteration run' };
    log(`  ${fixed(numpy.peakMB)} MB peak`);
  }
  return { digits: digitsResult, numpy };
}

async function benchKernels(files) {
  log('kernels: kernels.bench.mjs on train.csv...');
  const r = await run(process.execPath, [join(here, 'kernels.bench.mjs'), '--file', files.train, '--json', '--min-ms', '0']);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

// Report ----------------------------------------------------------------------------------------------------

const count = (n) => (n === null || n === undefined ? '?' : n.toLocaleString('en-US'));

/** The default preset as the run reported it, e.g. "784-256-10, batch 64, nesterov, augmented, 37,800 rows, 2 threads". */
function describeConfig({ config, trainRows, threads }) {
  if (!config) return 'default preset';
  return (
    `default preset: 784-${config.hiddenSize}-10, batch ${config.batchSize}, ${config.optimizer}` +
    `${config.augment ? ', augmented' : ''}, ${count(trainRows)} rows trained, ${threads} thread${threads === 1 ? '' : 's'}`
  );
}

function render(results, context) {
  const lines = [];
  const { seed, mlp, load, rss, kernels, files } = results;
  lines.push(`# digits benchmark`, '');
  lines.push(
    `${context.date}; \`npm run bench${context.argv.length ? ' -- ' + context.argv.join(' ') : ''}\`; ${context.cpu}, ${context.cores} cores, ` +
      `${context.memoryGB} GB; Node ${process.version}` +
      (context.python ? `; numpy ${context.python.numpy}, pandas ${context.python.pandas} (${context.python.python})` : '') +
      `. digits runs its ${kernelsName} (\`--kernels ${options.kernels}\`). Load average ${context.loadBefore} before, ${context.loadAfter} after (2 cores: above 2 means the figures shared the CPU).`,
  );
  if (subsetRows !== null) lines.push('', `**Subset run: the first ${subsetRows} rows of each file only; not comparable with full runs.**`);
  lines.push('');
  lines.push('| Measure | digits | Reference | digits ÷ reference |');
  lines.push('|---|---:|---|---:|');
  if (seed) {
    for (const threads of threadCounts) {
      const d = seed.digits[threads];
      const ratio = d.msPerIteration / seed.numpy.msPerIteration;
      lines.push(
        `| Seed workload (784-10-10, full batch, ${count(d.trainRows)} rows), ms / iteration, ${threads} thread${threads === 1 ? '' : 's'} | ${fixed(d.msPerIteration)} ` +
          `| numpy + OpenBLAS: ${fixed(seed.numpy.msPerIteration)} | ${fixed(ratio, 2)} |`,
      );
    }
  }
  if (mlp) {
    const wasm = mlp.tfjs.wasm;
    const cpu = mlp.tfjs.cpu;
    const wasmName = wasm?.secondsPerEpoch ? `TF.js wasm (${wasm.simd ? 'SIMD, ' : ''}${wasm.threads} thread${wasm.threads === 1 ? '' : 's'}): ${fixed(wasm.secondsPerEpoch)}` : `TF.js wasm: failed`;
    for (const threads of threadCounts) {
      const d = mlp.digits[threads];
      const ratio = wasm?.secondsPerEpoch ? d.secondsPerEpoch / wasm.secondsPerEpoch : null;
      lines.push(
        `| 784-128-10, batch 128, Adam: s / epoch (${count(d.trainRows)} rows), ${threads} thread${threads === 1 ? '' : 's'} | ${fixed(d.secondsPerEpoch)} ` +
          `| ${wasmName} | ${fixed(ratio, 2)} |`,
      );
    }
    const best = Math.max(...threadCounts);
    const d = mlp.digits[best];
    const ratio = cpu?.secondsPerEpoch ? d.secondsPerEpoch / cpu.secondsPerEpoch : null;
    lines.push(
      `| 784-128-10, same, ${best} thread${best === 1 ? '' : 's'} | ${fixed(d.secondsPerEpoch)} | ${cpu?.secondsPerEpoch ? `TF.js cpu (pure JS): ${fixed(cpu.secondsPerEpoch)}` : 'TF.js cpu: failed'} ` +
        `| ${fixed(ratio, 2)} |`,
    );
  }
  if (load) {
    const ratioTest = load.predictTest.median / load.pandasTest.median;
    const ratioTrain = load.evalTrain.median / load.pandasTrain.median;
    lines.push(
      `| \`digits predict test.csv\` (${count(files?.testRows)} rows: start, parse, predict, write), s wall | ${fixed(load.predictTest.median)} ` +
        `| \`pandas.read_csv(test.csv)\`, whole python3: ${fixed(load.pandasTest.median)} | ${fixed(ratioTest, 2)} |`,
    );
    lines.push(
      `| \`digits eval train.csv\` (${count(files?.trainRows)} rows: start, parse, predict, score), s wall | ${fixed(load.evalTrain.median)} ` +
        `| \`pandas.read_csv(train.csv)\`, whole python3: ${fixed(load.pandasTrain.median)} | ${fixed(ratioTrain, 2)} |`,
    );
  }
  if (rss) {
    const ratio = rss.digits.peakMB / rss.numpy.peakMB;
    lines.push(
      `| Peak RSS, one default-preset epoch on train.csv, MB | ${fixed(rss.digits.peakMB)} | numpy seed: ${fixed(rss.numpy.peakMB)} | ${fixed(ratio, 2)} |`,
    );
  }
  if (seed?.native) {
    const builds = seed.native.builds;
    lines.push(
      '',
      `Yardstick: the same iteration in C (\`test/bench/seed_native.c\`: digits' sparse rows and loops, ${seed.native.compiler}), ms / iteration, ` +
        `beside numpy's ${fixed(seed.numpy.msPerIteration)}. The scalar build does one double operation at a time, as V8 does with digits' TypeScript kernels; ` +
        `the simd128 build two at a time, as its WebAssembly SIMD kernels do. Median of ${runs} round${runs === 1 ? '' : 's'}:`,
      '',
    );
    lines.push(`| Build | ${threadCounts.map((t) => `${t} thread${t === 1 ? '' : 's'} | ÷ numpy`).join(' | ')} |`);
    lines.push(`|---|${threadCounts.map(() => '---:|---:').join('|')}|`);
    const row = (label, figures) =>
      lines.push(`| ${label} | ${threadCounts.map((t) => `${fixed(figures[t].msPerIteration)} | ${fixed(figures[t].msPerIteration / seed.numpy.msPerIteration, 2)}`).join(' | ')} |`);
    row(`digits (${kernelsName})`, seed.digits);
    for (const [name, figures] of Object.entries(builds)) row(`C ${name} (\`${nativeBuilds[name].join(' ')}\`)`, figures);
  }
  if (kernels) {
    lines.push('', `First-layer kernels (\`node test/bench/kernels.bench.mjs\`), ms per pass over ${kernels.results[0]?.rows} real rows ` +
      `(${fixed(kernels.nonZeroPerRow)} non-zero pixels a row) in training's row order, 1 thread, median of repeated passes:`, '');
    lines.push(renderKernelTable(kernels.results));
  }
  lines.push('', '<details><summary>How these were measured, and the raw figures</summary>', '');
  if (seed) {
    for (const threads of threadCounts) {
      const d = seed.digits[threads];
      lines.push(
        `- digits seed, ${threads} thread(s): \`digits train train.csv --preset seed --iterations ${seedLong} --json --threads ${threads}\`; ` +
          `rounds: ${d.all.map((ms) => fixed(ms)).join(', ')} ms/iteration; the median round: ` +
          `slope of the reports' \`elapsedSeconds\` from iteration ${d.slope.from.x} (${fixed(d.slope.from.seconds)} s) to ${d.slope.to.x} (${fixed(d.slope.to.seconds)} s); ` +
          `held-out accuracy ${fixed(d.heldOutAccuracy * 100)}%; loading ${fixed(d.loadSeconds)} s in process; ${fixed(d.wallSeconds)} s wall; peak ${fixed(d.peakMB)} MB.`,
      );
    }
    const n = seed.numpy;
    lines.push(
      `- numpy seed: \`python3 test/bench/seed_numpy.py train.csv --iterations ${seedLong + 1}\` (pandas load, shuffle, X/255, rand-0.5 init, full-batch GD, alpha 0.1); ` +
        `rounds: ${n.all.map((ms) => fixed(ms)).join(', ')} ms/iteration; the median round: slope of its own perf_counter clock from ${n.slope.from.x} steps (${fixed(n.slope.from.seconds)} s) to ${n.slope.to.x} (${fixed(n.slope.to.seconds)} s); ` +
        `held-out accuracy ${fixed(n.heldOutAccuracy * 100)}%; loading ${fixed(n.loadSeconds)} s; ${fixed(n.wallSeconds)} s wall; peak ${fixed(n.peakMB)} MB; ` +
        `BLAS: ${n.blas.map((p) => p.split('/').pop()).join(', ') || 'unknown'} (OpenBLAS uses every core).`,
    );
  }
  if (mlp) {
    for (const threads of threadCounts) {
      const d = mlp.digits[threads];
      lines.push(
        `- digits 784-128-10, ${threads} thread(s): \`digits train train.csv --hidden 128 --batch-size 128 --epochs ${mlpEpochs} --optimizer adam --lr 0.001 ` +
          `--schedule constant --weight-decay 0 --holdout 1000 --no-augment --no-deskew --json --threads ${threads}\`; rounds: ${d.all.map((t) => fixed(t)).join(', ')} s/epoch; the median round: slope of the epoch reports' \`elapsedSeconds\`, epoch ${d.slope.from.x} to ${d.slope.to.x}; ` +
          `held-out accuracy ${fixed(d.heldOutAccuracy * 100)}% after ${mlpEpochs} epochs; ${fixed(d.wallSeconds)} s wall.`,
      );
    }
    for (const [backend, t] of Object.entries(mlp.tfjs)) {
      if (t.error) {
        lines.push(`- TensorFlow.js ${backend}: failed: ${t.error.split('\n')[0]}`);
        continue;
      }
      lines.push(
        `- TensorFlow.js 4.22 ${backend} (\`node test/bench/tfjs_mlp.mjs train.csv --backend ${backend} --epochs ${t.slope.to.x}\`): tfjs-layers dense(128, relu) + dense(10, softmax), ` +
          `Adam 0.001, batch 128, the same number of rows (${count(t.trainRows)} trained, 1,000 held out; its own seeded shuffle), float32; ${t.all ? `rounds: ${t.all.map((x) => fixed(x)).join(', ')} s/epoch; the median round: ` : 'one run: '}slope of onEpochEnd times, epoch ${t.slope.from.x} to ${t.slope.to.x}; ` +
          `held-out accuracy ${fixed(t.heldOutAccuracy * 100)}%; ${t.threads} thread(s)${backend === 'wasm' ? `, SIMD ${t.simd ? 'on' : 'off'}` : ''}; ${fixed(t.wallSeconds)} s wall.`,
      );
    }
    lines.push(
      '- TensorFlow.js wasm threads: not available in Node. tfjs-backend-wasm 4.22 reports WASM_HAS_MULTITHREAD_SUPPORT = false under Node ' +
        '(tensorflow/tfjs#3830), and forcing the flag fails (Node\'s Worker refuses the blob: URL the threaded build uses), so its figure is single-threaded SIMD.',
    );
  }
  if (load) {
    const all = (t) => t.all.map((s) => fixed(s)).join(', ');
    lines.push(
      `- Load: median of ${runs} fresh processes after one warm-up (page cache warm for all). predict uses a ${load.modelShape} model (the default preset's shape) ` +
        `and writes with --out. predict test.csv: ${all(load.predictTest)} s; pandas test.csv: ${all(load.pandasTest)} s; ` +
        `eval train.csv: ${all(load.evalTrain)} s; pandas train.csv: ${all(load.pandasTrain)} s.`,
    );
  }
  if (rss) {
    lines.push(
      `- Peak RSS: ${timeBinary ? "/usr/bin/time's maximum resident set size" : 'VmHWM polled from /proc'} of the whole process, in MB (10^6 bytes). ` +
        `digits: \`digits train train.csv --epochs 1\` (${describeConfig(rss.digits)}), ${fixed(rss.digits.trainSeconds)} s training, ` +
        `held-out ${fixed((rss.digits.heldOutAccuracy ?? NaN) * 100)}%. numpy seed: from ${rss.numpy.from}; its peak comes in the first iteration.`,
    );
  }
  lines.push('', '</details>', '');
  return lines.join('\n');
}

// Main ------------------------------------------------------------------------------------------------------

const startedAt = performance.now();
build();
const python = ensureTools();
const dataFolder = findDataFolder();
const context = {
  date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  argv: process.argv.slice(2),
  cpu: cpus()[0]?.model ?? 'unknown CPU',
  cores: availableParallelism(),
  memoryGB: Math.round(totalmem() / 1e9),
  python,
  loadBefore: loadavg()[0].toFixed(1),
  loadAfter: null,
};
const results = {};
try {
  const files = await prepareData(dataFolder);
  results.files = { trainRows: files.trainRows, testRows: files.testRows, from: dataFolder };
  // Sections one after another: never two measurements at once.
  if (only.has('seed')) results.seed = await benchSeed(files, python);
  if (only.has('mlp')) results.mlp = await benchMlp(files);
  if (only.has('load')) results.load = await benchLoad(files, python);
  if (only.has('rss')) results.rss = await benchRss(files, python, results.seed);
  if (only.has('kernels')) results.kernels = await benchKernels(files);
} catch (error) {
  log(`bench: ${error.message ?? error}`);
  process.exitCode = 1;
} finally {
  if (workDir && !options.keep) rmSync(workDir, { recursive: true, force: true });
  else if (workDir) log(`Kept the work folder ${workDir}.`);
}
context.loadAfter = loadavg()[0].toFixed(1);

const markdown = render(results, context);
process.stdout.write(markdown);
const resultsDir = join(here, 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'latest.md'), markdown);
writeFileSync(join(resultsDir, 'latest.json'), JSON.stringify({ context, options, results }, null, 2) + '\n');
log(`Written to ${join('test', 'bench', 'results', 'latest.md')} (raw figures: latest.json) in ${fixed((performance.now() - startedAt) / 1000)} s.`);
