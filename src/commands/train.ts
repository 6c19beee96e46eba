/** `digits train [file]`: the settings given over a preset, the CSV loaded, the network fitted, saved, summarised. */
import { resolve } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { ExitCode, inputError } from '../errors.js';
import { loadModel } from '../model/read.js';
import { saveModel } from '../model/write.js';
import type { MemberResult, Model } from '../train/model.js';
import { fitModel, type FitOptions, type FitResult } from '../train/fit.js';
import { checkResume } from '../train/resume.js';
import { defaultSeed, presets, type TrainConfig } from '../train/presets.js';
import { maxHidden } from '../train/settings.js';
import type { JsonEvent, ProgressMode, Reporter } from '../ui/reporter.js';
import { count, percent, seconds } from '../ui/format.js';
import { commandReporter, type CommandContext } from './context.js';
import { loadKaggleCsv } from './load.js';
import { defaultThreads, type KernelsChoice } from './options.js';
import { bundledTrainFile, displayPath, prepareOutput, refuseOverwriting, type NamedPath } from './paths.js';
import { chooseBackend, createEngineFactory } from './threads.js';
import type { Backend } from '../nn/backend.js';
import { learningCurveOutput, plotMessage, writeLearningCurve } from './plot.js';

export interface TrainOptions {
  /** The training settings the options given set (settings.ts); the rest are the preset's, or the resumed run's. */
  readonly settings: Partial<TrainConfig>;
  readonly out: string;
  /** Also write the learning curves to this SVG file. */
  readonly plot?: string;
  readonly resume?: string;
  readonly threads?: number;
  /** Which kernels compute (default auto); the model does not record it, since the numbers are the same. */
  readonly kernels?: KernelsChoice;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly progress: ProgressMode;
  readonly maxErrors: number;
}

/**
 * The preset's configuration (or, resuming, the recorded one) with each setting given put over it. On resume,
 * train/resume.ts then refuses whatever the options changed that a resumed run may not change.
 */
export function configFrom(given: Partial<TrainConfig>, base: TrainConfig = presets[given.preset ?? 'default']): TrainConfig {
  return { ...base, ...given };
}

/** What a training run reads, trains and writes: all settled, and checked, before the data is read. */
interface TrainingPlan {
  readonly config: TrainConfig;
  readonly resumeFrom: Model | undefined;
  /** The training CSV. */
  readonly path: string;
  readonly outPath: string;
  readonly plotPath: string | undefined;
  readonly threads: number;
  readonly backend: Backend;
}

/** What is learnt once training starts and the summary needs at the end. */
interface TrainingProgress {
  /** Steps each network plans (a committee's networks all plan the same). */
  iterationsPerMember: number;
}

export async function runTrain(file: string | undefined, options: TrainOptions, context: CommandContext): Promise<number> {
  const reporter = commandReporter({ ...options, logEvery: options.settings.logEvery }, context);
  const plan = planTraining(file, options, context);
  const { dataset, seconds: loadSeconds } = await loadTrainingData(plan, file, options, reporter, context);
  const progress: TrainingProgress = { iterationsPerMember: 0 };
  const fitting = fitModel(dataset, plan.config, fitOptions(plan, dataset, progress, reporter, context));
  const fitted = await fitting.finally(() => reporter.finish());
  saveModel(plan.outPath, fitted.model, displayPath(plan.outPath, context.cwd));
  reportOutcome(plan, fitted, progress, reporter, context);
  if (plan.plotPath) reporter.info(plotMessage(writeLearningCurve(fitted.model, plan.plotPath), plan.plotPath, context.cwd));
  reporter.json(summaryEvent(plan, fitted, loadSeconds));
  if (context.stop.requested) return context.stop.requested === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
  return ExitCode.ok;
}

/**
 * The configuration and the files of the run, refusing before any data is read what could not work: options
 * that would change a resumed run, a joined network too wide, outputs that would overwrite an input or cannot be
 * written (better found now than after hours of training).
 */
function planTraining(file: string | undefined, options: TrainOptions, context: CommandContext): TrainingPlan {
  const resumeFrom = options.resume ? loadModel(options.resume) : undefined;
  const path = file ?? (resumeFrom && resumeFrom.data.path !== '-' ? resumeFrom.data.path : bundledTrainFile);
  const config = configFrom(options.settings, resumeFrom?.training.config);
  if (resumeFrom) checkResume(config, resumeFrom);
  checkJoinedWidth(config);
  const outPath = resolve(context.cwd, options.out);
  const plotPath = options.plot ? resolve(context.cwd, options.plot) : undefined;
  const outputs: NamedPath[] = [{ name: '--out', path: outPath }, ...(plotPath ? [{ name: '--plot', path: plotPath }] : [])];
  refuseOverwriting(outputs, [{ name: 'the training CSV', path }], context.cwd);
  // Saving over the model being resumed is what --resume is for; only the picture must not land on it.
  if (options.resume && plotPath) {
    refuseOverwriting([{ name: '--plot', path: plotPath }], [{ name: 'the resumed model', path: options.resume }], context.cwd);
  }
  prepareOutput(outPath, context.cwd);
  if (plotPath) prepareOutput(plotPath, context.cwd, learningCurveOutput);
  const threads = options.threads ?? defaultThreads();
  const backend = chooseBackend(options.kernels ?? 'auto', threads > 1);
  return { config, resumeFrom, path, outPath, plotPath, threads, backend };
}

