/**
 * The model file: one JSON document holding the weights and everything needed to trust and reuse them: layer
 * sizes, normalisation, classes, the training configuration, the training file's path, row count and SHA-256,
 * the held-out rows, the metrics history and the optimiser state (for --resume). Loading checks all of it.
 *
 * A committee (--members) is saved as the one network its members make when joined (architecture.hiddenSize is
 * members x training.config.hiddenSize), so everything that reads models uses it unchanged. Only an interrupted
 * committee also keeps its networks apart, in committeeState, for --resume to continue exactly.
 */
import { readFileSync } from 'node:fs';
import { pixelScale as datasetPixelScale } from '../data/dataset.js';
import { createParameters, parameterCount, type NetworkShape, type Parameters } from '../nn/network.js';
import { joinMembers } from '../nn/committee.js';
import { optimizerNames, type OptimizerName, type OptimizerState } from '../nn/optimizers.js';
import { describeFileError, failure, inputError, isSystemError } from '../errors.js';
import { invocation } from '../invocation.js';
import { presetNames, type TrainConfig } from '../train/presets.js';
import type { TrainingReport, StopReason } from '../train/trainer.js';
import { toolVersion } from '../version.js';
import { writeFileAtomic } from './atomic.js';

export const modelFormat = 'digits-model';
export const modelVersion = 1;

export interface TrainingDataRecord {
  /** Absolute path of the training file (`-` for standard input). */
  readonly path: string;
  readonly rows: number;
  readonly sha256: string;
  /** Row indices (0-based, data rows only: row r is on line r + 2) held out from training. */
  readonly heldOutRows: readonly number[];
}

export interface HeldOutMetrics {
  readonly accuracy: number;
  readonly rows: number;
  readonly standardError: number;
}

/** The weights kept by early stopping (--patience): where they were, and their held-out accuracy. */
export interface RestoredBest {
  readonly iteration: number;
  readonly epoch: number;
  readonly heldOutAccuracy: number;
}

/** How one network of a committee ended, before the networks were joined. */
export interface MemberResult {
  /** The seed of its initialisation, shuffles and augmentation. */
  readonly seed: number;
  readonly stopReason: StopReason;
  /** Its own gradient steps and epochs. */
  readonly iterations: number;
  readonly epochs: number;
  /** Its own held-out accuracy (of the weights it kept); null without held-out rows. */
  readonly heldOutAccuracy: number | null;
  readonly restoredBest: RestoredBest | null;
}

/** What --resume needs to continue an interrupted committee exactly where it stopped. */
export interface CommitteeState {
  /** Networks trained to the end. */
  readonly done: number;
  /**
   * The networks' own parameter vectors (784-H-10 each, as trained, not joined): the `done` finished ones, then
   * the interrupted one when `current` is set. They cannot be recovered from the joined network (w2 / M rounds).
   */
  readonly members: readonly Float64Array[];
  /** The interrupted network: steps it took and its optimiser state; null when stopped between two networks. */
  readonly current: { readonly iteration: number; readonly optimizer: OptimizerState } | null;
}

export interface TrainingRecord {
  readonly config: TrainConfig;
  readonly stopReason: StopReason;
  readonly iterations: number;
  readonly totalIterations: number;
  readonly epochs: number;
  readonly elapsedSeconds: number;
  readonly threads: number;
  /** A single network's early stopping; null for a committee (see memberResults). */
  readonly restoredBest: RestoredBest | null;
  /** The held-out accuracy of the saved network (for a committee: of its networks joined). */
  readonly heldOut: HeldOutMetrics | null;
  /** A committee's networks, one entry per network joined into the saved one; null for a single network. */
  readonly memberResults: readonly MemberResult[] | null;
}

export interface Model {
  readonly params: Parameters;
  readonly classes: readonly number[];
  /** Pixels are divided by this before the first layer. */
  readonly pixelScale: number;
  /** Images are deskewed (data/deskew.ts) before they are divided and fed to the network. */
  readonly deskew: boolean;
  readonly training: TrainingRecord;
  readonly data: TrainingDataRecord;
  readonly history: readonly TrainingReport[];
  readonly optimizer: OptimizerState | null;
  /** An interrupted committee's networks, kept apart for --resume; null otherwise. */
  readonly committee: CommitteeState | null;
  readonly tool: { readonly name: string; readonly version: string };
  readonly createdAt: string;
}

/** A weight matrix or bias: its shape and its numbers, row-major. */
interface TensorJson<Numbers> {
  shape: number[];
  data: Numbers;
}

