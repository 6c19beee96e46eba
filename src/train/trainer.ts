/**
 * The training loop: batches, learning-rate schedule, reports every `logEvery` steps and every epoch,
 * held-out evaluation, early stopping, interrupts and divergence. It reports through callbacks and never
 * prints; the train command decides what people see.
 */
import type { SparseRows } from '../data/dataset.js';
import type { Split } from '../data/split.js';
import type { GradientEngine } from '../nn/engine.js';
import { weightRanges } from '../nn/network.js';
import { predictedClasses } from '../nn/predict.js';
import { learningRateAt, type OptimizerState } from '../nn/optimizers.js';
import { Random } from '../data/random.js';
import { failure } from '../errors.js';
import { meanCrossEntropy } from './metrics.js';
import type { TrainConfig } from './presets.js';
import type { BatchAugmenter } from '../data/augment.js';

export interface TrainingData {
  /** Every row of the file, sparse; rows are picked by id. */
  readonly input: SparseRows;
  readonly labels: Uint8Array;
  readonly split: Split;
  /** Builds augmented copies of a batch's rows (for --preset best); null for none. */
  readonly augmenter: BatchAugmenter | null;
}

/** Accuracy and mean cross-entropy of the network in `engine` on some rows (`labels` in the order of `rowIds`). */
export function scoreRows(
  engine: GradientEngine,
  input: SparseRows,
  rowIds: Uint32Array,
  labels: Uint8Array,
  probs: Float64Array = new Float64Array(rowIds.length * engine.params.shape.classCount),
): { accuracy: number; loss: number } {
  const K = engine.params.shape.classCount;
  engine.predict(input, rowIds, probs);
  const predicted = predictedClasses(probs, rowIds.length, K);
  let correct = 0;
  for (let r = 0; r < predicted.length; r++) if (predicted[r] === labels[r]) correct++;
  return { accuracy: correct / rowIds.length, loss: meanCrossEntropy(probs, labels, K) };
}

/** The labels of some rows, in the order of `rowIds`. */
export function gatherLabels(labels: Uint8Array, rowIds: Uint32Array): Uint8Array {
  const out = new Uint8Array(rowIds.length);
  for (let k = 0; k < rowIds.length; k++) out[k] = labels[rowIds[k]!]!;
  return out;
}

export interface TrainingReport {
  /** `iteration`: every logEvery steps; `epoch`: the end of a pass over the training rows. */
  readonly kind: 'iteration' | 'epoch';
  /** Which network of a committee (--members) this is about, from 0; always 0 for a single network. */
  readonly member: number;
  readonly iteration: number;
  readonly totalIterations: number;
  /** Completed epochs, with a fraction for the current one. */
  readonly epoch: number;
  /** Mean loss and accuracy over the steps since the previous report of the same kind. */
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  /** Rows those figures were measured on (counting a row once per step that used it). */
  readonly trainRows: number;
  /** Held-out accuracy and loss at this point, when measured (always for full batch and at epoch ends). */
  readonly heldOutAccuracy: number | null;
  readonly heldOutLoss: number | null;
  readonly heldOutRows: number;
  readonly learningRate: number;
  readonly elapsedSeconds: number;
}

/** Where a run is, step by step: for progress bars. */
export interface StepProgress {
  readonly iteration: number;
  readonly totalIterations: number;
  readonly epoch: number;
  readonly totalEpochs: number;
  readonly rowsPerSecond: number;
  readonly last: TrainingReport | null;
}

export interface TrainerEvents {
  onReport?(report: TrainingReport): void;
  onStep?(progress: StepProgress): void;
  /** Checked after every step: true stops the run there (Ctrl-C). */
  shouldStop?(): boolean;
}

/** Where a resumed run picks up. */
export interface ResumePoint {
  readonly iteration: number;
  /** The optimiser's state when the run stopped; null starts a fresh one (momentum at zero). */
  readonly optimizer: OptimizerState | null;
  readonly history: readonly TrainingReport[];
  readonly elapsedSeconds: number;
}

