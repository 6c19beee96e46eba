/** `digits eval [file]`: score a model on a labelled file, or on the held-out rows it recorded. */
import { loadModel } from '../model/file.js';
import { checkSameTrainingFile, evaluate, heldOutTarget } from '../model/evaluation.js';
import type { ProgressMode } from '../ui/reporter.js';
import { confusedPairs, formatEvalReport, mistakesForWidth, rankMistakes } from '../ui/report.js';
import { imageSide } from '../data/dataset.js';
import { commandReporter, type CommandContext } from './context.js';
import { loadCsv } from './load.js';
import { displayPath } from './paths.js';
import { count, outputWidth } from '../ui/format.js';

export interface EvalOptions {
  model: string;
  json: boolean;
  quiet: boolean;
  progress: ProgressMode;
  maxErrors: number;
  /** Worst mistakes to draw; undefined: as many as fit in one row of the terminal. */
  mistakes?: number;
}

/** A word as a POSIX shell reads it: as it is when it is plain, else in single quotes. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export async function runEval(file: string | undefined, options: EvalOptions, context: CommandContext): Promise<number> {
  const reporter = commandReporter(options, context);
  const model = loadModel(options.model);
  const target = file === undefined ? heldOutTarget(model, options.model) : { path: file, rowIds: undefined };
  // Read as it is: the report draws the worst mistakes as they are in the file; prediction deskews a copy.
  const { dataset } = await loadCsv(target.path, 'required', reporter, options.maxErrors);
  if (file === undefined) checkSameTrainingFile(model, dataset);
  const evaluation = evaluate(model, dataset, options.model, target.rowIds);
  const { scores } = evaluation;
  const K = model.params.shape.classCount;
  const mistakes = rankMistakes(evaluation.predictions.probs, evaluation.predictions.predicted, evaluation.labels, evaluation.rowIds, K);
  const what =
    file === undefined
      ? `the ${count(scores.rows)} held-out rows of ${displayPath(target.path, context.cwd)}`
      : displayPath(target.path, context.cwd);
  if (options.json) {
    context.stdout.write(
      JSON.stringify({
        model: options.model,
        data: target.path,
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
      target.path === '-' || shown.length === 0
        ? undefined
        : `digits show ${shellWord(displayPath(target.path, context.cwd))} --rows ${shown.map((m) => m.row).join(',')} --model ${shellWord(options.model)}`;
    const lines = formatEvalReport(scores, what, context.chalk, {
      width,
      pictures: { pixels: dataset.pixels, features: dataset.features, mistakes: shown, ...(showCommand ? { showCommand } : {}) },
    });
    context.stderr.write(lines.join('\n') + '\n');
  }
  return 0;
}