/** The joined network is saved like any other, so it has the same limit as --hidden. */
function checkJoinedWidth({ members, hiddenSize }: TrainConfig): void {
  if (members * hiddenSize <= maxHidden) return;
  throw inputError(
    `--members ${members} networks of ${hiddenSize} hidden units would join into ${members * hiddenSize}, more than ${maxHidden}`,
    ['Use fewer --members or fewer --hidden units.'],
  );
}

/** Reads the training CSV (deskewed as it is read, if the run deskews), saying what it read. */
async function loadTrainingData(
  plan: TrainingPlan,
  file: string | undefined,
  options: TrainOptions,
  reporter: Reporter,
  { chalk, cwd }: CommandContext,
): Promise<{ dataset: Dataset; seconds: number }> {
  const shown = displayPath(plan.path, cwd);
  if (!file && !plan.resumeFrom) reporter.info(chalk.dim(`No file given: training on the bundled sample, ${shown}.`));
  const loaded = await loadKaggleCsv(plan.path, { labels: 'required', reporter, maxErrors: options.maxErrors, deskew: plan.config.deskew });
  const { rows, features } = loaded.dataset;
  reporter.info(`Read ${count(rows)} rows of ${features} pixels from ${shown} in ${seconds(loaded.seconds)}.`);
  if (options.settings.seed === undefined && !plan.resumeFrom) {
    reporter.info(chalk.dim(`Seed ${defaultSeed} (the default; --seed to change).`));
  }
  return loaded;
}

/** fitModel's engines and callbacks: what the run says as it starts, as each network starts, and at each step. */
function fitOptions(
  plan: TrainingPlan,
  dataset: Dataset,
  progress: TrainingProgress,
  reporter: Reporter,
  context: CommandContext,
): FitOptions {
  const { config, resumeFrom, threads } = plan;
  const members = config.members;
  return {
    threads,
    engineFactory: createEngineFactory(threads, plan.backend),
    ...(resumeFrom ? { resumeFrom } : {}),
    onStart: (start) => {
      // From here on, Ctrl-C stops after the current step and saves (before, it quits at once).
      context.stop.graceful = true;
      progress.iterationsPerMember = start.totalIterations;
      reporter.info(startMessage(plan, dataset, start));
      const { trainRows, heldOutRows } = start.split;
      reporter.json({
        event: 'start', config, trainRows: trainRows.length, heldOutRows: heldOutRows.length, threads, kernels: plan.backend.name,
      });
      reporter.trainingStarted(start.fullBatch, start.totalIterations, start.totalEpochs, members);
    },
    onMember: ({ member, seed, iteration }) => {
      if (members === 1) return;
      reporter.memberStarted(member);
      reporter.info(
        context.chalk.bold(`Network ${member + 1} of ${members}`) +
          ` (seed ${seed})${iteration > 0 ? `, resuming at iteration ${iteration} of ${progress.iterationsPerMember}` : ''}:`,
      );
    },
    events: {
      onReport: (report) => reporter.report(report),
      onStep: (step) => reporter.step(step),
      shouldStop: () => context.stop.requested !== null,
    },
  };
}

/** What fitModel knows as training starts: the split and the schedule. */
type TrainingStart = Parameters<NonNullable<FitOptions['onStart']>>[0];

/** "Training 784-256-10 (preset default) on 37,800 rows, holding out 4,200: 12 epochs of mini-batches of 64, ...". */
function startMessage(plan: TrainingPlan, dataset: Dataset, start: TrainingStart): string {
  const { config, resumeFrom, threads } = plan;
  const { split, fullBatch, totalIterations, totalEpochs } = start;
  const members = config.members;
  const each = members > 1 ? ' each' : '';
  const how = fullBatch
    ? `${totalIterations} iterations${each} of full-batch gradient descent`
    : `${totalEpochs} epoch${totalEpochs === 1 ? '' : 's'}${each} of mini-batches of ${config.batchSize}`;
  const clean = Math.min(config.cleanEpochs, totalEpochs);
  const cleanNote = config.augment && clean > 0 ? ` (the last ${clean === 1 ? '' : `${clean} `}without augmentation)` : '';
  const network = `${dataset.features}-${config.hiddenSize}-10`;
  const what =
    members > 1
      ? `${members} networks of ${network} (preset ${config.preset}), to be joined into one of ${dataset.features}-${members * config.hiddenSize}-10,`
      : `${network} (preset ${config.preset})`;
  return (
    `Training ${what} on ${count(split.trainRows.length)} rows, ` +
    `holding out ${count(split.heldOutRows.length)}: ${how}${cleanNote}, ${threads} thread${threads === 1 ? '' : 's'}, ${plan.backend.name} kernels` +
    (resumeFrom && members === 1 ? `, resuming at iteration ${resumeFrom.training.iterations}` : '') +
    '.'
  );
}

