/**
 * Prediction of a whole file on several threads, starting while the CSV is still being read. The workers start
 * before the model and the CSV are read. While the main thread parses, every batch of rows it has read is
 * copied, as bytes, into shared memory and offered to the workers; the one that claims it prepares and predicts
 * it (predict.ts's predictImages: sparse rows, deskewed if the model asks), so the main thread does nothing but
 * parse. When the reading is done, the main thread joins in on the batches no worker has taken yet (from the
 * last backwards, the workers going forwards). Who takes a batch is settled by an atomic claim per batch, so
 * each is predicted exactly once.
 *
 * Every row goes through the same code whatever thread takes it, so the probabilities are bit for bit those of
 * one thread. With one thread there are no workers and nothing happens before the end.
 *
 * Not here: training threads (threads.ts), which keep their workers for a whole run.
 */
import { Worker } from 'node:worker_threads';
import { sharedArrays } from '../data/arrays.js';
import type { Dataset } from '../data/dataset.js';
import { attachBackend, relocate, typeScriptBackend, wasmShare, type Backend, type WasmShare } from './backend.js';
import { createParameters, type NetworkShape, type Parameters } from './network.js';
import {
  packedSize,
  packNetwork,
  packNetworkFor,
  predictedClasses,
  predictImages,
  PredictScratch,
  type PackedNetwork,
  type Predictions,
} from './predict.js';
import { compiledWorkerUrl } from './threads.js';

/** Rows in a batch: small enough to share out evenly at the end, big enough that a batch is cheap to pass. */
const batchRows = 512;
/** Claims are kept for this many batches at most; rows beyond them are predicted at the end. */
const maxBatches = 1 << 16;

/** Claim states, in the shared claims array. */
export const Claim = { free: 0, taken: 1 } as const;

/** What a worker is told once: the network, in shared memory (the WebAssembly kernels', when they run). */
export interface ModelMessage {
  readonly kind: 'model';
  readonly shape: NetworkShape;
  /** The WebAssembly kernels' memory and module, or null for the TypeScript kernels. */
  readonly wasm: WasmShare | null;
  readonly params: Float64Array;
  /** The parameters' w1, packed (packNetwork). */
  readonly packed: Float64Array;
  /** Deskew each image before predicting it (the model was trained on deskewed images). */
  readonly deskew: boolean;
  readonly claims: Int32Array;
}

/** A batch of rows as read: raw bytes (rows x features), shared; its probabilities (rows, K), shared. */
export interface Batch {
  readonly first: number;
  readonly rows: number;
  readonly pixels: Uint8Array;
  readonly probs: Float64Array;
}

/** One batch, offered to every worker; the one that claims it writes its probabilities. */
export interface BatchMessage extends Batch {
  readonly kind: 'batch';
  readonly index: number;
}

export type WorkerMessage = ModelMessage | BatchMessage;

/** The network as every thread holds it, with that thread's own scratch. */
export interface ThreadModel {
  readonly network: PackedNetwork;
  readonly deskew: boolean;
  readonly scratch: PredictScratch;
}

/** The network of a model message, as a worker holds it. */
export function threadModel(message: ModelMessage): ThreadModel {
  const backend = attachBackend(message.wasm);
  const params = createParameters(message.shape, relocate(backend, message.params));
  const network = { params, packed: relocate(backend, message.packed) };
  return { network, deskew: message.deskew, scratch: new PredictScratch(message.shape, undefined, backend) };
}

/** Predicts a claimed batch, on whichever thread claimed it, writing the batch's probabilities. */
export function predictBatch(model: ThreadModel, batch: Batch): void {
  predictImages(model.network, batch.pixels, batch.rows, model.deskew, batch.probs, model.scratch);
}

export class PredictThreads {
  private readonly workers: Worker[] = [];
  private readonly claims = sharedArrays.i32(maxBatches);
  private readonly batches: Batch[] = [];
  /** Batches a worker has finished. */
  private readonly finished = new Set<number>();
  private wake: (() => void) | null = null;
  private failure: Error | null = null;
  private model: ThreadModel | null = null;
  /** Rows handed to addRows so far. */
  private rowsSeen = 0;

