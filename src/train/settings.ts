/**
 * The training settings, each declared once: the option that sets it and how its text is read and bounded, how
 * --resume treats it, how `digits info` and `train --help` show it, and how a model file's value is checked.
 * The presets' values stay in presets.ts, as the whole configurations they are. The command line (cli.ts), the
 * train command, resume.ts, ui/info.ts, ui/help.ts and model/read.ts all read this table, so adding a setting
 * touches it and the code that uses the value.
 *
 * The table's order is the order in which `train --help` lists the options and the presets' rows, `digits info`
 * lists the hyperparameters, and a --resume refusal names what differs.
 */
import type { AugmentSettings } from '../data/augment.js';
import { initSchemes } from '../nn/network.js';
import { optimizerNames, scheduleNames } from '../nn/optimizers.js';
import { defaultSeed, presetNames, presets, type TrainConfig } from './presets.js';

export type SettingKey = keyof TrainConfig;

/** A value an option was given on the command line, as its parser returned it (`false` for a `--no-` switch). */
export type OptionValue = string | number | boolean;

/** An option's text it does not accept; the message says what it does accept. */
export class SettingValueError extends Error {
  override readonly name = 'SettingValueError';
}

export interface SettingOption {
  /** Commander's flags: the option and its value's name ('--hidden <n>'), or a switch that turns something off. */
  readonly flags: string;
  readonly description: string;
  /** Reads the option's text, or throws a SettingValueError; absent for a switch and for a list of choices. */
  readonly parse?: (text: string) => OptionValue;
  /** The values the option accepts, when they are names. */
  readonly choices?: readonly string[];
  /** The settings the option's value gives; by default the setting itself, to the value. */
  readonly sets?: (value: OptionValue) => Partial<TrainConfig>;
  /**
   * Where `train --help` lists the option: in the table's order, or after --resume, with the other options about
   * how a run is seeded and reported rather than what it trains.
   */
  readonly listed?: 'after --resume';
}

/**
 * What --resume does with a value other than the recorded one. A resumed run is the recorded run continued step
 * for step on the recorded split, so whatever shapes those steps must stay as recorded: such an option is
 * refused, never ignored. How long the run goes counts from its start, so it may grow but never below the steps
 * already taken (resume.ts checks that against the recorded steps); how often it reports changes no step.
 */
export type ResumeRule = 'must equal' | 'may only grow' | 'may change';

/** How `digits info` shows a setting. */
export type InfoView =
  /** A row of its own, as its name and the value in words; `count` writes a count as all of the output does. */
  | { readonly row: (config: TrainConfig, count: (n: number) => string) => readonly [name: string, value: string] }
  /** In the row of another setting, which says what both mean together. */
  | { readonly partOf: SettingKey }
  /** In the section's title ("Preset default, with these hyperparameters"). */
  | 'title'
  /** As the model file stores it: its key and its JSON, after the rows in words. */
  | 'as stored';

/** How model/read.ts checks a model file's value (its messages say what was expected instead). */
export type StoredValue =
  | { readonly type: 'whole number'; readonly min: number; readonly max?: number }
  | { readonly type: 'number'; readonly min?: number; readonly max?: number; readonly above?: number }
  | { readonly type: 'one of'; readonly values: readonly string[] }
  | { readonly type: 'boolean' }
  | { readonly type: 'nullable'; readonly value: StoredValue }
  | { readonly type: 'object'; readonly fields: Readonly<Record<string, StoredValue>> };

/** How a setting is given, and so how messages name it. */
type Naming =
  /** By an option; messages name the setting by the option's flag. */
  | { readonly option: SettingOption; readonly name?: never }
  /**
   * By the preset alone: no option changes it, so only fitModel's other callers can ask for another value.
   * Messages name it in these words.
   */
  | { readonly option?: never; readonly name: string };

type SettingSpec<K extends SettingKey> = Naming & {
  /** A configuration's value as messages show it; by default the name and the value. */
  readonly shown?: (config: TrainConfig) => string;
  readonly resume: ResumeRule;
  readonly info: InfoView;
  /** Its row in `train --help`'s table of presets: the option (or these words) and each preset's value. */
  readonly presetRow?: { readonly name?: string; readonly value: (config: TrainConfig) => string };
  readonly stored: StoredValue;
  /** The value of a model file written before the setting existed: how that model was trained. */
  readonly whenAbsent?: TrainConfig[K];
};

export type Setting = SettingSpec<SettingKey> & { readonly key: SettingKey };

/**
 * The widest --hidden. A model file is read back as one JSON string (weights and optimiser state), and this keeps
 * it well within the longest string V8 makes: a run must not train for hours and then write a model that no
 * command can load.
 */
