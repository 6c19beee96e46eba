/**
 * Trains a model on a loaded dataset: the split, the sparse view, the engine, the optional augmenter and the
 * trainer, put together; returns the model ready to save. The train command only parses options and shows events.
 * A committee (--members M) is M networks trained here one after another, on the same split, each from its own
 * seed, then joined into one network (nn/committee.ts) and measured on the held-out rows as that one network.
 */
import { resolve } from 'node:path';
import { plainArrays, type ArrayAllocator } from '../data/arrays.js';
import { classCount, imageSide, pixelScale, toSparseRows, type Dataset, type SparseRows } from '../data/dataset.js';
import { heldOutCount, splitFromHeldOut, splitRows, type Split } from '../data/split.js';
import { createAugmenter } from '../data/augment.js';
import { withDeskew } from '../data/deskew.js';
import { copyOptimizerState, LocalEngine, type GradientEngine } from '../nn/engine.js';
import type { SharedInputs } from '../nn/threads.js';
import { createParameters, initialise, type NetworkShape, type Parameters } from '../nn/network.js';
import { joinMembers, memberSeed } from '../nn/committee.js';
import type { OptimizerState } from '../nn/optimizers.js';
import { Random } from '../data/random.js';
import { inputError } from '../errors.js';
import type { CommitteeState, MemberResult, Model } from './model.js';
import { toolVersion } from '../version.js';
import { binomialStandardError } from './metrics.js';
import type { TrainConfig } from './presets.js';
import { checkResume } from './resume.js';
import {
  gatherLabels,
  planSchedule,
  scoreRows,
  train,
  type Schedule,
  type StopReason,
  type TrainerEvents,
  type TrainingOutcome,
  type TrainingReport,
} from './trainer.js';

/**
 * Builds the engine for a network. `inputs` lists every input and label array the trainer will pass to it
 * (from `arrays`: where the engine's kernels and threads can read them).
 */
export interface EngineFactory {
  readonly arrays: ArrayAllocator;
  create(shape: NetworkShape, params: Parameters, inputs: SharedInputs): Promise<GradientEngine>;
}

export const localEngineFactory: EngineFactory = {
  arrays: plainArrays,
  create: async (shape, params) => new LocalEngine(shape, params),
};

export interface FitOptions {
  readonly events?: TrainerEvents;
  readonly engineFactory?: EngineFactory;
  readonly threads?: number;
  /** A model to continue from (--resume): its weights, optimiser state, split and history. */
  readonly resumeFrom?: Model;
  /** Called once the split and schedule (of each network) are known, before the first step. */
  readonly onStart?: (info: { split: Split; fullBatch: boolean; totalIterations: number; totalEpochs: number }) => void;
  /** Called as each network starts, or resumes at `iteration`; `members` is 1 for a single network. */
  readonly onMember?: (info: { member: number; members: number; seed: number; iteration: number }) => void;
}

export interface FitResult {
  readonly model: Model;
  /** The run as a whole: for a committee, steps and epochs summed over its networks. */
  readonly outcome: TrainingOutcome;
  /** Each network trained (or started) so far, in order: one entry for a single network. */
  readonly memberResults: readonly MemberResult[];
}

/** A network of the run: its weights as trained and how it ended. */
interface MemberRun {
  readonly params: Parameters;
  readonly result: MemberResult;
}

/** Where a run starts: a fresh one, or a resumed single network or committee. */
interface StartingPoint {
  readonly split: Split;
  /** A committee's networks already trained to the end. */
  readonly done: readonly MemberRun[];
  /** The network to continue: its weights, the step it stopped after and its optimiser; null to start afresh. */
  readonly current: { readonly params: Float64Array; readonly iteration: number; readonly optimizer: OptimizerState | null } | null;
  readonly history: readonly TrainingReport[];
  readonly elapsedSeconds: number;
}

export async function fitModel(given: Dataset, config: TrainConfig, options: FitOptions = {}): Promise<FitResult> {
  const labels = trainingLabels(given, config);
  const shape: NetworkShape = { inputSize: given.features, hiddenSize: config.hiddenSize, classCount };
  // The train command has the reader deskew in place; other callers (tests) get a deskewed copy here.
  const dataset = withDeskew(given, config.deskew);
  const start = options.resumeFrom ? resumedStart(dataset, config, shape, options.resumeFrom) : freshStart(dataset, config);
  const fit = setUpFit(dataset, labels, config, shape, start.split, options);
  options.onStart?.({
    split: fit.split,
    fullBatch: fit.plan.fullBatch,
    totalIterations: fit.plan.totalIterations,
    totalEpochs: fit.plan.totalEpochs,
  });
  const members = await trainMembers(fit, start, options.onMember);
  return finishRun(fit, members, options.threads ?? 1);
}

