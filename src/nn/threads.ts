/**
 * The worker-thread engine: a batch's rows are split into contiguous slices, one per thread (the main thread
 * takes the first); each thread computes its slice's gradient into its own buffer. Then the parameters are split
 * into contiguous ranges, one per thread, and each thread adds the buffers up over its range, in thread order,
 * and (for a training step) applies the optimizer to it: every element gets the same operations in the same
 * order as one thread adding and updating whole arrays, so a run is reproducible for a given thread count, and
 * no thread waits while another does what would otherwise be the batch's serial work.
 * Parameters, gradients, optimizer state, inputs, labels and row ids live in shared memory handed to the
 * workers once (SharedArrayBuffers, or for the WebAssembly kernels their one shared memory, which every worker
 * instantiates the kernels over); each job is announced through Atomics on a small control array, so there is
 * no message passing (and no copying) per batch.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sharedArrays } from '../data/arrays.js';
import type { SparseRows } from '../data/dataset.js';
import { reaches, typeScriptBackend, wasmShare, type Backend, type WasmShare } from './backend.js';
import {
  chunkRows,
  copyOptimizerState,
  gradientInSlices,
  sumGradients,
  type GradientEngine,
  type ParameterUpdate,
} from './engine.js';
import {
  createOptimizerState,
  optimizerNames,
  updateParameters,
  type OptimizerName,
  type OptimizerState,
} from './optimizers.js';
import {
  createParameters,
  parameterCount,
  Workspace,
  type BatchResult,
  type NetworkShape,
  type Parameters,
} from './network.js';
import { packedSize, packNetwork, predictSparse, PredictScratch, type PackedNetwork } from './predict.js';

/** Inputs a thread engine can read: every SparseRows and label array the trainer will pass. */
export interface SharedInputs {
  readonly inputs: readonly SparseRows[];
  readonly labels: readonly Uint8Array[];
  /** The largest number of rows any one call will pass (the row-id and probability buffers' size). */
  readonly maxRows: number;
}

/**
 * What each worker is given at start. With the WebAssembly kernels, the arrays the kernels use (parameters,
 * gradients, inputs, labels, row ids, probabilities, the packed weights) are views of their memory, which the
 * worker finds again by offset (backend.ts's relocate).
 */
export interface WorkerSetup {
  readonly index: number;
  readonly shape: NetworkShape;
  /** The WebAssembly kernels' memory and module, or null for the TypeScript kernels. */
  readonly wasm: WasmShare | null;
  readonly params: Float64Array;
  readonly inputs: readonly SparseRows[];
  readonly labels: readonly Uint8Array[];
  readonly rowIds: Uint32Array;
  readonly probs: Float64Array;
  /** The parameters' w1 packed for prediction, by the main thread before each predict job. */
  readonly packed: Float64Array;
  readonly control: Int32Array;
  readonly results: Float64Array;
  /** Every thread's gradient buffer, in thread order (the main thread's first; this worker's at `index`). */
  readonly allGrads: readonly Float64Array[];
  /** A training step's learning rate, optimizer settings and weight-decay ranges (StepArgs layout). */
  readonly stepArgs: Float64Array;
  /** Where the optimizer state's shared arrays arrive (Command.adopt). */
  readonly port: MessagePort;
}

/** Layout of the shared step arguments. */
export const StepArgs = {
  lr: 0,
  step: 1,
  /** Index in optimizerNames. */
  optimizer: 2,
  momentum: 3,
  beta2: 4,
  weightDecay: 5,
  rangeCount: 6,
  /** Then rangeCount [start, end) pairs. */
  ranges: 7,
  maxRanges: 16,
} as const;

/** Layout of the control array: per worker, a block of ints. */
export const Control = {
  /** Incremented by the main thread to start a job. */
  generation: 0,
  /** Set to the generation when the worker has finished it. */
  done: 1,
  command: 2,
  inputIndex: 3,
  labelsIndex: 4,
  start: 5,
  end: 6,
  /** Total rows of the batch, for the loss scale. */
  total: 7,
  size: 8,
} as const;