/**
 * The document as written. Numbers is how its long runs of numbers (weights, optimizer state, committee members)
 * are held: number[] once parsed or made by toJson; saveModel keeps them as the model's own Float64Arrays.
 */
export interface ModelJson<Numbers = number[]> {
  format: string;
  version: number;
  tool: { name: string; version: string };
  createdAt: string;
  architecture: {
    inputSize: number;
    hiddenSize: number;
    classCount: number;
    hiddenActivation: 'relu';
    output: 'softmax';
    weightLayout: string;
  };
  normalization: { divideBy: number; deskew: boolean };
  classes: number[];
  parameters: { w1: TensorJson<Numbers>; b1: TensorJson<Numbers>; w2: TensorJson<Numbers>; b2: TensorJson<Numbers> };
  training: TrainingRecord;
  data: TrainingDataRecord;
  history: TrainingReport[];
  optimizerState: OptimizerStateJson<Numbers> | null;
  committeeState: {
    done: number;
    members: Numbers[];
    current: { iteration: number; optimizerState: OptimizerStateJson<Numbers> } | null;
  } | null;
}

interface OptimizerStateJson<Numbers> {
  name: OptimizerName;
  step: number;
  first: Numbers;
  second: Numbers;
}

/** The model's document, with its number arrays as plain arrays (what JSON.parse gives back). */
export function toJson(model: Model): ModelJson {
  return modelDocument(model, (values) => Array.from(values));
}

/** The model's document, each of its Float64Arrays given as `numbers(array)`. */
function modelDocument<Numbers>(model: Model, numbers: (values: Float64Array) => Numbers): ModelJson<Numbers> {
  const { params } = model;
  const { inputSize: I, hiddenSize: H, classCount: K } = params.shape;
  const optimizerJson = (state: OptimizerState): OptimizerStateJson<Numbers> => ({
    name: state.name,
    step: state.step,
    first: numbers(state.first),
    second: numbers(state.second),
  });
  return {
    format: modelFormat,
    version: modelVersion,
    tool: { ...model.tool },
    createdAt: model.createdAt,
    architecture: {
      inputSize: I,
      hiddenSize: H,
      classCount: K,
      hiddenActivation: 'relu',
      output: 'softmax',
      weightLayout: 'row-major [inputs, outputs]: hidden = relu(x / divideBy . w1 + b1), probs = softmax(hidden . w2 + b2)',
    },
    normalization: { divideBy: model.pixelScale, deskew: model.deskew },
    classes: [...model.classes],
    parameters: {
      w1: { shape: [I, H], data: numbers(params.w1) },
      b1: { shape: [H], data: numbers(params.b1) },
      w2: { shape: [H, K], data: numbers(params.w2) },
      b2: { shape: [K], data: numbers(params.b2) },
    },
    training: model.training,
    data: { ...model.data, heldOutRows: [...model.data.heldOutRows] },
    history: [...model.history],
    optimizerState: model.optimizer ? optimizerJson(model.optimizer) : null,
    committeeState: model.committee
      ? {
          done: model.committee.done,
          members: model.committee.members.map((member) => numbers(member)),
          current: model.committee.current
            ? { iteration: model.committee.current.iteration, optimizerState: optimizerJson(model.committee.current.optimizer) }
            : null,
        }
      : null,
  };
}

/**
 * The model file's text, JSON.stringify(toJson(model)) + '\n' byte for byte, as pieces to write one after the
 * other: the document around its number arrays, and each array (weights, optimizer state, committee networks)
 * written straight from its Float64Array a few thousand numbers at a time (join gives a finite number the same
 * digits as JSON). Made as one string, saving a default model (784-256-10 with its momentum, 8.7 MB of text)
 * took about 20 MB on top of training's peak memory: the text, then its bytes.
 * Returns a function that gives the pieces afresh at each call (as writeFileAtomic takes them), or null if one
 * of the arrays holds a number JSON cannot write (NaN or an infinity).
 */
export function modelFileText(model: Model): (() => Generator<string>) | null {
  const arrays: Float64Array[] = [];
  const around = JSON.stringify(modelDocument(model, (values) => values), (_key, value: unknown) => {
    if (!(value instanceof Float64Array)) return value;
    arrays.push(value);
    return arrayMark;
  }).split(JSON.stringify(arrayMark));
  // The mark cannot come out of any other value: no string in a model holds a NUL character.
  if (around.length !== arrays.length + 1) throw new Error('modelFileText: an array mark was found in the document itself');
  if (arrays.some((values) => firstNonFinite(values) !== -1)) return null;
  return function* pieces() {
    yield around[0]!;
    for (let k = 0; k < arrays.length; k++) {
      const values = arrays[k]!;
      for (let at = 0; at < values.length; at += numbersPerPiece) {
        const text = values.subarray(at, at + numbersPerPiece).join(',');
        yield at === 0 ? `[${text}` : `,${text}`;
      }
      yield values.length === 0 ? `[]${around[k + 1]!}` : `]${around[k + 1]!}`;
    }
    yield '\n';
  };
}

