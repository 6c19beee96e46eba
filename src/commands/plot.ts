/** `digits plot [model] [out.svg]`: the learning curves kept in a model, drawn as an SVG file. */
import { resolve } from 'node:path';
import { writeFileAtomic, type OutputKind } from '../io/atomic.js';
import { loadModel } from '../model/read.js';
import type { Model } from '../train/model.js';
import { networkTitle, runSummary } from '../ui/info.js';
import { learningCurveSvg } from '../ui/svg.js';
import { count } from '../ui/format.js';
import type { CommandContext } from './context.js';
import { writeToStdout } from './output.js';
import { defaultModelPath, displayPath, ensureParentFolder, prepareOutput, refuseOverwriting } from './paths.js';

export interface PlotOptions {
  quiet: boolean;
}

/** `models/model.json` -> `models/model.svg`: where the curves go when no file is named. */
export function defaultPlotPath(modelPath: string): string {
  return modelPath.replace(/(\.json)?$/i, '.svg');
}

export const learningCurveOutput: OutputKind = { noun: 'the learning curves', example: 'curves.svg' };

/** The model's learning curves as an SVG document. */
function learningCurveOf(model: Model): string {
  const labels = { title: networkTitle(model), subtitle: runSummary(model), augmented: model.training.config.augment !== null };
  return learningCurveSvg(model.history, labels);
}

/** Writes the model's learning curves to `path` (atomically); returns how many reports were drawn. */
export function writeLearningCurve(model: Model, path: string): number {
  ensureParentFolder(path);
  writeFileAtomic(path, learningCurveOf(model));
  return model.history.length;
}

/** The line telling people where the picture went. */
export function plotMessage(reports: number, path: string, cwd: string): string {
  return `Wrote learning curves (${count(reports)} report${reports === 1 ? '' : 's'}) to ${displayPath(path, cwd)}.`;
}

export async function runPlot(
  modelArg: string | undefined,
  outArg: string | undefined,
  options: PlotOptions,
  context: CommandContext,
): Promise<number> {
  const modelPath = modelArg ?? defaultModelPath;
  if (outArg === '-') {
    // `-` is standard output, as for the CSV arguments: digits plot m.json - | rsvg-convert -o curve.png
    await writeToStdout(context.stdout, learningCurveOf(loadModel(modelPath)));
    return 0;
  }
  const outPath = resolve(context.cwd, outArg ?? defaultPlotPath(modelPath));
  refuseOverwriting([{ name: 'the SVG file', path: outPath }], [{ name: 'the model', path: modelPath }], context.cwd);
  prepareOutput(outPath, context.cwd, learningCurveOutput);
  const model = loadModel(modelPath);
  const reports = writeLearningCurve(model, outPath);
  if (!options.quiet) context.stderr.write(plotMessage(reports, outPath, context.cwd) + '\n');
  return 0;
}
