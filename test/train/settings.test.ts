/**
 * The settings table (src/train/settings.ts) against everything that reads it: one entry per field of a
 * configuration, and the presets, `train --help` (its options and its table of presets), `digits info`, --resume
 * and the model file's checks each treating every setting as the table says.
 */
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.js';
import type { StopFlag } from '../../src/commands/context.js';
import { DigitsError } from '../../src/errors.js';
import { modelFromJson } from '../../src/model/read.js';
import { presetNames, presets, type TrainConfig } from '../../src/train/presets.js';
import {
  settingName,
  settingOf,
  settingsFromOptions,
  shownValue,
  trainSettings,
  type OptionValue,
  type Setting,
  type SettingKey,
} from '../../src/train/settings.js';
import { count } from '../../src/ui/format.js';
import { presetTable } from '../../src/ui/help.js';
import { hyperparameterRows } from '../../src/ui/info.js';
import { smallModelJson } from '../errors/fixtures.js';

const keys = trainSettings.map((setting) => setting.key);

function ownRow(setting: Setting): ((config: TrainConfig) => readonly [string, string]) | null {
  const { info } = setting;
  return typeof info === 'object' && 'row' in info ? (config) => info.row(config, count) : null;
}

describe('the settings table', () => {
  it.each(presetNames)('has one entry for every field of the %s preset, and no other', (name) => {
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort()).toEqual(Object.keys(presets[name]).sort());
  });

  it('names every setting once: by its option, or in words for what only a preset sets', () => {
    const names = trainSettings.map(settingName);
    expect(names.every((name) => name.length > 0)).toBe(true);
    expect(new Set(names).size).toBe(names.length);
    for (const setting of trainSettings) if (setting.option) expect(settingName(setting)).toMatch(/^--[a-z-]+$/);
  });

  it('lets --resume change only how long a run goes and how often it reports', () => {
    const free = trainSettings.filter((setting) => setting.resume !== 'must equal').map((setting) => [setting.key, setting.resume]);
    expect(free).toEqual([
      ['epochs', 'may only grow'],
      ['iterations', 'may only grow'],
      ['logEvery', 'may change'],
    ]);
  });

  it('shows a value in messages by the option that would give it', () => {
    const config = presets.default;
    for (const setting of trainSettings.filter((s) => s.option && !s.option.flags.startsWith('--no-'))) {
      expect(shownValue(setting, config)).toContain(settingName(setting));
    }
    expect(shownValue(settingOf('augment'), { ...config, augment: null })).toBe('--no-augment');
    expect(shownValue(settingOf('deskew'), { ...config, deskew: false })).toBe('--no-deskew');
  });
});

describe('options given', () => {
  const given = (values: Partial<Record<SettingKey, OptionValue>>): Partial<TrainConfig> => settingsFromOptions((setting) => values[setting.key]);

  it('set their settings, and nothing for the options not given', () => {
    expect(given({})).toEqual({});
    expect(given({ hiddenSize: 32, learningRate: 0.1, optimizer: 'adam' })).toEqual({ hiddenSize: 32, learningRate: 0.1, optimizer: 'adam' });
    expect(given({ augment: false, deskew: false })).toEqual({ augment: null, deskew: false });
  });

  it("drop the preset's --iterations for --epochs, unless --iterations is given too", () => {
    expect(given({ epochs: 3 })).toEqual({ epochs: 3, iterations: null });
    expect(given({ epochs: 3, iterations: 7 })).toEqual({ epochs: 3, iterations: 7 });
  });
});