export const maxHidden = 4096;

const wholeNumberText = /^\s*\d+\s*$/;

/** A whole number in [min, max]. */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER, example?: string): (text: string) => number {
  const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
  const like = example ? `, like ${example}` : '';
  return (text) => {
    const n = Number(text);
    if (!wholeNumberText.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new SettingValueError(`Expected a whole number ${range}${like}.`);
    }
    return n;
  };
}

export const positiveWholeNumber = wholeNumber(1);
export const nonNegativeWholeNumber = wholeNumber(0);

function positiveNumber(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new SettingValueError('Expected a number greater than 0, like 0.05.');
  return n;
}

function nonNegativeNumber(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new SettingValueError('Expected a number of 0 or more, like 0.0001.');
  return n;
}

/** `--holdout`: a row count (0, 1, 2, ...) or a fraction strictly between 0 and 1. */
function heldOutRows(text: string): number {
  const n = Number(text);
  const isCount = wholeNumberText.test(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || (!isCount && n >= 1) || (isCount && !Number.isSafeInteger(n))) {
    throw new SettingValueError('Expected a row count (like 1000, or 0 for none) or a fraction between 0 and 1 (like 0.1).');
  }
  return n;
}

/** `--batch-size`: rows per step, or `0`/`full` for the whole training set. */
function batchRows(text: string): number {
  if (text.trim().toLowerCase() === 'full') return 0;
  const n = Number(text);
  if (!wholeNumberText.test(text) || !Number.isSafeInteger(n)) {
    throw new SettingValueError('Expected a number of rows (like 64), or 0 or "full" for full batch.');
  }
  return n;
}

/** The end of the help of an option whose default is the preset's value. */
const presetsDefault = "(preset's)";

const atLeastZero: StoredValue = { type: 'number', min: 0 };