export const Command = {
  gradient: 1,
  predict: 2,
  exit: 3,
  /** Add the threads' gradients up over a range of parameters. */
  sum: 4,
  /** The same, then an optimizer step over that range. */
  update: 5,
  /** Take the optimizer state's arrays from the port. */
  adopt: 6,
} as const;

/**
 * The compiled worker script `name` beside the calling module (`moduleUrl`) when that module runs from dist/;
 * for tests that run the TypeScript sources, the same script in dist/<distFolder>/.
 */
export function compiledWorkerUrl(moduleUrl: string, name: string, distFolder: string): URL {
  const here = new URL(`./${name}`, moduleUrl);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL(`../../dist/${distFolder}/${name}`, moduleUrl);
}

export class ThreadEngine implements GradientEngine {
  readonly params: Parameters;
  readonly grads: Parameters;
  private readonly threadGrads: Float64Array[];
  private readonly workers: Worker[];
  private readonly ports: MessagePort[];
  private readonly stepArgs: Float64Array;
  /** The optimizer state whose arrays the workers hold (optimizerState()). */
  private optimizer: OptimizerState | null = null;
  private readonly control: Int32Array;
  private readonly results: Float64Array;
  private readonly rowIds: Uint32Array;
  private readonly probs: Float64Array;
  /** The parameters as predict() packs them, in shared memory: the workers predict from it too. */
  private readonly prediction: PackedNetwork;
  private readonly workspace: Workspace;
  private readonly scratch: PredictScratch;
  private readonly backend: Backend;
  private readonly sharedInputs: SharedInputs;
  private generation = 0;
  private failure: Error | null = null;

  private constructor(shape: NetworkShape, params: Parameters, inputs: SharedInputs, threads: number, backend: Backend) {
    const count = parameterCount(shape);
    // What the kernels read and write comes from the backend; the engine's own signals are plain shared memory.
    const arrays = backend.arrays;
    const sharedParams = arrays.f64(count);
    sharedParams.set(params.data);
    this.backend = backend;
    this.params = createParameters(shape, sharedParams);
    this.grads = createParameters(shape, arrays.f64(count));
    this.sharedInputs = inputs;
    this.workspace = new Workspace(shape, chunkRows, arrays);
    this.scratch = new PredictScratch(shape, undefined, backend);
    this.control = sharedArrays.i32(threads * Control.size);
    this.results = sharedArrays.f64(threads * 2);
    this.rowIds = arrays.u32(inputs.maxRows);
    this.probs = arrays.f64(inputs.maxRows * shape.classCount);
    this.prediction = { params: this.params, packed: arrays.f64(packedSize(shape)) };
    this.stepArgs = sharedArrays.f64(StepArgs.ranges + 2 * StepArgs.maxRanges);
    this.threadGrads = [this.grads.data];
    for (let index = 1; index < threads; index++) this.threadGrads.push(arrays.f64(count));
    this.workers = [];
    this.ports = [];
    for (let index = 1; index < threads; index++) {
      const channel = new MessageChannel();
      // Only ever written to: it must not keep the process alive.
      channel.port1.unref();
      this.ports.push(channel.port1);
      const setup: WorkerSetup = {
        index,
        shape,
        wasm: wasmShare(backend),
        params: sharedParams,
        inputs: inputs.inputs,
        labels: inputs.labels,
        rowIds: this.rowIds,
        probs: this.probs,
        packed: this.prediction.packed,
        control: this.control,
        results: this.results,
        allGrads: this.threadGrads,
        stepArgs: this.stepArgs,
        port: channel.port2,
      };
      const worker = new Worker(compiledWorkerUrl(import.meta.url, 'worker.js', 'nn'), {
        workerData: setup,
        transferList: [channel.port2],
      });
      worker.on('error', (error) => (this.failure = error));
      this.workers.push(worker);
    }
  }

