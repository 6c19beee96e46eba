/**
 * The one prediction path. predict and eval (through predictThreads.ts), show and eval's held-out rows
 * (predictRows), serve (predictImages, one image at a time) and training's held-out scores (the engines'
 * predict) all end in predictSparse, so a model's probabilities for an image are bit for bit the same whichever
 * of them asks, on whatever thread. They are also bit for bit those of the plain forward pass, kernel after
 * kernel over the whole batch (training's sparseForward, a ReLU, the dense second layer, softmaxForward): the
 * packed kernels it runs do the same operations in the same order (a test holds this to exact equality).
 *
 * Images are prepared for the network in one place too (networkInput): the sparse view of their bytes,
 * deskewed when the model was trained on deskewed images.
 *
 * Legend: R rows, I inputs (pixels), H hidden units, K classes.
 */
import { selectRows, toSparseRows, type Dataset, type SparseRows } from '../data/dataset.js';
import { deskewSparseRows } from '../data/deskew.js';
import { packFirstLayer, packedLength } from './kernels/firstLayer.js';
import { argmaxRow, softmaxForward } from './kernels/outputLayer.js';
import type { Kernels } from './kernels/kernels.js';
import { inputScale, type NetworkShape, type Parameters } from './network.js';
import { reachableParameters, reaches, typeScriptBackend, type Backend } from './backend.js';

export interface Predictions {
  /** (rows, K) class probabilities. */
  readonly probs: Float64Array;
  /** Predicted class index of each row. */
  readonly predicted: Uint8Array;
}

/** A network ready to predict with: its parameters, and its first layer's weights packed by packFirstLayer. */
export interface PackedNetwork {
  readonly params: Parameters;
  readonly packed: Float64Array;
}

/**
 * Packs params' w1 for prediction, into `packed` when given (shared memory for threads, or the buffer of an
 * earlier packing of the same shape), else into a new array. Pack again whenever the parameters change.
 */
export function packNetwork(params: Parameters, packed?: Float64Array): PackedNetwork {
  const { inputSize: I, hiddenSize: H } = params.shape;
  return { params, packed: packFirstLayer(params.w1, I, H, packed) };
}

/** Doubles a packed first layer of this shape takes (for callers that allocate it in shared memory). */
export function packedSize(shape: NetworkShape): number {
  return packedLength(shape.inputSize, shape.hiddenSize);
}

/** `params` packed for prediction by `backend`'s kernels, in memory they reach (copied there if need be). */
export function packNetworkFor(params: Parameters, backend: Backend): PackedNetwork {
  return packNetwork(reachableParameters(params, backend), backend.arrays.f64(packedSize(params.shape)));
}

/** Rows taken through all the blocks of the first layer at once, unless the scratch is made smaller. */
export const predictChunkRows = 256;

/**
 * predictSparse's buffers for a chunk of up to `rows` rows: activations (rows,H) and logits (rows,K), and the
 * kernels that compute them (`backend`'s: the TypeScript ones by default). For the WebAssembly kernels, the
 * buffers are in their memory, with room to copy a chunk's rows there when the input given is elsewhere
 * (images read for predict, eval, show or serve).
 */
export class PredictScratch {
  readonly rows: number;
  readonly hidden: Float64Array;
  readonly logits: Float64Array;
  readonly kernels: Kernels;
  private readonly backend: Backend;
  /** A chunk's rows copied where the kernels reach them, and their ids 0..rows-1; made when first needed. */
  private staged: { readonly input: SparseRows; readonly rowIds: Uint32Array } | null = null;

  constructor(shape: NetworkShape, rows: number = predictChunkRows, backend: Backend = typeScriptBackend()) {
    this.rows = rows;
    this.hidden = backend.arrays.f64(rows * shape.hiddenSize);
    this.logits = backend.arrays.f64(rows * shape.classCount);
    this.kernels = backend.kernels;
    this.backend = backend;
  }

  /** Rows `rowIds` (at most this.rows) of `input` where the kernels reach them: as they are, or copied. */
  reachable(input: SparseRows, rowIds: Uint32Array): { input: SparseRows; rowIds: Uint32Array } {
    const backend = this.backend;
    if (reaches(backend, input.offsets) && reaches(backend, input.indices) && reaches(backend, input.values) && reaches(backend, rowIds)) {
      return { input, rowIds };
    }
    const staged = (this.staged ??= stagingRows(backend, this.rows, input.features));
    const { offsets, indices, values } = staged.input;
    if (staged.input.features !== input.features) throw new RangeError('PredictScratch: rows of another width');
    let at = 0;
    for (let r = 0; r < rowIds.length; r++) {
      const row = rowIds[r]!;
      const start = input.offsets[row]!;
      const end = input.offsets[row + 1]!;
      offsets[r] = at;
      indices.set(input.indices.subarray(start, end), at);
      values.set(input.values.subarray(start, end), at);
      at += end - start;
    }
    offsets[rowIds.length] = at;
    return { input: { ...staged.input, rows: rowIds.length }, rowIds: staged.rowIds.subarray(0, rowIds.length) };
  }
}

