/**
 * The first layer on sparse input: its forward for training, its weight gradient (the input needs none), and
 * the forward prediction runs with w1 rearranged for it. Buffers are passed in, never allocated here; the
 * weight gradient ADDS into dw and db (the caller zeroes them once per step), so a batch can be done in slices.
 *
 * Legend: R rows in the call, I inputs (784 pixels), H hidden units, K classes. Matrices are row-major; w1 is
 * (I,H), so pixel i's outgoing weights are contiguous. Rows are read through row ids: row r of a call is row
 * rowIds[r] of a SparseRows, whose 0..255 values are multiplied by `scale` (1/255) on the fly.
 */
import type { SparseRows } from '../../data/dataset.js';

/**
 * Forward: pre-activations out (R,H) for rows rowIds[0..R) of `input`; w (I,H), b (H).
 *   out[r,h] = b[h] + sum_{i: x[r,i] != 0} (scale * x[r,i]) * w[i,h]
 * Units are done in blocks of ten running sums held in local variables (registers) over the row's non-zeros,
 * then blocks of four, then one by one: the seed's H = 10 is one pass per row, and no output is loaded and
 * stored again for every pixel. This is the hot loop of training.
 */
export function sparseForward(
  out: Float64Array,
  input: SparseRows,
  rowIds: Uint32Array,
  scale: number,
  w: Float64Array,
  b: Float64Array,
  R: number,
  H: number,
): void {
  const { offsets, indices, values } = input;
  for (let r = 0; r < R; r++) {
    const row = rowIds[r]!;
    const outRow = r * H;
    const start = offsets[row]!;
    const end = offsets[row + 1]!;
    let o = 0;
    for (; o + 10 <= H; o += 10) {
      let a0 = b[o]!, a1 = b[o + 1]!, a2 = b[o + 2]!, a3 = b[o + 3]!, a4 = b[o + 4]!;
      let a5 = b[o + 5]!, a6 = b[o + 6]!, a7 = b[o + 7]!, a8 = b[o + 8]!, a9 = b[o + 9]!;
      for (let p = start; p < end; p++) {
        const x = values[p]! * scale;
        const k = indices[p]! * H + o;
        a0 += x * w[k]!;
        a1 += x * w[k + 1]!;
        a2 += x * w[k + 2]!;
        a3 += x * w[k + 3]!;
        a4 += x * w[k + 4]!;
        a5 += x * w[k + 5]!;
        a6 += x * w[k + 6]!;
        a7 += x * w[k + 7]!;
        a8 += x * w[k + 8]!;
        a9 += x * w[k + 9]!;
      }
      out[outRow + o] = a0;
      out[outRow + o + 1] = a1;
      out[outRow + o + 2] = a2;
      out[outRow + o + 3] = a3;
      out[outRow + o + 4] = a4;
      out[outRow + o + 5] = a5;
      out[outRow + o + 6] = a6;
      out[outRow + o + 7] = a7;
      out[outRow + o + 8] = a8;
      out[outRow + o + 9] = a9;
    }
    for (; o + 4 <= H; o += 4) {
      let a0 = b[o]!, a1 = b[o + 1]!, a2 = b[o + 2]!, a3 = b[o + 3]!;
      for (let p = start; p < end; p++) {
        const x = values[p]! * scale;
        const k = indices[p]! * H + o;
        a0 += x * w[k]!;
        a1 += x * w[k + 1]!;
        a2 += x * w[k + 2]!;
        a3 += x * w[k + 3]!;
      }
      out[outRow + o] = a0;
      out[outRow + o + 1] = a1;
      out[outRow + o + 2] = a2;
      out[outRow + o + 3] = a3;
    }
    for (; o < H; o++) {
      let a0 = b[o]!;
      for (let p = start; p < end; p++) a0 += values[p]! * scale * w[indices[p]! * H + o]!;
      out[outRow + o] = a0;
    }
  }
}

/**
 * sparseBackward gathers a row's active units when the layer has at least gatherMinUnits units and at most
 * gatherMaxActive of them are active: then skipping the inactive columns saves more than the gathering costs.
 * A narrow layer (the seed's 10 units, most of them active for any one image) is faster over all columns.
 */
const gatherMinUnits = 32;
const gatherMaxActive = 0.75;