export type StopReason = 'completed' | 'early-stopped' | 'interrupted';

export interface TrainingOutcome {
  readonly stopReason: StopReason;
  readonly iterations: number;
  readonly totalIterations: number;
  readonly epochs: number;
  /**
   * Reports kept in the model: full-batch iteration reports, or epoch reports for mini-batch runs; an
   * interrupted run ends with a report measured at the step it stopped.
   */
  readonly history: TrainingReport[];
  readonly optimizer: OptimizerState;
  /** Set when the weights were restored to those of the best held-out accuracy. */
  readonly restoredBest: { readonly iteration: number; readonly epoch: number; readonly heldOutAccuracy: number } | null;
  readonly elapsedSeconds: number;
}

/** How often the loop lets the event loop run (signals, progress redraws), in milliseconds. */
const yieldEveryMs = 50;

/** The per-epoch shuffle is seeded from (seed, epoch), so a resumed run sees the same order. */
export function epochRandom(seed: number, epoch: number): Random {
  return new Random((seed * 0x9e3779b1 + epoch * 0x85ebca77 + 1) >>> 0);
}

export interface Schedule {
  readonly fullBatch: boolean;
  readonly batchSize: number;
  readonly stepsPerEpoch: number;
  readonly totalIterations: number;
  readonly totalEpochs: number;
}

export function planSchedule(config: TrainConfig, trainRows: number): Schedule {
  const fullBatch = config.batchSize === 0 || config.batchSize >= trainRows;
  const batchSize = fullBatch ? trainRows : config.batchSize;
  const stepsPerEpoch = Math.ceil(trainRows / batchSize);
  const totalIterations = config.iterations ?? config.epochs * stepsPerEpoch;
  return { fullBatch, batchSize, stepsPerEpoch, totalIterations, totalEpochs: Math.ceil(totalIterations / stepsPerEpoch) };
}

