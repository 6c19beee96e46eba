/**
 * The model file: one JSON document holding the weights and everything needed to trust and reuse them: layer
 * sizes, normalisation, classes, the training configuration, the training file's path, row count and SHA-256,
 * the held-out rows, the metrics history and the optimiser state (for --resume). Loading checks all of it.
 */
import { readFileSync } from 'node:fs';
import { createParameters, parameterCount, type NetworkShape, type Parameters } from '../nn/network.js';
import type { OptimizerName, OptimizerState } from '../nn/optimizers.js';
import { describeFileError, inputError, isSystemError } from '../errors.js';
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

export interface TrainingRecord {
  readonly config: TrainConfig;
  readonly stopReason: StopReason;
  readonly iterations: number;
  readonly totalIterations: number;
  readonly epochs: number;
  readonly elapsedSeconds: number;
  readonly threads: number;
  readonly restoredBest: { iteration: number; epoch: number; heldOutAccuracy: number } | null;
  readonly heldOut: HeldOutMetrics | null;
}

export interface Model {
  readonly params: Parameters;
  readonly classes: readonly number[];
  /** Pixels are divided by this before the first layer. */
  readonly pixelScale: number;
  readonly training: TrainingRecord;
  readonly data: TrainingDataRecord;
  readonly history: readonly TrainingReport[];
  readonly optimizer: OptimizerState | null;
  readonly tool: { readonly name: string; readonly version: string };
  readonly createdAt: string;
}

interface TensorJson {
  shape: number[];
  data: number[];
}

/** The document as written. */
export interface ModelJson {
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
  normalization: { divideBy: number };
  classes: number[];
  parameters: { w1: TensorJson; b1: TensorJson; w2: TensorJson; b2: TensorJson };
  training: TrainingRecord;
  data: TrainingDataRecord;
  history: TrainingReport[];
  optimizerState: { name: OptimizerName; step: number; first: number[]; second: number[] } | null;
}

export function toJson(model: Model): ModelJson {
  const { params } = model;
  const { inputSize: I, hiddenSize: H, classCount: K } = params.shape;
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
    normalization: { divideBy: model.pixelScale },
    classes: [...model.classes],
    parameters: {
      w1: { shape: [I, H], data: Array.from(params.w1) },
      b1: { shape: [H], data: Array.from(params.b1) },
      w2: { shape: [H, K], data: Array.from(params.w2) },
      b2: { shape: [K], data: Array.from(params.b2) },
    },
    training: model.training,
    data: { ...model.data, heldOutRows: [...model.data.heldOutRows] },
    history: [...model.history],
    optimizerState: model.optimizer
      ? {
          name: model.optimizer.name,
          step: model.optimizer.step,
          first: Array.from(model.optimizer.first),
          second: Array.from(model.optimizer.second),
        }
      : null,
  };
}

/** Writes the model atomically; a failed write leaves any previous file as it was. */
export function saveModel(path: string, model: Model): void {
  writeFileAtomic(path, JSON.stringify(toJson(model)) + '\n');
}

/** Reads and validates a model file; every problem is a DigitsError naming the file and the field. */
export function loadModel(path: string): Model {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (isSystemError(error)) {
      const hint = error.code === 'ENOENT' ? ['Train one first with "digits train", or pass --model <path>.'] : [];
      throw inputError(describeFileError(error, path, 'reading the model'), hint);
    }
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const reason = text.trim() === '' ? 'the file is empty' : `not valid JSON (${(error as Error).message})`;
    throw inputError(`${path}: ${reason}; the model file may be truncated or damaged`, [
      'Train again with "digits train" to write a new one.',
    ]);
  }
  return modelFromJson(json, path);
}

