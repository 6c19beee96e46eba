/**
 * Where gradients and predictions are computed. The trainer talks to this interface only, so the single-
 * threaded engine here and the worker-thread engine (threads.ts) are interchangeable.
 */
import type { SparseRows } from '../data/dataset.js';
import { typeScriptKernels, type Kernels } from './kernels/kernels.js';
import {
  accumulateGradient,
  createParameters,
  parameterCount,
  Workspace,
  type BatchResult,
  type NetworkShape,
  type Parameters,
} from './network.js';
import { packedSize, packNetwork, predictSparse, PredictScratch, type PackedNetwork } from './predict.js';
import { reachableParameters, RowIdStage, typeScriptBackend, type Backend } from './backend.js';
import { createOptimizerState, optimizerStep, type OptimizerName, type OptimizerSettings, type OptimizerState } from './optimizers.js';

/** One optimizer step: how, at what learning rate, and on which parameters weight decay acts. */
export interface ParameterUpdate {
  readonly settings: OptimizerSettings;
  /** From the engine's optimizerState(); its step count goes up by one. */
  readonly state: OptimizerState;
  readonly lr: number;
  readonly decayRanges: ReadonlyArray<readonly [number, number]>;
}

export interface GradientEngine {
  readonly params: Parameters;
  readonly grads: Parameters;
  /**
   * Sets grads to the gradient of the mean cross-entropy over rows rowIds[0..R) of `input` (labels indexed by
   * row id), at the current params. Returns the summed loss and the number of correct predictions.
   */
  gradient(input: SparseRows, labels: Uint8Array, rowIds: Uint32Array, R: number): BatchResult;
  /**
   * A training step: gradient(), then params moved by one optimizer step from that gradient. The same numbers as
   * gradient() followed by optimizerStep(); the thread engine shares the update out among its threads.
   */
  trainStep(input: SparseRows, labels: Uint8Array, rowIds: Uint32Array, R: number, update: ParameterUpdate): BatchResult;
  /** Optimizer state that trainStep can update: a copy of `from` (a resumed run's) when given, else a fresh one. */
  optimizerState(name: OptimizerName, from: OptimizerState | null): OptimizerState;
  /**
   * Writes class probabilities (rowIds.length, K) for the given rows into probs, at the current params, through
   * the one prediction path (predict.ts): held-out scores are those `digits eval` gives the saved model.
   */
  predict(input: SparseRows, rowIds: Uint32Array, probs: Float64Array): void;
  /** Releases threads, if any. */
  close(): Promise<void>;
}

/** Rows processed at once inside a batch: big enough to amortise loops, small enough to stay in cache. */
export const chunkRows = 1024;

export class LocalEngine implements GradientEngine {
  readonly params: Parameters;
  readonly grads: Parameters;
  private readonly backend: Backend;
  private readonly workspace: Workspace;
  private readonly rowIds: RowIdStage;
  /** The parameters packed for prediction at the latest predict(): packed anew into the same buffer each time. */
  private readonly packed: PackedNetwork;
  private readonly scratch: PredictScratch;

  /**
   * An engine running `backend`'s kernels (the TypeScript ones by default); `params` are trained in place when
   * those kernels reach them, else in a copy (this.params) in the backend's memory.
   */
  constructor(shape: NetworkShape, params?: Parameters, backend: Backend = typeScriptBackend()) {
    this.backend = backend;
    this.params = params ? reachableParameters(params, backend) : createParameters(shape, backend.arrays.f64(parameterCount(shape)));
    this.grads = createParameters(shape, backend.arrays.f64(parameterCount(shape)));
    this.workspace = new Workspace(shape, chunkRows, backend.arrays);
    this.rowIds = new RowIdStage(backend);
    this.packed = { params: this.params, packed: backend.arrays.f64(packedSize(shape)) };
    this.scratch = new PredictScratch(shape, undefined, backend);
  }

  gradient(input: SparseRows, labels: Uint8Array, rowIds: Uint32Array, R: number): BatchResult {
    this.grads.data.fill(0);
    const ids = this.rowIds.of(rowIds.subarray(0, R));
    return gradientInSlices(this.params, this.grads, this.workspace, input, labels, ids, 0, R, 1 / R, this.backend.kernels);
  }

  trainStep(input: SparseRows, labels: Uint8Array, rowIds: Uint32Array, R: number, update: ParameterUpdate): BatchResult {
    const result = this.gradient(input, labels, rowIds, R);
    optimizerStep(update.settings, update.state, this.params.data, this.grads.data, update.lr, update.decayRanges);
    return result;
  }

  optimizerState(name: OptimizerName, from: OptimizerState | null): OptimizerState {
    const allocate = (length: number): Float64Array => new Float64Array(length);
    return from ? copyOptimizerState(from, allocate) : createOptimizerState(name, this.params.data.length, allocate);
  }

  predict(input: SparseRows, rowIds: Uint32Array, probs: Float64Array): void {
    packNetwork(this.params, this.packed.packed);
    predictSparse(this.packed, input, this.rowIds.of(rowIds), probs, this.scratch);
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
  kernels: Kernels = typeScriptKernels,
): BatchResult {
  const total: BatchResult = { lossSum: 0, correct: 0 };
  for (let at = start; at < end; at += ws.maxRows) {
    const R = Math.min(ws.maxRows, end - at);
    const part = accumulateGradient(params, grads, ws, input, labels, rowIds.subarray(at, at + R), R, lossScale, kernels);
    total.lossSum += part.lossSum;
    total.correct += part.correct;
  }
  return total;
}

/** A copy of `state` whose arrays come from `allocate` (shared memory, for the thread engine). */
export function copyOptimizerState(state: OptimizerState, allocate: (length: number) => Float64Array): OptimizerState {
  const first = allocate(state.first.length);
  first.set(state.first);
  const second = allocate(state.second.length);
  second.set(state.second);
  return { name: state.name, step: state.step, first, second };
}

/**
 * Adds the threads' gradients up, in thread order, into the first: parts[0][k] = parts[0][k] + parts[1][k] + ...
 * for k in [from, to). Each element is summed on its own, so threads can share the elements out and still get
 * exactly what one thread adding whole arrays one after the other gets.
 */
export function sumGradients(parts: readonly Float64Array[], from: number, to: number): void {
  const sum = parts[0]!;
  for (let t = 1; t < parts.length; t++) {
    const part = parts[t]!;
    for (let k = from; k < to; k++) sum[k]! += part[k]!;
  }
}
