/**
 * The worker-thread engine (src/nn/threads.ts) on real sample rows: its gradient against the single-threaded
 * engine's (the same sums in another order, so within a stated tolerance), and its training step, whose adding
 * up and optimizer update are shared out among the threads, bit for bit against the same thread count's
 * gradient() followed by optimizerStep() on one thread. predict(), on one thread or several, gives exactly the
 * probabilities of the plain forward pass at the current parameters (held-out scores are eval's). On the
 * WebAssembly kernels, both are bit for bit those of the TypeScript kernels on as many threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toSparseRows, type SparseRows } from '../../src/data/dataset.js';
import { chunkRows, gradientInSlices, LocalEngine } from '../../src/nn/engine.js';
import { createParameters, initialise, weightRanges, Workspace, type NetworkShape } from '../../src/nn/network.js';
import { optimizerStep, type OptimizerName, type OptimizerSettings } from '../../src/nn/optimizers.js';
import { Random } from '../../src/data/random.js';
import { ThreadEngine } from '../../src/nn/threads.js';
import { sharedArrays } from '../../src/data/arrays.js';
import { wasmBackend } from '../../src/nn/backend.js';
import { buildIfStale } from '../helpers/cli-process.js';
import { readSampleRows, sampleTrainPath } from '../helpers/sample-rows.js';
import { plainForward } from './plainForward.js';

const shape: NetworkShape = { inputSize: 784, hiddenSize: 24, classCount: 10 };
let input: SparseRows;
let labels: Uint8Array;
const batch = Uint32Array.from({ length: 150 }, (_, r) => r * 2 + 1);

beforeAll(() => {
  // The workers run the compiled worker script.
  buildIfStale();
  const sample = readSampleRows(sampleTrainPath, 400);
  input = toSparseRows(sample.pixels, sample.rows, sample.features, sharedArrays);
  labels = sharedArrays.u8(sample.rows);
  labels.set(sample.labels!);
}, 120_000);

function startingWeights(): ReturnType<typeof createParameters> {
  const params = createParameters(shape);
  initialise(params, 'he', new Random(5));
  return params;
}

const engines: ThreadEngine[] = [];
afterAll(async () => {
  await Promise.all(engines.map((engine) => engine.close()));
});

async function threadEngine(threads: number): Promise<ThreadEngine> {
  const engine = await ThreadEngine.start(shape, startingWeights(), { inputs: [input], labels: [labels], maxRows: 400 }, threads);
  engines.push(engine);
  return engine;
}

describe('ThreadEngine', () => {
  it.each([2, 3])('gradient() on %i threads: the single-threaded gradient within 1e-12 relative, and the same twice', async (threads) => {
    const local = new LocalEngine(shape, startingWeights());
    const expected = local.gradient(input, labels, batch, batch.length);
    const engine = await threadEngine(threads);
    const got = engine.gradient(input, labels, batch, batch.length);
    expect(got.correct).toBe(expected.correct);
    expect(got.lossSum).toBeCloseTo(expected.lossSum, 10);
    const scale = Math.max(...local.grads.data.map(Math.abs));
    for (let k = 0; k < local.grads.data.length; k++) {
      expect(Math.abs(engine.grads.data[k]! - local.grads.data[k]!)).toBeLessThanOrEqual(1e-12 * scale);
    }
    const first = engine.grads.data.slice();
    engine.gradient(input, labels, batch, batch.length);
    expect(Array.from(engine.grads.data)).toEqual(Array.from(first));

    // Exactly: each thread's slice of the rows on its own, the slices' gradients then added in thread order.
    const params = startingWeights();
    const sum = new Float64Array(params.data.length);
    for (let t = 0; t < threads; t++) {
      const slice = createParameters(shape);
      const [start, end] = [t, t + 1].map((k) => Math.round((k * batch.length) / threads));
      gradientInSlices(params, slice, new Workspace(shape, chunkRows), input, labels, batch, start!, end!, 1 / batch.length);
      for (let k = 0; k < sum.length; k++) sum[k]! += slice.data[k]!;
    }
    expect(Array.from(first)).toEqual(Array.from(sum));
  });

  const optimizers: Array<[OptimizerName, OptimizerSettings]> = [
    ['sgd', { name: 'sgd', momentum: 0, beta2: 0, weightDecay: 0.01 }],
    ['nesterov', { name: 'nesterov', momentum: 0.9, beta2: 0, weightDecay: 5e-4 }],
    ['adam', { name: 'adam', momentum: 0.9, beta2: 0.999, weightDecay: 0.02 }],
  ];
  it.each(optimizers.flatMap(([name, settings]) => [2, 3].map((threads) => [name, threads, settings] as const)))(
    'trainStep (%s, %i threads): bit for bit gradient() then optimizerStep() on one thread, over several steps',
    async (name, threads, settings) => {
      const stepping = await threadEngine(threads);
      const reference = await threadEngine(threads);
      const state = stepping.optimizerState(name, null);
      const referenceState = reference.optimizerState(name, null);
      const decayRanges = weightRanges(shape);
      for (let step = 0; step < 4; step++) {
        const rows = batch.subarray(step * 30, step * 30 + 60);
        const lr = 0.05 / (step + 1);
        const got = stepping.trainStep(input, labels, rows, rows.length, { settings, state, lr, decayRanges });
        const expected = reference.gradient(input, labels, rows, rows.length);
        optimizerStep(settings, referenceState, reference.params.data, reference.grads.data, lr, decayRanges);
        expect(got).toEqual(expected);
      }
      expect(state.step).toBe(4);
      expect(Array.from(stepping.params.data)).toEqual(Array.from(reference.params.data));
      expect(Array.from(state.first)).toEqual(Array.from(referenceState.first));
      expect(Array.from(state.second)).toEqual(Array.from(referenceState.second));
      // The weights did move.
      expect(Array.from(stepping.params.data)).not.toEqual(Array.from(startingWeights().data));
    },
  );

  it('optimizerState(from) starts from a resumed run\'s state, and trainStep refuses a state of its own making', async () => {
    const engine = await threadEngine(2);
    const fresh = engine.optimizerState('adam', null);
    fresh.first.fill(0.5);
    fresh.step = 7;
    const resumed = engine.optimizerState('adam', fresh);
    expect(resumed.step).toBe(7);
    expect(resumed.first).not.toBe(fresh.first);
    expect(Array.from(resumed.first)).toEqual(Array.from(fresh.first));
    const settings: OptimizerSettings = { name: 'adam', momentum: 0.9, beta2: 0.999, weightDecay: 0 };
    expect(() =>
      engine.trainStep(input, labels, batch, batch.length, { settings, state: fresh, lr: 0.01, decayRanges: weightRanges(shape) }),
    ).toThrow('the optimizer state must come from optimizerState()');
  });
});

describe('predict()', () => {
  it.each([1, 2, 3])('on %i threads: the plain forward pass bit for bit, before and after the parameters move', async (threads) => {
    const engine = threads === 1 ? new LocalEngine(shape, startingWeights()) : await threadEngine(threads);
    const settings: OptimizerSettings = { name: 'sgd', momentum: 0, beta2: 0, weightDecay: 0 };
    const state = engine.optimizerState('sgd', null);
    const rows = Uint32Array.from({ length: 170 }, (_, r) => (r * 13 + 2) % 400);
    for (let step = 0; step < 2; step++) {
      const probs = new Float64Array(rows.length * shape.classCount);
      engine.predict(input, rows, probs);
      expect(probs).toEqual(plainForward(engine.params, input, rows).probs);
      engine.trainStep(input, labels, batch, batch.length, { settings, state, lr: 0.5, decayRanges: weightRanges(shape) });
    }
  });
});


describe('the WebAssembly kernels', () => {
  const backend = wasmBackend();
  it.runIf(backend !== null).each([1, 2, 3])(
    'on %i thread(s): trainStep and predict() bit for bit those of the TypeScript kernels on as many threads',
    async (threads) => {
      const wasm = backend!;
      const wasmInput = toSparseRows(readSampleRows(sampleTrainPath, 400).pixels, 400, 784, wasm.arrays);
      const wasmLabels = wasm.arrays.u8(labels.length);
      wasmLabels.set(labels);
      const typeScript = threads === 1 ? new LocalEngine(shape, startingWeights()) : await threadEngine(threads);
      const onWasm =
        threads === 1
          ? new LocalEngine(shape, startingWeights(), wasm)
          : await ThreadEngine.start(shape, startingWeights(), { inputs: [wasmInput], labels: [wasmLabels], maxRows: 400 }, threads, wasm);
      if (onWasm instanceof ThreadEngine) engines.push(onWasm);
      const settings: OptimizerSettings = { name: 'nesterov', momentum: 0.9, beta2: 0, weightDecay: 5e-4 };
      const states = [typeScript.optimizerState('nesterov', null), onWasm.optimizerState('nesterov', null)];
      const decayRanges = weightRanges(shape);
      const held = Uint32Array.from({ length: 170 }, (_, r) => (r * 13 + 2) % 400);
      for (let step = 0; step < 3; step++) {
        const rows = batch.subarray(step * 30, step * 30 + 60);
        const update = (k: number) => ({ settings, state: states[k]!, lr: 0.05, decayRanges });
        const expected = typeScript.trainStep(input, labels, rows, rows.length, update(0));
        expect(onWasm.trainStep(wasmInput, wasmLabels, rows, rows.length, update(1))).toEqual(expected);
        expect(Array.from(onWasm.params.data)).toEqual(Array.from(typeScript.params.data));
        const probs = [new Float64Array(held.length * 10), new Float64Array(held.length * 10)];
        typeScript.predict(input, held, probs[0]!);
        onWasm.predict(wasmInput, held, probs[1]!);
        expect(probs[1]).toEqual(probs[0]);
      }
    },
  );
});
