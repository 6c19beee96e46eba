/** `digits predict <file>`: a Kaggle submission (ImageId,Label) on stdout, or atomically to --out. */
import { resolve } from 'node:path';
import { loadModel } from '../model/read.js';
import type { Model } from '../train/model.js';
import { PredictThreads } from '../nn/predictThreads.js';
import { checkCompatible } from '../train/evaluate.js';
import { writeFileAtomic, type OutputKind } from '../io/atomic.js';
import type { ProgressMode, Reporter } from '../ui/reporter.js';
import { count, seconds } from '../ui/format.js';
import { commandReporter, type CommandContext } from './context.js';
import { loadKaggleCsv } from './load.js';
import { defaultThreads, type KernelsChoice } from './options.js';
import { chooseBackend } from './threads.js';
import { writeToStdout } from './output.js';
import { bundledTrainFile, displayPath, ensureParentFolder, prepareOutput, refuseOverwriting } from './paths.js';
import { invocation } from '../invocation.js';

const submissionOutput: OutputKind = { noun: 'the submission', example: 'submission.csv' };

export interface PredictOptions {
  model: string;
  out?: string;
  quiet: boolean;
  progress: ProgressMode;
  maxErrors: number;
  threads?: number;
  kernels?: KernelsChoice;
}

/** The submission text: header, then one `ImageId,Label` row per image, ImageId counting from 1. */
export function submissionCsv(predicted: Uint8Array, classes: readonly number[]): string {
  const lines = new Array<string>(predicted.length + 1);
  lines[0] = 'ImageId,Label';
  for (let r = 0; r < predicted.length; r++) lines[r + 1] = `${r + 1},${classes[predicted[r]!]}`;
  return lines.join('\n') + '\n';
}

export async function runPredict(file: string, options: PredictOptions, context: CommandContext): Promise<number> {
  const started = performance.now();
  if (options.out) {
    const inputs = [
      { name: 'the CSV', path: file },
      { name: 'the model', path: options.model },
    ];
    refuseOverwriting([{ name: '--out', path: options.out }], inputs, context.cwd);
    // As train does for its model: a directory or an unwritable place is said now, not after the whole read.
    prepareOutput(resolve(context.cwd, options.out), context.cwd, submissionOutput);
  }
  const reporter = commandReporter(options, context);
  // The threads start first, so that they are ready when the first rows are.
  const threadCount = options.threads ?? defaultThreads();
  const threads = new PredictThreads(threadCount, chooseBackend(options.kernels ?? 'auto', threadCount > 1));
  try {
    return await predictFile(file, options, context, reporter, threads, started);
  } finally {
    await threads.close();
  }
}

async function predictFile(
  file: string,
  options: PredictOptions,
  context: CommandContext,
  reporter: Reporter,
  threads: PredictThreads,
  started: number,
): Promise<number> {
  // The model first: a bad model path should not cost a long CSV read. Rows are predicted as they are read.
  const model = loadModel(options.model);
  threads.start(model.params, model.deskew);
  const predictEarly = (pixels: Uint8Array, first: number, count: number, features: number): void =>
    threads.addRows(pixels, first, count, features);
  // Rows are read as they are; the prediction threads deskew them, if the model asks, off the reading thread.
  const { dataset, seconds: loadSeconds } = await loadKaggleCsv(file, { labels: 'optional', reporter, maxErrors: options.maxErrors, onRows: predictEarly });
  checkCompatible(model, dataset, options.model);
  const { predicted } = await threads.finish(dataset);
  const text = submissionCsv(predicted, model.classes);
  const modelShown = displayPath(resolve(context.cwd, options.model), context.cwd);
  if (options.out) {
    const outPath = resolve(context.cwd, options.out);
    ensureParentFolder(outPath);
    writeFileAtomic(outPath, text, displayPath(outPath, context.cwd));
    reporter.info(
      `Wrote ${count(dataset.rows)} predictions to ${displayPath(outPath, context.cwd)} (read in ${seconds(loadSeconds)}).`,
    );
  } else {
    await writeToStdout(context.stdout, text);
    // The submission went to stdout (a file, a pipe): the terminal still hears that it is done.
    const took = seconds((performance.now() - started) / 1000);
    reporter.info(`Predicted ${count(dataset.rows)} row${dataset.rows === 1 ? '' : 's'} with ${modelShown} in ${took}.`);
  }
  if (trainedOnBundledSample(model)) {
    const sample = displayPath(bundledTrainFile, context.cwd);
    reporter.info(`${context.chalk.yellow('warning:')} ${modelShown} was trained on the bundled sample, ${sample}`);
    reporter.info("  A real submission needs a model trained on Kaggle's train.csv:");
    reporter.info(`  ${invocation()} train train.csv`);
  }
  return 0;
}

/** The bundled sample is for trying digits out; its 4,000 rows make a weak model for a submission. */
function trainedOnBundledSample(model: Model): boolean {
  return model.data.path === bundledTrainFile;
}