/** Numbers written in one piece: about 90 kB of text, a short-lived string that the young generation takes. */
const numbersPerPiece = 4096;

const arrayMark = '\u0000';

/**
 * Writes the model atomically; a failed write leaves any previous file as it was. Messages name the file as
 * `shownAs` (the path as the user gave it).
 */
export function saveModel(path: string, model: Model, shownAs = path): void {
  // A model with a NaN or an infinity in it is never written: JSON would turn it into null, and the file
  // would not load again.
  const bad = firstNonFinite(model.params.data);
  if (bad !== -1) {
    throw failure(`not writing ${shownAs}: weight ${bad} is ${model.params.data[bad]}, not a finite number`, [
      'Training went wrong (try a lower --lr); any previous model file is unchanged.',
    ]);
  }
  // The loader refuses this as damaged, so writing it would replace a good file (perhaps the one resumed) with
  // one no command reads. train/resume.ts refuses such a plan before training; this is the last guard.
  const beyondPlan = stepsBeyondPlan(model.training);
  if (beyondPlan) {
    throw failure(`not writing ${shownAs}: its training.iterations ${beyondPlan}, so it could not be read again`, [
      'This is a bug in digits; please report it. Any previous model file is unchanged.',
    ]);
  }
  // In pieces, no model is too large to write as JSON: only the text around its number arrays is one string.
  const text = modelFileText(model);
  if (text === null) {
    throw failure(`not writing ${shownAs}: its optimizer state or a committee network holds a number that is not finite`, [
      'Training went wrong (try a lower --lr); any previous model file is unchanged.',
    ]);
  }
  writeFileAtomic(path, text, shownAs);
}

/** What is wrong when a model records more steps taken than its plan has; null when nothing is. */
function stepsBeyondPlan(training: TrainingRecord): string | null {
  if (training.iterations <= training.totalIterations) return null;
  return `is ${training.iterations}, more than training.totalIterations (${training.totalIterations})`;
}

function firstNonFinite(values: Float64Array): number {
  for (let k = 0; k < values.length; k++) if (!Number.isFinite(values[k]!)) return k;
  return -1;
}

const damagedHint = (): string => `The model file is damaged or was not written by digits; train again with "${invocation()} train".`;

/** Reads and validates a model file; every problem is a DigitsError naming the file and the field. */
export function loadModel(path: string): Model {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    if (isSystemError(error)) {
      if (error.code === 'EISDIR') throw inputError(`${path}: is a directory, not a model file`);
      const hint = error.code === 'ENOENT' ? [`Train one first with "${invocation()} train", or pass --model <path>.`] : [];
      throw inputError(describeFileError(error, path, 'reading the model'), hint);
    }
    throw error;
  }
  return modelFromJson(parseModelText(bytes, path), path);
}

/** The JSON inside a model file's bytes, or a DigitsError saying what the file is instead. */
export function parseModelText(bytes: Uint8Array, path: string): unknown {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const trimmed = text.trim();
  if (trimmed === '') throw inputError(`${path}: the file is empty, not a digits model`, [damagedHint()]);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw inputError(`${path}: is gzip-compressed; digits models are plain JSON`, [`Decompress it first: gunzip -k ${path}`]);
  }
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) {
    const start = JSON.stringify(trimmed.slice(0, 20).replace(/[^\x20-\x7e]/g, '?'));
    if (bytes.includes(0)) throw inputError(`${path}: is binary data, not a digits model (which is JSON)`);
    const firstLine = trimmed.split(/\r?\n/, 1)[0]!;
    if (/^[^,{}[\]]*(,[^,{}[\]]*){2,}$/.test(firstLine)) {
      throw inputError(`${path}: is a CSV file, not a digits model (it starts ${start})`, [
        `--model takes a model written by "${invocation()} train"; the CSV is the file argument: ${invocation()} predict test.csv --model models/model.json`,
      ]);
    }
    throw inputError(`${path}: not a digits model: the file is not JSON (it starts ${start})`, [damagedHint()]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message);
    const atEnd = position !== null && Number(position[1]) >= text.trimEnd().length - 1;
    if (atEnd || /end of (JSON )?input/i.test(message)) {
      throw inputError(`${path}: the model file is truncated: its JSON stops after ${bytes.length.toLocaleString('en-US')} bytes`, [
        `It was probably cut short while being copied or downloaded; copy it again, or train a new one with "${invocation()} train".`,
      ]);
    }
    throw inputError(`${path}: the model file is not valid JSON (${message})`, [damagedHint()]);
  }
}