  /**
   * Starts `threads - 1` workers beside the main thread, running `backend`'s kernels (which must use shared
   * memory). Inputs and labels must come from the backend's arrays.
   */
  static async start(
    shape: NetworkShape,
    params: Parameters,
    inputs: SharedInputs,
    threads: number,
    backend: Backend = typeScriptBackend(true),
  ): Promise<ThreadEngine> {
    for (const input of inputs.inputs) {
      if (!(input.offsets.buffer instanceof SharedArrayBuffer) || !reaches(backend, input.offsets)) {
        throw new TypeError('thread engine inputs must be shared, in the kernels\' memory');
      }
    }
    const engine = new ThreadEngine(shape, params, inputs, threads, backend);
    await Promise.all(engine.workers.map((worker) => new Promise((resolve) => worker.once('online', resolve))));
    // Once running, workers must not keep the process alive by themselves (close() ends them).
    for (const worker of engine.workers) worker.unref();
    return engine;
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  gradient(input: SparseRows, labels: Uint8Array, rowIds: Uint32Array, R: number): BatchResult {
    const total = this.sliceGradients(input, labels, rowIds, R);
    this.sumInRanges(Command.sum);
    this.waitForWorkers();
    return total;
  }

  trainStep(input: SparseRows, labels: Uint8Array, rowIds: Uint32Array, R: number, update: ParameterUpdate): BatchResult {
    if (update.state !== this.optimizer) throw new Error('thread engine: the optimizer state must come from optimizerState()');
    const total = this.sliceGradients(input, labels, rowIds, R);
    update.state.step++;
    const args = this.stepArgs;
    if (update.decayRanges.length > StepArgs.maxRanges) throw new RangeError('thread engine: too many weight-decay ranges');
    args[StepArgs.lr] = update.lr;
    args[StepArgs.step] = update.state.step;
    args[StepArgs.optimizer] = optimizerNames.indexOf(update.settings.name);
    args[StepArgs.momentum] = update.settings.momentum;
    args[StepArgs.beta2] = update.settings.beta2;
    args[StepArgs.weightDecay] = update.settings.weightDecay;
    args[StepArgs.rangeCount] = update.decayRanges.length;
    update.decayRanges.forEach(([start, end], k) => {
      args[StepArgs.ranges + 2 * k] = start;
      args[StepArgs.ranges + 2 * k + 1] = end;
    });
    const [from, to] = this.sumInRanges(Command.update);
    updateParameters(update.settings, update.state, this.params.data, this.grads.data, update.lr, update.decayRanges, from, to);
    this.waitForWorkers();
    return total;
  }

  optimizerState(name: OptimizerName, from: OptimizerState | null): OptimizerState {
    const state = from ? copyOptimizerState(from, sharedArrays.f64) : createOptimizerState(name, this.params.data.length, sharedArrays.f64);
    for (const port of this.ports) port.postMessage({ first: state.first, second: state.second });
    this.announce(Command.adopt, this.rangeBounds(), -1, -1, 0);
    this.waitForWorkers();
    this.optimizer = state;
    return state;
  }

  predict(input: SparseRows, rowIds: Uint32Array, probs: Float64Array): void {
    packNetwork(this.params, this.prediction.packed);
    const inputIndex = this.sharedInputs.inputs.indexOf(input);
    const R = rowIds.length;
    if (inputIndex < 0 || R > this.rowIds.length) {
      predictSparse(this.prediction, input, rowIds, probs, this.scratch);
      return;
    }
    this.rowIds.set(rowIds);
    const slices = this.rowBounds(R);
    this.announce(Command.predict, slices, inputIndex, 0, R);
    predictSparse(this.prediction, input, this.rowIds.subarray(0, slices[1]!), this.probs, this.scratch);
    this.waitForWorkers();
    probs.set(this.probs.subarray(0, R * this.params.shape.classCount));
  }

  async close(): Promise<void> {
    this.generation++;
    for (let t = 1; t <= this.workers.length; t++) {
      const block = t * Control.size;
      Atomics.store(this.control, block + Control.command, Command.exit);
      Atomics.store(this.control, block + Control.generation, this.generation);
      Atomics.notify(this.control, block + Control.generation);
    }
    await Promise.all(this.workers.map((worker) => worker.terminate()));
    for (const port of this.ports) port.close();
  }

  /**
   * Every thread's gradient of its slice of the batch (slice t is rows [bounds[t], bounds[t+1]) of rowIds) in
   * its own buffer; returns the batch's summed loss and correct count. The buffers are not added up yet.
   */
  private sliceGradients(input: SparseRows, labels: Uint8Array, rowIds: Uint32Array, R: number): BatchResult {
    const inputIndex = this.sharedInputs.inputs.indexOf(input);
    const labelsIndex = this.sharedInputs.labels.indexOf(labels);
    if (inputIndex < 0 || labelsIndex < 0 || R > this.rowIds.length) {
      throw new Error('thread engine: input or labels were not shared at start');
    }
    this.rowIds.set(rowIds.subarray(0, R));
    const slices = this.rowBounds(R);
    this.announce(Command.gradient, slices, inputIndex, labelsIndex, R);
    this.grads.data.fill(0);
    const kernels = this.backend.kernels;
    const total = gradientInSlices(this.params, this.grads, this.workspace, input, labels, this.rowIds, 0, slices[1]!, 1 / R, kernels);
    this.waitForWorkers();
    for (let t = 1; t < this.threads; t++) {
      total.lossSum += this.results[t * 2]!;
      total.correct += this.results[t * 2 + 1]!;
    }
    return total;
  }

  /**
   * Has every thread add the gradient buffers up over its range of parameters (and, for Command.update, step
   * the optimizer there); does the main thread's adding and returns its range. The caller does the rest of the
   * main thread's part, then waits for the workers.
   */
  private sumInRanges(command: number): [number, number] {
    const bounds = this.rangeBounds();
    this.announce(command, bounds, -1, -1, 0);
    sumGradients(this.threadGrads, bounds[0]!, bounds[1]!);
    return [bounds[0]!, bounds[1]!];
  }

  /** Slice boundaries of R rows, one contiguous slice per thread. */
  private rowBounds(R: number): number[] {
    return Array.from({ length: this.threads + 1 }, (_, t) => Math.round((t * R) / this.threads));
  }

  /** Range boundaries of the parameters, one contiguous range per thread. */
  private rangeBounds(): number[] {
    return this.rowBounds(this.params.data.length);
  }

  /** Announces a job to every worker: worker t takes [bounds[t], bounds[t+1]). */
  private announce(command: number, bounds: readonly number[], inputIndex: number, labelsIndex: number, total: number): void {
    if (this.failure) throw this.failure;
    this.generation++;
    for (let t = 1; t < this.threads; t++) {
      const block = t * Control.size;
      const c = this.control;
      c[block + Control.command] = command;
      c[block + Control.inputIndex] = inputIndex;
      c[block + Control.labelsIndex] = labelsIndex;
      c[block + Control.start] = bounds[t]!;
      c[block + Control.end] = bounds[t + 1]!;
      c[block + Control.total] = total;
      Atomics.store(c, block + Control.generation, this.generation);
      Atomics.notify(c, block + Control.generation);
    }
  }

  private waitForWorkers(): void {
    for (let t = 1; t < this.threads; t++) {
      const at = t * Control.size + Control.done;
      for (;;) {
        const done = Atomics.load(this.control, at);
        if (done === this.generation) break;
        if (this.failure) throw this.failure;
        Atomics.wait(this.control, at, done, 1000);
      }
    }
  }
}
