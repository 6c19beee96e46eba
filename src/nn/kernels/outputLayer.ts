/**
 * The output side: ReLU'd hidden activations -> second layer -> softmax and cross-entropy. For training, one
 * fused step that does the forward and the backward row by row (outputLayerStep); for prediction, the second
 * layer alone (outputLayerForward) and the softmax (softmaxForward); argmaxRow picks the predicted class.
 * Buffers are passed in, never allocated here; gradients are ADDED into dw2 and db2.
 *
 * Legend: R rows in the call, I inputs (784 pixels), H hidden units, K classes. Matrices are row-major; w2 is
 * (H,K), so hidden unit h's outgoing weights are contiguous.
 */

/**
 * The output side of a training step, row by row: ReLU, second layer, softmax and cross-entropy, forward and
 * backward, for rows whose hidden pre-activations are `hidden` (R,H). w2 is (H,K), b2 (K).
 * Adds dw2 (H,K) and db2 (K); writes dhidden (R,H), the gradient at the pre-activations, ready for
 * sparseBackward, and probs and dlogits (R,K). labels (R). scale is the loss scale (1/batch rows):
 * dlogits = scale * (probs - onehot(labels)). Returns the summed loss and the rows whose most probable class is
 * their label.
 *
 * Every value goes through the same operations in the same order as the plain kernels one after the other
 * (ReLU, dense layer, softmax with cross-entropy, argmax, and their backwards: test/nn/reference.ts; a test
 * holds them bit for bit equal). Fused, a row's few values stay in cache between the steps instead of making
 * seven passes over the batch, which matters when H is small (the seed network's 10).
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
 * Returns the row's loss, -log probs[label]: taken from the log-sum-exp, so a tiny probability is not log(0),
 * and the row's largest logit is subtracted before exp, so a large one cannot overflow.
 */
export function outputLayerRow(
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
  // Logits, built in probs' row: b2, then each active hidden unit in order (inactive ones add nothing).
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

/*
 * outputLayerRow's two H x K loops for Kaggle's ten classes, with the ten sums or gradients in local variables
 * instead of memory, which is where the output side of a step spends its time otherwise. The same operations in
 * the same order as the general loops (the tests hold the fused step bit for bit equal to the plain kernels for
 * K = 10 and for other K).
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

/**
 * Second layer for prediction: logits (R,K) = b (K) + hidden (R,H) . w (H,K), where hidden holds activations
 * (after the ReLU), zeros skipped as they add nothing. Ten outputs are summed in local variables, one pass over
 * a row's activations for Kaggle's ten classes. The same operations in the same order as the plain dense layer,
 * so prediction's logits are bit for bit those of training's forward pass.
 */
export function outputLayerForward(
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

/**
 * Softmax for prediction: probs (R,K) from logits (R,K). The row's largest logit is subtracted before exp, so
 * large logits cannot overflow. Each value is divided by the row's sum, where outputLayerRow multiplies by its
 * inverse: the two can differ in the last bit, and predicted probabilities keep the correctly rounded quotient.
 */
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