const scheduleNames: readonly string[] = ['constant', 'cosine', 'step'];
const initNames: readonly string[] = ['uniform', 'he'];
const stopReasons: readonly StopReason[] = ['completed', 'early-stopped', 'interrupted'];

/** Validates a parsed document; `name` is used in messages. */
export function modelFromJson(json: unknown, name: string): Model {
  const check = new Checker(name);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw inputError(`${name}: not a digits model: expected a JSON object with "format": "${modelFormat}", found ${kindOf(json)}`);
  }
  const root = json as JsonObject;
  if (root.format !== modelFormat) {
    const found = root.format === undefined ? 'has no "format" field' : `has "format": ${shortJson(root.format)}`;
    throw inputError(`${name}: not a digits model: the JSON ${found}, expected "${modelFormat}"`);
  }
  const version = root.version;
  if (version !== modelVersion) {
    const written = isObject(root.tool) && typeof root.tool.version === 'string' ? ` (written by digits ${root.tool.version})` : '';
    const newer = typeof version === 'number' && version > modelVersion;
    throw inputError(
      `${name}: model format version ${shortJson(version) ?? '(missing)'}${written} is not supported; this digits (${toolVersion}) reads version ${modelVersion}`,
      [newer ? 'Update digits to read it, or train a new model with this version.' : 'Train a new model with this version of digits.'],
    );
  }
  const architecture = check.object(root.architecture, 'architecture');
  const shape: NetworkShape = {
    inputSize: check.int(architecture.inputSize, 'architecture.inputSize', 1, 65536),
    hiddenSize: check.int(architecture.hiddenSize, 'architecture.hiddenSize', 1, 1 << 16),
    classCount: check.int(architecture.classCount, 'architecture.classCount', 2, 256),
  };
  check.oneOf(architecture.hiddenActivation, 'architecture.hiddenActivation', ['relu']);
  check.oneOf(architecture.output, 'architecture.output', ['softmax']);
  const { inputSize: I, hiddenSize: H, classCount: K } = shape;
  const parameters = check.object(root.parameters, 'parameters');
  const params = createParameters(shape, new Float64Array(parameterCount(shape)));
  check.tensor(parameters.w1, 'parameters.w1', [I, H], params.w1);
  check.tensor(parameters.b1, 'parameters.b1', [H], params.b1);
  check.tensor(parameters.w2, 'parameters.w2', [H, K], params.w2);
  check.tensor(parameters.b2, 'parameters.b2', [K], params.b2);
  const normalization = check.object(root.normalization, 'normalization');
  const pixelScale = check.number(normalization.divideBy, 'normalization.divideBy', { above: 0 });
  // Every kernel divides by the one scale training used; a file asking for another could not be honoured.
  if (pixelScale !== datasetPixelScale) check.fail('normalization.divideBy', `is ${pixelScale}, but digits divides pixels by ${datasetPixelScale}`);
  // Absent from files written before deskewing: those models read images as they are.
  const deskew = normalization.deskew === undefined ? false : check.boolean(normalization.deskew, 'normalization.deskew');
  const classes = check.array(root.classes, 'classes').map((c, k) => check.int(c, `classes[${k}]`, 0, 1e9));
  if (classes.length !== K) check.fail('classes', `has ${classes.length} entries, expected ${K} (architecture.classCount)`);
  if (new Set(classes).size !== classes.length) check.fail('classes', `has a class twice: ${JSON.stringify(classes)}`);

  const training = check.object(root.training, 'training');
  const config = checkConfig(check, training.config);
  if (config.deskew !== deskew) {
    check.fail('training.config.deskew', `is ${config.deskew}, but normalization.deskew is ${deskew}`);
  }
  const memberShape: NetworkShape = { inputSize: I, hiddenSize: config.hiddenSize, classCount: K };
  const trainingRecord: TrainingRecord = {
    config,
    stopReason: check.oneOf(training.stopReason, 'training.stopReason', stopReasons),
    iterations: check.int(training.iterations, 'training.iterations', 0),
    totalIterations: check.int(training.totalIterations, 'training.totalIterations', 0),
    epochs: check.number(training.epochs, 'training.epochs', { min: 0 }),
    elapsedSeconds: check.number(training.elapsedSeconds, 'training.elapsedSeconds', { min: 0 }),
    threads: check.int(training.threads, 'training.threads', 1),
    restoredBest: check.nullable(training.restoredBest, 'training.restoredBest', (v, f) => checkRestoredBest(check, v, f)),
    heldOut: check.nullable(training.heldOut, 'training.heldOut', (value, field) => {
      const heldOut = check.object(value, field);
      return {
        accuracy: check.number(heldOut.accuracy, `${field}.accuracy`, { min: 0, max: 1 }),
        rows: check.int(heldOut.rows, `${field}.rows`, 0),
        standardError: check.number(heldOut.standardError, `${field}.standardError`, { min: 0 }),
      };
    }),
    // Absent from files written before committees: a single network.
    memberResults: check.nullable(training.memberResults ?? null, 'training.memberResults', (value, field) =>
      check.array(value, field).map((entry, m) => checkMemberResult(check, entry, `${field}[${m}]`)),
    ),
  };
  const beyondPlan = stepsBeyondPlan(trainingRecord);
  if (beyondPlan) check.fail('training.iterations', beyondPlan);

  const data = check.object(root.data, 'data');
  const rows = check.int(data.rows, 'data.rows', 1);
  const sha256 = check.string(data.sha256, 'data.sha256');
  const seen = new Uint8Array(rows);
  const heldOutRows = check.array(data.heldOutRows, 'data.heldOutRows').map((r, k) => {
    const row = check.int(r, `data.heldOutRows[${k}]`, 0, rows - 1);
    if (seen[row]) check.fail(`data.heldOutRows[${k}]`, `repeats row ${row}`);
    seen[row] = 1;
    return row;
  });
  if (heldOutRows.length >= rows) check.fail('data.heldOutRows', `holds out all ${rows} rows, leaving none to train on`);

  const history = check.array(root.history, 'history').map((entry, k) =>
    checkReport(check, entry, `history[${k}]`, config.members),
  );

  const optimizer = check.nullable(root.optimizerState ?? null, 'optimizerState', (v, f) =>
    checkOptimizerState(check, v, f, config.optimizer, parameterCount(shape)),
  );
  const committee = check.nullable(root.committeeState ?? null, 'committeeState', (v, f) =>
    checkCommitteeState(check, v, f, config, memberShape, trainingRecord),
  );
  checkCommitteeConsistency(check, { shape, params, config, training: trainingRecord, optimizer, committee });
  const tool = check.object(root.tool, 'tool');
  return {
    params,
    classes,
    pixelScale,
    deskew,
    training: trainingRecord,
    data: { path: check.string(data.path, 'data.path'), rows, sha256, heldOutRows },
    history,
    optimizer,
    committee,
    tool: { name: check.string(tool.name, 'tool.name'), version: check.string(tool.version, 'tool.version') },
    createdAt: check.string(root.createdAt, 'createdAt'),
  };
}

