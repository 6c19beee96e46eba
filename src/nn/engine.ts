/**
 * Where gradients and predictions are computed. The trainer talks to this interface only, so the single-
 * threaded engine here and the worker-thread engine (threads.ts) are interchangeable.
 */
import type { SparseRows } from '../data/dataset.js';
import {
  accumulateGradient,
  createParameters,
  predictProbabilities,
  Workspace,
  type BatchResult,
  type NetworkShape,
  type Parameters,
} from './network.js';

export interface GradientEngine {
  readonly params: Parameters;
  readonly grads: Parameters;
  /**
   * Sets grads to the gradient of the mean cross-entropy over rows rowIds[0..R) of `input` (labels indexed by
   * row id), at the current params. Returns the summed loss and the number of correct predictions.
   */
  gradient(input: SparseRows, labels: Uint8Array, rowIds: Uint32Array, R: number): BatchResult;
  /** Writes class probabilities (rowIds.length, K) for the given rows into probs. */
  predict(input: SparseRows, rowIds: Uint32Array, probs: Float64Array): void;
  /** Releases threads, if any. */
  close(): Promise<void>;
}

/** Rows processed at once inside a batch: big enough to amortise loops, small enough to stay in cache. */
export const chunkRows = 1024;

export class LocalEngine implements GradientEngine {
  readonly params: Parameters;
  readonly grads: Parameters;
  private readonly workspace: Workspace;

  constructor(shape: NetworkShape, params?: Parameters) {
    this.params = params ?? createParameters(shape);
    this.grads = createParameters(shape);
    this.workspace = new Workspace(shape, chunkRows);
  }

  gradient(input: SparseRows, labels: Uint8Array, rowIds: Uint32Array, R: number): BatchResult {
    this.grads.data.fill(0);
    return gradientInSlices(this.params, this.grads, this.workspace, input, labels, rowIds, 0, R, 1 / R);
  }

  predict(input: SparseRows, rowIds: Uint32Array, probs: Float64Array): void {
    predictProbabilities(this.params, this.workspace, input, rowIds, probs);
  }

  async close(): Promise<void> {}
}

/** Accumulates the gradient of rows rowIds[start..end) chunk by chunk (shared by the local and thread engines). */
export function gradientInSlices(
  params: Parameters,
  grads: Parameters,
  ws: Workspace,
  input: SparseRows,
  labels: Uint8Array,
  rowIds: Uint32Array,
  start: number,
  end: number,
  lossScale: number,
): BatchResult {
  const total: BatchResult = { lossSum: 0, correct: 0 };
  for (let at = start; at < end; at += ws.maxRows) {
    const R = Math.min(ws.maxRows, end - at);
    const part = accumulateGradient(params, grads, ws, input, labels, rowIds.subarray(at, at + R), R, lossScale);
    total.lossSum += part.lossSum;
    total.correct += part.correct;
  }
  return total;
}
