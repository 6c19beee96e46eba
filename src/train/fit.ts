/**
 * Trains a model on a loaded dataset: the split, the sparse view, the engine, the optional augmenter and the
 * trainer, put together; returns the model ready to save. The train command only parses options and shows events.
 * A committee (--members M) is M networks trained here one after another, on the same split, each from its own
 * seed, then joined into one network (nn/committee.ts) and measured on the held-out rows as that one network.
 */
import { resolve } from 'node:path';
import { classCount, imageSide, pixelScale, toSparseRows, type Dataset, type SparseRows } from '../data/dataset.js';
import { heldOutCount, splitFromHeldOut, splitRows, type Split } from '../data/split.js';
import { createAugmenter } from '../data/augment.js';
import { withDeskew } from '../data/deskew.js';
import { LocalEngine, type GradientEngine } from '../nn/engine.js';
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
  type StopReason,
  type TrainerEvents,
  type TrainingOutcome,
  type TrainingReport,
} from './trainer.js';

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
  const labels = given.labels;
  if (!labels) throw inputError(`${given.source.path}: the file has no labels to train on`);
  const shape: NetworkShape = { inputSize: given.features, hiddenSize: config.hiddenSize, classCount };
  if ((config.augment || config.deskew) && imageSide(given.features) === null) {
    throw inputError(
      `${given.source.path}: ${given.features} pixels a row is not a square image, so it cannot be deskewed, shifted or rotated`,
      ['Train with --no-augment --no-deskew, or on square images (784 pixels for 28 x 28).'],
    );
  }
  // The train command has the reader deskew in place; other callers (tests) get a deskewed copy here.
  const dataset = withDeskew(given, config.deskew);
  const start = startingPoint(dataset, config, shape, options.resumeFrom);
  const { split } = start;
  const members = config.members;

  const factory = options.engineFactory ?? localEngineFactory;
  const input = toSparseRows(dataset.pixels, dataset.rows, dataset.features, factory.allocate);
  const sharedLabels = new Uint8Array(factory.allocate(labels.length));
  sharedLabels.set(labels);
  const plan = planSchedule(config, split.trainRows.length);
  options.onStart?.({
    split,
    fullBatch: plan.fullBatch,
    totalIterations: plan.totalIterations,
    totalEpochs: plan.totalEpochs,
  });

  const events = options.events ?? {};
  const finished: MemberRun[] = [...start.done];
  let current = start.current;
  let history = start.history;
  let elapsedSeconds = start.elapsedSeconds;
  let last: TrainingOutcome | null = null;
  let interrupted: MemberRun | null = null;
  let stoppedBetweenMembers = false;
  for (let member = start.done.length; member < members; member++) {
    // Ctrl-C during a network's last step lands here: stop before the next network takes its first step.
    if (member > start.done.length && events.shouldStop?.()) {
      stoppedBetweenMembers = true;
      break;
    }
    // Member 0 is exactly the network a single run with this configuration trains.
    const seed = memberSeed(config.seed, member);
    const memberConfig: TrainConfig = member === 0 ? config : { ...config, seed };
    const params = createParameters(shape, current?.params);
    if (!current) initialise(params, config.init, new Random(seed));
    // A new augmenter and engine per network: the augmenter's seed is fixed when it is made, and an engine shares
    // its input buffers with its threads once, at start. Both take milliseconds next to a network's training.
    const augmenter = config.augment
      ? createAugmenter(dataset, config.augment, plan.batchSize, seed, factory.allocate)
      : null;
    const engine = await factory.create(shape, params, {
      inputs: augmenter ? [input, augmenter.input] : [input],
      labels: augmenter ? [sharedLabels, augmenter.labels] : [sharedLabels],
      maxRows: dataset.rows,
    });
    options.onMember?.({ member, members, seed, iteration: current?.iteration ?? 0 });
    let outcome: TrainingOutcome;
    try {
      outcome = await train(memberConfig, engine, { input, labels: sharedLabels, split, augmenter }, {
        events,
        resume: { iteration: current?.iteration ?? 0, optimizer: current?.optimizer ?? null, history, elapsedSeconds },
        member,
      });
    } finally {
      await engine.close();
    }
    current = null;
    last = outcome;
    history = outcome.history;
    elapsedSeconds = outcome.elapsedSeconds;
    const run: MemberRun = { params: engine.params, result: memberResult(seed, member, outcome) };
    if (outcome.stopReason === 'interrupted') {
      interrupted = run;
      break;
    }
    finished.push(run);
  }
  // Every run trains at least one step of one network: the loader keeps committeeState.done below members.
  if (!last) throw new Error('fitModel: no network was trained');

  const joined = interrupted ? [...finished, interrupted] : finished;
  const memberResults = joined.map((run) => run.result);
  const stopReason: StopReason =
    interrupted || stoppedBetweenMembers
      ? 'interrupted'
      : memberResults.some((result) => result.stopReason === 'early-stopped')
        ? 'early-stopped'
        : 'completed';
  const iterations = memberResults.reduce((sum, result) => sum + result.iterations, 0);
  const single = members === 1;
  let params: Parameters;
  let heldOutAccuracy: number | null;
  if (single) {
    params = joined[0]!.params;
    heldOutAccuracy = memberResults[0]!.heldOutAccuracy;
  } else {
    params = joinMembers(joined.map((run) => run.params));
    heldOutAccuracy = split.heldOutRows.length === 0 ? null : await scoreJoined(params, factory, input, sharedLabels, split, dataset.rows);
  }
  const committee: CommitteeState | null =
    !single && stopReason === 'interrupted'
      ? {
          done: finished.length,
          members: joined.map((run) => run.params.data.slice()),
          current: interrupted ? { iteration: interrupted.result.iterations, optimizer: last.optimizer } : null,
        }
      : null;
  const outcome: TrainingOutcome = {
    ...last,
    stopReason,
    iterations,
    totalIterations: members * plan.totalIterations,
    epochs: iterations / plan.stepsPerEpoch,
    history: [...history],
    restoredBest: single ? last.restoredBest : null,
    elapsedSeconds,
  };

  const model: Model = {
    params,
    classes: Array.from({ length: classCount }, (_, k) => k),
    pixelScale,
    deskew: config.deskew,
    training: {
      config,
      stopReason,
      iterations: outcome.iterations,
      totalIterations: outcome.totalIterations,
      epochs: outcome.epochs,
      elapsedSeconds,
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
      memberResults: single ? null : memberResults,
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
    optimizer: single ? last.optimizer : null,
    committee,
    tool: { name: 'digits', version: toolVersion },
    createdAt: new Date().toISOString(),
  };
  return { model, outcome, memberResults };
}