/** The training configuration: the fields training and --resume rely on must be there and make sense. */
function checkConfig(check: Checker, value: unknown): TrainConfig {
  const field = 'training.config';
  const config = check.object(value, field);
  const checked: TrainConfig = {
    ...(config as unknown as TrainConfig),
    preset: check.oneOf(config.preset, `${field}.preset`, presetNames),
    hiddenSize: check.int(config.hiddenSize, `${field}.hiddenSize`, 1),
    epochs: check.int(config.epochs, `${field}.epochs`, 1),
    iterations: check.nullable(config.iterations, `${field}.iterations`, (v, f) => check.int(v, f, 1)),
    batchSize: check.int(config.batchSize, `${field}.batchSize`, 0),
    learningRate: check.number(config.learningRate, `${field}.learningRate`, { above: 0 }),
    optimizer: check.oneOf(config.optimizer, `${field}.optimizer`, optimizerNames),
    momentum: check.number(config.momentum, `${field}.momentum`, { min: 0, max: 1 }),
    beta2: check.number(config.beta2, `${field}.beta2`, { min: 0, max: 1 }),
    weightDecay: check.number(config.weightDecay, `${field}.weightDecay`, { min: 0 }),
    schedule: check.oneOf(config.schedule, `${field}.schedule`, scheduleNames) as TrainConfig['schedule'],
    warmupEpochs: check.number(config.warmupEpochs, `${field}.warmupEpochs`, { min: 0 }),
    init: check.oneOf(config.init, `${field}.init`, initNames) as TrainConfig['init'],
    holdout: check.number(config.holdout, `${field}.holdout`, { min: 0 }),
    seed: check.int(config.seed, `${field}.seed`, 0),
    logEvery: check.int(config.logEvery, `${field}.logEvery`, 1),
    patience: check.nullable(config.patience, `${field}.patience`, (v, f) => check.int(v, f, 1)),
    augment: check.nullable(config.augment, `${field}.augment`, (v, f) => {
      const augment = check.object(v, f);
      return {
        maxShift: check.number(augment.maxShift, `${f}.maxShift`, { min: 0 }),
        maxRotation: check.number(augment.maxRotation, `${f}.maxRotation`, { min: 0 }),
        maxScale: check.number(augment.maxScale, `${f}.maxScale`, { min: 0 }),
        elasticAlpha: check.number(augment.elasticAlpha, `${f}.elasticAlpha`, { min: 0 }),
        elasticSigma: check.number(augment.elasticSigma, `${f}.elasticSigma`, { min: 0 }),
      };
    }),
    // Absent from files written before committees and clean epochs: one network, none.
    members: config.members === undefined ? 1 : check.int(config.members, `${field}.members`, 1, 1 << 16),
    cleanEpochs: config.cleanEpochs === undefined ? 0 : check.int(config.cleanEpochs, `${field}.cleanEpochs`, 0),
    // Absent from files written before deskewing.
    deskew: config.deskew === undefined ? false : check.boolean(config.deskew, `${field}.deskew`),
  };
  return checked;
}

