/** `digits train [file]`: parse options into a configuration, load the CSV, fit, save, summarise. */
import { resolve } from 'node:path';
import { ExitCode, inputError } from '../errors.js';
import { loadModel, saveModel, type MemberResult, type Model } from '../model/file.js';
import { fitModel } from '../train/fit.js';
import { checkResume } from '../train/resume.js';
import { defaultSeed, presets, type PresetName, type TrainConfig } from '../train/presets.js';
import type { OptimizerName, ScheduleName } from '../nn/optimizers.js';
import type { ProgressMode } from '../ui/reporter.js';
import { count, percent, seconds } from '../ui/format.js';
import { commandReporter, type CommandContext } from './context.js';
import { loadKaggleCsv } from './load.js';
import { defaultThreads, maxHidden } from './options.js';
import { bundledTrainFile, displayPath, prepareOutput, refuseOverwriting, type NamedPath } from './paths.js';
import { createEngineFactory } from './threads.js';
import { learningCurveOutput, plotMessage, writeLearningCurve } from './plot.js';

export interface TrainOptions {
  out: string;
  /** Also write the learning curves to this SVG file. */
  plot?: string;
  /** Absent when not given: the default preset, or the resumed run's. */
  preset?: PresetName;
  hidden?: number;
  epochs?: number;
  iterations?: number;
  batchSize?: number;
  lr?: number;
  optimizer?: OptimizerName;
  schedule?: ScheduleName;
  weightDecay?: number;
  holdout?: number;
  seed?: number;
  logEvery?: number;
  patience?: number;
  augment?: boolean;
  members?: number;
  cleanEpochs?: number;
  deskew?: boolean;
  resume?: string;
  threads?: number;
  json: boolean;
  quiet: boolean;
  progress: ProgressMode;
  maxErrors: number;
}

/**
 * The preset's configuration (or, resuming, the recorded one) with each option the user gave put over it. On
 * resume, train/resume.ts then refuses whatever the options changed that a resumed run may not change.
 */
export function configFrom(options: TrainOptions, base?: TrainConfig): TrainConfig {
  const preset = base ?? presets[options.preset ?? 'default'];
  const epochsGiven = options.epochs !== undefined;
  return {
    ...preset,
    preset: options.preset ?? preset.preset,
    hiddenSize: options.hidden ?? preset.hiddenSize,
    epochs: options.epochs ?? preset.epochs,
    iterations: options.iterations ?? (epochsGiven ? null : preset.iterations),
    batchSize: options.batchSize ?? preset.batchSize,
    learningRate: options.lr ?? preset.learningRate,
    optimizer: options.optimizer ?? preset.optimizer,
    schedule: options.schedule ?? preset.schedule,
    weightDecay: options.weightDecay ?? preset.weightDecay,
    holdout: options.holdout ?? preset.holdout,
    seed: options.seed ?? preset.seed,
    logEvery: options.logEvery ?? preset.logEvery,
    patience: options.patience ?? preset.patience,
    augment: options.augment === false ? null : preset.augment,
    members: options.members ?? preset.members,
    cleanEpochs: options.cleanEpochs ?? preset.cleanEpochs,
    deskew: options.deskew === false ? false : preset.deskew,
  };
}

