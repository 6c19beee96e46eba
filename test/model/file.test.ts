/**
 * The model file (src/model/, src/io/atomic.ts): a model trained on real sample rows survives
 * save -> load exactly, and writing is atomic: no temporary file is left behind, and a failed write leaves the
 * previous file as it was. (Damaged files and their messages are tested with the other error cases.)
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Dataset } from '../../src/data/dataset.js';
import { DigitsError } from '../../src/errors.js';
import { temporaryPathFor } from '../../src/io/atomic.js';
import { loadModel } from '../../src/model/read.js';
import { modelFormat, modelVersion } from '../../src/model/schema.js';
import { modelFileText, saveModel, toJson } from '../../src/model/write.js';
import type { Model } from '../../src/train/model.js';
import { fitModel } from '../../src/train/fit.js';
import { presets, type TrainConfig } from '../../src/train/presets.js';
import { smallCommitteeModel } from '../errors/fixtures.js';
import { readSampleRows, sampleTrainPath } from '../helpers/sample-rows.js';

/** A switch for simulating a full disk in the middle of writing (see the ENOSPC test). */
const diskFull = vi.hoisted(() => ({ on: false }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const writeSync = ((fd: number, buffer: Uint8Array, offset?: number, length?: number) => {
    if (diskFull.on) {
      // Half the bytes reach the temporary file, then the device is full.
      fs.writeSync(fd, buffer, offset ?? 0, Math.floor((length ?? buffer.length) / 2));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    }
    return fs.writeSync(fd, buffer, offset, length);
  }) as typeof fs.writeSync;
  return { ...fs, default: { ...fs, writeSync }, writeSync };
});

function bits(values: Float64Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

/** A model trained for one epoch on 300 real rows with Adam (so that both optimiser moments are saved). */
async function trainSmallModel(): Promise<Model> {
  const sample = readSampleRows(sampleTrainPath, 300);
  const dataset: Dataset = {
    rows: sample.rows,
    features: sample.features,
    pixels: sample.pixels,
    labels: sample.labels,
    source: {
      path: sampleTrainPath,
      sha256: createHash('sha256').update(readFileSync(sampleTrainPath)).digest('hex'),
      pixelColumns: Array.from({ length: sample.features }, (_, i) => `pixel${i}`),
    },
  };
  const config: TrainConfig = {
    ...presets.default,
    hiddenSize: 8,
    epochs: 2,
    batchSize: 50,
    optimizer: 'adam',
    learningRate: 0.01,
    holdout: 0.2,
    seed: 5,
  };
  return (await fitModel(dataset, config)).model;
}

let folder: string;
let model: Model;

beforeAll(async () => {
  model = await trainSmallModel();
});

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'digits-model-file-'));
});

afterEach(() => {
  diskFull.on = false;
  vi.restoreAllMocks();
  rmSync(folder, { recursive: true, force: true });
});

