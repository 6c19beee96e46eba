/**
 * Classifies one image at a time with a loaded model, through the one prediction path that `digits predict`
 * takes (nn/predict.ts's predictImages: the sparse view of the pixels, deskewed first when the model was
 * trained on deskewed images), so the server answers what predict writes for the same image. The packed
 * weights and buffers are made once per model, not per request.
 */
import type { Model } from '../train/model.js';
import { argmaxRow } from '../nn/kernels/outputLayer.js';
import { typeScriptBackend, type Backend } from '../nn/backend.js';
import { packNetworkFor, predictImages, PredictScratch, type PackedNetwork } from '../nn/predict.js';

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
  private readonly network: PackedNetwork;
  private readonly scratch: PredictScratch;
  private readonly probs: Float64Array;

  /** A classifier running `backend`'s kernels (the TypeScript ones by default). */
  constructor(model: Model, backend: Backend = typeScriptBackend()) {
    this.model = model;
    this.inputSize = model.params.shape.inputSize;
    this.network = packNetworkFor(model.params, backend);
    this.scratch = new PredictScratch(model.params.shape, 1, backend);
    this.probs = new Float64Array(model.params.shape.classCount);
  }

  /** `pixels` holds inputSize values 0..255, row-major, as a CSV row does. */
  classify(pixels: Uint8Array): Classification {
    if (pixels.length !== this.inputSize) {
      throw new RangeError(`expected ${this.inputSize} pixels, got ${pixels.length}`);
    }
    predictImages(this.network, pixels, 1, this.model.deskew, this.probs, this.scratch);
    const K = this.probs.length;
    return {
      digit: this.model.classes[argmaxRow(this.probs, 0, K)]!,
      probabilities: Array.from(this.probs),
      classes: [...this.model.classes],
    };
  }
}