/** After saving: the weights kept by early stopping, each network of a committee, and the summary line. */
function reportOutcome(
  plan: TrainingPlan,
  fitted: FitResult,
  progress: TrainingProgress,
  reporter: Reporter,
  { chalk, cwd }: CommandContext,
): void {
  const { model, outcome, memberResults } = fitted;
  const members = plan.config.members;
  if (outcome.restoredBest) {
    const { epoch, heldOutAccuracy } = outcome.restoredBest;
    reporter.info(`Restored the weights of epoch ${Math.round(epoch)} (best held-out accuracy ${percent(heldOutAccuracy)}).`);
  }
  if (members > 1) {
    for (let member = 0; member < members; member++) {
      reporter.info(`Network ${member + 1} of ${members}: ${memberText(memberResults[member], progress.iterationsPerMember)}.`);
    }
  }
  const heldOut = model.training.heldOut;
  const shape = model.params.shape;
  const networks = `${memberResults.length} network${memberResults.length === 1 ? '' : 's'}`;
  const joined = members > 1 ? ` (${networks} joined: ${shape.inputSize}-${shape.hiddenSize}-10)` : '';
  const summary = heldOut
    ? `Held-out accuracy ${chalk.bold(percent(heldOut.accuracy))} ± ${percent(heldOut.standardError)} on ${count(heldOut.rows)} rows${joined}`
    : `No rows held out (--holdout 0): no held-out accuracy${joined}`;
  const shownOut = displayPath(plan.outPath, cwd);
  const stopped = stopText(plan, fitted, progress, shownOut);
  const stoppedNote = outcome.stopReason === 'interrupted' ? chalk.yellow(stopped) : stopped;
  reporter.info(`${summary}. Model written to ${chalk.green(shownOut)} (${seconds(outcome.elapsedSeconds)} training).${stoppedNote}`);
}

/** How the run ended, when it did not simply complete: where it was interrupted, or that it stopped early. */
function stopText(plan: TrainingPlan, { outcome, memberResults }: FitResult, progress: TrainingProgress, shownOut: string): string {
  const members = plan.config.members;
  if (outcome.stopReason === 'early-stopped' && members === 1) {
    return ` Stopped early: no better held-out accuracy for ${plan.config.patience} evaluations.`;
  }
  if (outcome.stopReason !== 'interrupted') return '';
  const resumeHint = `continue with --resume ${shownOut}.`;
  if (members === 1) return ` Interrupted at iteration ${outcome.iterations} of ${outcome.totalIterations}; ${resumeHint}`;
  const last = memberResults.at(-1);
  if (last?.stopReason === 'interrupted') {
    return ` Interrupted in network ${memberResults.length} of ${members} at iteration ${last.iterations} of ${progress.iterationsPerMember}; ${resumeHint}`;
  }
  return ` Interrupted after network ${memberResults.length} of ${members}; ${resumeHint}`;
}

/** The --json summary line (docs/json.md). */
function summaryEvent(plan: TrainingPlan, { model, outcome, memberResults }: FitResult, loadSeconds: number): JsonEvent {
  const heldOut = model.training.heldOut;
  const last = model.history.at(-1);
  return {
    event: 'summary',
    model: plan.outPath,
    stopReason: outcome.stopReason,
    iterations: outcome.iterations,
    epochs: outcome.epochs,
    heldOutAccuracy: heldOut?.accuracy ?? null,
    heldOutStandardError: heldOut?.standardError ?? null,
    heldOutRows: heldOut?.rows ?? 0,
    trainLoss: last?.trainLoss ?? null,
    trainAccuracy: last?.trainAccuracy ?? null,
    loadSeconds,
    trainSeconds: outcome.elapsedSeconds,
    restoredBest: outcome.restoredBest,
    memberResults: plan.config.members > 1 ? memberResults : null,
  };
}

/** One network of a committee in the summary: its own held-out accuracy, and how it ended. */
function memberText(result: MemberResult | undefined, iterationsPerMember: number): string {
  if (!result) return 'not started';
  const accuracy = result.heldOutAccuracy === null ? 'trained' : `held-out accuracy ${percent(result.heldOutAccuracy)}`;
  const notes: string[] = [];
  if (result.stopReason === 'interrupted') notes.push(`interrupted at iteration ${result.iterations} of ${iterationsPerMember}`);
  if (result.stopReason === 'early-stopped') notes.push(`stopped early at epoch ${Math.round(result.epochs)}`);
  if (result.restoredBest) notes.push(`the weights of epoch ${Math.round(result.restoredBest.epoch)} restored`);
  return accuracy + (notes.length > 0 ? ` (${notes.join(', ')})` : '');
}