const table: { readonly [K in SettingKey]: SettingSpec<K> } = {
  preset: {
    // No default: --resume must tell a --preset given from none, to refuse one that differs.
    option: {
      flags: '--preset <name>',
      description: 'seed (the original numpy run), default (when not given), or best',
      choices: presetNames,
    },
    resume: 'must equal',
    info: 'title',
    stored: { type: 'one of', values: presetNames },
  },
  hiddenSize: {
    option: {
      flags: '--hidden <n>',
      description: `hidden units, 1 to ${maxHidden} ${presetsDefault}`,
      parse: wholeNumber(1, maxHidden, String(presets.default.hiddenSize)),
    },
    resume: 'must equal',
    info: { row: (c) => ['hidden units', String(c.hiddenSize)] },
    presetRow: { value: (c) => String(c.hiddenSize) },
    stored: { type: 'whole number', min: 1 },
  },
  epochs: {
    option: {
      flags: '--epochs <n>',
      description: `passes over the training rows ${presetsDefault}`,
      parse: positiveWholeNumber,
      // The preset's plan goes with its epochs: its --iterations would override the epochs asked for. An
      // --iterations given too still wins, set after this.
      sets: (epochs) => ({ epochs: Number(epochs), iterations: null }),
    },
    resume: 'may only grow',
    info: { row: (c, count) => (c.iterations === null ? ['epochs', String(c.epochs)] : ['iterations', count(c.iterations)]) },
    presetRow: { value: (c) => (c.iterations === null ? String(c.epochs) : '-') },
    stored: { type: 'whole number', min: 1 },
  },
  iterations: {
    option: {
      flags: '--iterations <n>',
      description: `gradient steps in all; overrides --epochs ${presetsDefault}`,
      parse: positiveWholeNumber,
    },
    resume: 'may only grow',
    info: { partOf: 'epochs' },
    presetRow: { value: (c) => (c.iterations === null ? '-' : String(c.iterations)) },
    stored: { type: 'nullable', value: { type: 'whole number', min: 1 } },
  },
  batchSize: {
    option: {
      flags: '--batch-size <n>',
      description: `rows per step; 0 or full = full batch ${presetsDefault}`,
      parse: batchRows,
    },
    shown: (c) => `--batch-size ${batchText(c)}`,
    resume: 'must equal',
    info: { row: (c) => ['batch size', c.batchSize === 0 ? 'full batch' : String(c.batchSize)] },
    presetRow: { value: batchText },
    stored: { type: 'whole number', min: 0 },
  },
  learningRate: {
    option: { flags: '--lr <x>', description: `learning rate ${presetsDefault}`, parse: positiveNumber },
    resume: 'must equal',
    info: { row: (c) => ['learning rate', learningRateText(c)] },
    presetRow: { value: (c) => String(c.learningRate) },
    stored: { type: 'number', above: 0 },
  },
  optimizer: {
    option: { flags: '--optimizer <name>', description: `update rule ${presetsDefault}`, choices: optimizerNames },
    resume: 'must equal',
    info: { row: (c) => ['optimizer', optimizerText(c)] },
    presetRow: { value: (c) => c.optimizer },
    stored: { type: 'one of', values: optimizerNames },
  },
  momentum: {
    name: 'momentum',
    resume: 'must equal',
    info: { partOf: 'optimizer' },
    stored: { type: 'number', min: 0, max: 1 },
  },
  beta2: {
    name: 'beta2',
    resume: 'must equal',
    info: { partOf: 'optimizer' },
    stored: { type: 'number', min: 0, max: 1 },
  },
  schedule: {
    option: { flags: '--schedule <name>', description: `learning-rate schedule ${presetsDefault}`, choices: scheduleNames },
    resume: 'must equal',
    info: { partOf: 'learningRate' },
    presetRow: { value: (c) => c.schedule },
    stored: { type: 'one of', values: scheduleNames },
  },
  warmupEpochs: {
    name: 'warmup epochs',
    resume: 'must equal',
    info: { partOf: 'learningRate' },
    stored: { type: 'number', min: 0 },
  },
  weightDecay: {
    option: {
      flags: '--weight-decay <x>',
      description: `decoupled L2 weight decay ${presetsDefault}`,
      parse: nonNegativeNumber,
    },
    resume: 'must equal',
    info: { row: (c) => ['weight decay', String(c.weightDecay)] },
    presetRow: { value: (c) => String(c.weightDecay) },
    stored: { type: 'number', min: 0 },
  },
  init: {
    name: 'initialisation',
    resume: 'must equal',
    info: { row: (c) => ['initialisation', c.init] },
    stored: { type: 'one of', values: initSchemes },
  },
  holdout: {
    option: {
      flags: '--holdout <n>',
      description: `rows held out: a count or a fraction; 0 for none ${presetsDefault}`,
      parse: heldOutRows,
    },
    resume: 'must equal',
    info: {
      row: (c, count) => ['held out', c.holdout === 0 ? 'none' : c.holdout < 1 ? `${c.holdout} of the rows` : `${count(c.holdout)} rows`],
    },
    presetRow: { value: (c) => String(c.holdout) },
    stored: { type: 'number', min: 0 },
  },
  seed: {
    option: {
      flags: '--seed <n>',
      description: `seed for initialisation, shuffling and the held-out split (default ${defaultSeed})`,
      // The generator takes 32 bits.
      parse: wholeNumber(0, 2 ** 32 - 1, String(defaultSeed)),
      listed: 'after --resume',
    },
    resume: 'must equal',
    info: { row: (c) => ['seed', String(c.seed)] },
    stored: { type: 'whole number', min: 0 },
  },
  logEvery: {
    option: {
      flags: '--log-every <n>',
      description: `report every n iterations (default ${presets.default.logEvery})`,
      parse: positiveWholeNumber,
      listed: 'after --resume',
    },
    resume: 'may change',
    info: { row: (c) => ['report every', `${c.logEvery} iterations`] },
    stored: { type: 'whole number', min: 1 },
  },
  patience: {
    option: {
      flags: '--patience <n>',
      description: 'stop after n epochs without a better held-out accuracy, keeping the best weights',
      parse: positiveWholeNumber,
    },
    shown: (c) => (c.patience === null ? 'no --patience' : `--patience ${c.patience}`),
    resume: 'must equal',
    info: { row: (c) => ['patience', c.patience === null ? 'none (no early stopping)' : `${c.patience} evaluations`] },
    stored: { type: 'nullable', value: { type: 'whole number', min: 1 } },
  },
  augment: {
    option: {
      flags: '--no-augment',
      description: 'turn off the image augmentation of the default and best presets',
      sets: () => ({ augment: null }),
    },
    shown: (c) => (c.augment === null ? '--no-augment' : 'augmentation'),
    resume: 'must equal',
    info: { row: (c) => ['augmentation', augmentText(c.augment)] },
    presetRow: { name: 'augmentation', value: (c) => (c.augment ? 'on' : 'off') },
    stored: {
      type: 'nullable',
      value: {
        type: 'object',
        fields: {
          maxShift: atLeastZero,
          maxRotation: atLeastZero,
          maxScale: atLeastZero,
          elasticAlpha: atLeastZero,
          elasticSigma: atLeastZero,
        } satisfies Record<keyof AugmentSettings, StoredValue>,
      },
    },
  },
  deskew: {
    option: { flags: '--no-deskew', description: 'do not deskew images (straighten slanted digits) before the network sees them' },
    shown: (c) => (c.deskew ? 'deskewing' : '--no-deskew'),
    resume: 'must equal',
    info: 'as stored',
    presetRow: { name: 'deskewing', value: (c) => (c.deskew ? 'on' : 'off') },
    stored: { type: 'boolean' },
    // Files written before deskewing: those models read images as they are.
    whenAbsent: false,
  },
  cleanEpochs: {
    option: {
      flags: '--clean-epochs <n>',
      description: `the last n epochs of each network see the original rows, not augmented ones; same learning-rate schedule ${presetsDefault}`,
      parse: nonNegativeWholeNumber,
    },
    resume: 'must equal',
    info: {
      row: (c) => ['clean epochs', c.cleanEpochs === 0 ? 'none' : `the last ${c.cleanEpochs} of each network, without augmentation`],
    },
    presetRow: { value: (c) => String(c.cleanEpochs) },
    stored: { type: 'whole number', min: 0 },
    // Files written before clean epochs: every epoch augmented.
    whenAbsent: 0,
  },
  members: {
    option: {
      flags: '--members <n>',
      description:
        'trains n networks of --hidden units from different initialisations and joins them into one hidden layer of ' +
        `n x hidden units whose output is the average of theirs ${presetsDefault}`,
      parse: positiveWholeNumber,
    },
    resume: 'must equal',
    info: {
      row: (c) => [
        'networks',
        c.members === 1 ? '1' : `${c.members} of ${c.hiddenSize} hidden units, joined into one of ${c.members * c.hiddenSize}`,
      ],
    },
    presetRow: { value: (c) => String(c.members) },
    stored: { type: 'whole number', min: 1, max: 1 << 16 },
    // Files written before committees: a single network.
    whenAbsent: 1,
  },
};

