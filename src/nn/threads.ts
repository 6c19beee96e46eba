/**
 * The worker-thread engine: a batch's rows are split into contiguous slices, one per thread (the main thread
 * takes the first); each thread computes its slice's gradient into its own buffer, and the main thread adds
 * them up in thread order, so a run is reproducible for a given thread count. Parameters, inputs, labels and
 * row ids live in SharedArrayBuffers handed to the workers once, at start; each job is announced through
 * Atomics on a small control array, so there is no message passing (and no copying) per batch.
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SparseRows } from '../data/dataset.js';
import { gradientInSlices, chunkRows, type GradientEngine } from './engine.js';
import {
  createParameters,
  parameterCount,
  predictProbabilities,
  Workspace,
  type BatchResult,
  type NetworkShape,
  type Parameters,
} from './network.js';

/** Inputs a thread engine can read: every SparseRows and label array the trainer will pass. */
export interface SharedInputs {
  readonly inputs: readonly SparseRows[];
  readonly labels: readonly Uint8Array[];
  /** The largest number of rows any one call will pass (the row-id and probability buffers' size). */
  readonly maxRows: number;
}

/** What each worker is given at start. */
export interface WorkerSetup {
  readonly index: number;
  readonly shape: NetworkShape;
  readonly params: Float64Array;
  readonly grads: Float64Array;
  readonly inputs: readonly SparseRows[];
  readonly labels: readonly Uint8Array[];
  readonly rowIds: Uint32Array;
  readonly probs: Float64Array;
  readonly control: Int32Array;
  readonly results: Float64Array;
}

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

export const Command = { gradient: 1, predict: 2, exit: 3 } as const;

/** A SharedArrayBuffer of at least `bytes` (never empty: a zero-length view still needs a buffer to share). */
export function sharedBuffer(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(8, bytes));
}

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
  private readonly control: Int32Array;
  private readonly results: Float64Array;
  private readonly rowIds: Uint32Array;
  private readonly probs: Float64Array;
  private readonly workspace: Workspace;
  private readonly sharedInputs: SharedInputs;
  private generation = 0;
  private failure: Error | null = null;

  private constructor(shape: NetworkShape, params: Parameters, inputs: SharedInputs, threads: number) {
    const count = parameterCount(shape);
    const sharedParams = new Float64Array(sharedBuffer(count * 8));
    sharedParams.set(params.data);
    this.params = createParameters(shape, sharedParams);
    this.grads = createParameters(shape);
    this.sharedInputs = inputs;
    this.workspace = new Workspace(shape, chunkRows);
    this.control = new Int32Array(sharedBuffer(threads * Control.size * 4));
    this.results = new Float64Array(sharedBuffer(threads * 2 * 8));
    this.rowIds = new Uint32Array(sharedBuffer(inputs.maxRows * 4));
    this.probs = new Float64Array(sharedBuffer(inputs.maxRows * shape.classCount * 8));
    this.threadGrads = [this.grads.data];
    this.workers = [];
    for (let index = 1; index < threads; index++) {
      const grads = new Float64Array(sharedBuffer(count * 8));
      this.threadGrads.push(grads);
      const setup: WorkerSetup = {
        index,
        shape,
        params: sharedParams,
        grads,
        inputs: inputs.inputs,
        labels: inputs.labels,
        rowIds: this.rowIds,
        probs: this.probs,
        control: this.control,
        results: this.results,
      };
      const worker = new Worker(compiledWorkerUrl(import.meta.url, 'worker.js', 'nn'), { workerData: setup });
      worker.on('error', (error) => (this.failure = error));
      this.workers.push(worker);
    }
  }

  /** Starts `threads - 1` workers beside the main thread. Inputs must be SharedArrayBuffer-backed. */
  static async start(shape: NetworkShape, params: Parameters, inputs: SharedInputs, threads: number): Promise<ThreadEngine> {
    for (const input of inputs.inputs) {
      if (!(input.offsets.buffer instanceof SharedArrayBuffer)) throw new TypeError('thread engine inputs must be shared');
    }
    const engine = new ThreadEngine(shape, params, inputs, threads);
    await Promise.all(engine.workers.map((worker) => new Promise((resolve) => worker.once('online', resolve))));
    // Once running, workers must not keep the process alive by themselves (close() ends them).
    for (const worker of engine.workers) worker.unref();
    return engine;
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  gradient(input: SparseRows, labels: Uint8Array, rowIds: Uint32Array, R: number): BatchResult {
    const inputIndex = this.sharedInputs.inputs.indexOf(input);
    const labelsIndex = this.sharedInputs.labels.indexOf(labels);
    if (inputIndex < 0 || labelsIndex < 0 || R > this.rowIds.length) {
      throw new Error('thread engine: input or labels were not shared at start');
    }
    this.rowIds.set(rowIds.subarray(0, R));
    const slices = this.dispatch(Command.gradient, inputIndex, labelsIndex, R);
    this.grads.data.fill(0);
    const own = gradientInSlices(this.params, this.grads, this.workspace, input, labels, this.rowIds, 0, slices[1]!, 1 / R);
    this.waitForWorkers();
    const total = own;
    const sum = this.grads.data;
    for (let t = 1; t < this.threadGrads.length; t++) {
      const part = this.threadGrads[t]!;
      for (let k = 0; k < sum.length; k++) sum[k]! += part[k]!;
      total.lossSum += this.results[t * 2]!;
      total.correct += this.results[t * 2 + 1]!;
    }
    return total;
  }

  predict(input: SparseRows, rowIds: Uint32Array, probs: Float64Array): void {
    const inputIndex = this.sharedInputs.inputs.indexOf(input);
    const R = rowIds.length;
    if (inputIndex < 0 || R > this.rowIds.length) {
      predictProbabilities(this.params, this.workspace, input, rowIds, probs);
      return;
    }
    this.rowIds.set(rowIds);
    const slices = this.dispatch(Command.predict, inputIndex, 0, R);
    predictProbabilities(this.params, this.workspace, input, this.rowIds.subarray(0, slices[1]!), this.probs);
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
  }

  /** Announces a job to every worker; returns the slice boundaries (slice t is [bounds[t], bounds[t+1])). */
  private dispatch(command: number, inputIndex: number, labelsIndex: number, R: number): number[] {
    if (this.failure) throw this.failure;
    const threads = this.threads;
    const bounds: number[] = [];
    for (let t = 0; t <= threads; t++) bounds.push(Math.round((t * R) / threads));
    this.generation++;
    for (let t = 1; t < threads; t++) {
      const block = t * Control.size;
      const c = this.control;
      c[block + Control.command] = command;
      c[block + Control.inputIndex] = inputIndex;
      c[block + Control.labelsIndex] = labelsIndex;
      c[block + Control.start] = bounds[t]!;
      c[block + Control.end] = bounds[t + 1]!;
      c[block + Control.total] = R;
      Atomics.store(c, block + Control.generation, this.generation);
      Atomics.notify(c, block + Control.generation);
    }
    return bounds;
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
