/**
 * Scoring a model: on a labelled file, or on the held-out rows recorded in the model, re-read from the training
 * file it names, refusing if that file is not the same (SHA-256) as when the model was trained.
 */
import { existsSync } from 'node:fs';
import type { Dataset } from '../data/dataset.js';
import { inputError } from '../errors.js';
import { invocation } from '../invocation.js';
import { score, type Scores } from '../train/metrics.js';
import type { Model } from '../train/model.js';
import { checkCompatible, predictRows, type Predictions } from './inference.js';

export interface Evaluation {
  readonly scores: Scores;
  readonly predictions: Predictions;
  /** Row indices in the dataset that were scored, in the order of predictions. */
  readonly rowIds: Uint32Array;
  /** Labels of the scored rows. */
  readonly labels: Uint8Array;
}

/** The training file and rows to score when eval is given no file; throws if that is impossible. */
export function heldOutTarget(model: Model, modelPath: string): { path: string; rowIds: Uint32Array } {
  if (model.data.path === '-') {
    throw inputError(`${modelPath}: the model was trained from standard input, so eval cannot re-read its held-out rows`, [
      `Give a labelled file: ${invocation()} eval <file> --model ${modelPath}`,
    ]);
  }
  if (model.data.heldOutRows.length === 0) {
    throw inputError(`${modelPath}: the model was trained with --holdout 0, so it has no held-out rows to score`, [
      `Give a labelled file: ${invocation()} eval <file> --model ${modelPath}`,
    ]);
  }
  if (!existsSync(model.data.path)) {
    throw inputError(`${model.data.path}: the training file recorded in ${modelPath} is gone (moved or deleted)`, [
      `Put it back to score the held-out rows, or give a labelled file: ${invocation()} eval <file> --model ${modelPath}`,
    ]);
  }
  return { path: model.data.path, rowIds: Uint32Array.from(model.data.heldOutRows) };
}

/** Refuses a training file that is not byte-for-byte the one the model recorded. */
export function checkSameTrainingFile(model: Model, dataset: Dataset): void {
  if (dataset.source.sha256 !== model.data.sha256 || dataset.rows !== model.data.rows) {
    throw inputError(
      `${dataset.source.path}: the file has changed since the model was trained ` +
        `(SHA-256 ${dataset.source.sha256.slice(0, 12)}..., ${dataset.rows} rows; the model recorded ` +
        `${model.data.sha256.slice(0, 12)}..., ${model.data.rows} rows), so its held-out rows cannot be found`,
      [`Score a labelled file instead: ${invocation()} eval <file> --model <model>`],
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
  predict: () => Predictions | Promise<Predictions> = () => predictRows(model, dataset, rowIds),
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
