/**
 * Classifies one image at a time with a loaded model, through the same network code as `digits predict`
 * (predictProbabilities over the sparse view of the pixels), deskewing the image first when the model was
 * trained on deskewed images. Buffers are made once per model, not per request.
 */
import { toSparseRows } from '../data/dataset.js';
import { deskewSparseRows } from '../data/deskew.js';
import type { Model } from '../train/model.js';
import { argmaxRow } from '../nn/kernels.js';
import { predictProbabilities, Workspace } from '../nn/network.js';

export interface Classification {
  /** The predicted class's label (model.classes[index]). */
  readonly digit: number;
  /** Probability of each class, in the order of `classes`. */
  readonly probabilities: number[];
  readonly classes: number[];
}

/** What the server needs: the image size and a classification of one image. */
export interface PixelClassifier {
  readonly inputSize: number;
  classify(pixels: Uint8Array): Classification;
}

export class Classifier implements PixelClassifier {
  readonly model: Model;
  readonly inputSize: number;
  private readonly workspace: Workspace;
  private readonly probs: Float64Array;
  private readonly firstRow = Uint32Array.of(0);

  constructor(model: Model) {
    this.model = model;
    this.inputSize = model.params.shape.inputSize;
    this.workspace = new Workspace(model.params.shape, 1);
    this.probs = new Float64Array(model.params.shape.classCount);
  }

  /** `pixels` holds inputSize values 0..255, row-major, as a CSV row does. */
  classify(pixels: Uint8Array): Classification {
    if (pixels.length !== this.inputSize) {
      throw new RangeError(`expected ${this.inputSize} pixels, got ${pixels.length}`);
    }
    const sparse = toSparseRows(pixels, 1, this.inputSize);
    const input = this.model.deskew ? deskewSparseRows(sparse) : sparse;
    predictProbabilities(this.model.params, this.workspace, input, this.firstRow, this.probs);
    const K = this.probs.length;
    return {
      digit: this.model.classes[argmaxRow(this.probs, 0, K)]!,
      probabilities: Array.from(this.probs),
      classes: [...this.model.classes],
    };
  }
}
