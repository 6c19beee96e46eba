/** `digits eval [file]`: score a model on a labelled file, or on the held-out rows it recorded. */
import { loadModel } from '../model/read.js';
import type { Model } from '../train/model.js';
import { PredictThreads } from '../nn/predictThreads.js';
import { evaluate, type Evaluation } from '../train/evaluate.js';
import { checkSameTrainingFile, heldOutTarget } from './heldOut.js';
import type { ProgressMode } from '../ui/reporter.js';
import { confusedPairs, formatEvalReport, mistakesForWidth, rankMistakes } from '../ui/report.js';
import { imageSide, type Dataset } from '../data/dataset.js';
import { commandReporter, type CommandContext } from './context.js';
import { loadKaggleCsv } from './load.js';
import { defaultThreads, type KernelsChoice } from './options.js';
import { chooseBackend } from './threads.js';
import { predictRows } from '../nn/predict.js';
import { writeToStdout } from './output.js';
import { displayPath } from './paths.js';
import { count, outputWidth } from '../ui/format.js';
import { invocation, shellWord } from '../invocation.js';

export interface EvalOptions {
  model: string;
  json: boolean;
  quiet: boolean;
  progress: ProgressMode;
  maxErrors: number;
  /** Worst mistakes to draw; undefined: as many as fit in one row of the terminal. */
  mistakes?: number;
  threads?: number;
  kernels?: KernelsChoice;
}

export async function runEval(file: string | undefined, options: EvalOptions, context: CommandContext): Promise<number> {
  const reporter = commandReporter(options, context);
  const model = loadModel(options.model);
  const target = file === undefined ? heldOutTarget(model, options.model) : { path: file, rowIds: undefined };
  // A whole file is predicted as it is read, on every thread, as predict does; the held-out tenth of a training
  // file is predicted after the reading, on this thread (its rows are known only once the file is).
  const threadCount = options.threads ?? defaultThreads();
  const backend = chooseBackend(options.kernels ?? 'auto', threadCount > 1);
  const threads = target.rowIds === undefined ? new PredictThreads(threadCount, backend) : null;
  try {
    threads?.start(model.params, model.deskew);
    const predictEarly = threads
      ? (pixels: Uint8Array, first: number, rows: number, features: number): void => threads.addRows(pixels, first, rows, features)
      : undefined;
    // Read as it is: the report draws the worst mistakes as they are in the file; prediction deskews sparse rows.
    const { dataset } = await loadKaggleCsv(target.path, { labels: 'required', reporter, maxErrors: options.maxErrors, onRows: predictEarly });
    if (file === undefined) checkSameTrainingFile(model, dataset);
    const evaluation = threads
      ? await evaluate(model, dataset, options.model, undefined, () => threads.finish(dataset))
      : await evaluate(model, dataset, options.model, target.rowIds, () =>
          predictRows(model.params, dataset, { deskew: model.deskew, rowIds: target.rowIds, backend }),
        );
    await report(model, evaluation, dataset, file, target.path, options, context);
    return 0;
  } finally {
    await threads?.close();
  }
}

/** The evaluation on stdout (--json) or for people on stderr. */
async function report(
  model: Model,
  evaluation: Evaluation,
  dataset: Dataset,
  file: string | undefined,
  path: string,
  options: EvalOptions,
  context: CommandContext,
): Promise<void> {
  const { scores } = evaluation;
  const K = model.params.shape.classCount;
  const mistakes = rankMistakes(evaluation.predictions.probs, evaluation.predictions.predicted, evaluation.labels, evaluation.rowIds, K);
  const what =
    file === undefined
      ? `the ${count(scores.rows)} held-out rows of ${displayPath(path, context.cwd)}`
      : displayPath(path, context.cwd);
  if (options.json) {
    await writeToStdout(
      context.stdout,
      JSON.stringify({
        model: options.model,
        data: path,
        heldOut: file === undefined,
        rows: scores.rows,
        correct: scores.correct,
        accuracy: scores.accuracy,
        standardError: scores.standardError,
        classes: [...model.classes],
        confusion: scores.confusion,
        precision: scores.precision,
        recall: scores.recall,
        f1: scores.f1,
        confusedPairs: confusedPairs(scores.confusion),
        mistakes,
      }) + '\n',
    );
  } else if (!options.quiet) {
    const width = outputWidth(context.stderr);
    const side = imageSide(dataset.features);
    const drawn = side === null ? 0 : (options.mistakes ?? mistakesForWidth(width, side));
    const shown = mistakes.slice(0, drawn);
    const showCommand =
      path === '-' || shown.length === 0
        ? undefined
        : [
            invocation(),
            'show',
            shellWord(displayPath(path, context.cwd)),
            `--rows ${shown.map((m) => m.row).join(',')}`,
            `--model ${shellWord(options.model)}`,
          ];
    const lines = formatEvalReport(scores, what, context.chalk, {
      width,
      pictures: { pixels: dataset.pixels, features: dataset.features, mistakes: shown, ...(showCommand ? { showCommand } : {}) },
    });
    context.stderr.write(lines.join('\n') + '\n');
  }
}
