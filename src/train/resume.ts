/**
 * What --resume accepts. A resumed run continues the recorded one step for step, on the recorded split, so the
 * checks here need only the model file and the configuration asked for, not the training data: the train
 * command runs them before it reads the file, and fitModel runs them again for its other callers.
 */
import { isDeepStrictEqual } from 'node:util';
import { inputError } from '../errors.js';
import type { Model } from './model.js';
import type { TrainConfig } from './presets.js';
import { planSchedule, type Schedule } from './trainer.js';

/** Refuses a resume that cannot continue the recorded run, saying what to ask for instead. */
export function checkResume(config: TrainConfig, from: Model): void {
  checkResumeSettings(config, from.training.config);
  const members = from.training.config.members;
  if (members > 1 && !from.committee) {
    throw inputError(`the model's ${members} networks were trained to the end and joined into one: there is nothing left to resume`, [
      'A joined committee cannot be taken apart again; train a new one (without --resume) to change its schedule.',
    ]);
  }
  checkResumePlan(config, from);
}

/**
 * A setting of the configuration: the option that gives it, and how a configuration's value of it is shown (by
 * default the option and the value); or 'may change' for the few that a resumed run may change.
 */
type ResumeSetting = 'may change' | { readonly option: string; readonly show?: (config: TrainConfig) => string };

/**
 * Every setting of the configuration, as --resume treats it. A resumed run is the recorded run continued step for
 * step, so whatever shapes those steps (the network, the split, the shuffles and initialisation, the update rule
 * and its schedule, augmentation, early stopping) must stay as recorded: an option that would change it is
 * refused, never ignored. What may change is how long the run goes (checked by checkResumePlan) and how often it
 * reports. Threads, output and where the model goes are not settings of the run. A setting added to TrainConfig
 * must be listed here (the type requires it), so it is refused on resume unless said otherwise.
 */
const resumeSettings: Readonly<Record<keyof TrainConfig, ResumeSetting>> = {
  preset: { option: '--preset' },
  hiddenSize: { option: '--hidden' },
  members: { option: '--members' },
  epochs: 'may change',
  iterations: 'may change',
  batchSize: { option: '--batch-size', show: (c) => `--batch-size ${c.batchSize === 0 ? 'full' : c.batchSize}` },
  learningRate: { option: '--lr' },
  optimizer: { option: '--optimizer' },
  schedule: { option: '--schedule' },
  weightDecay: { option: '--weight-decay' },
  holdout: { option: '--holdout' },
  seed: { option: '--seed' },
  logEvery: 'may change',
  patience: { option: '--patience', show: (c) => (c.patience === null ? 'no --patience' : `--patience ${c.patience}`) },
  augment: { option: '--no-augment', show: (c) => (c.augment === null ? '--no-augment' : 'augmentation') },
  cleanEpochs: { option: '--clean-epochs' },
  deskew: { option: '--no-deskew', show: (c) => (c.deskew ? 'deskewing' : '--no-deskew') },
  // Set by the preset alone (no option changes them), so they differ only for callers of fitModel.
  momentum: { option: 'momentum' },
  beta2: { option: 'beta2' },
  warmupEpochs: { option: 'warmup epochs' },
  init: { option: 'initialisation' },
};

/** Refuses every setting given that differs from the recorded run's, naming each as its option. */
function checkResumeSettings(config: TrainConfig, recorded: TrainConfig): void {
  const given: string[] = [];
  const were: string[] = [];
  for (const field of Object.keys(resumeSettings) as (keyof TrainConfig)[]) {
    const differs = difference(field, config, recorded);
    if (!differs) continue;
    given.push(differs.given);
    were.push(differs.was);
  }
  if (given.length === 0) return;
  const list = given.length === 1 ? given[0]! : `${given.slice(0, -1).join(', ')} and ${given.at(-1)!}`;
  throw inputError(`${list} ${given.length === 1 ? 'differs' : 'differ'} from the resumed run (${were.join(', ')})`, [
    '--resume continues a run as it was started: leave out what differs (or give the recorded value), or train a new model without --resume.',
  ]);
}