function checkRestoredBest(check: Checker, value: unknown, field: string): RestoredBest {
  const best = check.object(value, field);
  return {
    iteration: check.int(best.iteration, `${field}.iteration`, 0),
    epoch: check.number(best.epoch, `${field}.epoch`, { min: 0 }),
    heldOutAccuracy: check.number(best.heldOutAccuracy, `${field}.heldOutAccuracy`, { min: 0, max: 1 }),
  };
}

function checkMemberResult(check: Checker, value: unknown, field: string): MemberResult {
  const result = check.object(value, field);
  return {
    seed: check.int(result.seed, `${field}.seed`, 0, 2 ** 32 - 1),
    stopReason: check.oneOf(result.stopReason, `${field}.stopReason`, stopReasons),
    iterations: check.int(result.iterations, `${field}.iterations`, 0),
    epochs: check.number(result.epochs, `${field}.epochs`, { min: 0 }),
    heldOutAccuracy: check.nullable(result.heldOutAccuracy, `${field}.heldOutAccuracy`, (v, f) => check.number(v, f, { min: 0, max: 1 })),
    restoredBest: check.nullable(result.restoredBest, `${field}.restoredBest`, (v, f) => checkRestoredBest(check, v, f)),
  };
}

/** An optimiser's state for `count` parameters, of the configured optimiser. */
function checkOptimizerState(check: Checker, value: unknown, field: string, configured: OptimizerName, count: number): OptimizerState {
  const state = check.object(value, field);
  const optimizerName = check.oneOf(state.name, `${field}.name`, optimizerNames);
  if (optimizerName !== configured) {
    check.fail(`${field}.name`, `is "${optimizerName}", but training.config.optimizer is "${configured}"`);
  }
  const expected = { first: optimizerName === 'sgd' ? 0 : count, second: optimizerName === 'adam' ? count : 0 };
  const vectors: { first: Float64Array; second: Float64Array } = { first: new Float64Array(0), second: new Float64Array(0) };
  for (const part of ['first', 'second'] as const) {
    const values = check.array(state[part], `${field}.${part}`);
    if (values.length !== expected[part]) {
      check.fail(`${field}.${part}`, `has ${values.length} values, expected ${expected[part]} for ${optimizerName}`);
    }
    vectors[part] = check.finiteVector(values, `${field}.${part}`);
  }
  return { name: optimizerName, step: check.int(state.step, `${field}.step`, 0), ...vectors };
}

