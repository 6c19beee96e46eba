/**
 * What a model file holds, as data (the `digits info --json` object) and as text for people; also the one-line
 * description of a run used as the learning-curve title.
 */
import type { ChalkInstance } from 'chalk';
import { basename } from 'node:path';
import { modelFormat, modelVersion } from '../model/schema.js';
import type { Model, TrainingRecord } from '../train/model.js';
import { parameterCount } from '../nn/network.js';
import type { TrainConfig } from '../train/presets.js';
import { trainSettings } from '../train/settings.js';
import { count, megabytes, percent, seconds } from './format.js';
import { invocation } from '../invocation.js';

/** The `digits info --json` object (documented in docs/json.md). */
export interface ModelInfo {
  readonly model: string;
  readonly fileBytes: number;
  readonly format: string;
  readonly version: number;
  readonly tool: { readonly name: string; readonly version: string };
  readonly createdAt: string;
  readonly architecture: {
    readonly layers: readonly number[];
    readonly inputSize: number;
    readonly hiddenSize: number;
    readonly classCount: number;
    readonly hiddenActivation: 'relu';
    readonly output: 'softmax';
  };
  readonly parameters: number;
  readonly classes: readonly number[];
  readonly preset: string;
  readonly config: TrainConfig;
  readonly data: { readonly path: string; readonly rows: number; readonly sha256: string; readonly heldOutRows: number };
  readonly training: Omit<TrainingRecord, 'config' | 'heldOut'>;
  readonly metrics: {
    readonly heldOut: { readonly accuracy: number; readonly standardError: number; readonly rows: number } | null;
    /** The last report of the run: its training loss and accuracy, and held-out figures when measured. */
    readonly last: {
      readonly kind: 'iteration' | 'epoch';
      /** The committee network it is about (0 for a single network). */
      readonly member: number;
      readonly iteration: number;
      readonly epoch: number;
      readonly trainLoss: number;
      readonly trainAccuracy: number;
      readonly heldOutLoss: number | null;
      readonly heldOutAccuracy: number | null;
    } | null;
  };
  readonly reports: number;
}

export function modelInfo(model: Model, path: string, fileBytes: number): ModelInfo {
  const { shape } = model.params;
  const { training } = model;
  const last = model.history.at(-1);
  return {
    model: path,
    fileBytes,
    format: modelFormat,
    version: modelVersion,
    tool: { ...model.tool },
    createdAt: model.createdAt,
    architecture: {
      layers: [shape.inputSize, shape.hiddenSize, shape.classCount],
      inputSize: shape.inputSize,
      hiddenSize: shape.hiddenSize,
      classCount: shape.classCount,
      hiddenActivation: 'relu',
      output: 'softmax',
    },
    parameters: parameterCount(shape),
    classes: [...model.classes],
    preset: training.config.preset,
    config: training.config,
    data: { path: model.data.path, rows: model.data.rows, sha256: model.data.sha256, heldOutRows: model.data.heldOutRows.length },
    training: {
      stopReason: training.stopReason,
      iterations: training.iterations,
      totalIterations: training.totalIterations,
      epochs: training.epochs,
      elapsedSeconds: training.elapsedSeconds,
      threads: training.threads,
      restoredBest: training.restoredBest,
      memberResults: training.memberResults,
    },
    metrics: {
      heldOut: training.heldOut ? { ...training.heldOut } : null,
      last: last
        ? {
            kind: last.kind,
            member: last.member,
            iteration: last.iteration,
            epoch: last.epoch,
            trainLoss: last.trainLoss,
            trainAccuracy: last.trainAccuracy,
            heldOutLoss: last.heldOutLoss,
            heldOutAccuracy: last.heldOutAccuracy,
          }
        : null,
    },
    reports: model.history.length,
  };
}

/** "784-256-10 network, preset default": what the network is (and, for a committee, what it joins). */
export function networkTitle(model: Model): string {
  const { inputSize, hiddenSize, classCount } = model.params.shape;
  const { config, memberResults } = model.training;
  const joined = memberResults ? ` (${memberResults.length} joined networks of ${config.hiddenSize})` : '';
  return `${inputSize}-${hiddenSize}-${classCount} network${joined}, preset ${config.preset}`;
}

/** How it was trained and how it scored, in one line. */
export function runSummary(model: Model): string {
  const { config } = model.training;
  const file = model.data.path === '-' ? 'stdin' : basename(model.data.path);
  const heldOut = model.training.heldOut;
  const parts = [
    `${file}, ${count(model.data.rows - model.data.heldOutRows.length)} training rows`,
    (config.members > 1 ? `${config.members} networks, ` : '') +
      schedule(config, model.training.epochs, model.training.iterations) +
      (config.members > 1 ? ' in all' : '') +
      (config.augment ? ', augmented' : ''),
    `${config.optimizer}, lr ${config.learningRate} ${config.schedule}`,
    heldOut ? `held-out ${percent(heldOut.accuracy)} on ${count(heldOut.rows)} rows` : 'no held-out rows',
  ];
  return parts.join(' · ');
}

function schedule(config: TrainConfig, epochs: number, iterations: number): string {
  if (config.batchSize === 0) return `${count(iterations)} full-batch iterations`;
  return `${formatEpochs(epochs)} epoch${epochs === 1 ? '' : 's'} of batches of ${config.batchSize}`;
}

