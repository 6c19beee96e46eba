/** Scoring a model on labelled rows of a dataset: its predictions against the labels. */
import type { Dataset } from '../data/dataset.js';
import { inputError } from '../errors.js';
import { predictRows, type Predictions } from '../nn/predict.js';
import { score, type Scores } from './metrics.js';
import type { Model } from './model.js';

export interface Evaluation {
  readonly scores: Scores;
  readonly predictions: Predictions;
  /** Row indices in the dataset that were scored, in the order of predictions. */
  readonly rowIds: Uint32Array;
  /** Labels of the scored rows. */
  readonly labels: Uint8Array;
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
 * Scores rows rowIds (default: all rows) of the dataset. `predict` gives the predictions of those rows, in that
 * order, and is called only once the dataset is known to be scorable; by default it is predictRows, on this
 * thread (eval of a whole file passes the prediction threads' results instead).
 */
export async function evaluate(
  model: Model,
  dataset: Dataset,
  modelPath: string,
  rowIds?: Uint32Array,
  predict: () => Predictions | Promise<Predictions> = () => predictRows(model.params, dataset, { deskew: model.deskew, rowIds }),
): Promise<Evaluation> {
  const given = dataset.labels;
  if (!given) throw inputError(`${dataset.source.path}: has no label column to score against`);
  checkCompatible(model, dataset, modelPath);
  const ids = rowIds ?? Uint32Array.from({ length: dataset.rows }, (_, r) => r);
  const predictions = await predict();
  const labels = new Uint8Array(ids.length);
  for (let k = 0; k < ids.length; k++) labels[k] = given[ids[k]!]!;
  return {
    scores: score(predictions.predicted, labels, model.params.shape.classCount),
    predictions,
    rowIds: ids,
    labels,
  };
}
