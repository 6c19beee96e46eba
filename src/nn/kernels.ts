/**
 * The network's arithmetic: plain functions over Float64Array with explicit sizes. Each forward is followed by
 * its backward; buffers are passed in, never allocated here. Backward kernels ADD into their gradient outputs
 * (the caller zeroes them once per step) so that a batch can be processed in slices.
 *
 * Legend: R rows in the batch, I inputs (784), H hidden units, K classes (10); O is a layer's output size
 * (H or K). Matrices are row-major; a weight matrix is (I,O), so input i's outgoing weights are contiguous.
 *
 * Not here: anything about files, threads or training schedules.
 */
import type { SparseRows } from '../data/dataset.js';

/**
 * Dense layer, forward.
 * x is (R,I), w is (I,O), b is (O); writes out (R,O).
 *   out[r,o] = b[o] + sum_i x[r,i] * w[i,o]
 * Zero inputs are skipped: after a ReLU about half of them are zero.
 */
export function denseForward(
  out: Float64Array,
  x: Float64Array,
  w: Float64Array,
  b: Float64Array,
  R: number,
  I: number,
  O: number,
): void {
  for (let r = 0; r < R; r++) {
    const outRow = r * O;
    for (let o = 0; o < O; o++) out[outRow + o] = b[o]!;
    const xRow = r * I;
    for (let i = 0; i < I; i++) {
      const xi = x[xRow + i]!;
      if (xi === 0) continue;
      const wRow = i * O;
      for (let o = 0; o < O; o++) out[outRow + o]! += xi * w[wRow + o]!;
    }
  }
}

/**
 * Dense layer, backward of `out[r,o] = b[o] + sum_i x[r,i] * w[i,o]`.
 * dout is (R,O), x is (R,I), w is (I,O).
 * Adds dw (I,O) += x^T dout and db (O) += sum_r dout; writes dx (R,I) = dout w^T unless dx is null.
 */
export function denseBackward(
  dx: Float64Array | null,
  dw: Float64Array,
  db: Float64Array,
  dout: Float64Array,
  x: Float64Array,
  w: Float64Array,
  R: number,
  I: number,
  O: number,
): void {
  for (let r = 0; r < R; r++) {
    const doutRow = r * O;
    for (let o = 0; o < O; o++) db[o]! += dout[doutRow + o]!;
    const xRow = r * I;
    for (let i = 0; i < I; i++) {
      const wRow = i * O;
      if (dx !== null) {
        let sum = 0;
        for (let o = 0; o < O; o++) sum += dout[doutRow + o]! * w[wRow + o]!;
        dx[xRow + i] = sum;
      }
      const xi = x[xRow + i]!;
      if (xi === 0) continue;
      for (let o = 0; o < O; o++) dw[wRow + o]! += xi * dout[doutRow + o]!;
    }
  }
}

/**
 * First layer on sparse input, forward: the same product as denseForward, walking only non-zero pixels.
 * Row r of the batch is row rowIds[r] of `input`; its values are scaled by `scale` (1/255) on the fly.
 * w is (I,O), b is (O); writes out (R,O).
 *   out[r,o] = b[o] + sum_{i: x[r,i] != 0} scale * x[r,i] * w[i,o]
 * Output columns are done in blocks of ten running sums held in local variables (registers) over the row's
 * non-zeros, then blocks of four, then one by one: the seed's H = 10 is one pass per row, and no output is
 * loaded and stored again for every pixel. This is the hot loop of training; measure before changing it.
 */