describe('save -> load', () => {
  it('gives back every parameter bit for bit', () => {
    const path = join(folder, 'model.json');
    saveModel(path, model);
    const loaded = loadModel(path);
    expect(loaded.params.shape).toEqual(model.params.shape);
    for (const name of ['w1', 'b1', 'w2', 'b2'] as const) {
      expect(bits(loaded.params[name]).equals(bits(model.params[name])), name).toBe(true);
    }
    expect(bits(loaded.params.data).equals(bits(model.params.data))).toBe(true);
  });

  it('keeps awkward doubles exactly: subnormals, extremes, values with no short decimal', () => {
    const values = [Number.MIN_VALUE, -2.2250738585072014e-308, 1e-310, Number.MAX_VALUE, -Number.MAX_VALUE, 0.1 + 0.2, 1 / 3, -Math.PI, Number.EPSILON, 2 ** 53 + 2];
    const data = model.params.data.slice();
    data.set(values, 17);
    const edited: Model = { ...model, params: { ...model.params, data, w1: data.subarray(0, model.params.w1.length) } };
    const path = join(folder, 'edge.json');
    saveModel(path, edited);
    expect(bits(loadModel(path).params.data).equals(bits(data))).toBe(true);
  });

  it('gives back the configuration, held-out rows, history, optimiser state and provenance', () => {
    const path = join(folder, 'model.json');
    saveModel(path, model);
    const loaded = loadModel(path);

    expect(loaded.training).toEqual(model.training);
    expect(loaded.training.config).toEqual(model.training.config);
    expect(loaded.data).toEqual(model.data);
    expect(loaded.data.heldOutRows).toHaveLength(60);
    expect(loaded.history).toEqual(model.history);
    expect(loaded.history).toHaveLength(2);
    expect(loaded.classes).toEqual(model.classes);
    expect(loaded.pixelScale).toBe(255);
    expect(loaded.tool).toEqual(model.tool);
    expect(loaded.createdAt).toBe(model.createdAt);

    const saved = model.optimizer!;
    const state = loaded.optimizer!;
    expect([state.name, state.step]).toEqual(['adam', saved.step]);
    expect(state.step).toBeGreaterThan(0);
    expect(bits(state.first).equals(bits(saved.first))).toBe(true);
    expect(bits(state.second).equals(bits(saved.second))).toBe(true);
  });

  it('writes one JSON document naming its format and version', () => {
    const path = join(folder, 'model.json');
    saveModel(path, model);
    const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    expect(json.format).toBe(modelFormat);
    expect(json.version).toBe(modelVersion);
    expect(json.parameters).toMatchObject({ w1: { shape: [784, 8] }, b1: { shape: [8] }, w2: { shape: [8, 10] }, b2: { shape: [10] } });
  });

  it('writes, in pieces, exactly the text of JSON.stringify: Adam\'s two moments, SGD\'s none, a committee\'s networks', () => {
    const sgd: Model = { ...model, optimizer: { name: 'sgd', step: 4, first: new Float64Array(0), second: new Float64Array(0) } };
    for (const [name, saved] of [['adam', model], ['sgd', sgd], ['committee', smallCommitteeModel()]] as const) {
      const path = join(folder, `${name}.json`);
      saveModel(path, saved);
      const expected = JSON.stringify(toJson(saved)) + '\n';
      expect(readFileSync(path, 'utf8') === expected, name).toBe(true);
      const pieces = [...modelFileText(saved)!()];
      expect(pieces.join('') === expected, name).toBe(true);
      // w1 (784 x 8 = 6,272 numbers) alone takes two pieces: the numbers are never all in one string.
      const numbersIn = (piece: string): number => piece.split(',').length;
      if (name === 'adam') expect(Math.max(...pieces.map(numbersIn))).toBeLessThan(784 * 8);
    }
  });

  it('saves again over the same path: the file holds what was written last', () => {
    const path = join(folder, 'model.json');
    saveModel(path, model);
    const changed: Model = { ...model, createdAt: '2000-01-01T00:00:00.000Z' };
    saveModel(path, changed);
    expect(loadModel(path).createdAt).toBe('2000-01-01T00:00:00.000Z');
    expect(readdirSync(folder)).toEqual(['model.json']);
  });
});

describe('save -> load, a committee', () => {
  it('gives back an interrupted committee exactly: joined weights, networks kept apart, optimiser state, results', async () => {
    const sample = readSampleRows(sampleTrainPath, 300);
    const dataset: Dataset = { ...sample, labels: sample.labels, source: { path: sampleTrainPath, sha256: 'x', pixelColumns: [] } };
    const config: TrainConfig = { ...presets.default, hiddenSize: 6, epochs: 1, batchSize: 50, optimizer: 'adam', learningRate: 0.01, members: 3 };
    let steps = 0;
    const { model: stopped } = await fitModel(dataset, config, { events: { onStep: () => void steps++, shouldStop: () => steps >= 8 } });
    const path = join(folder, 'committee.json');
    saveModel(path, stopped);
    const loaded = loadModel(path);
    expect(loaded.params.shape.hiddenSize).toBe(12);
    expect(bits(loaded.params.data).equals(bits(stopped.params.data))).toBe(true);
    const state = loaded.committee!;
    // 270 training rows in batches of 50: 6 steps a network, so step 8 is the second network's second.
    expect([state.done, state.current!.iteration]).toEqual([1, 2]);
    state.members.forEach((member, m) => expect(bits(member).equals(bits(stopped.committee!.members[m]!))).toBe(true));
    expect(bits(state.current!.optimizer.second).equals(bits(stopped.committee!.current!.optimizer.second))).toBe(true);
    expect(loaded.training).toEqual(stopped.training);
    expect(loaded.history).toEqual(stopped.history);
    expect(loaded.optimizer).toBeNull();
  });
});

