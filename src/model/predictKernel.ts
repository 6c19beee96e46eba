/**
 * The forward pass for prediction, with the first layer's weights rearranged for it. Predicting walks many rows
 * with weights that do not change, so w1 (I,H) is copied once into blocks of eight hidden units, each block
 * (I,8) contiguous (784 x 8 doubles = 50 kB, which stays in the CPU's fastest caches); then, block by block,
 * every row of a chunk sums its eight units in local variables over its non-zero pixels. Measured on Kaggle's
 * test.csv with 256 hidden units, that takes about half the time of nn/kernels.ts's sparseForward, whose
 * weight reads jump across all of w1 (1.6 MB) for every row.
 *
 * Every value goes through the same floating-point operations in the same order as nn/network.ts's forward
 * (bias first, then pixel by pixel in index order, each pixel scaled before its multiply; the same ReLU,
 * second layer and softmax kernels), so the probabilities are bit for bit the same: predict, eval and the
 * training reports agree exactly. A test holds this to exact equality.
 *
 * Not here: anything for training (no backward, no saved pre-activations).
 *
 * Legend: R rows, I inputs, H hidden units, K classes; B = 8, the hidden units in a block.
 */
import type { SparseRows } from '../data/dataset.js';
import { softmaxForward } from '../nn/kernels.js';
import type { Parameters } from '../nn/network.js';

/** Hidden units summed together in local variables. */
const B = 8;
/** Rows taken through all the blocks of the first layer at once. */
export const predictChunkRows = 256;

/**
 * w1 (I,H) rearranged for sparsePackedForward: block b (hidden units bB .. bB+B-1) is (I,B) at b*I*B.
 * Only whole blocks are packed; the last H % B units are read from w1 itself.
 */
export function packFirstLayer(
  w1: Float64Array,
  I: number,
  H: number,
  allocate: (bytes: number) => ArrayBufferLike = (bytes) => new ArrayBuffer(bytes),
): Float64Array {
  const blocks = Math.floor(H / B);
  const packed = new Float64Array(allocate(Math.max(1, blocks * I * B) * 8), 0, blocks * I * B);
  for (let i = 0; i < I; i++) {
    const row = i * H;
    for (let o = 0; o < blocks * B; o++) packed[(o - (o % B)) * I + i * B + (o % B)] = w1[row + o]!;
  }
  return packed;
}

/**
 * First layer and ReLU on sparse input for rows rowIds[0..R) of `input`, writing hidden (R,H):
 *   hidden[r,o] = max(0, b[o] + sum_{i: x[r,i] != 0} (scale * x[r,i]) * w1[i,o])
 * packed is packFirstLayer(w1); w1 (I,H) is read for the units after the last whole block.
 */
export function sparsePackedForward(
  hidden: Float64Array,
  input: SparseRows,
  rowIds: Uint32Array,
  scale: number,
  packed: Float64Array,
  w1: Float64Array,
  b: Float64Array,
  R: number,
  I: number,
  H: number,
): void {
  const { offsets, indices, values } = input;
  const blockedEnd = H - (H % B);
  for (let o = 0; o < blockedEnd; o += B) {
    const base = o * I;
    const b0 = b[o]!, b1 = b[o + 1]!, b2 = b[o + 2]!, b3 = b[o + 3]!;
    const b4 = b[o + 4]!, b5 = b[o + 5]!, b6 = b[o + 6]!, b7 = b[o + 7]!;
    for (let r = 0; r < R; r++) {
      const row = rowIds[r]!;
      const end = offsets[row + 1]!;
      let a0 = b0, a1 = b1, a2 = b2, a3 = b3, a4 = b4, a5 = b5, a6 = b6, a7 = b7;
      for (let p = offsets[row]!; p < end; p++) {
        const x = values[p]! * scale;
        const q = base + indices[p]! * B;
        a0 += x * packed[q]!;
        a1 += x * packed[q + 1]!;
        a2 += x * packed[q + 2]!;
        a3 += x * packed[q + 3]!;
        a4 += x * packed[q + 4]!;
        a5 += x * packed[q + 5]!;
        a6 += x * packed[q + 6]!;
        a7 += x * packed[q + 7]!;
      }
      const h = r * H + o;
      hidden[h] = a0 > 0 ? a0 : 0;
      hidden[h + 1] = a1 > 0 ? a1 : 0;
      hidden[h + 2] = a2 > 0 ? a2 : 0;
      hidden[h + 3] = a3 > 0 ? a3 : 0;
      hidden[h + 4] = a4 > 0 ? a4 : 0;
      hidden[h + 5] = a5 > 0 ? a5 : 0;
      hidden[h + 6] = a6 > 0 ? a6 : 0;
      hidden[h + 7] = a7 > 0 ? a7 : 0;
    }
  }
  for (let o = blockedEnd; o < H; o++) {
    for (let r = 0; r < R; r++) {
      const row = rowIds[r]!;
      const end = offsets[row + 1]!;
      let a = b[o]!;
      for (let p = offsets[row]!; p < end; p++) a += values[p]! * scale * w1[indices[p]! * H + o]!;
      hidden[r * H + o] = a > 0 ? a : 0;
    }
  }
}

