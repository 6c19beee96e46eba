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
import type { OptimizerSettings, ScheduleSettings } from '../nn/optimizers.js';

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

/** The weights kept by early stopping (--patience): where they were, and their held-out accuracy. */
export interface RestoredBest {
  readonly iteration: number;
  readonly epoch: number;
  readonly heldOutAccuracy: number;
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
  readonly restoredBest: RestoredBest | null;
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

export interface TrainOptions {
  readonly events?: TrainerEvents;
  /** Where an interrupted run stopped; absent for a run from its first step. */
  readonly resume?: ResumePoint;
  /** The network's index in a committee, recorded in its reports; 0 for a single network. */
  readonly member?: number;
}

export async function train(
  config: TrainConfig,
  engine: GradientEngine,
  data: TrainingData,
  options: TrainOptions = {},
): Promise<TrainingOutcome> {
  const run = setUpRun(config, engine, data, options);
  const state = startingState(run, options.resume);
  const { totalIterations } = run.plan;
  while (state.iteration < totalIterations) {
    const lr = takeStep(run, state);
    const patienceRanOut = reportAfterStep(run, state, lr);
    const now = performance.now();
    sendProgress(run, state, now);
    if (patienceRanOut) {
      state.stopReason = 'early-stopped';
      break;
    }
    if (now - state.lastYield > yieldEveryMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      state.lastYield = performance.now();
    }
    if (run.events.shouldStop?.() && state.iteration < totalIterations) {
      state.stopReason = 'interrupted';
      break;
    }
  }
  if (state.stopReason === 'interrupted') recordInterruption(run, state);
  return outcomeOf(run, state);
}

/** What a run fixes before its first step and every step reads: settings, buffers, and where the clock started. */
interface TrainingRun {
  readonly config: TrainConfig;
  readonly engine: GradientEngine;
  readonly data: TrainingData;
  readonly events: TrainerEvents;
  readonly member: number;
  readonly plan: Schedule;
  /**
   * Epochs from this one on train on the original rows (--clean-epochs): the network ends on the images it will
   * be asked about, after learning invariances from distorted ones. The learning-rate schedule is unchanged.
   */
  readonly firstCleanEpoch: number;
  /** The step a resumed run starts at, which needs its epoch's order even in mid-epoch; null for a fresh run. */
  readonly resumedAt: number | null;
  readonly optimizer: OptimizerState;
  readonly optimizerSettings: OptimizerSettings;
  readonly learningRates: ScheduleSettings;
  readonly decayRanges: ReturnType<typeof weightRanges>;
  /** The held-out rows' labels, and room for their probabilities: allocated once, used at every evaluation. */
  readonly heldOutLabels: Uint8Array;
  readonly heldOutProbs: Float64Array;
  /** performance.now() at the start, moved back by the time a resumed run had already trained. */
  readonly started: number;
}

/** Loss and correct answers summed over the steps since a report, and the rows they came from. */
interface RunningSums {
  loss: number;
  correct: number;
  rows: number;
}

/** The weights of the best held-out accuracy so far (--patience), and where they were. */
interface BestWeights {
  readonly params: Float64Array;
  readonly at: RestoredBest;
}

/** Where the loop is: everything that changes from step to step, read and written by the steps below. */
interface LoopState {
  /** Steps taken, counting those of the run a resumed run continues. */
  iteration: number;
  stopReason: StopReason;
  /** The reports kept in the model, a committee's earlier networks' first. */
  readonly history: TrainingReport[];
  /** This network's latest report, recorded or not (a mini-batch run's every-log-every reports are not). */
  last: TrainingReport | null;
  /** The step of this network's latest report in the history (which has the held-out figure, if any). */
  lastRecorded: number | null;
  /** For the every-log-every reports, and for the epoch reports. */
  readonly windowSums: RunningSums;
  readonly epochSums: RunningSums;
  best: BestWeights | null;
  evaluationsSinceBest: number;
  /** The training rows in this epoch's order. */
  order: Uint32Array;
  /** Rows per second over the latest second or so, for progress bars. */
  rowsPerSecond: number;
  rowsSinceRate: number;
  rateStarted: number;
  lastYield: number;
}

function setUpRun(config: TrainConfig, engine: GradientEngine, data: TrainingData, options: TrainOptions): TrainingRun {
  const plan = planSchedule(config, data.split.trainRows.length);
  const { resume } = options;
  return {
    config,
    engine,
    data,
    events: options.events ?? {},
    member: options.member ?? 0,
    plan,
    firstCleanEpoch: plan.totalEpochs - config.cleanEpochs,
    resumedAt: resume?.iteration ?? null,
    optimizer: engine.optimizerState(config.optimizer, resume?.optimizer ?? null),
    optimizerSettings: {
      name: config.optimizer,
      momentum: config.momentum,
      beta2: config.beta2,
      weightDecay: config.weightDecay,
    },
    learningRates: {
      name: config.schedule,
      learningRate: config.learningRate,
      warmupSteps: Math.round(config.warmupEpochs * plan.stepsPerEpoch),
      decay: 0.1,
      stepEvery: Math.max(1, Math.round(plan.totalIterations / 3)),
      finalFraction: 0.01,
    },
    decayRanges: weightRanges(engine.params.shape),
    heldOutLabels: gatherLabels(data.labels, data.split.heldOutRows),
    heldOutProbs: new Float64Array(data.split.heldOutRows.length * engine.params.shape.classCount),
    started: performance.now() - (resume?.elapsedSeconds ?? 0) * 1000,
  };
}

function startingState(run: TrainingRun, resume: ResumePoint | undefined): LoopState {
  const history = resume ? [...resume.history] : [];
  // A committee's history holds earlier networks' reports too: only this network's can be its last.
  const previous = history.at(-1);
  const last = previous !== undefined && previous.member === run.member ? previous : null;
  const now = performance.now();
  return {
    iteration: resume?.iteration ?? 0,
    stopReason: 'completed',
    history,
    last,
    lastRecorded: last?.iteration ?? null,
    windowSums: { loss: 0, correct: 0, rows: 0 },
    epochSums: { loss: 0, correct: 0, rows: 0 },
    best: null,
    evaluationsSinceBest: 0,
    order: run.data.split.trainRows,
    rowsPerSecond: 0,
    rowsSinceRate: 0,
    rateStarted: now,
    lastYield: now,
  };
}

function elapsedSeconds(run: TrainingRun): number {
  return (performance.now() - run.started) / 1000;
}

/** One gradient step on the next batch, counted in the running sums; returns the step's learning rate. */
function takeStep(run: TrainingRun, state: LoopState): number {
  const { data, plan } = run;
  const { iteration } = state;
  const epoch = Math.floor(iteration / plan.stepsPerEpoch);
  const stepInEpoch = iteration % plan.stepsPerEpoch;
  // A new epoch's order, or, on resuming mid-epoch, the order that epoch had.
  if (!plan.fullBatch && (stepInEpoch === 0 || iteration === run.resumedAt)) {
    state.order = data.split.trainRows.slice();
    epochRandom(run.config.seed, epoch).shuffle(state.order);
  }
  const { order } = state;
  const start = stepInEpoch * plan.batchSize;
  const R = Math.min(plan.batchSize, order.length - start);
  // The same rows in file order: the kernels and the augmenter then read memory forwards rather than jumping
  // about it, and the batch's mean gradient does not depend on the order of its rows.
  if (!plan.fullBatch) order.subarray(start, start + R).sort();
  const augmenter = epoch < run.firstCleanEpoch ? data.augmenter : null;
  let input = data.input;
  let rowIds: Uint32Array;
  if (augmenter) {
    const augmented = augmenter.batch(order.subarray(start, start + R), iteration);
    input = augmented.input;
    rowIds = augmented.rowIds;
  } else {
    rowIds = plan.fullBatch ? order : order.subarray(start, start + R);
  }
  const labels = augmenter ? augmenter.labels : data.labels;
  const lr = learningRateAt(run.learningRates, iteration, plan.totalIterations);
  // The step's loss is measured before the update, which happens in the same call (on every thread).
  const update = { settings: run.optimizerSettings, state: run.optimizer, lr, decayRanges: run.decayRanges };
  const result = run.engine.trainStep(input, labels, rowIds, R, update);
  checkNotDiverged(run, iteration, result.lossSum / R);
  state.iteration = iteration + 1;
  addStep(state.windowSums, result.lossSum, result.correct, R);
  addStep(state.epochSums, result.lossSum, result.correct, R);
  state.rowsSinceRate += R;
  return lr;
}

function addStep(sums: RunningSums, lossSum: number, correct: number, rows: number): void {
  sums.loss += lossSum;
  sums.correct += correct;
  sums.rows += rows;
}

/** A loss this large, or not a number, means the weights have blown up: no model is worth writing. */
function checkNotDiverged(run: TrainingRun, iteration: number, meanLoss: number): void {
  if (Number.isFinite(meanLoss) && meanLoss <= 1e3) return;
  throw failure(
    `training diverged at iteration ${iteration + 1}: the loss became ${Number.isFinite(meanLoss) ? meanLoss.toExponential(2) : String(meanLoss)}`,
    [`No model was written. Try a lower learning rate than --lr ${run.config.learningRate}.`],
  );
}

/**
 * The reports due after a step: full batch, every logEvery steps and at the end, measured on the held-out rows
 * and recorded; mini-batch, every logEvery steps unmeasured and unrecorded, and at each epoch's end measured and
 * recorded. True when --patience has run out.
 */
function reportAfterStep(run: TrainingRun, state: LoopState, lr: number): boolean {
  const { iteration } = state;
  const { fullBatch, stepsPerEpoch, totalIterations } = run.plan;
  const logged = iteration % run.config.logEvery === 0;
  if (fullBatch) {
    return logged || iteration === totalIterations ? recordMeasured(run, state, 'iteration', state.windowSums, lr) : false;
  }
  if (logged) report(run, state, 'iteration', state.windowSums, null, lr);
  const endOfEpoch = iteration % stepsPerEpoch === 0 || iteration === totalIterations;
  return endOfEpoch ? recordMeasured(run, state, 'epoch', state.epochSums, lr) : false;
}

/** A report with the held-out figures, recorded and counted for early stopping; true when patience has run out. */
function recordMeasured(run: TrainingRun, state: LoopState, kind: TrainingReport['kind'], sums: RunningSums, lr: number): boolean {
  const heldOut = evaluateHeldOut(run);
  const made = record(state, report(run, state, kind, sums, heldOut, lr));
  return heldOut !== null && patienceRanOut(run, state, made.epoch, heldOut.accuracy);
}

function evaluateHeldOut(run: TrainingRun): { accuracy: number; loss: number } | null {
  const { heldOutRows } = run.data.split;
  return heldOutRows.length === 0 ? null : scoreRows(run.engine, run.data.input, heldOutRows, run.heldOutLabels, run.heldOutProbs);
}

/** Sends a report of the steps summed in `sums`, which then start again from zero. */
function report(
  run: TrainingRun,
  state: LoopState,
  kind: TrainingReport['kind'],
  sums: RunningSums,
  heldOut: { accuracy: number; loss: number } | null,
  lr: number,
): TrainingReport {
  const made: TrainingReport = {
    kind,
    member: run.member,
    iteration: state.iteration,
    totalIterations: run.plan.totalIterations,
    epoch: state.iteration / run.plan.stepsPerEpoch,
    trainLoss: sums.rows === 0 ? NaN : sums.loss / sums.rows,
    trainAccuracy: sums.rows === 0 ? NaN : sums.correct / sums.rows,
    trainRows: sums.rows,
    heldOutAccuracy: heldOut?.accuracy ?? null,
    heldOutLoss: heldOut?.loss ?? null,
    heldOutRows: run.data.split.heldOutRows.length,
    learningRate: lr,
    elapsedSeconds: elapsedSeconds(run),
  };
  sums.loss = 0;
  sums.correct = 0;
  sums.rows = 0;
  state.last = made;
  run.events.onReport?.(made);
  return made;
}

/** Keeps a report in the history, which the model saves. */
function record(state: LoopState, made: TrainingReport): TrainingReport {
  state.history.push(made);
  state.lastRecorded = made.iteration;
  return made;
}

/** Counts a held-out result for early stopping, keeping the best weights; true when patience has run out. */
function patienceRanOut(run: TrainingRun, state: LoopState, epoch: number, accuracy: number): boolean {
  const { patience } = run.config;
  if (patience === null) return false;
  if (!state.best || accuracy > state.best.at.heldOutAccuracy) {
    state.best = { params: run.engine.params.data.slice(), at: { iteration: state.iteration, epoch, heldOutAccuracy: accuracy } };
    state.evaluationsSinceBest = 0;
    return false;
  }
  state.evaluationsSinceBest++;
  return state.evaluationsSinceBest >= patience;
}

function sendProgress(run: TrainingRun, state: LoopState, now: number): void {
  if (now - state.rateStarted > 1000) {
    state.rowsPerSecond = (state.rowsSinceRate * 1000) / (now - state.rateStarted);
    state.rowsSinceRate = 0;
    state.rateStarted = now;
  }
  const { plan } = run;
  run.events.onStep?.({
    iteration: state.iteration,
    totalIterations: plan.totalIterations,
    epoch: state.iteration / plan.stepsPerEpoch,
    totalEpochs: plan.totalEpochs,
    rowsPerSecond: state.rowsPerSecond,
    last: state.last,
  });
}

/**
 * An interrupted run saves the weights of the step it stopped at: they are measured, so that the figures printed
 * and recorded in the model are those of the saved weights, not of the last finished epoch.
 */
function recordInterruption(run: TrainingRun, state: LoopState): void {
  if (state.lastRecorded === state.iteration) return;
  const heldOut = evaluateHeldOut(run);
  const { last } = state;
  if (last?.iteration === state.iteration) {
    // The step has had its every-log-every report, with the training figures since the one before (the running
    // sums start again after it) but no held-out figure: that report is recorded, measured. It is not sent
    // again; the summary gives the figure.
    state.last = record(state, { ...last, heldOutAccuracy: heldOut?.accuracy ?? null, heldOutLoss: heldOut?.loss ?? null });
  } else {
    const lr = learningRateAt(run.learningRates, state.iteration - 1, run.plan.totalIterations);
    record(state, report(run, state, 'iteration', state.windowSums, heldOut, lr));
  }
}

function outcomeOf(run: TrainingRun, state: LoopState): TrainingOutcome {
  return {
    stopReason: state.stopReason,
    iterations: state.iteration,
    totalIterations: run.plan.totalIterations,
    epochs: state.iteration / run.plan.stepsPerEpoch,
    history: state.history,
    optimizer: run.optimizer,
    restoredBest: restoreBest(run, state),
    elapsedSeconds: elapsedSeconds(run),
  };
}

/**
 * With --patience, the network goes back to the weights of its best held-out accuracy, unless it ended on them.
 * An interrupted run keeps the weights it stopped with, for --resume to continue from.
 */
function restoreBest(run: TrainingRun, state: LoopState): RestoredBest | null {
  const { best } = state;
  if (!best || state.stopReason === 'interrupted' || best.at.iteration === state.iteration) return null;
  run.engine.params.data.set(best.params);
  return best.at;
}
