/** Reading a model file: its bytes into JSON, and the JSON checked field by field into a Model. */
import { readFileSync } from 'node:fs';
import { pixelScale as datasetPixelScale } from '../data/dataset.js';
import { createParameters, parameterCount, type NetworkShape, type Parameters } from '../nn/network.js';
import { joinMembers } from '../nn/committee.js';
import { optimizerNames, type OptimizerName, type OptimizerState } from '../nn/optimizers.js';
import { describeFileError, inputError, isSystemError } from '../errors.js';
import type { TrainConfig } from '../train/presets.js';
import { trainSettings, type StoredValue } from '../train/settings.js';
import type { CommitteeState, MemberResult, Model, TrainingRecord } from '../train/model.js';
import type { RestoredBest, StopReason, TrainingReport } from '../train/trainer.js';
import { invocation } from '../invocation.js';
import { toolVersion } from '../version.js';
import { Checker, damagedHint, isObject, kindOf, shortJson, type JsonObject } from './check.js';
import { modelFormat, modelVersion, stepsBeyondPlan } from './schema.js';

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

const stopReasons: readonly StopReason[] = ['completed', 'early-stopped', 'interrupted'];

/** Validates a parsed document; `name` is used in messages. Sections are checked in the order of the file. */
export function modelFromJson(json: unknown, name: string): Model {
  const check = new Checker(name);
  const root = checkFormat(json, name);
  const { shape, params } = checkNetwork(check, root);
  const { pixelScale, deskew } = checkNormalization(check, root.normalization);
  const classes = checkClasses(check, root.classes, shape.classCount);
  const training = checkTraining(check, root.training, deskew);
  const { config } = training;
  const data = check.object(root.data, 'data');
  const { rows, sha256, heldOutRows } = checkRows(check, data);
  const history = check.array(root.history, 'history').map((entry, k) => checkReport(check, entry, `history[${k}]`, config.members));
  const optimizer = check.nullable(root.optimizerState ?? null, 'optimizerState', (v, f) =>
    checkOptimizerState(check, v, f, config.optimizer, parameterCount(shape)),
  );
  const memberShape: NetworkShape = { ...shape, hiddenSize: config.hiddenSize };
  const committee = check.nullable(root.committeeState ?? null, 'committeeState', (v, f) =>
    checkCommitteeState(check, v, f, config, memberShape, training),
  );
  checkCommitteeConsistency(check, { shape, params, config, training, optimizer, committee });
  const tool = check.object(root.tool, 'tool');
  return {
    params,
    classes,
    pixelScale,
    deskew,
    training,
    data: { path: check.string(data.path, 'data.path'), rows, sha256, heldOutRows },
    history,
    optimizer,
    committee,
    tool: { name: check.string(tool.name, 'tool.name'), version: check.string(tool.version, 'tool.version') },
    createdAt: check.string(root.createdAt, 'createdAt'),
  };
}

/** The document as a digits model of the version this digits reads, or a DigitsError saying what it is instead. */
function checkFormat(json: unknown, name: string): JsonObject {
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
  return root;
}

/** The architecture and the weights, each tensor of the shape the architecture gives. */
function checkNetwork(check: Checker, root: JsonObject): { shape: NetworkShape; params: Parameters } {
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
  return { shape, params };
}

/** How images are prepared before the first layer. */
function checkNormalization(check: Checker, value: unknown): { pixelScale: number; deskew: boolean } {
  const normalization = check.object(value, 'normalization');
  const pixelScale = check.number(normalization.divideBy, 'normalization.divideBy', { above: 0 });
  // Every kernel divides by the one scale training used; a file asking for another could not be honoured.
  if (pixelScale !== datasetPixelScale) check.fail('normalization.divideBy', `is ${pixelScale}, but digits divides pixels by ${datasetPixelScale}`);
  // Absent from files written before deskewing: those models read images as they are.
  const deskew = normalization.deskew === undefined ? false : check.boolean(normalization.deskew, 'normalization.deskew');
  return { pixelScale, deskew };
}

