/**
 * Trains a model on a loaded dataset: the split, the sparse view, the engine, the optional augmenter and the
 * trainer, put together; returns the model ready to save. The train command only parses options and shows events.
 */
import { resolve } from 'node:path';
import { classCount, pixelScale, toSparseRows, type Dataset } from '../data/dataset.js';
import { heldOutCount, splitFromHeldOut, splitRows, type Split } from '../data/split.js';
import { createAugmenter } from '../data/augment.js';
import { LocalEngine, type GradientEngine } from '../nn/engine.js';
import type { SharedInputs } from '../nn/threads.js';
import { createParameters, initialise, type NetworkShape, type Parameters } from '../nn/network.js';
import { Random } from '../nn/random.js';
import { inputError } from '../errors.js';
import type { Model } from '../model/file.js';
import { toolVersion } from '../version.js';
import { binomialStandardError } from './metrics.js';
import type { TrainConfig } from './presets.js';
import { planSchedule, train, type ResumePoint, type TrainerEvents, type TrainingOutcome } from './trainer.js';

/**
 * Builds the engine for a network. `inputs` lists every input and label array the trainer will pass to it
 * (allocated with `allocate`, which gives SharedArrayBuffers when threads are used).
 */
export interface EngineFactory {
  readonly allocate: (bytes: number) => ArrayBufferLike;
  create(shape: NetworkShape, params: Parameters, inputs: SharedInputs): Promise<GradientEngine>;
}

export const localEngineFactory: EngineFactory = {
  allocate: (bytes) => new ArrayBuffer(bytes),
  create: async (shape, params) => new LocalEngine(shape, params),
};

export interface FitOptions {
  readonly events?: TrainerEvents;
  readonly engineFactory?: EngineFactory;
  readonly threads?: number;
  /** A model to continue from (--resume): its weights, optimiser state, split and history. */
  readonly resumeFrom?: Model;
  /** Called once the split and schedule are known, before the first step. */
  readonly onStart?: (info: { split: Split; fullBatch: boolean; totalIterations: number; totalEpochs: number }) => void;
}

export interface FitResult {
  readonly model: Model;
  readonly outcome: TrainingOutcome;
}

export async function fitModel(dataset: Dataset, config: TrainConfig, options: FitOptions = {}): Promise<FitResult> {
  const labels = dataset.labels;
  if (!labels) throw inputError(`${dataset.source.path}: the file has no labels to train on`);
  const shape: NetworkShape = { inputSize: dataset.features, hiddenSize: config.hiddenSize, classCount };
  const resumeFrom = options.resumeFrom;
  let split: Split;
  let params: Parameters;
  let resume: ResumePoint | undefined;
  if (resumeFrom) {
    if (resumeFrom.data.sha256 !== dataset.source.sha256 || resumeFrom.data.rows !== dataset.rows) {
      throw inputError(
        `${dataset.source.path}: not the file the model was trained on (${resumeFrom.data.path}, ${resumeFrom.data.rows} rows, SHA-256 ${resumeFrom.data.sha256.slice(0, 12)}...)`,
        ['--resume continues a run on the same training file.'],
      );
    }
    split = splitFromHeldOut(dataset.rows, resumeFrom.data.heldOutRows);
    params = createParameters(shape, resumeFrom.params.data.slice());
    resume = {
      iteration: resumeFrom.training.iterations,
      // A copy: the run updates its optimiser state in place, and the loaded model stays as it was read.
      optimizer: resumeFrom.optimizer
        ? { ...resumeFrom.optimizer, first: resumeFrom.optimizer.first.slice(), second: resumeFrom.optimizer.second.slice() }
        : null,
      history: resumeFrom.history,
      elapsedSeconds: resumeFrom.training.elapsedSeconds,
    };
  } else {
    split = splitRows(dataset.rows, heldOutCount(config.holdout, dataset.rows), config.seed);
    params = createParameters(shape);
    initialise(params, config.init, new Random(config.seed));
  }

  const factory = options.engineFactory ?? localEngineFactory;
  const input = toSparseRows(dataset.pixels, dataset.rows, dataset.features, factory.allocate);
  const sharedLabels = new Uint8Array(factory.allocate(labels.length));
  sharedLabels.set(labels);
  const plan = planSchedule(config, split.trainRows.length);
  const augmenter = config.augment
    ? createAugmenter(dataset, config.augment, plan.batchSize, config.seed, factory.allocate)
    : null;
  const engine = await factory.create(shape, params, {
    inputs: augmenter ? [input, augmenter.input] : [input],
    labels: augmenter ? [sharedLabels, augmenter.labels] : [sharedLabels],
    maxRows: dataset.rows,
  });
  options.onStart?.({
    split,
    fullBatch: plan.fullBatch,
    totalIterations: plan.totalIterations,
    totalEpochs: plan.totalEpochs,
  });
  let outcome: TrainingOutcome;
  try {
    outcome = await train(config, engine, { input, labels: sharedLabels, split, augmenter }, options.events, resume);
  } finally {
    await engine.close();
  }

  const lastHeldOut = [...outcome.history].reverse().find((r) => r.heldOutAccuracy !== null);
  const heldOutAccuracy = outcome.restoredBest?.heldOutAccuracy ?? lastHeldOut?.heldOutAccuracy ?? null;
  const model: Model = {
    params: engine.params,
    classes: Array.from({ length: classCount }, (_, k) => k),
    pixelScale,
    training: {
      config,
      stopReason: outcome.stopReason,
      iterations: outcome.iterations,
      totalIterations: outcome.totalIterations,
      epochs: outcome.epochs,
      elapsedSeconds: outcome.elapsedSeconds,
      threads: options.threads ?? 1,
      restoredBest: outcome.restoredBest,
      heldOut:
        heldOutAccuracy === null
          ? null
          : {
              accuracy: heldOutAccuracy,
              rows: split.heldOutRows.length,
              standardError: binomialStandardError(heldOutAccuracy, split.heldOutRows.length),
            },
    },
    data: {
      path: dataset.source.path === '-' ? '-' : resolve(dataset.source.path),
      rows: dataset.rows,
      sha256: dataset.source.sha256,
      heldOutRows: Array.from(split.heldOutRows),
    },
    history: outcome.history,
    optimizer: outcome.optimizer,
    tool: { name: 'digits', version: toolVersion },
    createdAt: new Date().toISOString(),
  };
  return { model, outcome };
}