  /**
   * Starts threads - 1 workers now (none for 1 thread); they wait for start() and addRows(). Every thread runs
   * `backend`'s kernels (the TypeScript ones by default).
   */
  constructor(
    readonly threads: number,
    private readonly backend: Backend = typeScriptBackend(),
  ) {
    for (let t = 1; t < threads; t++) {
      const worker = new Worker(compiledWorkerUrl(import.meta.url, 'predictWorker.js', 'nn'));
      worker.on('message', (index: number) => {
        this.finished.add(index);
        this.wake?.();
      });
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => this.fail(new Error(`a prediction thread stopped (exit code ${code})`)));
      // Waiting workers must not keep the process alive; close() ends them.
      worker.unref();
      this.workers.push(worker);
    }
  }

  /** Batches the workers have predicted so far (the rest are the main thread's). */
  get workerBatches(): number {
    return this.finished.size;
  }

  /**
   * Shares the network with the workers: from now on, rows given to addRows are predicted as they come, deskewed
   * first when `deskew` (the model was trained on deskewed images).
   */
  start(params: Parameters, deskew: boolean): void {
    const backend = this.backend;
    const scratch = new PredictScratch(params.shape, undefined, backend);
    if (this.workers.length === 0) {
      this.model = { network: packNetworkFor(params, backend), deskew, scratch };
      return;
    }
    // The WebAssembly kernels' memory is shared already; the TypeScript kernels' workers need SharedArrayBuffers.
    const arrays = backend.wasm ? backend.arrays : sharedArrays;
    const shared = arrays.f64(params.data.length);
    shared.set(params.data);
    const network = packNetwork(createParameters(params.shape, shared), arrays.f64(packedSize(params.shape)));
    this.model = { network, deskew, scratch };
    const message: ModelMessage = {
      kind: 'model',
      shape: params.shape,
      wasm: wasmShare(backend),
      params: shared,
      packed: network.packed,
      deskew,
      claims: this.claims,
    };
    for (const worker of this.workers) worker.postMessage(message);
  }

  /**
   * Rows first .. first + count - 1 of the input, as bytes (count x features), valid only during the call.
   * Rows must come in order, each once. Ignored with one thread, or if the model reads another image size
   * (the caller reports that once the file is read).
   */
  addRows(pixels: Uint8Array, first: number, count: number, features: number): void {
    const model = this.model;
    if (!model || this.workers.length === 0 || first !== this.rowsSeen) return;
    if (features !== model.network.params.shape.inputSize) return;
    this.rowsSeen += count;
    const K = model.network.params.shape.classCount;
    for (let at = 0; at < count && this.batches.length < maxBatches; at += batchRows) {
      const rows = Math.min(batchRows, count - at);
      const bytes = sharedArrays.u8(rows * features);
      bytes.set(pixels.subarray(at * features, (at + rows) * features));
      const probs = sharedArrays.f64(rows * K);
      const batch: Batch = { first: first + at, rows, pixels: bytes, probs };
      const index = this.batches.length;
      this.batches.push(batch);
      const message: BatchMessage = { kind: 'batch', index, ...batch };
      for (const worker of this.workers) worker.postMessage(message);
    }
  }

  /** Class probabilities of every row of `dataset` (the rows given to addRows are not predicted again). */
  async finish(dataset: Dataset): Promise<Predictions> {
    const model = this.model;
    if (!model) throw new Error('PredictThreads.finish before start');
    const K = model.network.params.shape.classCount;
    const R = dataset.rows;
    const probs = new Float64Array(R * K);
    // The workers go forwards through the batches; the main thread takes the ones left, from the last.
    const theirs: number[] = [];
    for (let index = this.batches.length - 1; index >= 0; index--) {
      const batch = this.batches[index]!;
      if (Atomics.compareExchange(this.claims, index, Claim.free, Claim.taken) === Claim.free) {
        predictBatch(model, batch);
      } else {
        theirs.push(index);
      }
    }
    // Rows not given to addRows (all of them with one thread).
    const covered = this.batches.reduce((rows, batch) => rows + batch.rows, 0);
    if (covered < R) {
      const pixels = dataset.pixels.subarray(covered * dataset.features, R * dataset.features);
      const rest: Batch = { first: covered, rows: R - covered, pixels, probs: probs.subarray(covered * K) };
      predictBatch(model, rest);
    }
    while (theirs.some((index) => !this.finished.has(index))) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        for (const worker of this.workers) worker.ref();
      });
      this.wake = null;
    }
    for (const worker of this.workers) worker.unref();
    for (const batch of this.batches) probs.set(batch.probs, batch.first * K);
    return { probs, predicted: predictedClasses(probs, R, K) };
  }

  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    for (const worker of workers) worker.removeAllListeners('exit');
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.wake?.();
  }
}