/**
 * Weight gradient, the backward of sparseForward. dout (R,H) is the gradient at the pre-activations.
 * Adds dw (I,H) += scale * x^T dout over non-zero x, and db (H) += sum_r dout.
 * activeUnits and activeGrads are scratch of at least H entries.
 *
 * After a ReLU, a row's inactive units have exactly zero gradient, and in a trained network most units are
 * inactive for any one image. So a wide layer's row first gathers its non-zero gradients and updates only those
 * columns of dw (addGathered). A narrow layer, or a row with most units active, is faster done over all columns
 * in contiguous blocks (addContiguous), the row's gradients held in locals while its non-zero pixels update dw's
 * rows. Either way each dw entry receives the same products in the same order, so both give the same numbers.
 */
export function sparseBackward(
  dw: Float64Array,
  db: Float64Array,
  dout: Float64Array,
  input: SparseRows,
  rowIds: Uint32Array,
  scale: number,
  R: number,
  H: number,
  activeUnits: Int32Array,
  activeGrads: Float64Array,
): void {
  const { offsets, indices, values } = input;
  const gatherLimit = H < gatherMinUnits ? -1 : Math.floor(H * gatherMaxActive);
  for (let r = 0; r < R; r++) {
    const row = rowIds[r]!;
    const dRow = r * H;
    const start = offsets[row]!;
    const end = offsets[row + 1]!;
    let active = 0;
    for (let o = 0; o < H; o++) {
      const d = dout[dRow + o]!;
      db[o]! += d;
      if (d !== 0) {
        activeUnits[active] = o;
        activeGrads[active] = d;
        active++;
      }
    }
    if (active <= gatherLimit) {
      addGathered(dw, indices, values, start, end, scale, H, activeUnits, activeGrads, active);
    } else {
      addContiguous(dw, indices, values, start, end, scale, H, dout, dRow);
    }
  }
}

/** dw[pixel, h] += scale * value * dout[dRow + h] for each of one row's non-zeros, all H columns, ten at a time. */
function addContiguous(
  dw: Float64Array,
  indices: Uint16Array,
  values: Uint8Array,
  start: number,
  end: number,
  scale: number,
  H: number,
  dout: Float64Array,
  dRow: number,
): void {
  let o = 0;
  for (; o + 10 <= H; o += 10) {
    const d0 = dout[dRow + o]!, d1 = dout[dRow + o + 1]!, d2 = dout[dRow + o + 2]!, d3 = dout[dRow + o + 3]!;
    const d4 = dout[dRow + o + 4]!, d5 = dout[dRow + o + 5]!, d6 = dout[dRow + o + 6]!, d7 = dout[dRow + o + 7]!;
    const d8 = dout[dRow + o + 8]!, d9 = dout[dRow + o + 9]!;
    for (let p = start; p < end; p++) {
      const x = values[p]! * scale;
      const k = indices[p]! * H + o;
      dw[k]! += x * d0;
      dw[k + 1]! += x * d1;
      dw[k + 2]! += x * d2;
      dw[k + 3]! += x * d3;
      dw[k + 4]! += x * d4;
      dw[k + 5]! += x * d5;
      dw[k + 6]! += x * d6;
      dw[k + 7]! += x * d7;
      dw[k + 8]! += x * d8;
      dw[k + 9]! += x * d9;
    }
  }
  for (; o + 4 <= H; o += 4) {
    const d0 = dout[dRow + o]!, d1 = dout[dRow + o + 1]!, d2 = dout[dRow + o + 2]!, d3 = dout[dRow + o + 3]!;
    for (let p = start; p < end; p++) {
      const x = values[p]! * scale;
      const k = indices[p]! * H + o;
      dw[k]! += x * d0;
      dw[k + 1]! += x * d1;
      dw[k + 2]! += x * d2;
      dw[k + 3]! += x * d3;
    }
  }
  for (; o < H; o++) {
    const d0 = dout[dRow + o]!;
    for (let p = start; p < end; p++) dw[indices[p]! * H + o]! += values[p]! * scale * d0;
  }
}