function startingPoint(dataset: Dataset, config: TrainConfig, shape: NetworkShape, resumeFrom: Model | undefined): StartingPoint {
  if (!resumeFrom) {
    const split = splitRows(dataset.rows, heldOutCount(config.holdout, dataset.rows), config.seed);
    return { split, done: [], current: null, history: [], elapsedSeconds: 0 };
  }
  if (resumeFrom.data.sha256 !== dataset.source.sha256 || resumeFrom.data.rows !== dataset.rows) {
    throw inputError(
      `${dataset.source.path}: not the file the model was trained on (${resumeFrom.data.path}, ${resumeFrom.data.rows} rows, SHA-256 ${resumeFrom.data.sha256.slice(0, 12)}...)`,
      ['--resume continues a run on the same training file.'],
    );
  }
  checkResume(config, resumeFrom);
  const resumedMembers = resumeFrom.training.config.members;
  const base = {
    split: splitFromHeldOut(dataset.rows, resumeFrom.data.heldOutRows),
    history: resumeFrom.history,
    elapsedSeconds: resumeFrom.training.elapsedSeconds,
  };
  // Copies throughout: the run updates weights and optimiser state in place, and the loaded model stays as read.
  const copy = (state: OptimizerState): OptimizerState => ({ ...state, first: state.first.slice(), second: state.second.slice() });
  if (resumedMembers === 1) {
    return {
      ...base,
      done: [],
      current: {
        params: resumeFrom.params.data.slice(),
        iteration: resumeFrom.training.iterations,
        optimizer: resumeFrom.optimizer ? copy(resumeFrom.optimizer) : null,
      },
    };
  }
  const committee = resumeFrom.committee;
  if (!committee) throw new Error('fitModel: checkResume let a finished committee through');
  const results = resumeFrom.training.memberResults ?? [];
  const done = committee.members.slice(0, committee.done).map((vector, member) => ({
    params: createParameters(shape, vector.slice()),
    result: results[member]!,
  }));
  const interrupted = committee.current;
  return {
    ...base,
    done,
    current: interrupted
      ? { params: committee.members[committee.done]!.slice(), iteration: interrupted.iteration, optimizer: copy(interrupted.optimizer) }
      : null,
  };
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
async function scoreJoined(
  params: Parameters,
  factory: EngineFactory,
  input: SparseRows,
  labels: Uint8Array,
  split: Split,
  maxRows: number,
): Promise<number> {
  const engine = await factory.create(params.shape, params, { inputs: [input], labels: [labels], maxRows });
  try {
    return scoreRows(engine, input, split.heldOutRows, gatherLabels(labels, split.heldOutRows)).accuracy;
  } finally {
    await engine.close();
  }
}
