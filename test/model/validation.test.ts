/**
 * Loading a model file: each kind of damage (missing, truncated, not JSON, not a digits model, another version,
 * wrong shapes, non-finite numbers, inconsistent fields) is refused with its own exact message, and a sound
 * file round-trips exactly.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadModel, modelFromJson } from '../../src/model/read.js';
import { saveModel, toJson } from '../../src/model/write.js';
import { DigitsError } from '../../src/errors.js';
import { smallCommitteeJson, smallCommitteeModel, smallModel, smallModelJson } from '../errors/fixtures.js';
import { scratchFolder } from '../errors/cli.js';

const scratch = scratchFolder('model');
afterAll(() => scratch.remove());

const damaged = 'The model file is damaged or was not written by digits; train again with "digits train".';

function errorOf(action: () => unknown): DigitsError {
  try {
    action();
  } catch (error) {
    if (error instanceof DigitsError) return error;
    throw error;
  }
  throw new Error('no error was thrown');
}

type Json = ReturnType<typeof smallModelJson> & Record<string, unknown>;

interface DamageCase {
  readonly name: string;
  readonly damage: (json: Json) => unknown;
  readonly message: string;
  readonly details?: readonly string[];
}

const damages: readonly DamageCase[] = [
  { name: 'an array', damage: () => [1, 2], message: 'M: not a digits model: expected a JSON object with "format": "digits-model", found an array' },
  { name: 'a number', damage: () => 42, message: 'M: not a digits model: expected a JSON object with "format": "digits-model", found a number' },
  {
    name: 'an object without a format',
    damage: () => ({ weights: [1, 2] }),
    message: 'M: not a digits model: the JSON has no "format" field, expected "digits-model"',
  },
  {
    name: 'another format',
    damage: (j) => ({ ...j, format: 'keras' }),
    message: 'M: not a digits model: the JSON has "format": "keras", expected "digits-model"',
  },
  {
    name: 'a newer version',
    damage: (j) => ({ ...j, version: 2, tool: { name: 'digits', version: '0.9.0' } }),
    message: 'M: model format version 2 (written by digits 0.9.0) is not supported; this digits (0.1.0) reads version 1',
    details: ['Update digits to read it, or train a new model with this version.'],
  },
  {
    name: 'an older version',
    damage: (j) => ({ ...j, version: 0 }),
    message: 'M: model format version 0 (written by digits 0.1.0) is not supported; this digits (0.1.0) reads version 1',
    details: ['Train a new model with this version of digits.'],
  },
  {
    name: 'no version',
    damage: (j) => ({ ...j, version: undefined, tool: undefined }),
    message: 'M: model format version (missing) is not supported; this digits (0.1.0) reads version 1',
    details: ['Train a new model with this version of digits.'],
  },
  {
    name: 'a missing architecture',
    damage: (j) => ({ ...j, architecture: undefined }),
    message: 'M: architecture is missing (expected an object)',
  },
  {
    name: 'a fractional hidden size',
    damage: (j) => { j.architecture.hiddenSize = 2.5; return j; },
    message: 'M: architecture.hiddenSize is 2.5, expected a whole number from 1 to 65536',
  },
  {
    name: 'a weight matrix of the wrong shape',
    damage: (j) => { j.parameters.w1.shape = [4, 2]; return j; },
    message: 'M: parameters.w1.shape is [4,2], expected [4,3] from the architecture',
  },
  {
    name: 'too few weights',
    damage: (j) => { j.parameters.w2.data.pop(); return j; },
    message: 'M: parameters.w2.data has 29 values, expected 30',
  },
  {
    name: 'a NaN weight (JSON writes it as null)',
    damage: (j) => { (j.parameters.b1.data as unknown[])[1] = null; return j; },
    message: 'M: parameters.b1.data[1] is null (how JSON writes NaN or an infinity), expected a finite number',
  },
  {
    name: 'a weight written as the string "NaN"',
    damage: (j) => { (j.parameters.w1.data as unknown[])[5] = 'NaN'; return j; },
    message: 'M: parameters.w1.data[5] is "NaN", expected a finite number',
  },
  {
    name: 'an infinite weight (1e400 in the file)',
    damage: (j) => { j.parameters.b2.data[0] = Infinity; return j; },
    message: 'M: parameters.b2.data[0] is Infinity (a number too large for a double), expected a finite number',
  },
  {
    name: 'missing biases',
    damage: (j) => { (j.parameters as Record<string, unknown>).b2 = undefined; return j; },
    message: 'M: parameters.b2 is missing (expected an object)',
  },
  {
    name: 'a zero pixel scale',
    damage: (j) => { j.normalization.divideBy = 0; return j; },
    message: 'M: normalization.divideBy is 0, expected a number greater than 0',
  },
  {
    name: 'a pixel scale other than the one every kernel uses',
    damage: (j) => { j.normalization.divideBy = 1; return j; },
    message: 'M: normalization.divideBy is 1, but digits divides pixels by 255',
  },
  {
    name: 'too few classes',
    damage: (j) => { j.classes.pop(); return j; },
    message: 'M: classes has 9 entries, expected 10 (architecture.classCount)',
  },
  {
    name: 'a repeated class',
    damage: (j) => { j.classes[9] = 8; return j; },
    message: 'M: classes has a class twice: [0,1,2,3,4,5,6,7,8,8]',
  },
  {
    name: 'an unknown preset',
    damage: (j) => { (j.training.config as { preset: string }).preset = 'fast'; return j; },
    message: 'M: training.config.preset is "fast", expected one of "seed", "default", "best"',
  },
  {
    name: 'a configuration that disagrees with the architecture',
    damage: (j) => { (j.training.config as { hiddenSize: number }).hiddenSize = 7; return j; },
    message: 'M: training.config.hiddenSize is 7, but architecture.hiddenSize is 3',
  },
  {
    name: 'a negative learning rate',
    damage: (j) => { (j.training.config as { learningRate: number }).learningRate = -1; return j; },
    message: 'M: training.config.learningRate is -1, expected a number greater than 0',
  },
  {
    name: 'more iterations done than planned',
    damage: (j) => { (j.training as { iterations: number }).iterations = 9; return j; },
    message: 'M: training.iterations is 9, more than training.totalIterations (2)',
  },
  {
    name: 'a held-out row outside the data',
    damage: (j) => { (j.data.heldOutRows as number[])[1] = 10; return j; },
    message: 'M: data.heldOutRows[1] is 10, expected a whole number from 0 to 9',
  },
  {
    name: 'a held-out row twice',
    damage: (j) => { (j.data.heldOutRows as number[])[1] = 3; return j; },
    message: 'M: data.heldOutRows[1] repeats row 3',
  },
  {
    name: 'a SHA-256 that is not text',
    damage: (j) => { (j.data as { sha256: unknown }).sha256 = 12; return j; },
    message: 'M: data.sha256 is 12, expected a string',
  },
  {
    name: 'a history entry with a text loss',
    damage: (j) => { (j.history[0] as unknown as Record<string, unknown>).trainLoss = 'low'; return j; },
    message: 'M: history[0].trainLoss is "low", expected a number of at least 0',
  },
  {
    name: 'optimiser state of another optimiser',
    damage: (j) => { j.optimizerState!.name = 'momentum'; return j; },
    message: 'M: optimizerState.name is "momentum", but training.config.optimizer is "adam"',
  },
  {
    name: 'optimiser state of the wrong size',
    damage: (j) => { j.optimizerState!.second.pop(); return j; },
    message: 'M: optimizerState.second has 54 values, expected 55 for adam',
  },
  {
    name: 'deskewing that is not true or false',
    damage: (j) => ({ ...j, normalization: { ...j.normalization, deskew: 'yes' } }),
    message: 'M: normalization.deskew is "yes", expected true or false',
  },
  {
    name: 'a configuration that deskews for a model that does not',
    damage: (j) => ({ ...j, normalization: { ...j.normalization, deskew: !j.training.config.deskew } }),
    message: 'M: training.config.deskew is true, but normalization.deskew is false',
  },
  {
    name: 'a non-finite optimiser value',
    damage: (j) => { (j.optimizerState!.first as unknown[])[4] = null; return j; },
    message: 'M: optimizerState.first[4] is null (how JSON writes NaN or an infinity), expected a finite number',
  },
];

describe('a damaged model document is refused with its own message', () => {
  it.each(damages)('$name', ({ damage, message, details }) => {
    const error = errorOf(() => modelFromJson(damage(smallModelJson() as Json), 'm.json'));
    expect(error.message).toBe(message.replace(/^M:/, 'm.json:'));
    expect(error.details).toEqual(details ?? (message.includes('not a digits model') ? [] : [damaged]));
    expect(error.exitCode).toBe(2);
  });

  it('accepts the sound document and reads back exactly what was saved', () => {
    const model = smallModel();
    const loaded = modelFromJson(smallModelJson(), 'm.json');
    expect(Array.from(loaded.params.data)).toEqual(Array.from(model.params.data));
    expect(Array.from(loaded.optimizer!.second)).toEqual(Array.from(model.optimizer!.second));
    expect(toJson(loaded)).toEqual(toJson(model));
  });

  it('reads a file written before deskewing (no deskew fields) as a model that reads images as they are', () => {
    const json = smallModelJson() as Json;
    const normalization = json.normalization as Record<string, unknown>;
    delete normalization.deskew;
    delete (json.training.config as unknown as Record<string, unknown>).deskew;
    const loaded = modelFromJson(json, 'm.json');
    expect(loaded.deskew).toBe(false);
    expect(loaded.training.config.deskew).toBe(false);
  });

  it('accepts a history loss of null (a report over no rows) as NaN', () => {
    const json = smallModelJson() as Json;
    (json.history[0] as unknown as Record<string, unknown>).trainLoss = null;
    expect(modelFromJson(json, 'm.json').history[0]!.trainLoss).toBeNaN();
  });
});

type CommitteeJson = Json & { committeeState: NonNullable<Json['committeeState']> };
type Config = Record<string, unknown>;
const configOf = (j: Json): Config => j.training.config as unknown as Config;
const trainingOf = (j: Json): Record<string, unknown> => j.training as unknown as Record<string, unknown>;

/** Committee fields that contradict one another or the rest of the file; on the small committee unless noted. */
const committeeDamages: readonly (DamageCase & { readonly single?: boolean })[] = [
  {
    name: 'no members',
    damage: (j) => { configOf(j).members = 0; return j; },
    message: 'M: training.config.members is 0, expected a whole number from 1 to 65536',
  },
  {
    name: 'negative clean epochs',
    damage: (j) => { configOf(j).cleanEpochs = -1; return j; },
    message: 'M: training.config.cleanEpochs is -1, expected a whole number of at least 0',
  },
  {
    name: 'a single network whose config says it is a committee',
    single: true,
    damage: (j) => { configOf(j).members = 2; return j; },
    message: 'M: training.config.hiddenSize is 3 with training.config.members 2 (6 hidden units joined), but architecture.hiddenSize is 3',
  },
  {
    name: 'member results on a single network',
    single: true,
    damage: (j) => { trainingOf(j).memberResults = []; return j; },
    message: 'M: training.memberResults is present, but training.config.members is 1',
  },
  {
    name: 'a history report of a member the committee does not have',
    damage: (j) => { (j.history[1] as unknown as Record<string, unknown>).member = 2; return j; },
    message: 'M: history[1].member is 2, expected a whole number from 0 to 1',
  },
  {
    name: 'committee state in a single network',
    single: true,
    damage: (j) => ({ ...j, committeeState: smallCommitteeJson().committeeState }),
    message: 'M: committeeState is present, but training.config.members is 1: a single network has no committee to resume',
  },
  {
    name: 'committee state in a committee that was not interrupted',
    damage: (j) => { (j.training as { stopReason: string }).stopReason = 'completed'; return j; },
    message: 'M: committeeState is present, but training.stopReason is "completed": only an interrupted committee keeps its networks apart',
  },
  {
    name: 'more networks done than the committee has',
    damage: (j) => { (j as CommitteeJson).committeeState.done = 2; return j; },
    message: 'M: committeeState.done is 2, expected a whole number from 0 to 1',
  },
  {
    name: 'a network missing from committee state',
    damage: (j) => { (j as CommitteeJson).committeeState.members.pop(); return j; },
    message: 'M: committeeState.members has 1 networks, expected 2 (1 finished and the interrupted one)',
  },
  {
    name: 'a network of the wrong size',
    damage: (j) => { (j as CommitteeJson).committeeState.members[1]!.pop(); return j; },
    message: 'M: committeeState.members[1] has 54 values, expected 55 for a 4-3-10 network',
  },
  {
    name: 'a NaN in a network kept apart',
    damage: (j) => { ((j as CommitteeJson).committeeState.members[0] as unknown[])[5] = null; return j; },
    message: 'M: committeeState.members[0][5] is null (how JSON writes NaN or an infinity), expected a finite number',
  },
  {
    name: "the interrupted network's optimiser state of the joined network's size",
    damage: (j) => {
      const state = (j as CommitteeJson).committeeState.current!.optimizerState;
      state.first = [...state.first, ...state.first];
      return j;
    },
    message: 'M: committeeState.current.optimizerState.first has 110 values, expected 55 for adam',
  },
  {
    name: 'an interrupted network that took no step',
    damage: (j) => { (j as CommitteeJson).committeeState.current!.iteration = 0; return j; },
    message: 'M: committeeState.current.iteration is 0, expected a whole number of at least 1',
  },
  {
    name: 'committee state that keeps fewer networks than were joined',
    damage: (j) => {
      const state = (j as CommitteeJson).committeeState;
      state.current = null;
      state.members.pop();
      return j;
    },
    message: 'M: architecture.hiddenSize is 6, but committeeState holds 1 network of 3 hidden units (training.config.hiddenSize): 3 joined',
  },
  {
    name: 'a finished committee of three saved with the width of two',
    damage: (j) => {
      configOf(j).members = 3;
      (j.training as { stopReason: string }).stopReason = 'completed';
      return { ...j, committeeState: null };
    },
    message: 'M: training.config.hiddenSize is 3 with training.config.members 3 (9 hidden units joined), but architecture.hiddenSize is 6',
  },
  {
    name: 'a committee without member results',
    damage: (j) => { trainingOf(j).memberResults = undefined; return j; },
    message: 'M: training.memberResults is missing (expected an array: one result per network of the committee)',
  },
  {
    name: 'a member result too many',
    damage: (j) => { (trainingOf(j).memberResults as unknown[]).push((trainingOf(j).memberResults as unknown[])[0]); return j; },
    message: 'M: training.memberResults has 3 entries, expected 2 (one per network joined)',
  },
  {
    name: 'a member result with a held-out accuracy above 1',
    damage: (j) => { ((trainingOf(j).memberResults as Record<string, unknown>[])[1]!).heldOutAccuracy = 1.5; return j; },
    message: 'M: training.memberResults[1].heldOutAccuracy is 1.5, expected a number from 0 to 1',
  },
  {
    name: "a committee with an optimiser state of the joined network's size",
    damage: (j) => ({ ...j, optimizerState: { name: 'adam', step: 1, first: new Array(100).fill(0), second: new Array(100).fill(0) } }),
    message: 'M: optimizerState is present, but a committee (training.config.members 2) keeps its optimiser state in committeeState',
  },
  {
    name: 'saved weights that are not the kept networks joined',
    damage: (j) => { j.parameters.w2.data[13] = j.parameters.w2.data[13]! + 1e-9; return j; },
    message: 'M: parameters are not the networks of committeeState joined (value 43 of the parameter vector differs)',
  },
];