function formatEpochs(epochs: number): string {
  return Number.isInteger(epochs) ? String(epochs) : epochs.toFixed(2);
}

/** `2025-05-01T12:03:04.567Z` as `2025-05-01 12:03 UTC`; anything else unchanged. */
export function formatDate(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return match && iso.endsWith('Z') ? `${match[1]} ${match[2]} UTC` : iso;
}

/**
 * The hyperparameters as (name, value) rows, in words where the settings table has words for them. The rest, and
 * settings of a newer digits that this one does not know, are shown as the model file stores them.
 */
export function hyperparameterRows(config: TrainConfig): [string, string][] {
  const rows: [string, string][] = [];
  for (const { info } of trainSettings) if (typeof info === 'object' && 'row' in info) rows.push([...info.row(config, count)]);
  const inWords = new Set<string>(trainSettings.filter((setting) => setting.info !== 'as stored').map((setting) => setting.key));
  for (const [key, value] of Object.entries(config)) {
    if (!inWords.has(key)) rows.push([key, JSON.stringify(value)]);
  }
  return rows;
}

function stopText(info: ModelInfo): string {
  const t = info.training;
  const how = t.stopReason === 'completed' ? 'completed' : t.stopReason === 'early-stopped' ? 'stopped early' : 'interrupted';
  const summed = t.memberResults ? `, summed over ${t.memberResults.length} network${t.memberResults.length === 1 ? '' : 's'}` : '';
  return `${how} after ${count(t.iterations)} of ${count(t.totalIterations)} iterations (${formatEpochs(t.epochs)} epochs${summed})`;
}

/** `digits info` for people: sections of aligned name/value rows. */
export function formatModelInfo(info: ModelInfo, chalk: ChalkInstance): string[] {
  const lines: string[] = [];
  const section = (title: string, rows: [string, string][]): void => {
    if (lines.length > 0) lines.push('');
    lines.push(chalk.bold(title));
    const width = Math.max(...rows.map(([name]) => name.length));
    for (const [name, value] of rows) lines.push(`  ${chalk.dim(name.padEnd(width))}  ${value}`);
  };
  const a = info.architecture;
  section('Model', [
    ['file', `${info.model} (${megabytes(info.fileBytes)})`],
    ['format', `${info.format} version ${info.version}, written by ${info.tool.name} ${info.tool.version} on ${formatDate(info.createdAt)}`],
    ['network', `${a.layers.join('-')}: ${a.hiddenSize} ReLU hidden units, softmax over ${a.classCount} classes`],
    ['parameters', count(info.parameters)],
    ['classes', info.classes.join(' ')],
  ]);
  section(`Preset ${info.preset}, with these hyperparameters`, hyperparameterRows(info.config));
  section('Training data', [
    ['path', info.data.path === '-' ? 'standard input' : info.data.path],
    ['rows', `${count(info.data.rows)} (${count(info.data.heldOutRows)} held out)`],
    ['SHA-256', info.data.sha256],
  ]);
  const t = info.training;
  const runRows: [string, string][] = [
    ['stopped', stopText(info)],
    ['time', `${seconds(t.elapsedSeconds)} on ${t.threads} thread${t.threads === 1 ? '' : 's'}`],
  ];
  if (t.restoredBest) {
    runRows.push(['best weights', `from epoch ${formatEpochs(t.restoredBest.epoch)} (iteration ${count(t.restoredBest.iteration)}), restored`]);
  }
  (t.memberResults ?? []).forEach((member, m) => {
    const accuracy = member.heldOutAccuracy === null ? '' : `held-out ${percent(member.heldOutAccuracy)}, `;
    const best = member.restoredBest ? `, best weights from epoch ${formatEpochs(member.restoredBest.epoch)} restored` : '';
    runRows.push([
      `network ${m + 1}`,
      `${accuracy}${member.stopReason} after ${count(member.iterations)} iterations (seed ${member.seed}${best})`,
    ]);
  });
  section('Run', runRows);
  const m = info.metrics;
  const metricRows: [string, string][] = [];
  metricRows.push([
    'held-out accuracy',
    m.heldOut
      ? `${chalk.bold(percent(m.heldOut.accuracy))} ± ${percent(m.heldOut.standardError)} on ${count(m.heldOut.rows)} rows`
      : 'none (trained with --holdout 0)',
  ]);
  if (m.last) {
    const network = info.training.memberResults ? `network ${m.last.member + 1}, ` : '';
    const where = network + (m.last.kind === 'epoch' ? `epoch ${formatEpochs(m.last.epoch)}` : `iteration ${count(m.last.iteration)}`);
    metricRows.push(['train loss', `${m.last.trainLoss.toFixed(4)} (last report, ${where})`]);
    metricRows.push(['train accuracy', percent(m.last.trainAccuracy)]);
    // A committee's held-out loss is only known per network; its accuracy above is the joined network's.
    const whose = info.training.memberResults ? ` (network ${m.last.member + 1}, last report)` : '';
    if (m.last.heldOutLoss !== null) metricRows.push(['held-out loss', m.last.heldOutLoss.toFixed(4) + whose]);
  }
  metricRows.push(['reports kept', `${count(info.reports)} (${invocation()} plot draws them)`]);
  section('Final metrics', metricRows);
  return lines;
}
