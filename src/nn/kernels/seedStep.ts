/**
 * A whole training step of the seed network (784-10-10: ten hidden units, ten classes) fused into one pass a
 * row. Shapes and buffers as for the kernels it fuses (firstLayer.ts, outputLayer.ts).
 *
 * Legend: R rows in the call, I inputs (784 pixels), H hidden units (10 here), K classes (10 here).
 */
import type { SparseRows } from '../../data/dataset.js';
import { argmaxRow, outputLayerRow } from './outputLayer.js';

/**
 * For each row, what sparseForward, outputLayerStep and sparseBackward do to it, one after the other, while the
 * row's non-zero pixels are still in the CPU's fastest cache, with the ten hidden units' sums and gradients in
 * local variables and their weights' offset (pixel * 10) a multiple the compiler knows: less time than the
 * three kernels one after the other, each making its own pass over the batch.
 *
 * Arguments as for those three: rows rowIds[0..R) of `input`, labels (R) in batch order, scale (1/255) for the
 * pixels and lossScale (1/batch rows) for the loss; w1 (I,10), b1 (10), w2 (10,10), b2 (10). Adds dw1 (I,10),
 * db1 (10), dw2 (10,10) and db2 (10); writes hidden and dhidden (R,10), probs and dlogits (R,10).
 * Every value goes through the same operations in the same order as in the three kernels, so the numbers are
 * bit for bit the same (a test holds them equal). The two pixel loops are sparseForward's and sparseBackward's
 * contiguous blocks of ten written out again on purpose: calling the shared block with H = 10 is slower,
 * because its stride is then a variable, not the constant 10.
 */
export function sparseStepTenByTen(
  dw1: Float64Array,
  db1: Float64Array,
  dw2: Float64Array,
  db2: Float64Array,
  hidden: Float64Array,
  dhidden: Float64Array,
  probs: Float64Array,
  dlogits: Float64Array,
  input: SparseRows,
  rowIds: Uint32Array,
  labels: Uint8Array,
  scale: number,
  w1: Float64Array,
  b1: Float64Array,
  w2: Float64Array,
  b2: Float64Array,
  lossScale: number,
  R: number,
): { lossSum: number; correct: number } {
  const { offsets, indices, values } = input;
  let lossSum = 0;
  let correct = 0;
  for (let r = 0; r < R; r++) {
    const row = rowIds[r]!;
    const start = offsets[row]!;
    const end = offsets[row + 1]!;
    const o = r * 10;
    // sparseForward's block of ten units.
    let a0 = b1[0]!, a1 = b1[1]!, a2 = b1[2]!, a3 = b1[3]!, a4 = b1[4]!;
    let a5 = b1[5]!, a6 = b1[6]!, a7 = b1[7]!, a8 = b1[8]!, a9 = b1[9]!;
    for (let p = start; p < end; p++) {
      const x = values[p]! * scale;
      const k = indices[p]! * 10;
      a0 += x * w1[k]!;
      a1 += x * w1[k + 1]!;
      a2 += x * w1[k + 2]!;
      a3 += x * w1[k + 3]!;
      a4 += x * w1[k + 4]!;
      a5 += x * w1[k + 5]!;
      a6 += x * w1[k + 6]!;
      a7 += x * w1[k + 7]!;
      a8 += x * w1[k + 8]!;
      a9 += x * w1[k + 9]!;
    }
    hidden[o] = a0;
    hidden[o + 1] = a1;
    hidden[o + 2] = a2;
    hidden[o + 3] = a3;
    hidden[o + 4] = a4;
    hidden[o + 5] = a5;
    hidden[o + 6] = a6;
    hidden[o + 7] = a7;
    hidden[o + 8] = a8;
    hidden[o + 9] = a9;
    lossSum += outputLayerRow(dhidden, dw2, db2, dlogits, probs, hidden, o, o, labels[r]!, w2, b2, lossScale, 10, 10);
    if (argmaxRow(probs, r, 10) === labels[r]) correct++;
    // sparseBackward's contiguous block of ten units.
    const d0 = dhidden[o]!, d1 = dhidden[o + 1]!, d2 = dhidden[o + 2]!, d3 = dhidden[o + 3]!, d4 = dhidden[o + 4]!;
    const d5 = dhidden[o + 5]!, d6 = dhidden[o + 6]!, d7 = dhidden[o + 7]!, d8 = dhidden[o + 8]!, d9 = dhidden[o + 9]!;
    db1[0]! += d0;
    db1[1]! += d1;
    db1[2]! += d2;
    db1[3]! += d3;
    db1[4]! += d4;
    db1[5]! += d5;
    db1[6]! += d6;
    db1[7]! += d7;
    db1[8]! += d8;
    db1[9]! += d9;
    for (let p = start; p < end; p++) {
      const x = values[p]! * scale;
      const k = indices[p]! * 10;
      dw1[k]! += x * d0;
      dw1[k + 1]! += x * d1;
      dw1[k + 2]! += x * d2;
      dw1[k + 3]! += x * d3;
      dw1[k + 4]! += x * d4;
      dw1[k + 5]! += x * d5;
      dw1[k + 6]! += x * d6;
      dw1[k + 7]! += x * d7;
      dw1[k + 8]! += x * d8;
      dw1[k + 9]! += x * d9;
    }
  }
  return { lossSum, correct };
}