describe('committee fields that do not fit together are refused with their own message', () => {
  it.each(committeeDamages)('$name', ({ damage, message, single }) => {
    const json = (single ? smallModelJson() : smallCommitteeJson()) as Json;
    const error = errorOf(() => modelFromJson(damage(json), 'm.json'));
    expect(error.message).toBe(message.replace(/^M:/, 'm.json:'));
    expect(error.details).toEqual([damaged]);
    expect(error.exitCode).toBe(2);
  });

  it('accepts the sound committee and reads back exactly what was saved, networks and optimiser state included', () => {
    const model = smallCommitteeModel();
    const loaded = modelFromJson(smallCommitteeJson(), 'm.json');
    expect(loaded.params.shape.hiddenSize).toBe(6);
    expect(loaded.committee!.members.map((m) => Array.from(m))).toEqual(model.committee!.members.map((m) => Array.from(m)));
    expect(Array.from(loaded.committee!.current!.optimizer.second)).toEqual(Array.from(model.committee!.current!.optimizer.second));
    expect(toJson(loaded)).toEqual(toJson(model));
  });

  it('reads a file written before committees: one network, no clean epochs, every report about network 0', () => {
    const json = smallModelJson() as Json;
    delete configOf(json).members;
    delete configOf(json).cleanEpochs;
    delete trainingOf(json).memberResults;
    delete (json.history[0] as unknown as Record<string, unknown>).member;
    delete (json as Record<string, unknown>).committeeState;
    const loaded = modelFromJson(json, 'm.json');
    expect(loaded.training.config).toMatchObject({ members: 1, cleanEpochs: 0 });
    expect(loaded.training.memberResults).toBeNull();
    expect(loaded.history[0]!.member).toBe(0);
    expect(loaded.committee).toBeNull();
    expect(toJson(loaded)).toEqual(toJson(smallModel()));
  });
});

