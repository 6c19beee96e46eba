/**
 * Plain kernels, one step of the network each, that the fast kernels of src/nn/kernels/ are checked against
 * (bit for bit where the fast ones promise the same operations in the same order) and that are themselves
 * checked against finite differences (reference.test.ts). Nothing in src/ uses them.
 *
 * Legend: R rows, I inputs, H hidden units, K classes; O is a dense layer's output size (H or K). Matrices are
 * row-major; a weight matrix is (I,O), so input i's outgoing weights are contiguous. Backward kernels ADD into
 * their weight and bias gradients, as the fast ones do.
 *
 * No imports: test/bench/kernels.bench.mjs loads this file as it is, transpiled, beside the compiled kernels.
 */

/**
 * Dense layer, forward. x is (R,I), w is (I,O), b is (O); writes out (R,O).
 *   out[r,o] = b[o] + sum_i x[r,i] * w[i,o]
 * Zero inputs are skipped, as the sparse and packed kernels skip them.
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
 * Dense layer, backward of `out[r,o] = b[o] + sum_i x[r,i] * w[i,o]`. dout is (R,O), x is (R,I), w is (I,O).
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
