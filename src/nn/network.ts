/**
 * The two-layer network: inputs -> hidden (ReLU) -> classes (softmax), trained on cross-entropy.
 * Parameters live in one flat Float64Array (w1, b1, w2, b2 back to back) so that optimisers, gradient sums
 * across threads and the model file all treat them as one vector. Here: the parameters and the gradient of a
 * training step; predictions are predict.ts's.
 */
import { plainArrays, type ArrayAllocator } from '../data/arrays.js';
import type { SparseRows } from '../data/dataset.js';
import { pixelScale } from '../data/dataset.js';
import { typeScriptKernels, type Kernels } from './kernels/kernels.js';
import type { Random } from '../data/random.js';

export interface NetworkShape {
  /** I: pixels per image. */
  readonly inputSize: number;
  /** H: hidden ReLU units. */
  readonly hiddenSize: number;
  /** K: classes. */
  readonly classCount: number;
}

/** Views into one flat vector: w1 (I,H), b1 (H), w2 (H,K), b2 (K). */
export interface Parameters {
  readonly shape: NetworkShape;
  readonly data: Float64Array;
  readonly w1: Float64Array;
  readonly b1: Float64Array;
  readonly w2: Float64Array;
  readonly b2: Float64Array;
}

export function parameterCount(shape: NetworkShape): number {
  const { inputSize: I, hiddenSize: H, classCount: K } = shape;
  return I * H + H + H * K + K;
}

/** Lays the four tensors over `data` (zeros if not given; shared or WebAssembly memory for the engines). */
export function createParameters(
  shape: NetworkShape,
  data: Float64Array = new Float64Array(parameterCount(shape)),
): Parameters {
  const { inputSize: I, hiddenSize: H, classCount: K } = shape;
  if (data.length !== parameterCount(shape)) {
    throw new RangeError(`parameter vector has ${data.length} values, the shape needs ${parameterCount(shape)}`);
  }
  let at = 0;
  const take = (n: number): Float64Array => {
    const view = data.subarray(at, at + n);
    at += n;
    return view;
  };
  return { shape, data, w1: take(I * H), b1: take(H), w2: take(H * K), b2: take(K) };
}

/** Ranges [start, end) of the weight matrices in the flat vector: weight decay applies there, not to biases. */
export function weightRanges(shape: NetworkShape): Array<[number, number]> {
  const { inputSize: I, hiddenSize: H, classCount: K } = shape;
  const w2Start = I * H + H;
  return [
    [0, I * H],
    [w2Start, w2Start + H * K],
  ];
}

/** Every initialisation scheme. */
export const initSchemes = ['uniform', 'he'] as const;
export type InitScheme = (typeof initSchemes)[number];

/**
 * `uniform`: every weight and bias uniform in [-0.5, 0.5], as the seed network did (np.random.rand - 0.5).
 * `he`: weights normal with variance 2 / fan-in, the usual choice before a ReLU; biases zero.
 */
export function initialise(params: Parameters, scheme: InitScheme, random: Random): void {
  if (scheme === 'uniform') {
    // The seed drew W1, b1, W2, b2 in that order; so do we, over the flat vector.
    for (let k = 0; k < params.data.length; k++) params.data[k] = random.uniform(-0.5, 0.5);
    return;
  }
  const { inputSize: I, hiddenSize: H } = params.shape;
  const std1 = Math.sqrt(2 / I);
  const std2 = Math.sqrt(2 / H);
  for (let k = 0; k < params.w1.length; k++) params.w1[k] = random.normal() * std1;
  for (let k = 0; k < params.w2.length; k++) params.w2[k] = random.normal() * std2;
  params.b1.fill(0);
  params.b2.fill(0);
}

/**
 * accumulateGradient's scratch buffers for up to `maxRows` rows at a time, reused between batches; from
 * `arrays`, which must be where the kernels that use them can reach (the WebAssembly kernels' memory).
 */
export class Workspace {
  readonly maxRows: number;
  /** Hidden pre-activations (maxRows,H), kept for the backward pass. */
  readonly hidden: Float64Array;
  readonly probs: Float64Array;
  readonly labels: Uint8Array;
  readonly dlogits: Float64Array;
  readonly dhidden: Float64Array;
  /** sparseBackward's scratch: one row's active hidden units and their gradients. */
  readonly activeUnits: Int32Array;
  readonly activeGrads: Float64Array;

  constructor(shape: NetworkShape, maxRows: number, arrays: ArrayAllocator = plainArrays) {
    this.maxRows = maxRows;
    this.hidden = arrays.f64(maxRows * shape.hiddenSize);
    this.probs = arrays.f64(maxRows * shape.classCount);
    this.labels = arrays.u8(maxRows);
    this.dlogits = arrays.f64(maxRows * shape.classCount);
    this.dhidden = arrays.f64(maxRows * shape.hiddenSize);
    this.activeUnits = arrays.i32(shape.hiddenSize);
    this.activeGrads = arrays.f64(shape.hiddenSize);
  }
}

/** Loss and accuracy over the rows of one gradient computation. */
export interface BatchResult {
  /** Summed (not mean) cross-entropy over the rows. */
  lossSum: number;
  /** Rows whose highest-probability class was their label. */
  correct: number;
}

/** What the kernels multiply pixel values (0..255) by: the network reads 0..1. */
export const inputScale = 1 / pixelScale;

/**
 * Adds to `grads` the gradient of  lossScale * sum_r crossEntropy(row r)  over rows rowIds[0..R), where
 * labels[rowIds[r]] is row r's label. lossScale is 1 / (whole batch size), so that slices of one batch
 * processed separately (on several threads) add up to the gradient of the batch's mean loss.
 * Uses ws.maxRows >= R. Returns the summed loss and the number of correct predictions. `kernels` computes it
 * (the TypeScript ones, or their WebAssembly twins, whose arrays must then all be in the twins' memory).
 */
export function accumulateGradient(
  params: Parameters,
  grads: Parameters,
  ws: Workspace,
  input: SparseRows,
  labels: Uint8Array,
  rowIds: Uint32Array,
  R: number,
  lossScale: number,
  kernels: Kernels = typeScriptKernels,
): BatchResult {
  const { hiddenSize: H, classCount: K } = params.shape;
  if (R > ws.maxRows) throw new RangeError(`accumulateGradient: ${R} rows exceed the workspace's ${ws.maxRows}`);
  for (let r = 0; r < R; r++) ws.labels[r] = labels[rowIds[r]!]!;
  if (H === 10 && K === 10) {
    return kernels.sparseStepTenByTen(
      grads.w1, grads.b1, grads.w2, grads.b2, ws.hidden, ws.dhidden, ws.probs, ws.dlogits,
      input, rowIds, ws.labels, inputScale, params.w1, params.b1, params.w2, params.b2, lossScale, R,
    );
  }
  kernels.sparseForward(ws.hidden, input, rowIds, inputScale, params.w1, params.b1, R, H);
  const result = kernels.outputLayerStep(
    ws.dhidden, grads.w2, grads.b2, ws.dlogits, ws.probs,
    ws.hidden, ws.labels, params.w2, params.b2, lossScale, R, H, K,
  );
  kernels.sparseBackward(grads.w1, grads.b1, ws.dhidden, input, rowIds, inputScale, R, H, ws.activeUnits, ws.activeGrads);
  return result;
}