/**
 * Second layer for prediction: logits (R,K) = b (K) + hidden (R,H) . w (H,K), skipping zero activations, with
 * ten outputs summed in local variables (one pass over a row's activations for Kaggle's ten classes); the same
 * operations in the same order as nn/kernels.ts's denseForward.
 */
export function denseForwardBlocked(
  logits: Float64Array,
  hidden: Float64Array,
  w: Float64Array,
  b: Float64Array,
  R: number,
  H: number,
  K: number,
): void {
  for (let r = 0; r < R; r++) {
    const x = r * H;
    const out = r * K;
    let k = 0;
    for (; k + 10 <= K; k += 10) {
      let a0 = b[k]!, a1 = b[k + 1]!, a2 = b[k + 2]!, a3 = b[k + 3]!, a4 = b[k + 4]!;
      let a5 = b[k + 5]!, a6 = b[k + 6]!, a7 = b[k + 7]!, a8 = b[k + 8]!, a9 = b[k + 9]!;
      for (let j = 0; j < H; j++) {
        const h = hidden[x + j]!;
        if (h === 0) continue;
        const q = j * K + k;
        a0 += h * w[q]!;
        a1 += h * w[q + 1]!;
        a2 += h * w[q + 2]!;
        a3 += h * w[q + 3]!;
        a4 += h * w[q + 4]!;
        a5 += h * w[q + 5]!;
        a6 += h * w[q + 6]!;
        a7 += h * w[q + 7]!;
        a8 += h * w[q + 8]!;
        a9 += h * w[q + 9]!;
      }
      logits[out + k] = a0;
      logits[out + k + 1] = a1;
      logits[out + k + 2] = a2;
      logits[out + k + 3] = a3;
      logits[out + k + 4] = a4;
      logits[out + k + 5] = a5;
      logits[out + k + 6] = a6;
      logits[out + k + 7] = a7;
      logits[out + k + 8] = a8;
      logits[out + k + 9] = a9;
    }
    for (; k < K; k++) {
      let a = b[k]!;
      for (let j = 0; j < H; j++) {
        const h = hidden[x + j]!;
        if (h !== 0) a += h * w[j * K + k]!;
      }
      logits[out + k] = a;
    }
  }
}

/** Scratch buffers for predictWithPacked, for up to predictChunkRows rows at a time. */
export class PredictScratch {
  readonly hidden: Float64Array;
  readonly logits: Float64Array;
  constructor(H: number, K: number) {
    this.hidden = new Float64Array(predictChunkRows * H);
    this.logits = new Float64Array(predictChunkRows * K);
  }
}

/**
 * Class probabilities (rowIds.length, K) into probs for rows rowIds of `input`; packed is
 * packFirstLayer(params.w1). The same numbers as nn/network.ts's predictProbabilities.
 */
export function predictWithPacked(
  params: Parameters,
  packed: Float64Array,
  input: SparseRows,
  rowIds: Uint32Array,
  scale: number,
  probs: Float64Array,
  scratch: PredictScratch = new PredictScratch(params.shape.hiddenSize, params.shape.classCount),
): void {
  const { inputSize: I, hiddenSize: H, classCount: K } = params.shape;
  for (let start = 0; start < rowIds.length; start += predictChunkRows) {
    const R = Math.min(predictChunkRows, rowIds.length - start);
    const ids = rowIds.subarray(start, start + R);
    sparsePackedForward(scratch.hidden, input, ids, scale, packed, params.w1, params.b1, R, I, H);
    denseForwardBlocked(scratch.logits, scratch.hidden, params.w2, params.b2, R, H, K);
    softmaxForward(probs.subarray(start * K, (start + R) * K), scratch.logits, R, K);
  }
}
