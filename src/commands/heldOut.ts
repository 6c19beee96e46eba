/**
 * `digits eval` with no file scores the held-out rows recorded in the model, re-read from the training file it
 * names, refusing if that file is not the same (SHA-256) as when the model was trained.
 */
import { existsSync } from 'node:fs';
import type { Dataset } from '../data/dataset.js';
import { inputError } from '../errors.js';
import { invocation } from '../invocation.js';
import type { Model } from '../train/model.js';

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