describe('a model file that is not a model is refused', () => {
  const good = JSON.stringify(toJson(smallModel()));
  const cases: ReadonlyArray<{ name: string; content?: string | Buffer; message: string; details: string[] }> = [
    {
      name: 'a missing file',
      message: 'M: no such file',
      details: ['Train one first with "digits train", or pass --model <path>.'],
    },
    { name: 'an empty file', content: '', message: 'M: the file is empty, not a digits model', details: [damaged] },
    {
      name: 'a file cut off in the middle (a half-finished copy)',
      content: good.slice(0, 1000),
      message: 'M: the model file is truncated: its JSON stops after 1,000 bytes',
      details: ['It was probably cut short while being copied or downloaded; copy it again, or train a new one with "digits train".'],
    },
    {
      name: 'a file cut off inside a string',
      content: good.slice(0, good.indexOf('digits-model') + 3),
      message: `M: the model file is truncated: its JSON stops after ${good.indexOf('digits-model') + 3} bytes`,
      details: ['It was probably cut short while being copied or downloaded; copy it again, or train a new one with "digits train".'],
    },
    {
      name: 'the training CSV given as the model',
      content: 'label,pixel0,pixel1,pixel2\n1,0,0,0\n',
      message: 'M: is a CSV file, not a digits model (it starts "label,pixel0,pixel1,")',
      details: ['--model takes a model written by "digits train"; the CSV is the file argument: digits predict test.csv --model models/model.json'],
    },
    {
      name: 'a gzipped model',
      content: gzipSync(good),
      message: 'M: is gzip-compressed; digits models are plain JSON',
      details: ['Decompress it first: gunzip -k M'],
    },
    { name: 'binary data', content: Buffer.from([0x01, 0x00, 0x02, 0x03]), message: 'M: is binary data, not a digits model (which is JSON)', details: [] },
    {
      name: 'plain text',
      content: 'hello, world\n',
      message: 'M: not a digits model: the file is not JSON (it starts "hello, world")',
      details: [damaged],
    },
  ];

  it.each(cases)('$name', ({ content, message, details }) => {
    const path = join(scratch.path, `model-${Math.random().toString(36).slice(2)}.json`);
    if (content !== undefined) writeFileSync(path, content);
    const error = errorOf(() => loadModel(path));
    const named = (text: string): string => text.replace(/\bM(?=[: ]|$)/g, path);
    expect(error.message).toBe(named(message));
    expect(error.details).toEqual(details.map(named));
    expect(error.exitCode).toBe(2);
  });

  it('says where damaged JSON is damaged (the wording of the reason is V8\'s own)', () => {
    const path = join(scratch.path, 'damaged.json');
    writeFileSync(path, good.replace('"parameters":{', '"parameters":{{'));
    const error = errorOf(() => loadModel(path));
    expect(error.message).toMatch(
      new RegExp(`^${path}: the model file is not valid JSON \\(.+ at position ${good.indexOf('"parameters":{') + 14}\\)$`),
    );
    expect(error.details).toEqual([damaged]);
  });

  it('refuses a directory', () => {
    const folder = join(scratch.path, 'a-folder.json');
    mkdirSync(folder);
    expect(errorOf(() => loadModel(folder)).message).toBe(`${folder}: is a directory, not a model file`);
  });

  it('reads back a saved model, and never saves one with a non-finite weight', () => {
    const path = join(scratch.path, 'saved.json');
    saveModel(path, smallModel());
    const before = readFileSync(path);
    expect(Array.from(loadModel(path).params.data)).toEqual(Array.from(smallModel().params.data));
    const broken = smallModel();
    broken.params.data[7] = NaN;
    const error = errorOf(() => saveModel(path, broken));
    expect(error.message).toBe(`not writing ${path}: weight 7 is NaN, not a finite number`);
    expect(error.exitCode).toBe(1);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('never saves a model whose optimizer state or committee networks hold a number that is not finite', () => {
    const path = join(scratch.path, 'saved.json');
    saveModel(path, smallModel());
    const before = readFileSync(path);
    const overflowed = smallModel();
    overflowed.optimizer!.second[5] = Infinity; // Adam's second moment of a gradient that overflowed
    const committee = smallCommitteeModel();
    committee.committee!.members[1]![2] = NaN;
    for (const broken of [overflowed, committee]) {
      const error = errorOf(() => saveModel(path, broken));
      expect(error.message).toBe(`not writing ${path}: its optimizer state or a committee network holds a number that is not finite`);
      expect(error.exitCode).toBe(1);
      expect(readFileSync(path).equals(before)).toBe(true);
    }
  });
});