export async function train(
  config: TrainConfig,
  engine: GradientEngine,
  data: TrainingData,
  events: TrainerEvents = {},
  resume?: ResumePoint,
  /** The network's index in a committee, recorded in its reports. */
  member = 0,
): Promise<TrainingOutcome> {
  const { trainRows, heldOutRows } = data.split;
  const plan = planSchedule(config, trainRows.length);
  const { fullBatch, batchSize, stepsPerEpoch, totalIterations } = plan;
  // Epochs from this one on train on the original rows (--clean-epochs): the network ends on the images it
  // will be asked about, after learning invariances from distorted ones. The learning-rate schedule is unchanged.
  const firstCleanEpoch = plan.totalEpochs - config.cleanEpochs;
  const params = engine.params.data;
  const K = engine.params.shape.classCount;
  const decayRanges = weightRanges(engine.params.shape);
  const optimizer = engine.optimizerState(config.optimizer, resume?.optimizer ?? null);
  const optimizerSettings = {
    name: config.optimizer,
    momentum: config.momentum,
    beta2: config.beta2,
    weightDecay: config.weightDecay,
  };
  const schedule = {
    name: config.schedule,
    learningRate: config.learningRate,
    warmupSteps: Math.round(config.warmupEpochs * stepsPerEpoch),
    decay: 0.1,
    stepEvery: Math.max(1, Math.round(totalIterations / 3)),
    finalFraction: 0.01,
  };
  const history: TrainingReport[] = resume ? [...resume.history] : [];
  const heldOutLabels = gatherLabels(data.labels, heldOutRows);
  const heldOutProbs = new Float64Array(heldOutRows.length * K);
  const started = performance.now() - (resume?.elapsedSeconds ?? 0) * 1000;
  const elapsed = (): number => (performance.now() - started) / 1000;

  let best: { params: Float64Array; iteration: number; epoch: number; heldOutAccuracy: number } | null = null;
  let evaluationsSinceBest = 0;
  // A committee's history holds earlier networks' reports too: only this network's can be its last.
  const previous = history.at(-1);
  /** This network's latest report, recorded or not (a mini-batch run's every-log-every lines are not). */
  let last: TrainingReport | null = previous !== undefined && previous.member === member ? previous : null;
  /** The step of this network's latest report in the history (which has the held-out figure, if any). */
  let lastRecorded = last?.iteration ?? null;
  const record = (made: TrainingReport): TrainingReport => {
    history.push(made);
    lastRecorded = made.iteration;
    return made;
  };

  const evaluateHeldOut = (): { accuracy: number; loss: number } | null =>
    heldOutRows.length === 0 ? null : scoreRows(engine, data.input, heldOutRows, heldOutLabels, heldOutProbs);

  /** Records a held-out result for early stopping; true when patience has run out. */
  const trackBest = (iteration: number, epoch: number, accuracy: number): boolean => {
    if (config.patience === null) return false;
    if (!best || accuracy > best.heldOutAccuracy) {
      best = { params: params.slice(), iteration, epoch, heldOutAccuracy: accuracy };
      evaluationsSinceBest = 0;
      return false;
    }
    evaluationsSinceBest++;
    return evaluationsSinceBest >= config.patience;
  };

  // Running sums for the two kinds of report.
  const windowSums = { loss: 0, correct: 0, rows: 0 };
  const epochSums = { loss: 0, correct: 0, rows: 0 };
  const report = (
    kind: TrainingReport['kind'],
    iteration: number,
    sums: typeof windowSums,
    heldOut: { accuracy: number; loss: number } | null,
    lr: number,
  ): TrainingReport => {
    const made: TrainingReport = {
      kind,
      member,
      iteration,
      totalIterations,
      epoch: iteration / stepsPerEpoch,
      trainLoss: sums.rows === 0 ? NaN : sums.loss / sums.rows,
      trainAccuracy: sums.rows === 0 ? NaN : sums.correct / sums.rows,
      trainRows: sums.rows,
      heldOutAccuracy: heldOut?.accuracy ?? null,
      heldOutLoss: heldOut?.loss ?? null,
      heldOutRows: heldOutRows.length,
      learningRate: lr,
      elapsedSeconds: elapsed(),
    };
    sums.loss = 0;
    sums.correct = 0;
    sums.rows = 0;
    last = made;
    events.onReport?.(made);
    return made;
  };

  let iteration = resume?.iteration ?? 0;
  let stopReason: StopReason = 'completed';
  let lastYield = performance.now();
  let rowsSinceRate = 0;
  let rateStarted = performance.now();
  let rowsPerSecond = 0;
  let order = trainRows;
  const batchRows = new Uint32Array(batchSize);

  while (iteration < totalIterations) {
    const epoch = Math.floor(iteration / stepsPerEpoch);
    const stepInEpoch = iteration % stepsPerEpoch;
    // A new epoch's order, or, on resuming mid-epoch, the order that epoch had.
    if (!fullBatch && (stepInEpoch === 0 || iteration === resume?.iteration)) {
      order = trainRows.slice();
      epochRandom(config.seed, epoch).shuffle(order);
    }
    const start = stepInEpoch * batchSize;
    const R = Math.min(batchSize, order.length - start);
    // The same rows in file order: memory is then read forwards, which the kernels measurably prefer
    // (about 30% faster than shuffled order), and the batch's mean gradient does not depend on the order.
    if (!fullBatch) order.subarray(start, start + R).sort();
    const augmenter = epoch < firstCleanEpoch ? data.augmenter : null;
    let input = data.input;
    let rowIds: Uint32Array;
    if (augmenter) {
      const augmented = augmenter.batch(order.subarray(start, start + R), iteration);
      input = augmented.input;
      rowIds = augmented.rowIds;
    } else {
      rowIds = fullBatch ? order : order.subarray(start, start + R);
    }
    const labels = augmenter ? augmenter.labels : data.labels;
    const lr = learningRateAt(schedule, iteration, totalIterations);
    // The step's loss is measured before the update, which happens in the same call (on every thread).
    const result = engine.trainStep(input, labels, rowIds, R, { settings: optimizerSettings, state: optimizer, lr, decayRanges });
    const meanLoss = result.lossSum / R;
    if (!Number.isFinite(meanLoss) || meanLoss > 1e3) {
      throw failure(
        `training diverged at iteration ${iteration + 1}: the loss became ${Number.isFinite(meanLoss) ? meanLoss.toExponential(2) : String(meanLoss)}`,
        [`No model was written. Try a lower learning rate than --lr ${config.learningRate}.`],
      );
    }
    iteration++;
    for (const sums of [windowSums, epochSums]) {
      sums.loss += result.lossSum;
      sums.correct += result.correct;
      sums.rows += R;
    }
    rowsSinceRate += R;

    const endOfEpoch = iteration % stepsPerEpoch === 0 || iteration === totalIterations;
    let patienceRanOut = false;
    if (fullBatch) {
      if (iteration % config.logEvery === 0 || iteration === totalIterations) {
        const heldOut = evaluateHeldOut();
        const made = record(report('iteration', iteration, windowSums, heldOut, lr));
        if (heldOut) patienceRanOut = trackBest(iteration, made.epoch, heldOut.accuracy);
      }
    } else {
      if (iteration % config.logEvery === 0) report('iteration', iteration, windowSums, null, lr);
      if (endOfEpoch) {
        const heldOut = evaluateHeldOut();
        const made = record(report('epoch', iteration, epochSums, heldOut, lr));
        if (heldOut) patienceRanOut = trackBest(iteration, made.epoch, heldOut.accuracy);
      }
    }

    const now = performance.now();
    if (now - rateStarted > 1000) {
      rowsPerSecond = (rowsSinceRate * 1000) / (now - rateStarted);
      rowsSinceRate = 0;
      rateStarted = now;
    }
    events.onStep?.({
      iteration,
      totalIterations,
      epoch: iteration / stepsPerEpoch,
      totalEpochs: plan.totalEpochs,
      rowsPerSecond,
      last,
    });
    if (patienceRanOut) {
      stopReason = 'early-stopped';
      break;
    }
    if (now - lastYield > yieldEveryMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastYield = performance.now();
    }
    if (events.shouldStop?.() && iteration < totalIterations) {
      stopReason = 'interrupted';
      break;
    }
  }

  // An interrupted run saves the weights of the step it stopped at: measure them, so that the figures printed
  // and recorded in the model are those of the saved weights, not of the last finished epoch.
  if (stopReason === 'interrupted' && lastRecorded !== iteration) {
    const heldOut = evaluateHeldOut();
    if (last?.iteration === iteration) {
      // The step has had its every-log-every report, with the training figures since the one before (the running
      // sums start again after it) but no held-out figure: that report is recorded, measured. It is not sent
      // again; the summary gives the figure.
      last = record({ ...last, heldOutAccuracy: heldOut?.accuracy ?? null, heldOutLoss: heldOut?.loss ?? null });
    } else {
      record(report('iteration', iteration, windowSums, heldOut, learningRateAt(schedule, iteration - 1, totalIterations)));
    }
  }

  let restoredBest: TrainingOutcome['restoredBest'] = null;
  const kept = best as { params: Float64Array; iteration: number; epoch: number; heldOutAccuracy: number } | null;
  if (kept && stopReason !== 'interrupted' && kept.iteration !== iteration) {
    params.set(kept.params);
    restoredBest = { iteration: kept.iteration, epoch: kept.epoch, heldOutAccuracy: kept.heldOutAccuracy };
  }
  return {
    stopReason,
    iterations: iteration,
    totalIterations,
    epochs: iteration / stepsPerEpoch,
    history,
    optimizer,
    restoredBest,
    elapsedSeconds: elapsed(),
  };
}