describe('train --help', () => {
  const stop: StopFlag = { requested: null, graceful: false, finished: false, finishWithoutReaders: false, serving: false };
  const train = buildProgram({ stop, exitCode: 0 }).commands.find((command) => command.name() === 'train')!;

  it("lists every setting's option in the table's order, with --resume before the run's seed and report interval", () => {
    const flags = train.options.map((option) => option.flags);
    const withOptions = trainSettings.filter((setting) => setting.option);
    const expected = [
      ...withOptions.filter((setting) => !setting.option!.listed).map((setting) => setting.option!.flags),
      '--resume <model>',
      ...withOptions.filter((setting) => setting.option!.listed === 'after --resume').map((setting) => setting.option!.flags),
    ];
    const start = flags.indexOf(expected[0]!);
    expect(flags.slice(start, start + expected.length)).toEqual(expected);
    for (const setting of withOptions) {
      const option = train.options.find((o) => o.flags === setting.option!.flags)!;
      expect(option.description).toBe(setting.option!.description);
      expect(option.argChoices).toEqual(setting.option!.choices);
    }
  });

  it("gives each preset's value in the presets' table, a row for each setting that has one", () => {
    const lines = presetTable().trim().split('\n').slice(1);
    expect(lines[0]!.trim().split(/\s+/)).toEqual([...presetNames]);
    const withRows = trainSettings.filter((setting) => setting.presetRow);
    expect(lines.slice(1).map((line) => line.trim().split(/\s+/))).toEqual(
      withRows.map((setting) => [setting.presetRow!.name ?? settingName(setting), ...presetNames.map((name) => setting.presetRow!.value(presets[name]))]),
    );
  });

  it("shows a change of each setting in its row of the presets' table", () => {
    const base = presets.default;
    for (const setting of trainSettings.filter((s) => s.presetRow)) {
      const changed = { ...base, [setting.key]: otherValue(setting, base[setting.key]) } as TrainConfig;
      expect(setting.presetRow!.value(changed), setting.key).not.toBe(setting.presetRow!.value(base));
    }
  });
});

describe('digits info', () => {
  it.each(presetNames)('shows the settings of the %s preset in words, in the order of the table, then the rest as stored', (name) => {
    const config = presets[name];
    const inWords = trainSettings.flatMap((setting) => {
      const row = ownRow(setting);
      return row ? [[...row(config)]] : [];
    });
    const asStored = trainSettings.filter((setting) => setting.info === 'as stored').map(({ key }) => [key, JSON.stringify(config[key])]);
    expect(hyperparameterRows(config)).toEqual([...inWords, ...asStored]);
  });

  it('shows a change of each setting in its own row, or in the row it is part of', () => {
    // Adam and a warm-up, so that every optimiser and schedule setting is shown.
    const base: TrainConfig = { ...presets.default, optimizer: 'adam', warmupEpochs: 1 };
    const rowIndex = (setting: Setting): number => {
      const holder = typeof setting.info === 'object' && 'partOf' in setting.info ? settingOf(setting.info.partOf) : setting;
      expect(ownRow(holder), `${setting.key} is shown in ${holder.key}'s row`).not.toBeNull();
      return trainSettings.filter((s) => ownRow(s)).indexOf(holder);
    };
    for (const setting of trainSettings.filter((s) => s.info !== 'title')) {
      const changed = { ...base, [setting.key]: otherValue(setting, base[setting.key]) } as TrainConfig;
      const at = setting.info === 'as stored' ? hyperparameterRows(base).findIndex(([key]) => key === setting.key) : rowIndex(setting);
      expect(hyperparameterRows(changed)[at], setting.key).not.toEqual(hyperparameterRows(base)[at]);
    }
  });
});

describe('model files', () => {
  const configOf = (json: ReturnType<typeof smallModelJson>): Record<string, unknown> => json.training.config as unknown as Record<string, unknown>;

  it('check every setting of the configuration, naming its field', () => {
    for (const { key } of trainSettings) {
      const json = smallModelJson();
      configOf(json)[key] = 'not a setting';
      let message = '';
      try {
        modelFromJson(json, 'M');
      } catch (error) {
        if (!(error instanceof DigitsError)) throw error;
        message = error.message;
      }
      expect(message).toMatch(new RegExp(`^M: training\\.config\\.${key} is "not a setting", expected `));
    }
  });

  it('give a file written before a setting existed the value its model was trained with', () => {
    const json = smallModelJson();
    const absent = trainSettings.filter((setting) => setting.whenAbsent !== undefined);
    for (const { key } of absent) delete configOf(json)[key];
    delete (json.normalization as { deskew?: boolean }).deskew;
    const config = modelFromJson(json, 'M').training.config;
    for (const { key, whenAbsent } of absent) expect(config[key], key).toEqual(whenAbsent);
  });
});

/** Another value of the setting's type, for seeing that a view shows the change. */
function otherValue(setting: Setting, value: unknown): unknown {
  const { stored } = setting;
  const choices = stored.type === 'one of' ? stored.values : null;
  if (choices) return choices.find((choice) => choice !== value);
  if (value === null) return stored.type === 'nullable' && stored.value.type === 'object' ? {} : 7;
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'boolean') return !value;
  return null;
}