/** An interrupted committee's networks, each of `memberShape`, and the interrupted one's optimiser state. */
function checkCommitteeState(
  check: Checker,
  value: unknown,
  field: string,
  config: TrainConfig,
  memberShape: NetworkShape,
  training: TrainingRecord,
): CommitteeState {
  const state = check.object(value, field);
  if (config.members === 1) check.fail(field, 'is present, but training.config.members is 1: a single network has no committee to resume');
  if (training.stopReason !== 'interrupted') {
    check.fail(field, `is present, but training.stopReason is "${training.stopReason}": only an interrupted committee keeps its networks apart`);
  }
  const done = check.int(state.done, `${field}.done`, 0, config.members - 1);
  const current = check.nullable(state.current, `${field}.current`, (v, f) => {
    const interrupted = check.object(v, f);
    return {
      iteration: check.int(interrupted.iteration, `${f}.iteration`, 1),
      optimizer: checkOptimizerState(check, interrupted.optimizerState, `${f}.optimizerState`, config.optimizer, parameterCount(memberShape)),
    };
  });
  const count = parameterCount(memberShape);
  const vectors = check.array(state.members, `${field}.members`);
  const expected = done + (current ? 1 : 0);
  if (vectors.length !== expected || expected === 0) {
    const what = current ? `${done} finished and the interrupted one` : `the ${done} finished`;
    check.fail(`${field}.members`, `has ${vectors.length} networks, expected ${expected} (${what})`);
  }
  const members = vectors.map((vector, m) => {
    const values = check.array(vector, `${field}.members[${m}]`);
    if (values.length !== count) {
      check.fail(`${field}.members[${m}]`, `has ${values.length} values, expected ${count} for a ${memberShape.inputSize}-${memberShape.hiddenSize}-${memberShape.classCount} network`);
    }
    return check.finiteVector(values, `${field}.members[${m}]`);
  });
  return { done, members, current };
}

/**
 * The committee fields against one another: the saved network is members x hiddenSize units wide (or, when
 * interrupted, as wide as the networks it joins), one result per network joined, and an interrupted
 * committee's saved weights are exactly its kept networks joined.
 */
function checkCommitteeConsistency(
  check: Checker,
  model: {
    shape: NetworkShape;
    params: Parameters;
    config: TrainConfig;
    training: TrainingRecord;
    optimizer: OptimizerState | null;
    committee: CommitteeState | null;
  },
): void {
  const { shape, config, training, committee } = model;
  const H = shape.hiddenSize;
  const joined = committee ? committee.members.length : config.members;
  if (config.hiddenSize * joined !== H) {
    if (committee) {
      check.fail('architecture.hiddenSize', `is ${H}, but committeeState holds ${joined} network${joined === 1 ? '' : 's'} of ${config.hiddenSize} hidden units (training.config.hiddenSize): ${joined * config.hiddenSize} joined`);
    }
    if (config.members === 1) check.fail('training.config.hiddenSize', `is ${config.hiddenSize}, but architecture.hiddenSize is ${H}`);
    check.fail(
      'training.config.hiddenSize',
      `is ${config.hiddenSize} with training.config.members ${config.members} (${config.hiddenSize * config.members} hidden units joined), but architecture.hiddenSize is ${H}`,
    );
  }
  if (config.members === 1) {
    if (training.memberResults !== null) check.fail('training.memberResults', 'is present, but training.config.members is 1');
    return;
  }
  if (model.optimizer) {
    check.fail('optimizerState', `is present, but a committee (training.config.members ${config.members}) keeps its optimiser state in committeeState`);
  }
  if (training.memberResults === null) check.fail('training.memberResults', `is missing (expected an array: one result per network of the committee)`);
  if (training.memberResults.length !== joined) {
    check.fail('training.memberResults', `has ${training.memberResults.length} entries, expected ${joined} (one per network joined)`);
  }
  if (committee) {
    const expected = joinMembers(committee.members.map((member) => createParameters({ ...shape, hiddenSize: config.hiddenSize }, member)));
    const data = model.params.data;
    for (let k = 0; k < data.length; k++) {
      // !== rather than Object.is: JSON writes -0 as 0.
      if (data[k] !== expected.data[k]) {
        check.fail('parameters', `are not the networks of committeeState joined (value ${k} of the parameter vector differs)`);
      }
    }
  }
}

