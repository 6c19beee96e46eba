/**
 * The network's forward pass from plain kernels called one after the other over the whole batch: the sparse
 * first layer as training runs it (sparseForward), ReLU and the dense second layer (reference.ts), then
 * softmaxForward. The one prediction path (src/nn/predict.ts) must give exactly these probabilities.
 */
import type { SparseRows } from '../../src/data/dataset.js';
import { sparseForward } from '../../src/nn/kernels/firstLayer.js';
import { softmaxForward } from '../../src/nn/kernels/outputLayer.js';
import { inputScale, type Parameters } from '../../src/nn/network.js';
import { denseForward, reluForward } from './reference.js';

export interface PlainForward {
  /** Pre-activations (R,H). */
  readonly hidden: Float64Array;
  readonly logits: Float64Array;
  readonly probs: Float64Array;
}

/** The forward pass for rows rowIds of `input`. */
export function plainForward(params: Parameters, input: SparseRows, rowIds: Uint32Array): PlainForward {
  const { hiddenSize: H, classCount: K } = params.shape;
  const R = rowIds.length;
  const hidden = new Float64Array(R * H);
  const activations = new Float64Array(R * H);
  const logits = new Float64Array(R * K);
  const probs = new Float64Array(R * K);
  sparseForward(hidden, input, rowIds, inputScale, params.w1, params.b1, R, H);
  reluForward(activations, hidden, R * H);
  denseForward(logits, activations, params.w2, params.b2, R, H, K);
  softmaxForward(probs, logits, R, K);
  return { hidden, logits, probs };
}
