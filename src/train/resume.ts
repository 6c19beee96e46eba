/**
 * What --resume accepts. A resumed run continues the recorded one step for step, on the recorded split, so the
 * checks here need only the model file and the configuration asked for, not the training data: the train
 * command runs them before it reads the file, and fitModel runs them again for its other callers.
 */
import { isDeepStrictEqual } from 'node:util';
import { inputError } from '../errors.js';
import type { Model } from './model.js';
import type { TrainConfig } from './presets.js';
import { shownValue, trainSettings } from './settings.js';
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
 * Refuses every setting that must stay as recorded (settings.ts says which) and differs from the recorded run's,
 * naming each as its option. Threads, output and where the model goes are not settings of the run.
 */
function checkResumeSettings(config: TrainConfig, recorded: TrainConfig): void {
  const differing = trainSettings.filter(
    (setting) => setting.resume === 'must equal' && !isDeepStrictEqual(config[setting.key], recorded[setting.key]),
  );
  if (differing.length === 0) return;
  const given = differing.map((setting) => shownValue(setting, config));
  const were = differing.map((setting) => shownValue(setting, recorded));
  const list = given.length === 1 ? given[0]! : `${given.slice(0, -1).join(', ')} and ${given.at(-1)!}`;
  throw inputError(`${list} ${given.length === 1 ? 'differs' : 'differ'} from the resumed run (${were.join(', ')})`, [
    '--resume continues a run as it was started: leave out what differs (or give the recorded value), or train a new model without --resume.',
  ]);
}

/**
 * --epochs and --iterations, the settings that may only grow, count from the start of the run, so a resumed run
 * may plan more steps than the recorded one, but never fewer than a network of it has already taken: those steps
 * cannot be undone, and the model would record more steps done than planned (which the loader rightly refuses as
 * damaged). A single network that has taken every step of the plan has nothing left to do either.
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