/** Room for `rows` rows of `features` pixels each, all non-zero, and the ids 0..rows-1. */
function stagingRows(backend: Backend, rows: number, features: number): { input: SparseRows; rowIds: Uint32Array } {
  const { arrays } = backend;
  const input: SparseRows = {
    rows,
    features,
    offsets: arrays.u32(rows + 1),
    indices: arrays.u16(rows * features),
    values: arrays.u8(rows * features),
  };
  const rowIds = arrays.u32(rows);
  for (let r = 0; r < rows; r++) rowIds[r] = r;
  return { input, rowIds };
}

/**
 * Class probabilities (rowIds.length, K) into probs, for rows rowIds of `input` (already prepared:
 * networkInput), a chunk of scratch.rows rows at a time, by the scratch's kernels.
 */
export function predictSparse(
  network: PackedNetwork,
  input: SparseRows,
  rowIds: Uint32Array,
  probs: Float64Array,
  scratch: PredictScratch = new PredictScratch(network.params.shape),
): void {
  const { params, packed } = network;
  const { inputSize: I, hiddenSize: H, classCount: K } = params.shape;
  const kernels = scratch.kernels;
  for (let start = 0; start < rowIds.length; start += scratch.rows) {
    const R = Math.min(scratch.rows, rowIds.length - start);
    const chunk = scratch.reachable(input, rowIds.subarray(start, start + R));
    kernels.sparsePackedForward(scratch.hidden, chunk.input, chunk.rowIds, inputScale, packed, params.w1, params.b1, R, I, H);
    kernels.outputLayerForward(scratch.logits, scratch.hidden, params.w2, params.b2, R, H, K);
    softmaxForward(probs.subarray(start * K, (start + R) * K), scratch.logits, R, K);
  }
}

/** Images as the network reads them: the sparse view of `rows` images of raw bytes, deskewed when asked. */
export function networkInput(pixels: Uint8Array, rows: number, features: number, deskew: boolean): SparseRows {
  const sparse = toSparseRows(pixels, rows, features);
  return deskew ? deskewSparseRows(sparse) : sparse;
}

/**
 * Class probabilities (rows, K) into probs for `rows` images of raw bytes (rows x I), deskewed first when
 * `deskew` (the model was trained on deskewed images). The bytes themselves are not changed.
 */
export function predictImages(
  network: PackedNetwork,
  pixels: Uint8Array,
  rows: number,
  deskew: boolean,
  probs: Float64Array,
  scratch?: PredictScratch,
): void {
  const input = networkInput(pixels, rows, network.params.shape.inputSize, deskew);
  predictSparse(network, input, Uint32Array.from({ length: rows }, (_, r) => r), probs, scratch);
}

/**
 * Predicts rows rowIds (default: all rows) of the dataset, deskewing them first when `deskew` (the model was
 * trained on deskewed images) and the dataset is not deskewed already. Only the rows asked for are prepared:
 * show predicts a handful of a file's rows, eval the tenth of the training file that was held out. The
 * dataset's own bytes are never changed (show draws the images as they were read).
 */
export function predictRows(
  params: Parameters,
  dataset: Dataset,
  options: { readonly deskew: boolean; readonly rowIds?: Uint32Array; readonly backend?: Backend },
): Predictions {
  if (dataset.features !== params.shape.inputSize) {
    throw new RangeError(`predictRows: the dataset has ${dataset.features} pixels a row, the network reads ${params.shape.inputSize}`);
  }
  const alreadyDeskewed = dataset.deskewed === true;
  if (alreadyDeskewed && !options.deskew) {
    throw new RangeError('predictRows: the dataset was deskewed when it was read, but the model reads raw images');
  }
  const rows = options.rowIds ? selectRows(dataset, options.rowIds) : dataset;
  const K = params.shape.classCount;
  const probs = new Float64Array(rows.rows * K);
  const backend = options.backend ?? typeScriptBackend();
  const scratch = new PredictScratch(params.shape, predictChunkRows, backend);
  predictImages(packNetworkFor(params, backend), rows.pixels, rows.rows, options.deskew && !alreadyDeskewed, probs, scratch);
  return { probs, predicted: predictedClasses(probs, rows.rows, K) };
}

/** Predicted class of each row, from (rows,K) probabilities. */
export function predictedClasses(probs: Float64Array, rows: number, K: number): Uint8Array {
  const predicted = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) predicted[r] = argmaxRow(probs, r, K);
  return predicted;
}