/** The same for only the `count` columns units[0..count) with gradients grads[0..count), eight at a time. */
function addGathered(
  dw: Float64Array,
  indices: Uint16Array,
  values: Uint8Array,
  start: number,
  end: number,
  scale: number,
  H: number,
  units: Int32Array,
  grads: Float64Array,
  count: number,
): void {
  let u = 0;
  for (; u + 8 <= count; u += 8) {
    const j0 = units[u]!, j1 = units[u + 1]!, j2 = units[u + 2]!, j3 = units[u + 3]!;
    const j4 = units[u + 4]!, j5 = units[u + 5]!, j6 = units[u + 6]!, j7 = units[u + 7]!;
    const d0 = grads[u]!, d1 = grads[u + 1]!, d2 = grads[u + 2]!, d3 = grads[u + 3]!;
    const d4 = grads[u + 4]!, d5 = grads[u + 5]!, d6 = grads[u + 6]!, d7 = grads[u + 7]!;
    for (let p = start; p < end; p++) {
      const x = values[p]! * scale;
      const k = indices[p]! * H;
      dw[k + j0]! += x * d0;
      dw[k + j1]! += x * d1;
      dw[k + j2]! += x * d2;
      dw[k + j3]! += x * d3;
      dw[k + j4]! += x * d4;
      dw[k + j5]! += x * d5;
      dw[k + j6]! += x * d6;
      dw[k + j7]! += x * d7;
    }
  }
  for (; u + 4 <= count; u += 4) {
    const j0 = units[u]!, j1 = units[u + 1]!, j2 = units[u + 2]!, j3 = units[u + 3]!;
    const d0 = grads[u]!, d1 = grads[u + 1]!, d2 = grads[u + 2]!, d3 = grads[u + 3]!;
    for (let p = start; p < end; p++) {
      const x = values[p]! * scale;
      const k = indices[p]! * H;
      dw[k + j0]! += x * d0;
      dw[k + j1]! += x * d1;
      dw[k + j2]! += x * d2;
      dw[k + j3]! += x * d3;
    }
  }
  for (; u < count; u++) {
    const j0 = units[u]!;
    const d0 = grads[u]!;
    for (let p = start; p < end; p++) dw[indices[p]! * H + j0]! += values[p]! * scale * d0;
  }
}

/** Hidden units a packed block holds, summed together in local variables by sparsePackedForward. */
const B = 8;
export const packedBlock = B;

/** Doubles packFirstLayer writes for a w1 of I inputs and H hidden units: the whole blocks only. */
export function packedLength(I: number, H: number): number {
  return Math.floor(H / packedBlock) * I * packedBlock;
}

/**
 * w1 (I,H) rearranged for sparsePackedForward, into `packed` (packedLength(I, H) doubles): block b (hidden units
 * 8b .. 8b+7) is (I,8), contiguous, at b*I*8. Only whole blocks are packed; the last H % 8 units are read from
 * w1 itself. Returns `packed`.
 *
 * Why: prediction walks many rows with weights that do not change. One block (784 x 8 doubles, 50 kB) stays in
 * the CPU's fastest caches while every row of a chunk sums its eight units over its non-zero pixels, where
 * sparseForward's weight reads jump across all of w1 for every row.
 */
export function packFirstLayer(
  w1: Float64Array,
  I: number,
  H: number,
  packed: Float64Array = new Float64Array(packedLength(I, H)),
): Float64Array {
  const blocked = Math.floor(H / B) * B;
  if (packed.length < packedLength(I, H)) throw new RangeError('packFirstLayer: the packed buffer is too small');
  for (let i = 0; i < I; i++) {
    const row = i * H;
    for (let o = 0; o < blocked; o++) packed[(o - (o % B)) * I + i * B + (o % B)] = w1[row + o]!;
  }
  return packed;
}

/**
 * Forward and ReLU for prediction, from w1 packed by packFirstLayer: activations hidden (R,H) for rows
 * rowIds[0..R) of `input`; w1 (I,H) is read for the units after the last whole block, b (H).
 *   hidden[r,h] = max(0, b[h] + sum_{i: x[r,i] != 0} (scale * x[r,i]) * w1[i,h])
 * Each unit gets the same operations in the same order as in sparseForward followed by a ReLU (bias first,
 * then pixel by pixel in index order, each pixel scaled before its multiply), so the numbers are bit for bit
 * those of training's forward pass. Not for training: the pre-activations are not kept.
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
