/** Predictions from a loaded model on a dataset: the one path used by predict, eval (and serve). */
import { pixelScale, selectRows, toSparseRows, type Dataset } from '../data/dataset.js';
import { deskewSparseRows } from '../data/deskew.js';
import { predictedClasses } from '../nn/network.js';
import { inputError } from '../errors.js';
import type { Model } from '../train/model.js';
import { packFirstLayer, predictWithPacked } from './predictKernel.js';

export interface Predictions {
  /** (rows, K) class probabilities. */
  readonly probs: Float64Array;
  /** Predicted class index of each row. */
  readonly predicted: Uint8Array;
}

/** Checks that the model reads images of the dataset's size. */
export function checkCompatible(model: Model, dataset: Dataset, modelPath: string): void {
  const expected = model.params.shape.inputSize;
  if (dataset.features !== expected) {
    throw inputError(
      `${dataset.source.path}: has ${dataset.features} pixel columns, but the model ${modelPath} reads ${expected}`,
      ['Use a model trained on images of this size.'],
    );
  }
}

/**
 * Predicts rows rowIds (default: all rows) of the dataset. Images are deskewed first if the model was trained on
 * deskewed images and the dataset is not already; the dataset's own bytes are never changed (show keeps the raw
 * images to draw them). Only the rows asked for are made sparse and deskewed: show predicts a handful of a file's
 * rows, eval the tenth of train.csv that was held out.
 */
export function predictRows(model: Model, given: Dataset, rowIds?: Uint32Array): Predictions {
  if (given.deskewed === true && !model.deskew) {
    throw new RangeError('predictRows: the dataset was deskewed when it was read, but the model reads raw images');
  }
  const dataset = rowIds ? selectRows(given, rowIds) : given;
  const ids = Uint32Array.from({ length: dataset.rows }, (_, r) => r);
  const sparse = toSparseRows(dataset.pixels, dataset.rows, dataset.features);
  const input = model.deskew && given.deskewed !== true ? deskewSparseRows(sparse) : sparse;
  const K = model.params.shape.classCount;
  const probs = new Float64Array(ids.length * K);
  const { inputSize: I, hiddenSize: H } = model.params.shape;
  predictWithPacked(model.params, packFirstLayer(model.params.w1, I, H), input, ids, 1 / pixelScale, probs);
  return { probs, predicted: predictedClasses(probs, ids.length, K) };
}