export async function runTrain(file: string | undefined, options: TrainOptions, context: CommandContext): Promise<number> {
  const { chalk } = context;
  const reporter = commandReporter(options, context);
  const resumeFrom: Model | undefined = options.resume ? loadModel(options.resume) : undefined;
  const path = file ?? (resumeFrom && resumeFrom.data.path !== '-' ? resumeFrom.data.path : bundledTrainFile);
  const config = configFrom(options, resumeFrom?.training.config);
  // Before reading the data: options that would change the recorded run, or fewer steps than it has taken.
  if (resumeFrom) checkResume(config, resumeFrom);
  // The joined network is saved like any other, so it has the same limit as --hidden.
  if (config.members * config.hiddenSize > maxHidden) {
    throw inputError(
      `--members ${config.members} networks of ${config.hiddenSize} hidden units would join into ${config.members * config.hiddenSize}, more than ${maxHidden}`,
      ['Use fewer --members or fewer --hidden units.'],
    );
  }
  const outPath = resolve(context.cwd, options.out);
  const plotPath = options.plot ? resolve(context.cwd, options.plot) : undefined;
  const outputs: NamedPath[] = [{ name: '--out', path: outPath }, ...(plotPath ? [{ name: '--plot', path: plotPath }] : [])];
  refuseOverwriting(outputs, [{ name: 'the training CSV', path }], context.cwd);
  // Saving over the model being resumed is what --resume is for; only the picture must not land on it.
  if (options.resume && plotPath) {
    refuseOverwriting([{ name: '--plot', path: plotPath }], [{ name: 'the resumed model', path: options.resume }], context.cwd);
  }
  // Find out now, not after hours of training, if the model or the picture cannot be written there.
  prepareOutput(outPath, context.cwd);
  if (plotPath) prepareOutput(plotPath, context.cwd, learningCurveOutput);

  const shown = displayPath(path, context.cwd);
  if (!file && !resumeFrom) reporter.info(chalk.dim(`No file given: training on the bundled sample, ${shown}.`));
  const { dataset, seconds: loadSeconds } = await loadKaggleCsv(path, 'required', reporter, options.maxErrors, undefined, config.deskew);
  reporter.info(`Read ${count(dataset.rows)} rows of ${dataset.features} pixels from ${shown} in ${seconds(loadSeconds)}.`);
  if (options.seed === undefined && !resumeFrom) {
    reporter.info(chalk.dim(`Seed ${defaultSeed} (the default; --seed to change).`));
  }

  const threads = options.threads ?? defaultThreads();
  const members = config.members;
  let iterationsPerMember = 0;
  const { model, outcome, memberResults } = await fitModel(dataset, config, {
    threads,
    engineFactory: createEngineFactory(threads),
    ...(resumeFrom ? { resumeFrom } : {}),
    onStart: ({ split, fullBatch, totalIterations, totalEpochs }) => {
      // From here on, Ctrl-C stops after the current step and saves (before, it quits at once).
      context.stop.graceful = true;
      iterationsPerMember = totalIterations;
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
      reporter.info(
        `Training ${what} on ${count(split.trainRows.length)} rows, ` +
          `holding out ${count(split.heldOutRows.length)}: ${how}${cleanNote}, ${threads} thread${threads === 1 ? '' : 's'}` +
          (resumeFrom && members === 1 ? `, resuming at iteration ${resumeFrom.training.iterations}` : '') +
          '.',
      );
      reporter.json({ event: 'start', config, trainRows: split.trainRows.length, heldOutRows: split.heldOutRows.length, threads });
      reporter.trainingStarted(fullBatch, totalIterations, totalEpochs, members);
    },
    onMember: ({ member, seed, iteration }) => {
      if (members === 1) return;
      reporter.memberStarted(member);
      reporter.info(
        chalk.bold(`Network ${member + 1} of ${members}`) +
          ` (seed ${seed})${iteration > 0 ? `, resuming at iteration ${iteration} of ${iterationsPerMember}` : ''}:`,
      );
    },
    events: {
      onReport: (report) => reporter.report(report),
      onStep: (progress) => reporter.step(progress),
      shouldStop: () => context.stop.requested !== null,
    },
  }).finally(() => reporter.finish());

  saveModel(outPath, model, displayPath(outPath, context.cwd));
  const heldOut = model.training.heldOut;
  if (outcome.restoredBest) {
    reporter.info(
      `Restored the weights of epoch ${Math.round(outcome.restoredBest.epoch)} (best held-out accuracy ${percent(outcome.restoredBest.heldOutAccuracy)}).`,
    );
  }
  if (members > 1) {
    for (let member = 0; member < members; member++) {
      reporter.info(`Network ${member + 1} of ${members}: ${memberText(memberResults[member], iterationsPerMember)}.`);
    }
  }
  const joined = members > 1 ? ` (${memberResults.length} network${memberResults.length === 1 ? '' : 's'} joined: ${model.params.shape.inputSize}-${model.params.shape.hiddenSize}-10)` : '';
  const summary = heldOut
    ? `Held-out accuracy ${chalk.bold(percent(heldOut.accuracy))} ± ${percent(heldOut.standardError)} on ${count(heldOut.rows)} rows${joined}`
    : `No rows held out (--holdout 0): no held-out accuracy${joined}`;
  const resumeHint = `continue with --resume ${displayPath(outPath, context.cwd)}.`;
  const interruptedMember = memberResults.at(-1)?.stopReason === 'interrupted' ? memberResults.at(-1) : undefined;
  const stopped =
    outcome.stopReason === 'interrupted'
      ? chalk.yellow(
          members === 1
            ? ` Interrupted at iteration ${outcome.iterations} of ${outcome.totalIterations}; ${resumeHint}`
            : interruptedMember
              ? ` Interrupted in network ${memberResults.length} of ${members} at iteration ${interruptedMember.iterations} of ${iterationsPerMember}; ${resumeHint}`
              : ` Interrupted after network ${memberResults.length} of ${members}; ${resumeHint}`,
        )
      : outcome.stopReason === 'early-stopped' && members === 1
        ? ` Stopped early: no better held-out accuracy for ${config.patience} evaluations.`
        : '';
  reporter.info(`${summary}. Model written to ${chalk.green(displayPath(outPath, context.cwd))} (${seconds(outcome.elapsedSeconds)} training).${stopped}`);
  if (plotPath) reporter.info(plotMessage(writeLearningCurve(model, plotPath), plotPath, context.cwd));
  const last = model.history.at(-1);
  reporter.json({
    event: 'summary',
    model: outPath,
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
    memberResults: members > 1 ? memberResults : null,
  });
  if (context.stop.requested) return context.stop.requested === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
  return ExitCode.ok;
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
