/**
 * Prediction on several threads, starting while the CSV is still being read. The workers start before the model
 * and the CSV are read. While the main thread parses, every batch of rows it has read is turned into sparse rows
 * in shared memory and offered to the workers, which predict it at once; when the reading is done, the main
 * thread joins in on the batches no worker has taken yet (from the last backwards, the workers going forwards).
 * Who takes a batch is settled by an atomic claim per batch, so each is predicted exactly once.
 *
 * Every row goes through the same code whatever thread takes it (predictKernel.ts), so the probabilities are
 * bit for bit those of one thread. With one thread there are no workers and nothing happens before the end.
 *
 * Not here: training threads (nn/threads.ts), which keep their workers for a whole run.
 */
import { Worker } from 'node:worker_threads';
import { toSparseRows, type Dataset, type SparseRows } from '../data/dataset.js';
import { createParameters, predictedClasses, type NetworkShape, type Parameters } from '../nn/network.js';
import { compiledWorkerUrl, sharedBuffer } from '../nn/threads.js';
import type { Predictions } from './inference.js';
import { packFirstLayer, predictWithPacked } from './predictKernel.js';

/** Rows in a batch: small enough to share out evenly at the end, big enough that a batch is cheap to pass. */
const batchRows = 512;
/** Claims are kept for this many batches at most; rows beyond them are predicted at the end. */
const maxBatches = 1 << 16;

/** Claim states, in the shared claims array. */
export const Claim = { free: 0, taken: 1 } as const;

/** What a worker is told once: the network, in shared memory. */
export interface ModelMessage {
  readonly kind: 'model';
  readonly shape: NetworkShape;
  readonly params: Float64Array;
  /** packFirstLayer(w1). */
  readonly packed: Float64Array;
  /** What pixel values are multiplied by (1/255). */
  readonly scale: number;
  readonly claims: Int32Array;
}

/** One batch of rows, offered to every worker; the one that claims it writes its probabilities. */
export interface BatchMessage {
  readonly kind: 'batch';
  readonly index: number;
  readonly input: SparseRows;
  /** (input.rows, K), shared. */
  readonly probs: Float64Array;
}

export type WorkerMessage = ModelMessage | BatchMessage;

interface Batch {
  readonly first: number;
  readonly input: SparseRows;
  readonly probs: Float64Array;
}

/** Row ids 0..n-1, the rows of a batch in order. */
function firstRows(n: number): Uint32Array {
  return Uint32Array.from({ length: n }, (_, r) => r);
}

export class PredictThreads {
  private readonly workers: Worker[] = [];
  private readonly claims = new Int32Array(sharedBuffer(maxBatches * 4));
  private readonly batches: Batch[] = [];
  /** Batches a worker has finished. */
  private readonly finished = new Set<number>();
  private wake: (() => void) | null = null;
  private failure: Error | null = null;
  private model: { params: Parameters; packed: Float64Array; scale: number } | null = null;
  /** Rows handed to addRows so far. */
  private rowsSeen = 0;

  /** Starts threads - 1 workers now (none for 1 thread); they wait for start() and addRows(). */
  constructor(readonly threads: number) {
    for (let t = 1; t < threads; t++) {
      const worker = new Worker(compiledWorkerUrl(import.meta.url, 'predictWorker.js', 'model'));
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

  /** Shares the network with the workers: from now on, rows given to addRows are predicted as they come. */
  start(params: Parameters, scale: number): void {
    const { inputSize: I, hiddenSize: H } = params.shape;
    if (this.workers.length === 0) {
      this.model = { params, packed: packFirstLayer(params.w1, I, H), scale };
      return;
    }
    const shared = new Float64Array(sharedBuffer(params.data.byteLength), 0, params.data.length);
    shared.set(params.data);
    const packed = packFirstLayer(params.w1, I, H, sharedBuffer);
    this.model = { params: createParameters(params.shape, shared), packed, scale };
    const message: ModelMessage = { kind: 'model', shape: params.shape, params: shared, packed, scale, claims: this.claims };
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
    if (features !== model.params.shape.inputSize) return;
    this.rowsSeen += count;
    const K = model.params.shape.classCount;
    for (let at = 0; at < count && this.batches.length < maxBatches; at += batchRows) {
      const rows = Math.min(batchRows, count - at);
      const input = toSparseRows(pixels.subarray(at * features, (at + rows) * features), rows, features, sharedBuffer);
      const probs = new Float64Array(sharedBuffer(rows * K * 8), 0, rows * K);
      const index = this.batches.length;
      this.batches.push({ first: first + at, input, probs });
      const message: BatchMessage = { kind: 'batch', index, input, probs };
      for (const worker of this.workers) worker.postMessage(message);
    }
  }

  /** Class probabilities of every row of `dataset` (the rows given to addRows are not predicted again). */
  async finish(dataset: Dataset): Promise<Predictions> {
    const model = this.model;
    if (!model) throw new Error('PredictThreads.finish before start');
    const { params, packed, scale } = model;
    const K = params.shape.classCount;
    const R = dataset.rows;
    const probs = new Float64Array(R * K);
    // The workers go forwards through the batches; the main thread takes the ones left, from the last.
    const ids = firstRows(batchRows);
    const theirs: number[] = [];
    for (let index = this.batches.length - 1; index >= 0; index--) {
      const batch = this.batches[index]!;
      if (Atomics.compareExchange(this.claims, index, Claim.free, Claim.taken) === Claim.free) {
        predictWithPacked(params, packed, batch.input, ids.subarray(0, batch.input.rows), scale, batch.probs);
      } else {
        theirs.push(index);
      }
    }
    // Rows not given to addRows (all of them with one thread).
    const covered = this.batches.reduce((rows, batch) => rows + batch.input.rows, 0);
    if (covered < R) {
      const rest = toSparseRows(dataset.pixels.subarray(covered * dataset.features), R - covered, dataset.features);
      predictWithPacked(params, packed, rest, firstRows(R - covered), scale, probs.subarray(covered * K));
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