/** The labels to train on, once the configuration is known to suit the file's images. */
function trainingLabels(given: Dataset, config: TrainConfig): Uint8Array {
  const labels = given.labels;
  if (!labels) throw inputError(`${given.source.path}: the file has no labels to train on`);
  if ((config.augment || config.deskew) && imageSide(given.features) === null) {
    throw inputError(
      `${given.source.path}: ${given.features} pixels a row is not a square image, so it cannot be deskewed, shifted or rotated`,
      ['Train with --no-augment --no-deskew, or on square images (784 pixels for 28 x 28).'],
    );
  }
  return labels;
}

/** What every network of a run shares: the rows as the engines see them, the split and the schedule. */
interface FitSetUp {
  readonly config: TrainConfig;
  readonly shape: NetworkShape;
  /** Deskewed when the configuration asks for it. */
  readonly dataset: Dataset;
  readonly factory: EngineFactory;
  /** Every row, sparse, and the labels, in memory from the factory (shared with the threads, when there are). */
  readonly input: SparseRows;
  readonly labels: Uint8Array;
  readonly split: Split;
  readonly plan: Schedule;
  readonly events: TrainerEvents;
}

function setUpFit(
  dataset: Dataset,
  labels: Uint8Array,
  config: TrainConfig,
  shape: NetworkShape,
  split: Split,
  options: FitOptions,
): FitSetUp {
  const factory = options.engineFactory ?? localEngineFactory;
  const input = toSparseRows(dataset.pixels, dataset.rows, dataset.features, factory.arrays);
  const sharedLabels = factory.arrays.u8(labels.length);
  sharedLabels.set(labels);
  const plan = planSchedule(config, split.trainRows.length);
  return { config, shape, dataset, factory, input, labels: sharedLabels, split, plan, events: options.events ?? {} };
}

/** Where a run of networks is: what changes as each network ends. */
interface MembersState {
  /** Networks trained to the end, in order (a resumed committee's first). */
  readonly finished: MemberRun[];
  /** The network stopped inside (Ctrl-C), if any: joined last, and the one --resume continues. */
  interrupted: MemberRun | null;
  /** Stopped after one network ended and before the next began. */
  stoppedBetweenMembers: boolean;
  /** The reports of every network so far, and the time they took. */
  history: readonly TrainingReport[];
  elapsedSeconds: number;
  /** The latest network's outcome: for a single network, its optimiser state and early stopping are the run's. */
  last: TrainingOutcome | null;
}

/** Trains the networks of the run one after another, from the first one `start` has not finished. */
async function trainMembers(fit: FitSetUp, start: StartingPoint, onMember: FitOptions['onMember']): Promise<MembersState> {
  const state: MembersState = {
    finished: [...start.done],
    interrupted: null,
    stoppedBetweenMembers: false,
    history: start.history,
    elapsedSeconds: start.elapsedSeconds,
    last: null,
  };
  const first = start.done.length;
  for (let member = first; member < fit.config.members; member++) {
    // Ctrl-C during a network's last step lands here: stop before the next network takes its first step.
    if (member > first && fit.events.shouldStop?.()) {
      state.stoppedBetweenMembers = true;
      break;
    }
    // Only the first network trained can continue a resumed one; the networks after it start afresh.
    const { run, outcome } = await trainMember(fit, state, member, member === first ? start.current : null, onMember);
    state.last = outcome;
    state.history = outcome.history;
    state.elapsedSeconds = outcome.elapsedSeconds;
    if (outcome.stopReason === 'interrupted') {
      state.interrupted = run;
      break;
    }
    state.finished.push(run);
  }
  return state;
}

/** Trains network `member` of the run: from its own seed, or from where a resumed run stopped (`from`). */
async function trainMember(
  fit: FitSetUp,
  state: MembersState,
  member: number,
  from: StartingPoint['current'],
  onMember: FitOptions['onMember'],
): Promise<{ run: MemberRun; outcome: TrainingOutcome }> {
  const { config, shape, factory, plan } = fit;
  // Member 0 is exactly the network a single run with this configuration trains.
  const seed = memberSeed(config.seed, member);
  const memberConfig: TrainConfig = member === 0 ? config : { ...config, seed };
  const params = from ? createParameters(shape, from.params) : initialParameters(shape, config, seed);
  // A new augmenter and engine per network: the augmenter's seed is fixed when it is made, and an engine shares
  // its input buffers with its threads once, at start. Both take milliseconds next to a network's training.
  const augmenter = config.augment ? createAugmenter(fit.dataset, config.augment, plan.batchSize, seed, factory.arrays) : null;
  const engine = await factory.create(shape, params, {
    inputs: augmenter ? [fit.input, augmenter.input] : [fit.input],
    labels: augmenter ? [fit.labels, augmenter.labels] : [fit.labels],
    maxRows: fit.dataset.rows,
  });
  const iteration = from?.iteration ?? 0;
  onMember?.({ member, members: config.members, seed, iteration });
  let outcome: TrainingOutcome;
  try {
    outcome = await train(memberConfig, engine, { input: fit.input, labels: fit.labels, split: fit.split, augmenter }, {
      events: fit.events,
      resume: { iteration, optimizer: from?.optimizer ?? null, history: state.history, elapsedSeconds: state.elapsedSeconds },
      member,
    });
  } finally {
    await engine.close();
  }
  return { run: { params: engine.params, result: memberResult(seed, member, outcome) }, outcome };
}