/** One metrics report. A loss or accuracy of NaN (a report over no rows) is written by JSON as null. */
function checkReport(check: Checker, value: unknown, field: string, members: number): TrainingReport {
  const report = check.object(value, field);
  const metric = (v: unknown, f: string): number => (v === null ? NaN : check.number(v, f, { min: 0 }));
  return {
    ...(report as unknown as TrainingReport),
    kind: check.oneOf(report.kind, `${field}.kind`, ['iteration', 'epoch'] as const),
    // Absent from files written before committees: the one network, 0.
    member: report.member === undefined ? 0 : check.int(report.member, `${field}.member`, 0, members - 1),
    iteration: check.int(report.iteration, `${field}.iteration`, 0),
    totalIterations: check.int(report.totalIterations, `${field}.totalIterations`, 0),
    epoch: check.number(report.epoch, `${field}.epoch`, { min: 0 }),
    trainLoss: metric(report.trainLoss, `${field}.trainLoss`),
    trainAccuracy: metric(report.trainAccuracy, `${field}.trainAccuracy`),
    trainRows: check.int(report.trainRows, `${field}.trainRows`, 0),
    heldOutAccuracy: check.nullable(report.heldOutAccuracy, `${field}.heldOutAccuracy`, (v, f) => check.number(v, f, { min: 0, max: 1 })),
    heldOutLoss: check.nullable(report.heldOutLoss, `${field}.heldOutLoss`, (v, f) => check.number(v, f, { min: 0 })),
    heldOutRows: check.int(report.heldOutRows, `${field}.heldOutRows`, 0),
    learningRate: check.number(report.learningRate, `${field}.learningRate`, { min: 0 }),
    elapsedSeconds: check.number(report.elapsedSeconds, `${field}.elapsedSeconds`, { min: 0 }),
  };
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** A JSON value as shown in a message: short, and honest about what JSON turned NaN and infinities into. */
function shortJson(value: unknown): string | undefined {
  if (typeof value === 'number' && !Number.isFinite(value)) return `${value} (a number too large for a double)`;
  if (value === null) return 'null (how JSON writes NaN or an infinity)';
  const text = JSON.stringify(value);
  if (text === undefined) return undefined;
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/** Small validators that throw a DigitsError naming the file and the JSON field. */
class Checker {
  constructor(private readonly name: string) {}

  fail(field: string, problem: string): never {
    throw inputError(`${this.name}: ${field} ${problem}`, [damagedHint()]);
  }

  /** "is missing" or "is <value>, expected <what>". */
  private wrong(value: unknown, field: string, expected: string): never {
    if (value === undefined) this.fail(field, `is missing (expected ${expected})`);
    this.fail(field, `is ${shortJson(value)}, expected ${expected}`);
  }

  object(value: unknown, field: string): JsonObject {
    if (!isObject(value)) this.wrong(value, field, 'an object');
    return value;
  }

  array(value: unknown, field: string): unknown[] {
    if (!Array.isArray(value)) this.wrong(value, field, 'an array');
    return value;
  }

  boolean(value: unknown, field: string): boolean {
    if (typeof value !== 'boolean') this.wrong(value, field, 'true or false');
    return value;
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string') this.wrong(value, field, 'a string');
    return value;
  }

  oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
    if (typeof value !== 'string' || !allowed.includes(value as T)) {
      this.wrong(value, field, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
    }
    return value as T;
  }

  int(value: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.wrong(value, field, `a whole number ${range}`);
    }
    return value;
  }

  /** A finite number, optionally `min` <= value (<= `max`), or `above` < value. */
  number(value: unknown, field: string, range: { min?: number; max?: number; above?: number } = {}): number {
    const { min, max, above } = range;
    const what =
      above !== undefined
        ? `a number greater than ${above}`
        : min !== undefined && max !== undefined
          ? `a number from ${min} to ${max}`
          : min !== undefined
            ? `a number of at least ${min}`
            : 'a finite number';
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      (min !== undefined && value < min) ||
      (max !== undefined && value > max) ||
      (above !== undefined && !(value > above))
    ) {
      this.wrong(value, field, what);
    }
    return value;
  }

  nullable<T>(value: unknown, field: string, check: (value: unknown, field: string) => T): T | null {
    return value === null ? null : check(value, field);
  }

  finiteVector(values: unknown[], field: string): Float64Array {
    const out = new Float64Array(values.length);
    for (let k = 0; k < values.length; k++) {
      const v = values[k];
      if (typeof v !== 'number' || !Number.isFinite(v)) this.wrong(v, `${field}[${k}]`, 'a finite number');
      out[k] = v;
    }
    return out;
  }

  tensor(value: unknown, field: string, shape: number[], into: Float64Array): void {
    const tensor = this.object(value, field);
    const actual = this.array(tensor.shape, `${field}.shape`);
    if (actual.length !== shape.length || actual.some((d, k) => d !== shape[k])) {
      this.fail(`${field}.shape`, `is ${shortJson(actual)}, expected ${JSON.stringify(shape)} from the architecture`);
    }
    const data = this.array(tensor.data, `${field}.data`);
    if (data.length !== into.length) this.fail(`${field}.data`, `has ${data.length} values, expected ${into.length}`);
    for (let k = 0; k < data.length; k++) {
      const v = data[k];
      if (typeof v !== 'number' || !Number.isFinite(v)) this.wrong(v, `${field}.data[${k}]`, 'a finite number');
      into[k] = v;
    }
  }
}