/** Every setting of TrainConfig, in the table's order (the type of `table` makes sure none is left out). */
export const trainSettings: readonly Setting[] = (Object.keys(table) as SettingKey[]).map((key) => ({ key, ...table[key] }));

export function settingOf(key: SettingKey): Setting {
  return trainSettings.find((setting) => setting.key === key)!;
}

/** The option's flag ('--hidden'), or the words naming a setting that has no option. */
export function settingName(setting: Setting): string {
  return setting.option ? setting.option.flags.split(' ')[0]! : setting.name;
}

/** A configuration's value of the setting, as messages show it: `--hidden 256`. */
export function shownValue(setting: Setting, config: TrainConfig): string {
  return setting.shown ? setting.shown(config) : `${settingName(setting)} ${String(config[setting.key])}`;
}

/**
 * The settings the options given on the command line put over the preset (or the resumed run), from the value
 * of each option given (`valueOf` gives undefined for one not given). In table order, so that --iterations,
 * after --epochs, wins over it.
 */
export function settingsFromOptions(valueOf: (setting: Setting) => OptionValue | undefined): Partial<TrainConfig> {
  const given: Partial<TrainConfig> = {};
  for (const setting of trainSettings) {
    const { option } = setting;
    const value = option ? valueOf(setting) : undefined;
    if (!option || value === undefined) continue;
    Object.assign(given, option.sets ? option.sets(value) : { [setting.key]: value });
  }
  return given;
}

function batchText(config: TrainConfig): string {
  return config.batchSize === 0 ? 'full' : String(config.batchSize);
}

function learningRateText(config: TrainConfig): string {
  const warmup = config.warmupEpochs;
  return `${config.learningRate}, ${config.schedule} schedule` + (warmup > 0 ? `, ${warmup} warm-up epoch${warmup === 1 ? '' : 's'}` : '');
}

function optimizerText(config: TrainConfig): string {
  switch (config.optimizer) {
    case 'momentum':
    case 'nesterov':
      return `${config.optimizer}, momentum ${config.momentum}`;
    case 'adam':
      return `adam, beta1 ${config.momentum}, beta2 ${config.beta2}`;
    default:
      return config.optimizer;
  }
}

function augmentText(augment: AugmentSettings | null): string {
  if (!augment) return 'none';
  const parts = [`shift ±${augment.maxShift} px`, `rotate ±${augment.maxRotation}°`, `scale ±${Math.round(augment.maxScale * 100)}%`];
  if (augment.elasticAlpha > 0) parts.push(`elastic ${augment.elasticAlpha} (sigma ${augment.elasticSigma})`);
  return parts.join(', ');
}