function initialParameters(shape: NetworkShape, config: TrainConfig, seed: number): Parameters {
  const params = createParameters(shape);
  initialise(params, config.init, new Random(seed));
  return params;
}

/** The run once its networks have stopped: the network to save (one, or the committee joined), and its model. */
async function finishRun(fit: FitSetUp, state: MembersState, threads: number): Promise<FitResult> {
  const { last } = state;
  // Every run trains at least one step of one network: the loader keeps committeeState.done below members.
  if (!last) throw new Error('fitModel: no network was trained');
  const joined = state.interrupted ? [...state.finished, state.interrupted] : state.finished;
  const memberResults = joined.map((run) => run.result);
  const stopReason: StopReason =
    state.interrupted || state.stoppedBetweenMembers
      ? 'interrupted'
      : memberResults.some((result) => result.stopReason === 'early-stopped')
        ? 'early-stopped'
        : 'completed';
  const network = await savedNetwork(fit, joined);
  const outcome = runOutcome(fit, state, last, stopReason, memberResults);
  const committee = committeeToResume(fit, state, joined, outcome);
  const model = modelOf(fit, { ...network, outcome, memberResults, committee, threads });
  return { model, outcome, memberResults };
}

/** The network a run saves, and its held-out accuracy: a single network as trained, or the committee joined. */
async function savedNetwork(fit: FitSetUp, joined: readonly MemberRun[]): Promise<{ params: Parameters; heldOutAccuracy: number | null }> {
  if (fit.config.members === 1) return { params: joined[0]!.params, heldOutAccuracy: joined[0]!.result.heldOutAccuracy };
  const params = joinMembers(joined.map((run) => run.params));
  return { params, heldOutAccuracy: fit.split.heldOutRows.length === 0 ? null : await scoreJoined(fit, params) };
}

/** The run as a whole: for a committee, steps and epochs summed over its networks. */
function runOutcome(
  fit: FitSetUp,
  state: MembersState,
  last: TrainingOutcome,
  stopReason: StopReason,
  memberResults: readonly MemberResult[],
): TrainingOutcome {
  const iterations = memberResults.reduce((sum, result) => sum + result.iterations, 0);
  return {
    ...last,
    stopReason,
    iterations,
    totalIterations: fit.config.members * fit.plan.totalIterations,
    epochs: iterations / fit.plan.stepsPerEpoch,
    history: [...state.history],
    restoredBest: fit.config.members === 1 ? last.restoredBest : null,
    elapsedSeconds: state.elapsedSeconds,
  };
}

/**
 * What --resume needs of a committee stopped before its last network finished: the networks kept apart, and the
 * interrupted one's optimiser state. Null for a single network or a committee that ran to the end.
 */
function committeeToResume(
  fit: FitSetUp,
  state: MembersState,
  joined: readonly MemberRun[],
  outcome: TrainingOutcome,
): CommitteeState | null {
  if (fit.config.members === 1 || outcome.stopReason !== 'interrupted') return null;
  return {
    done: state.finished.length,
    members: joined.map((run) => run.params.data.slice()),
    current: state.interrupted ? { iteration: state.interrupted.result.iterations, optimizer: outcome.optimizer } : null,
  };
}

/** What finishRun has worked out, for the model. */
interface RunResult {
  readonly params: Parameters;
  readonly heldOutAccuracy: number | null;
  readonly outcome: TrainingOutcome;
  readonly memberResults: readonly MemberResult[];
  readonly committee: CommitteeState | null;
  readonly threads: number;
}

