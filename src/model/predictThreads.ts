/**
 * Prediction on several threads. The workers are started before the model and the CSV are read, so their
 * start-up overlaps the reading; once the rows are in memory, each worker takes a contiguous slice of them and
 * the main thread the first slice, all reading one copy of the weights and the sparse rows in shared memory.
 * Every row goes through the same code as on one thread (predictKernel.ts), so the probabilities are bit for
 * bit the same whatever the thread count.
 *
 * Not here: training threads (nn/threads.ts), which keep their workers for a whole run.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SparseRows } from '../data/dataset.js';
import type { NetworkShape, Parameters } from '../nn/network.js';
import { packFirstLayer, predictWithPacked } from './predictKernel.js';

/** One worker's job: rows rowIds[start..end) of input, probabilities to probs[start * K ...]. */
export interface PredictJob {
  readonly shape: NetworkShape;
  /** The flat parameter vector (w1, b1, w2, b2), shared. */
  readonly params: Float64Array;
  /** packFirstLayer(w1), shared. */
  readonly packed: Float64Array;
  /** What pixel values are multiplied by (1/255). */
  readonly scale: number;
  readonly input: SparseRows;
  readonly rowIds: Uint32Array;
  readonly start: number;
  readonly end: number;
  readonly probs: Float64Array;
}

/** Fewer rows than this a thread are not worth handing over. */
const minRowsPerThread = 512;

/** The compiled worker script (tests that run the TypeScript sources use the build in dist/). */
function workerUrl(): URL {
  const here = new URL('./predictWorker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL('../../dist/model/predictWorker.js', import.meta.url);
}

/** Allocates shared memory, for arrays the workers read or write. */
export function sharedBuffer(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(8, bytes));
}

export class PredictThreads {
  private readonly workers: Worker[] = [];
  private failure: Error | null = null;

  /** Starts threads - 1 workers now (none for 1 thread); they wait for predict(). */
  constructor(readonly threads: number) {
    for (let t = 1; t < threads; t++) {
      const worker = new Worker(workerUrl());
      worker.on('error', (error) => (this.failure ??= error));
      // Idle workers must not keep the process alive; close() ends them.
      worker.unref();
      this.workers.push(worker);
    }
  }

  /**
   * Writes class probabilities (rowIds.length, K) for rows rowIds of input (pixels times `scale`) into probs.
   * With workers, input, rowIds and probs must live in SharedArrayBuffers (see sharedBuffer).
   */
  async predict(
    params: Parameters,
    input: SparseRows,
    rowIds: Uint32Array,
    scale: number,
    probs: Float64Array,
  ): Promise<void> {
    if (this.failure) throw this.failure;
    const { inputSize: I, hiddenSize: H } = params.shape;
    const R = rowIds.length;
    const threads = Math.max(1, Math.min(this.threads, Math.floor(R / minRowsPerThread)));
    if (threads === 1) {
      predictWithPacked(params, packFirstLayer(params.w1, I, H), input, rowIds, scale, probs);
      return;
    }
    const shared = new Float64Array(sharedBuffer(params.data.byteLength));
    shared.set(params.data);
    const packed = packFirstLayer(params.w1, I, H, sharedBuffer);
    const bounds = Array.from({ length: threads + 1 }, (_, t) => Math.round((t * R) / threads));
    const finished = this.workers.slice(0, threads - 1).map((worker, w) => {
      const job: PredictJob = {
        shape: params.shape,
        params: shared,
        packed,
        scale,
        input,
        rowIds,
        start: bounds[w + 1]!,
        end: bounds[w + 2]!,
        probs,
      };
      return new Promise<void>((resolve, reject) => {
        const onError = (error: Error): void => settle(error);
        const onExit = (code: number): void => settle(new Error(`a prediction thread stopped (exit code ${code})`));
        const settle = (error?: Error): void => {
          worker.off('error', onError).off('exit', onExit).off('message', onDone).unref();
          if (error) reject(error);
          else resolve();
        };
        const onDone = (): void => settle();
        worker.on('error', onError).on('exit', onExit).on('message', onDone).ref();
        worker.postMessage(job);
      });
    });
    predictWithPacked(params, packed, input, rowIds.subarray(0, bounds[1]!), scale, probs);
    await Promise.all(finished);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
