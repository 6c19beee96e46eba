/**
 * The model file's document: one JSON object holding the weights and everything needed to trust and reuse them:
 * layer sizes, normalisation, classes, the training configuration, the training file's path, row count and
 * SHA-256, the held-out rows, the metrics history and the optimiser state (for --resume). write.ts makes it,
 * read.ts checks all of it when loading.
 *
 * A committee (--members) is saved as the one network its members make when joined (architecture.hiddenSize is
 * members x training.config.hiddenSize), so everything that reads models uses it unchanged. Only an interrupted
 * committee also keeps its networks apart, in committeeState, for --resume to continue exactly.
 */
import type { OptimizerName } from '../nn/optimizers.js';
import type { TrainingDataRecord, TrainingRecord } from '../train/model.js';
import type { TrainingReport } from '../train/trainer.js';

export const modelFormat = 'digits-model';
export const modelVersion = 1;

/** A weight matrix or bias: its shape and its numbers, row-major. */
export interface TensorJson<Numbers> {
  shape: number[];
  data: Numbers;
}

/**
 * The document as written. Numbers is how its long runs of numbers (weights, optimizer state, committee members)
 * are held: number[] once parsed or made by toJson; saveModel keeps them as the model's own Float64Arrays.
 */
export interface ModelJson<Numbers = number[]> {
  format: string;
  version: number;
  tool: { name: string; version: string };
  createdAt: string;
  architecture: {
    inputSize: number;
    hiddenSize: number;
    classCount: number;
    hiddenActivation: 'relu';
    output: 'softmax';
    weightLayout: string;
  };
  normalization: { divideBy: number; deskew: boolean };
  classes: number[];
  parameters: { w1: TensorJson<Numbers>; b1: TensorJson<Numbers>; w2: TensorJson<Numbers>; b2: TensorJson<Numbers> };
  training: TrainingRecord;
  data: TrainingDataRecord;
  history: TrainingReport[];
  optimizerState: OptimizerStateJson<Numbers> | null;
  committeeState: {
    done: number;
    members: Numbers[];
    current: { iteration: number; optimizerState: OptimizerStateJson<Numbers> } | null;
  } | null;
}

export interface OptimizerStateJson<Numbers> {
  name: OptimizerName;
  step: number;
  first: Numbers;
  second: Numbers;
}


/**
 * What is wrong when a model records more steps taken than its plan has; null when nothing is. Such a file is
 * refused on reading, so it is never written either.
 */
export function stepsBeyondPlan(training: TrainingRecord): string | null {
  if (training.iterations <= training.totalIterations) return null;
  return `is ${training.iterations}, more than training.totalIterations (${training.totalIterations})`;
}