/** The label of each output, one per class and none twice. */
function checkClasses(check: Checker, value: unknown, classCount: number): number[] {
  const classes = check.array(value, 'classes').map((c, k) => check.int(c, `classes[${k}]`, 0, 1e9));
  if (classes.length !== classCount) check.fail('classes', `has ${classes.length} entries, expected ${classCount} (architecture.classCount)`);
  if (new Set(classes).size !== classes.length) check.fail('classes', `has a class twice: ${JSON.stringify(classes)}`);
  return classes;
}

/** The record of the run: its configuration (deskewing as the normalization says), how it ended, its metrics. */
function checkTraining(check: Checker, value: unknown, deskew: boolean): TrainingRecord {
  const training = check.object(value, 'training');
  const config = checkConfig(check, training.config);
  if (config.deskew !== deskew) {
    check.fail('training.config.deskew', `is ${config.deskew}, but normalization.deskew is ${deskew}`);
  }
  const record: TrainingRecord = {
    config,
    stopReason: check.oneOf(training.stopReason, 'training.stopReason', stopReasons),
    iterations: check.int(training.iterations, 'training.iterations', 0),
    totalIterations: check.int(training.totalIterations, 'training.totalIterations', 0),
    epochs: check.number(training.epochs, 'training.epochs', { min: 0 }),
    elapsedSeconds: check.number(training.elapsedSeconds, 'training.elapsedSeconds', { min: 0 }),
    threads: check.int(training.threads, 'training.threads', 1),
    restoredBest: check.nullable(training.restoredBest, 'training.restoredBest', (v, f) => checkRestoredBest(check, v, f)),
    heldOut: check.nullable(training.heldOut, 'training.heldOut', (v, field) => {
      const heldOut = check.object(v, field);
      return {
        accuracy: check.number(heldOut.accuracy, `${field}.accuracy`, { min: 0, max: 1 }),
        rows: check.int(heldOut.rows, `${field}.rows`, 0),
        standardError: check.number(heldOut.standardError, `${field}.standardError`, { min: 0 }),
      };
    }),
    // Absent from files written before committees: a single network.
    memberResults: check.nullable(training.memberResults ?? null, 'training.memberResults', (v, field) =>
      check.array(v, field).map((entry, m) => checkMemberResult(check, entry, `${field}[${m}]`)),
    ),
  };
  const beyondPlan = stepsBeyondPlan(record);
  if (beyondPlan) check.fail('training.iterations', beyondPlan);
  return record;
}

/** The training file's rows, its SHA-256, and the rows held out of it: each once, and not all of them. */
function checkRows(check: Checker, data: JsonObject): { rows: number; sha256: string; heldOutRows: number[] } {
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
  return { rows, sha256, heldOutRows };
}

/**
 * The training configuration: every setting training and --resume rely on must be there and make sense, as the
 * settings table says (a file written before a setting existed gets the value it was trained with). Fields of a
 * newer digits are kept as they are, for info to show.
 */
function checkConfig(check: Checker, value: unknown): TrainConfig {
  const field = 'training.config';
  const config = check.object(value, field);
  const checked: JsonObject = { ...config };
  for (const { key, stored, whenAbsent } of trainSettings) {
    const absent = config[key] === undefined && whenAbsent !== undefined;
    checked[key] = absent ? whenAbsent : checkStored(check, stored, config[key], `${field}.${key}`);
  }
  return checked as unknown as TrainConfig;
}

/** A stored value as the settings table describes it. */
function checkStored(check: Checker, rule: StoredValue, value: unknown, field: string): unknown {
  switch (rule.type) {
    case 'whole number':
      return check.int(value, field, rule.min, rule.max);
    case 'number':
      return check.number(value, field, rule);
    case 'one of':
      return check.oneOf(value, field, rule.values);
    case 'boolean':
      return check.boolean(value, field);
    case 'nullable':
      return check.nullable(value, field, (v, f) => checkStored(check, rule.value, v, f));
    case 'object': {
      const object = check.object(value, field);
      const fields = Object.entries(rule.fields);
      return Object.fromEntries(fields.map(([key, fieldRule]) => [key, checkStored(check, fieldRule, object[key], `${field}.${key}`)]));
    }
  }
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