export function sparseForward(
  out: Float64Array,
  input: SparseRows,
  rowIds: Uint32Array,
  scale: number,
  w: Float64Array,
  b: Float64Array,
  R: number,
  O: number,
): void {
  const { offsets, indices, values } = input;
  for (let r = 0; r < R; r++) {
    const row = rowIds[r]!;
    const outRow = r * O;
    const start = offsets[row]!;
    const end = offsets[row + 1]!;
    let o = 0;
    for (; o + 10 <= O; o += 10) {
      let a0 = b[o]!, a1 = b[o + 1]!, a2 = b[o + 2]!, a3 = b[o + 3]!, a4 = b[o + 4]!;
      let a5 = b[o + 5]!, a6 = b[o + 6]!, a7 = b[o + 7]!, a8 = b[o + 8]!, a9 = b[o + 9]!;
      for (let p = start; p < end; p++) {
        const x = values[p]! * scale;
        const k = indices[p]! * O + o;
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
    for (; o + 4 <= O; o += 4) {
      let a0 = b[o]!, a1 = b[o + 1]!, a2 = b[o + 2]!, a3 = b[o + 3]!;
      for (let p = start; p < end; p++) {
        const x = values[p]! * scale;
        const k = indices[p]! * O + o;
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
    for (; o < O; o++) {
      let a0 = b[o]!;
      for (let p = start; p < end; p++) a0 += values[p]! * scale * w[indices[p]! * O + o]!;
      out[outRow + o] = a0;
    }
  }
}

/**
 * sparseBackward gathers a row's active units when the layer has at least gatherMinUnits units and at most
 * gatherMaxActive of them are active. Measured on real rows: 2.2x faster than all columns for trained 256- and
 * 800-unit layers (a third active); for the seed's 10 units (70% active) gathering was slower.
 */
const gatherMinUnits = 32;
const gatherMaxActive = 0.75;

/**
 * First layer on sparse input, backward of sparseForward (the input needs no gradient).
 * dout is (R,O). Adds dw (I,O) += scale * x^T dout over non-zero x, and db (O) += sum_r dout.
 * activeUnits and activeGrads are scratch of at least O entries.
 *
 * After a ReLU, a row's inactive units have exactly zero gradient, and in trained networks most units are
 * inactive for any one image (about a third of 256 or 800 are active). So a wide layer's row first gathers its
 * non-zero gradients and updates only those columns of dw, a third of the work. A narrow layer (the seed's 10
 * units, about 70% active), or a row with most units active, is faster done over all columns in contiguous
 * blocks, the row's gradients held in locals while its non-zero pixels update dw's rows. Either way each dw
 * entry receives the same products in the same order, so both paths give the same numbers.
 */
export function sparseBackward(
  dw: Float64Array,
  db: Float64Array,
  dout: Float64Array,
  input: SparseRows,
  rowIds: Uint32Array,
  scale: number,
  R: number,
  O: number,
  activeUnits: Int32Array,
  activeGrads: Float64Array,
): void {
  const { offsets, indices, values } = input;
  const gatherLimit = O < gatherMinUnits ? -1 : Math.floor(O * gatherMaxActive);
  for (let r = 0; r < R; r++) {
    const row = rowIds[r]!;
    const dRow = r * O;
    const start = offsets[row]!;
    const end = offsets[row + 1]!;
    let active = 0;
    for (let o = 0; o < O; o++) {
      const d = dout[dRow + o]!;
      db[o]! += d;
      if (d !== 0) {
        activeUnits[active] = o;
        activeGrads[active] = d;
        active++;
      }
    }
    if (active <= gatherLimit) {
      addGathered(dw, indices, values, start, end, scale, O, activeUnits, activeGrads, active);
    } else {
      addContiguous(dw, indices, values, start, end, scale, O, dout, dRow);
    }
  }
}

/** dw[pixel, o] += scale * value * dout[dRow + o] for each of one row's non-zeros, all O columns, ten at a time. */
function addContiguous(
  dw: Float64Array,
  indices: Uint16Array,
  values: Uint8Array,
  start: number,
  end: number,
  scale: number,
  O: number,
  dout: Float64Array,
  dRow: number,
): void {
  let o = 0;
  for (; o + 10 <= O; o += 10) {
    const d0 = dout[dRow + o]!, d1 = dout[dRow + o + 1]!, d2 = dout[dRow + o + 2]!, d3 = dout[dRow + o + 3]!;
    const d4 = dout[dRow + o + 4]!, d5 = dout[dRow + o + 5]!, d6 = dout[dRow + o + 6]!, d7 = dout[dRow + o + 7]!;
    const d8 = dout[dRow + o + 8]!, d9 = dout[dRow + o + 9]!;
    for (let p = start; p < end; p++) {
      const x = values[p]! * scale;
      const k = indices[p]! * O + o;
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
  for (; o + 4 <= O; o += 4) {
    const d0 = dout[dRow + o]!, d1 = dout[dRow + o + 1]!, d2 = dout[dRow + o + 2]!, d3 = dout[dRow + o + 3]!;
    for (let p = start; p < end; p++) {
      const x = values[p]! * scale;
      const k = indices[p]! * O + o;
      dw[k]! += x * d0;
      dw[k + 1]! += x * d1;
      dw[k + 2]! += x * d2;
      dw[k + 3]! += x * d3;
    }
  }
  for (; o < O; o++) {
    const d0 = dout[dRow + o]!;
    for (let p = start; p < end; p++) dw[indices[p]! * O + o]! += values[p]! * scale * d0;
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
  O: number,
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
      const k = indices[p]! * O;
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
      const k = indices[p]! * O;
      dw[k + j0]! += x * d0;
      dw[k + j1]! += x * d1;
      dw[k + j2]! += x * d2;
      dw[k + j3]! += x * d3;
    }
  }
  for (; u < count; u++) {
    const j0 = units[u]!;
    const d0 = grads[u]!;
    for (let p = start; p < end; p++) dw[indices[p]! * O + j0]! += values[p]! * scale * d0;
  }
}

/** ReLU, forward: out[n] = max(0, x[n]) for n elements. */
export function reluForward(out: Float64Array, x: Float64Array, n: number): void {
  for (let k = 0; k < n; k++) {
    const v = x[k]!;
    out[k] = v > 0 ? v : 0;
  }
}

/** ReLU, backward of `out = max(0, x)`: dx[n] = x[n] > 0 ? dout[n] : 0. dx may be dout itself. */
export function reluBackward(dx: Float64Array, dout: Float64Array, x: Float64Array, n: number): void {
  for (let k = 0; k < n; k++) dx[k] = x[k]! > 0 ? dout[k]! : 0;
}

/**
 * Softmax and cross-entropy, forward. logits is (R,K), labels is (R); writes probs (R,K).
 * Returns the summed loss  sum_r -log probs[r, labels[r]]. The row maximum is subtracted before exp, so large
 * logits cannot overflow; the log-probability is taken from the log-sum-exp, so a tiny probability is not log(0).
 */
export function softmaxCrossEntropyForward(
  probs: Float64Array,
  logits: Float64Array,
  labels: Uint8Array,
  R: number,
  K: number,
): number {
  let loss = 0;
  for (let r = 0; r < R; r++) {
    const row = r * K;
    let max = -Infinity;
    for (let k = 0; k < K; k++) if (logits[row + k]! > max) max = logits[row + k]!;
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(logits[row + k]! - max);
      probs[row + k] = e;
      sum += e;
    }
    const inverse = 1 / sum;
    for (let k = 0; k < K; k++) probs[row + k]! *= inverse;
    loss += Math.log(sum) + max - logits[row + labels[r]!]!;
  }
  return loss;
}

/**
 * Softmax and cross-entropy, backward of `loss = scale * sum_r -log softmax(logits[r])[labels[r]]`:
 * dlogits (R,K) = scale * (probs - onehot(labels)). scale is 1/R for a mean loss.
 */
export function softmaxCrossEntropyBackward(
  dlogits: Float64Array,
  probs: Float64Array,
  labels: Uint8Array,
  scale: number,
  R: number,
  K: number,
): void {
  for (let r = 0; r < R; r++) {
    const row = r * K;
    for (let k = 0; k < K; k++) dlogits[row + k] = probs[row + k]! * scale;
    dlogits[row + labels[r]!]! -= scale;
  }
}

/**
 * The output side of a training step, row by row: ReLU, second layer, softmax and cross-entropy, forward and
 * backward, for rows whose hidden pre-activations are `hidden` (R,H). w2 is (H,K), b2 (K).
 * Adds dw2 (H,K) and db2 (K); writes dhidden (R,H), the gradient at the pre-activations, ready for
 * sparseBackward, and probs and dlogits (R,K). labels (R). scale is the loss scale (1/batch rows), as in
 * softmaxCrossEntropyBackward. Returns the summed loss and the rows whose most probable class is their label.
 *
 * Every value goes through the same operations in the same order as reluForward, denseForward,
 * softmaxCrossEntropyForward, argmaxRow, softmaxCrossEntropyBackward, denseBackward and reluBackward one after
 * the other (a test holds them bit for bit equal); fused, a row's few values stay in cache between the steps
 * instead of making seven passes over the batch, which matters when H is small (the seed network's 10).
 */
export function outputLayerStep(
  dhidden: Float64Array,
  dw2: Float64Array,
  db2: Float64Array,
  dlogits: Float64Array,
  probs: Float64Array,
  hidden: Float64Array,
  labels: Uint8Array,
  w2: Float64Array,
  b2: Float64Array,
  scale: number,
  R: number,
  H: number,
  K: number,
): { lossSum: number; correct: number } {
  let lossSum = 0;
  let correct = 0;
  for (let r = 0; r < R; r++) {
    lossSum += outputLayerRow(dhidden, dw2, db2, dlogits, probs, hidden, r * H, r * K, labels[r]!, w2, b2, scale, H, K);
    if (argmaxRow(probs, r, K) === labels[r]) correct++;
  }
  return { lossSum, correct };
}

/**
 * outputLayerStep for one row, whose hidden pre-activations start at hidden[hRow] and whose probabilities,
 * output gradients and hidden gradients go to probs, dlogits and dhidden from kRow, kRow and hRow.
 * Returns the row's loss, -log probs[label].
 */
function outputLayerRow(
  dhidden: Float64Array,
  dw2: Float64Array,
  db2: Float64Array,
  dlogits: Float64Array,
  probs: Float64Array,
  hidden: Float64Array,
  hRow: number,
  kRow: number,
  label: number,
  w2: Float64Array,
  b2: Float64Array,
  scale: number,
  H: number,
  K: number,
): number {
  // Logits, built in probs' row: b2, then each active hidden unit in order (as denseForward skips zeros).
  if (K === 10) {
    logitsOfTen(probs, kRow, hidden, hRow, H, w2, b2);
  } else {
    for (let k = 0; k < K; k++) probs[kRow + k] = b2[k]!;
    for (let h = 0; h < H; h++) {
      const a = hidden[hRow + h]!;
      if (!(a > 0)) continue;
      const wRow = h * K;
      for (let k = 0; k < K; k++) probs[kRow + k]! += a * w2[wRow + k]!;
    }
  }
  let max = -Infinity;
  for (let k = 0; k < K; k++) if (probs[kRow + k]! > max) max = probs[kRow + k]!;
  const labelLogit = probs[kRow + label]!;
  let sum = 0;
  for (let k = 0; k < K; k++) {
    const e = Math.exp(probs[kRow + k]! - max);
    probs[kRow + k] = e;
    sum += e;
  }
  const inverse = 1 / sum;
  for (let k = 0; k < K; k++) probs[kRow + k]! *= inverse;
  // Backward: dlogits = scale * (probs - onehot), added to db2 and, through active units, to dw2 and dhidden.
  for (let k = 0; k < K; k++) {
    const g = probs[kRow + k]! * scale;
    dlogits[kRow + k] = g;
  }
  dlogits[kRow + label]! -= scale;
  for (let k = 0; k < K; k++) db2[k]! += dlogits[kRow + k]!;
  if (K === 10) {
    backOfTen(dhidden, dw2, dlogits, kRow, hidden, hRow, H, w2);
  } else {
    for (let h = 0; h < H; h++) {
      const a = hidden[hRow + h]!;
      // An inactive unit passes no gradient back (ReLU), and takes none into its weights.
      if (!(a > 0)) {
        dhidden[hRow + h] = 0;
        continue;
      }
      const wRow = h * K;
      let back = 0;
      for (let k = 0; k < K; k++) back += dlogits[kRow + k]! * w2[wRow + k]!;
      for (let k = 0; k < K; k++) dw2[wRow + k]! += a * dlogits[kRow + k]!;
      dhidden[hRow + h] = back;
    }
  }
  return Math.log(sum) + max - labelLogit;
}

/**
 * A whole training step of a network with ten hidden units and ten classes (the seed's 784-10-10), row by row:
 * for each row, what sparseForward, outputLayerStep and sparseBackward do to it, one after the other, while the
 * row's non-zero pixels are still in the CPU's fastest cache, with the ten hidden units' sums and gradients in
 * local variables and their weights' offset (pixel * 10) a multiple the compiler knows. Over 41,000 real rows on
 * one thread it takes about three quarters of the time of the three kernels one after the other.
 *
 * Arguments as for those three: rows rowIds[0..R) of `input`, labels (R) in batch order, scale (1/255) for the
 * pixels and lossScale (1/batch rows) for the loss; w1 (I,10), b1 (10), w2 (10,10), b2 (10). Adds dw1 (I,10),
 * db1 (10), dw2 (10,10) and db2 (10); writes hidden and dhidden (R,10), probs and dlogits (R,10).
 * Every value goes through the same operations in the same order as in the three kernels, so the numbers are
 * bit for bit the same (a test holds them equal). The two pixel loops are sparseForward's and addContiguous's
 * blocks of ten written out again on purpose: calling addContiguous(..., 10, dhidden, o) for the backward one
 * instead measured 8% slower a step (its stride is a variable there, not the constant 10).
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

/*
 * outputLayerStep's two H x K loops for Kaggle's ten classes, with the ten sums or gradients in local variables
 * instead of memory: the same operations in the same order as the general loops (the kernel tests hold the
 * fused step bit for bit equal to the unfused kernels for K = 10 and for other K). Two epochs of 784-128-10
 * training with Adam on one thread (CPU profile): the output side took 565 ms of 3,989 before, 235 of 3,530 after.
 */

/** probs[kRow .. kRow+10) = b2 + sum over the row's active hidden units h, in order, of hidden[h] * w2[h, :]. */
function logitsOfTen(
  probs: Float64Array,
  kRow: number,
  hidden: Float64Array,
  hRow: number,
  H: number,
  w2: Float64Array,
  b2: Float64Array,
): void {
  let z0 = b2[0]!, z1 = b2[1]!, z2 = b2[2]!, z3 = b2[3]!, z4 = b2[4]!;
  let z5 = b2[5]!, z6 = b2[6]!, z7 = b2[7]!, z8 = b2[8]!, z9 = b2[9]!;
  for (let h = 0; h < H; h++) {
    const a = hidden[hRow + h]!;
    if (!(a > 0)) continue;
    const w = h * 10;
    z0 += a * w2[w]!;
    z1 += a * w2[w + 1]!;
    z2 += a * w2[w + 2]!;
    z3 += a * w2[w + 3]!;
    z4 += a * w2[w + 4]!;
    z5 += a * w2[w + 5]!;
    z6 += a * w2[w + 6]!;
    z7 += a * w2[w + 7]!;
    z8 += a * w2[w + 8]!;
    z9 += a * w2[w + 9]!;
  }
  probs[kRow] = z0;
  probs[kRow + 1] = z1;
  probs[kRow + 2] = z2;
  probs[kRow + 3] = z3;
  probs[kRow + 4] = z4;
  probs[kRow + 5] = z5;
  probs[kRow + 6] = z6;
  probs[kRow + 7] = z7;
  probs[kRow + 8] = z8;
  probs[kRow + 9] = z9;
}

/** For each active unit h: dhidden[h] = dlogits . w2[h, :] and dw2[h, :] += hidden[h] * dlogits; 0 otherwise. */
function backOfTen(
  dhidden: Float64Array,
  dw2: Float64Array,
  dlogits: Float64Array,
  kRow: number,
  hidden: Float64Array,
  hRow: number,
  H: number,
  w2: Float64Array,
): void {
  const d0 = dlogits[kRow]!, d1 = dlogits[kRow + 1]!, d2 = dlogits[kRow + 2]!, d3 = dlogits[kRow + 3]!;
  const d4 = dlogits[kRow + 4]!, d5 = dlogits[kRow + 5]!, d6 = dlogits[kRow + 6]!, d7 = dlogits[kRow + 7]!;
  const d8 = dlogits[kRow + 8]!, d9 = dlogits[kRow + 9]!;
  for (let h = 0; h < H; h++) {
    const a = hidden[hRow + h]!;
    if (!(a > 0)) {
      dhidden[hRow + h] = 0;
      continue;
    }
    const w = h * 10;
    // From 0, as the general loop: 0 + (-0) is +0, which a sum started at the first product would not give.
    let back = 0;
    back += d0 * w2[w]!;
    back += d1 * w2[w + 1]!;
    back += d2 * w2[w + 2]!;
    back += d3 * w2[w + 3]!;
    back += d4 * w2[w + 4]!;
    back += d5 * w2[w + 5]!;
    back += d6 * w2[w + 6]!;
    back += d7 * w2[w + 7]!;
    back += d8 * w2[w + 8]!;
    back += d9 * w2[w + 9]!;
    dw2[w]! += a * d0;
    dw2[w + 1]! += a * d1;
    dw2[w + 2]! += a * d2;
    dw2[w + 3]! += a * d3;
    dw2[w + 4]! += a * d4;
    dw2[w + 5]! += a * d5;
    dw2[w + 6]! += a * d6;
    dw2[w + 7]! += a * d7;
    dw2[w + 8]! += a * d8;
    dw2[w + 9]! += a * d9;
    dhidden[hRow + h] = back;
  }
}

/** Softmax alone, for prediction: probs (R,K) from logits (R,K), stable for large logits. */
export function softmaxForward(probs: Float64Array, logits: Float64Array, R: number, K: number): void {
  for (let r = 0; r < R; r++) {
    const row = r * K;
    let max = -Infinity;
    for (let k = 0; k < K; k++) if (logits[row + k]! > max) max = logits[row + k]!;
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(logits[row + k]! - max);
      probs[row + k] = e;
      sum += e;
    }
    for (let k = 0; k < K; k++) probs[row + k]! /= sum;
  }
}

/** Index of the largest of K scores in row r of (R,K) scores: the predicted class. Ties go to the first. */
export function argmaxRow(scores: Float64Array, r: number, K: number): number {
  const row = r * K;
  let best = 0;
  for (let k = 1; k < K; k++) if (scores[row + k]! > scores[row + best]!) best = k;
  return best;
}
