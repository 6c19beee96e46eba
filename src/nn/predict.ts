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
import { packFirstLayer, packedLength, sparsePackedForward } from './kernels/firstLayer.js';
import { argmaxRow, outputLayerForward, softmaxForward } from './kernels/outputLayer.js';
import { inputScale, type NetworkShape, type Parameters } from './network.js';

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

/** Rows taken through all the blocks of the first layer at once, unless the scratch is made smaller. */
export const predictChunkRows = 256;

/** predictSparse's buffers for a chunk of up to `rows` rows: activations (rows,H) and logits (rows,K). */
export class PredictScratch {
  readonly rows: number;
  readonly hidden: Float64Array;
  readonly logits: Float64Array;
  constructor(shape: NetworkShape, rows: number = predictChunkRows) {
    this.rows = rows;
    this.hidden = new Float64Array(rows * shape.hiddenSize);
    this.logits = new Float64Array(rows * shape.classCount);
  }
}

/**
 * Class probabilities (rowIds.length, K) into probs, for rows rowIds of `input` (already prepared:
 * networkInput), a chunk of scratch.rows rows at a time.
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
  for (let start = 0; start < rowIds.length; start += scratch.rows) {
    const R = Math.min(scratch.rows, rowIds.length - start);
    const ids = rowIds.subarray(start, start + R);
    sparsePackedForward(scratch.hidden, input, ids, inputScale, packed, params.w1, params.b1, R, I, H);
    outputLayerForward(scratch.logits, scratch.hidden, params.w2, params.b2, R, H, K);
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
  options: { readonly deskew: boolean; readonly rowIds?: Uint32Array },
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
  predictImages(packNetwork(params), rows.pixels, rows.rows, options.deskew && !alreadyDeskewed, probs);
  return { probs, predicted: predictedClasses(probs, rows.rows, K) };
}

/** Predicted class of each row, from (rows,K) probabilities. */
export function predictedClasses(probs: Float64Array, rows: number, K: number): Uint8Array {
  const predicted = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) predicted[r] = argmaxRow(probs, r, K);
  return predicted;
}