/** Validates a parsed document; `name` is used in messages. */
export function modelFromJson(json: unknown, name: string): Model {
  const check = new Checker(name);
  const root = check.object(json, '', `${name}: not a digits model (expected a JSON object with "format": "${modelFormat}")`);
  if (root.format !== modelFormat) {
    throw inputError(`${name}: not a digits model: "format" is ${JSON.stringify(root.format) ?? 'missing'}, expected "${modelFormat}"`);
  }
  const version = root.version;
  if (version !== modelVersion) {
    throw inputError(
      `${name}: model format version ${JSON.stringify(version)} is not supported; this digits (${toolVersion}) reads version ${modelVersion}`,
      ['Train a new model with this version of digits.'],
    );
  }
  const architecture = check.object(root.architecture, 'architecture');
  const shape: NetworkShape = {
    inputSize: check.positiveInt(architecture.inputSize, 'architecture.inputSize'),
    hiddenSize: check.positiveInt(architecture.hiddenSize, 'architecture.hiddenSize'),
    classCount: check.positiveInt(architecture.classCount, 'architecture.classCount'),
  };
  const { inputSize: I, hiddenSize: H, classCount: K } = shape;
  const parameters = check.object(root.parameters, 'parameters');
  const params = createParameters(shape, new Float64Array(parameterCount(shape)));
  check.tensor(parameters.w1, 'parameters.w1', [I, H], params.w1);
  check.tensor(parameters.b1, 'parameters.b1', [H], params.b1);
  check.tensor(parameters.w2, 'parameters.w2', [H, K], params.w2);
  check.tensor(parameters.b2, 'parameters.b2', [K], params.b2);
  const normalization = check.object(root.normalization, 'normalization');
  const pixelScale = check.positiveNumber(normalization.divideBy, 'normalization.divideBy');
  const classes = check.array(root.classes, 'classes').map((c, k) => check.int(c, `classes[${k}]`));
  if (classes.length !== K) check.fail('classes', `has ${classes.length} entries, expected ${K} (architecture.classCount)`);
  const training = check.object(root.training, 'training');
  const config = check.object(training.config, 'training.config');
  if (!presetNames.includes(config.preset as never)) check.fail('training.config.preset', `is not one of ${presetNames.join(', ')}`);
  const data = check.object(root.data, 'data');
  const rows = check.int(data.rows, 'data.rows');
  const heldOutRows = check.array(data.heldOutRows, 'data.heldOutRows').map((r, k) => {
    const row = check.int(r, `data.heldOutRows[${k}]`);
    if (row < 0 || row >= rows) check.fail(`data.heldOutRows[${k}]`, `is ${row}, outside the ${rows} rows of the training data`);
    return row;
  });
  const history = check.array(root.history, 'history') as TrainingReport[];
  let optimizer: OptimizerState | null = null;
  if (root.optimizerState !== null && root.optimizerState !== undefined) {
    const state = check.object(root.optimizerState, 'optimizerState');
    const count = parameterCount(shape);
    const first = check.array(state.first, 'optimizerState.first');
    const second = check.array(state.second, 'optimizerState.second');
    for (const [vector, field] of [[first, 'first'], [second, 'second']] as const) {
      if (vector.length !== 0 && vector.length !== count) {
        check.fail(`optimizerState.${field}`, `has ${vector.length} values, expected 0 or ${count}`);
      }
    }
    optimizer = {
      name: check.string(state.name, 'optimizerState.name') as OptimizerName,
      step: check.int(state.step, 'optimizerState.step'),
      first: check.finiteVector(first, 'optimizerState.first'),
      second: check.finiteVector(second, 'optimizerState.second'),
    };
  }
  const tool = check.object(root.tool, 'tool');
  return {
    params,
    classes,
    pixelScale,
    training: training as unknown as TrainingRecord,
    data: {
      path: check.string(data.path, 'data.path'),
      rows,
      sha256: check.string(data.sha256, 'data.sha256'),
      heldOutRows,
    },
    history,
    optimizer,
    tool: { name: check.string(tool.name, 'tool.name'), version: check.string(tool.version, 'tool.version') },
    createdAt: check.string(root.createdAt, 'createdAt'),
  };
}

type JsonObject = Record<string, unknown>;

/** Small validators that throw a DigitsError naming the file and the JSON field. */
class Checker {
  constructor(private readonly name: string) {}

  fail(field: string, problem: string): never {
    throw inputError(`${this.name}: ${field} ${problem}`, ['The model file is damaged or was not written by digits.']);
  }

  object(value: unknown, field: string, message?: string): JsonObject {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      if (message) throw inputError(message);
      this.fail(field, value === undefined ? 'is missing' : 'is not an object');
    }
    return value as JsonObject;
  }

  array(value: unknown, field: string): unknown[] {
    if (!Array.isArray(value)) this.fail(field, value === undefined ? 'is missing' : 'is not an array');
    return value;
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string') this.fail(field, value === undefined ? 'is missing' : 'is not a string');
    return value;
  }

  int(value: unknown, field: string): number {
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.fail(field, value === undefined ? 'is missing' : `is ${JSON.stringify(value)}, expected an integer`);
    }
    return value;
  }

  positiveInt(value: unknown, field: string): number {
    const n = this.int(value, field);
    if (n < 1) this.fail(field, `is ${n}, expected at least 1`);
    return n;
  }

  positiveNumber(value: unknown, field: string): number {
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
      this.fail(field, `is ${JSON.stringify(value) ?? 'missing'}, expected a positive number`);
    }
    return value;
  }

  finiteVector(values: unknown[], field: string): Float64Array {
    const out = new Float64Array(values.length);
    for (let k = 0; k < values.length; k++) {
      const v = values[k];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        this.fail(`${field}[${k}]`, `is ${JSON.stringify(v) ?? 'missing'}, expected a finite number`);
      }
      out[k] = v;
    }
    return out;
  }

  tensor(value: unknown, field: string, shape: number[], into: Float64Array): void {
    const tensor = this.object(value, field);
    const actual = this.array(tensor.shape, `${field}.shape`);
    if (actual.length !== shape.length || actual.some((d, k) => d !== shape[k])) {
      this.fail(`${field}.shape`, `is ${JSON.stringify(actual)}, expected ${JSON.stringify(shape)} from the architecture`);
    }
    const data = this.array(tensor.data, `${field}.data`);
    if (data.length !== into.length) this.fail(`${field}.data`, `has ${data.length} values, expected ${into.length}`);
    for (let k = 0; k < data.length; k++) {
      const v = data[k];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        this.fail(`${field}.data[${k}]`, `is ${JSON.stringify(v) ?? 'missing'}, expected a finite number`);
      }
      into[k] = v;
    }
  }
}