describe('atomic writing', () => {
  /** Calls `write` expecting a DigitsError with exit code 1 (a failure while working) and returns it. */
  function expectWriteFailure(write: () => void): DigitsError {
    let caught: unknown;
    try {
      write();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DigitsError);
    expect((caught as DigitsError).exitCode).toBe(1);
    return caught as DigitsError;
  }

  it('leaves no temporary file behind after a successful write', () => {
    saveModel(join(folder, 'model.json'), model);
    expect(readdirSync(folder)).toEqual(['model.json']);
  });

  it('fails cleanly when the target folder is missing', () => {
    const path = join(folder, 'missing', 'model.json');
    const error = expectWriteFailure(() => saveModel(path, model));
    expect(error.message).toContain(path);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('fails cleanly when a directory is in the way of the target, and leaves the directory as it was', () => {
    const path = join(folder, 'model.json');
    mkdirSync(path);
    writeFileSync(join(path, 'keep.txt'), 'mine');
    const error = expectWriteFailure(() => saveModel(path, model));
    expect(error.message).toContain(path);
    expect(statSync(path).isDirectory()).toBe(true);
    expect(readdirSync(path)).toEqual(['keep.txt']);
    expect(readdirSync(folder)).toEqual(['model.json']);
  });

  it('refuses to write a model recording more steps than planned, which would not load, and keeps the previous file', () => {
    const path = join(folder, 'model.json');
    saveModel(path, model);
    const before = readFileSync(path);
    const { totalIterations } = model.training;
    const beyond: Model = { ...model, training: { ...model.training, iterations: totalIterations + 5 } };
    const error = expectWriteFailure(() => saveModel(path, beyond, 'model.json'));
    expect([error.message, ...error.details]).toEqual([
      `not writing model.json: its training.iterations is ${totalIterations + 5}, more than training.totalIterations (${totalIterations}), so it could not be read again`,
      'This is a bug in digits; please report it. Any previous model file is unchanged.',
    ]);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(folder)).toEqual(['model.json']);
  });

  it('keeps the previous file when the temporary file cannot be created', () => {
    const path = join(folder, 'model.json');
    saveModel(path, model);
    const before = readFileSync(path);
    // Pin the temporary name and put a directory there, so that creating the temporary file fails.
    vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    const temporary = temporaryPathFor(path);
    mkdirSync(temporary);
    const error = expectWriteFailure(() => saveModel(path, { ...model, createdAt: 'new' }));
    expect(error.details.join('\n')).toContain('previous file');
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(statSync(temporary).isDirectory()).toBe(true);
  });

  it('keeps the previous file and removes the half-written temporary file when the disk fills up', () => {
    const path = join(folder, 'model.json');
    saveModel(path, model);
    const before = readFileSync(path);
    diskFull.on = true;
    const error = expectWriteFailure(() => saveModel(path, { ...model, createdAt: 'new' }));
    diskFull.on = false;
    // The size of the whole file, though it is written in pieces.
    const kB = Math.ceil(Buffer.byteLength(JSON.stringify(toJson({ ...model, createdAt: 'new' })) + '\n') / 1e3);
    expect(error.message).toBe(`cannot write ${path}: no space left on the device (${kB} kB needed)`);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(folder)).toEqual(['model.json']);
  });
});