function modelOf(fit: FitSetUp, result: RunResult): Model {
  const { config, dataset, split } = fit;
  const { outcome, heldOutAccuracy } = result;
  const single = config.members === 1;
  return {
    params: result.params,
    classes: Array.from({ length: classCount }, (_, k) => k),
    pixelScale,
    deskew: config.deskew,
    training: {
      config,
      stopReason: outcome.stopReason,
      iterations: outcome.iterations,
      totalIterations: outcome.totalIterations,
      epochs: outcome.epochs,
      elapsedSeconds: outcome.elapsedSeconds,
      threads: result.threads,
      restoredBest: outcome.restoredBest,
      heldOut:
        heldOutAccuracy === null
          ? null
          : {
              accuracy: heldOutAccuracy,
              rows: split.heldOutRows.length,
              standardError: binomialStandardError(heldOutAccuracy, split.heldOutRows.length),
            },
      memberResults: single ? null : result.memberResults,
    },
    data: {
      path: dataset.source.path === '-' ? '-' : resolve(dataset.source.path),
      rows: dataset.rows,
      sha256: dataset.source.sha256,
      heldOutRows: Array.from(split.heldOutRows),
    },
    history: outcome.history,
    // A committee's optimiser state belongs to one of its networks, not to the joined one: it travels in
    // committeeState, and only while there is a network left to finish.
    optimizer: single ? outcome.optimizer : null,
    committee: result.committee,
    tool: { name: 'digits', version: toolVersion },
    createdAt: new Date().toISOString(),
  };
}

function freshStart(dataset: Dataset, config: TrainConfig): StartingPoint {
  const split = splitRows(dataset.rows, heldOutCount(config.holdout, dataset.rows), config.seed);
  return { split, done: [], current: null, history: [], elapsedSeconds: 0 };
}

/**
 * Where a resumed run starts: the model's split, history and clock, and the network it stopped in. Copies
 * throughout: the run updates weights and optimiser state in place, and the loaded model stays as read.
 */
function resumedStart(dataset: Dataset, config: TrainConfig, shape: NetworkShape, resumeFrom: Model): StartingPoint {
  if (resumeFrom.data.sha256 !== dataset.source.sha256 || resumeFrom.data.rows !== dataset.rows) {
    throw inputError(
      `${dataset.source.path}: not the file the model was trained on (${resumeFrom.data.path}, ${resumeFrom.data.rows} rows, SHA-256 ${resumeFrom.data.sha256.slice(0, 12)}...)`,
      ['--resume continues a run on the same training file.'],
    );
  }
  checkResume(config, resumeFrom);
  const base = {
    split: splitFromHeldOut(dataset.rows, resumeFrom.data.heldOutRows),
    history: resumeFrom.history,
    elapsedSeconds: resumeFrom.training.elapsedSeconds,
  };
  if (resumeFrom.training.config.members > 1) return { ...base, ...resumedCommittee(shape, resumeFrom) };
  const current = {
    params: resumeFrom.params.data.slice(),
    iteration: resumeFrom.training.iterations,
    optimizer: resumeFrom.optimizer ? copyOptimizer(resumeFrom.optimizer) : null,
  };
  return { ...base, done: [], current };
}

/** A stopped committee's finished networks, and the one it stopped in (none when it stopped between two). */
function resumedCommittee(shape: NetworkShape, resumeFrom: Model): Pick<StartingPoint, 'done' | 'current'> {
  const committee = resumeFrom.committee;
  if (!committee) throw new Error('fitModel: checkResume let a finished committee through');
  const results = resumeFrom.training.memberResults ?? [];
  const done = committee.members.slice(0, committee.done).map((vector, member) => ({
    params: createParameters(shape, vector.slice()),
    result: results[member]!,
  }));
  const interrupted = committee.current;
  const current = interrupted
    ? { params: committee.members[committee.done]!.slice(), iteration: interrupted.iteration, optimizer: copyOptimizer(interrupted.optimizer) }
    : null;
  return { done, current };
}

function copyOptimizer(state: OptimizerState): OptimizerState {
  return copyOptimizerState(state, (length) => new Float64Array(length));
}

/** How one network ended: its held-out accuracy is that of the weights it kept (the best, with --patience). */
function memberResult(seed: number, member: number, outcome: TrainingOutcome): MemberResult {
  const lastHeldOut = [...outcome.history].reverse().find((r) => r.member === member && r.heldOutAccuracy !== null);
  return {
    seed,
    stopReason: outcome.stopReason,
    iterations: outcome.iterations,
    epochs: outcome.epochs,
    heldOutAccuracy: outcome.restoredBest?.heldOutAccuracy ?? lastHeldOut?.heldOutAccuracy ?? null,
    restoredBest: outcome.restoredBest,
  };
}

/** Held-out accuracy of the joined network: the committee's own figure, measured, not inferred from its members'. */
async function scoreJoined(fit: FitSetUp, params: Parameters): Promise<number> {
  const { input, labels, split } = fit;
  const engine = await fit.factory.create(params.shape, params, { inputs: [input], labels: [labels], maxRows: fit.dataset.rows });
  try {
    return scoreRows(engine, input, split.heldOutRows, gatherLabels(labels, split.heldOutRows)).accuracy;
  } finally {
    await engine.close();
  }
}