/** A setting that differs from the recorded one and may not, shown as given and as recorded; null otherwise. */
function difference(field: keyof TrainConfig, config: TrainConfig, recorded: TrainConfig): { given: string; was: string } | null {
  const setting = resumeSettings[field];
  if (setting === 'may change' || isDeepStrictEqual(config[field], recorded[field])) return null;
  const show = setting.show ?? ((c: TrainConfig): string => `${setting.option} ${String(c[field])}`);
  return { given: show(config), was: show(recorded) };
}

/**
 * --epochs and --iterations count from the start of the run, so a resumed run may plan more steps than the
 * recorded one, but never fewer than a network of it has already taken: those steps cannot be undone, and the
 * model would record more steps done than planned (which the loader rightly refuses as damaged). A single
 * network that has taken every step of the plan has nothing left to do either.
 */
function checkResumePlan(config: TrainConfig, from: Model): void {
  // The split is the recorded one, so the training rows, and with them the steps in an epoch, are known now.
  const trainRows = from.data.rows - from.data.heldOutRows.length;
  const plan = planSchedule(config, trainRows);
  const recordedPlan = planSchedule(from.training.config, trainRows);
  const steps = networkSteps(from);
  const most = Math.max(...steps);
  const network = steps.indexOf(most);
  const single = from.training.config.members === 1;
  if (most < plan.totalIterations || (!single && most === plan.totalIterations)) return;

  const byIterations = config.iterations !== null || plan.fullBatch;
  const flag = config.iterations !== null ? '--iterations' : '--epochs';
  const asked = config.iterations !== null ? `--iterations ${config.iterations}` : `--epochs ${config.epochs}`;
  const who = single ? 'the resumed run' : `network ${network + 1} of the resumed run`;
  const done = stepsText(most, plan);
  const planChanged = plan.totalIterations !== recordedPlan.totalIterations;
  const message =
    most > plan.totalIterations
      ? `${asked} asks for ${iterationsText(plan.totalIterations)} in all, fewer than the ${done} ${who} has already trained`
      : planChanged
        ? `${asked} asks for ${iterationsText(plan.totalIterations)} in all, which ${who} has already trained: nothing is left to train`
        : `${who} has already trained all ${done} it planned: nothing is left to train`;
  const more = byIterations ? `--iterations ${most + 1} or more` : `--epochs ${Math.floor(most / plan.stepsPerEpoch) + 1} or more`;
  // Leaving the plan as recorded finishes the run when the recorded plan still has room for the steps taken.
  const finish =
    planChanged && (single ? most < recordedPlan.totalIterations : most <= recordedPlan.totalIterations)
      ? `, or leave ${flag} out to finish the run's plan of ${planText(from.training.config, recordedPlan)}`
      : '';
  throw inputError(message, [
    `--epochs and --iterations count from the start of the run, not from where it stopped: ask for ${more}${finish}.`,
  ]);
}

/** Steps each network of the recorded run has taken: one entry for a single network. */
function networkSteps(from: Model): number[] {
  const { committee, training } = from;
  if (!committee) return [training.iterations];
  const finished = (training.memberResults ?? []).slice(0, committee.done).map((result) => result.iterations);
  return committee.current ? [...finished, committee.current.iteration] : finished;
}

function iterationsText(iterations: number): string {
  return `${iterations} iteration${iterations === 1 ? '' : 's'}`;
}

/** Steps, and the epochs they make when batches are smaller than the training set. */
function stepsText(iterations: number, plan: Schedule): string {
  if (plan.fullBatch) return iterationsText(iterations);
  const epochs = iterations / plan.stepsPerEpoch;
  const shown = Number.isInteger(epochs) ? String(epochs) : epochs.toFixed(1);
  return `${iterationsText(iterations)} (${shown} epoch${epochs === 1 ? '' : 's'})`;
}

/** A plan as the options that make it: epochs, or iterations for full batch or an --iterations plan. */
function planText(config: TrainConfig, plan: Schedule): string {
  if (config.iterations !== null || plan.fullBatch) return iterationsText(plan.totalIterations);
  return `${config.epochs} epoch${config.epochs === 1 ? '' : 's'}`;
}
