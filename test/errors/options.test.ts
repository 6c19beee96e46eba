/** Option values: each parser accepts what its option means and refuses the rest saying what it accepts. */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from 'commander';
import { optionParser, positiveInt, threadCount } from '../../src/commands/options.js';
import { settingOf, type SettingKey } from '../../src/train/settings.js';

/** A training setting's parser, as the command line uses it. */
function parserOf(key: SettingKey): (value: string) => unknown {
  return optionParser(settingOf(key).option!.parse!);
}

function refusal(parse: (value: string) => unknown, value: string): string {
  try {
    parse(value);
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error.message;
    throw error;
  }
  throw new Error(`${JSON.stringify(value)} was accepted`);
}

const cases: ReadonlyArray<{ option: string; parse: (value: string) => unknown; good: Array<[string, unknown]>; bad: string[]; message: string }> = [
  {
    option: '--epochs, --iterations, --log-every, --patience, --max-errors',
    parse: positiveInt,
    good: [['1', 1], ['12', 12], [' 3 ', 3]],
    bad: ['0', '-1', '1.5', 'abc', '', '1e3', '0x10', '99999999999999999999'],
    message: 'Expected a whole number of at least 1.',
  },
  {
    option: '--hidden',
    parse: parserOf('hiddenSize'),
    good: [['1', 1], ['256', 256], ['4096', 4096]],
    bad: ['0', '-5', '4097', '1000000', '12.5', 'many'],
    message: 'Expected a whole number from 1 to 4096, like 256.',
  },
  {
    option: '--threads (train, predict, eval)',
    parse: threadCount,
    good: [['1', 1], ['2', 2], ['64', 64]],
    bad: ['0', '65', '1000', '-1', '1.5', 'all'],
    message: 'Expected a whole number from 1 to 64, like 2.',
  },
  {
    option: '--seed',
    parse: parserOf('seed'),
    good: [['0', 0], ['42', 42], ['4294967295', 4294967295]],
    bad: ['-1', '4294967296', '1.5', 'random'],
    message: 'Expected a whole number from 0 to 4294967295, like 42.',
  },
  {
    option: '--lr',
    parse: parserOf('learningRate'),
    good: [['0.05', 0.05], ['1e-3', 0.001], ['2', 2]],
    bad: ['0', '-0.1', 'abc', '', 'Infinity', 'NaN', '1e400'],
    message: 'Expected a number greater than 0, like 0.05.',
  },
  {
    option: '--weight-decay',
    parse: parserOf('weightDecay'),
    good: [['0', 0], ['1e-4', 0.0001]],
    bad: ['-1e-4', 'none', ''],
    message: 'Expected a number of 0 or more, like 0.0001.',
  },
  {
    option: '--holdout',
    parse: parserOf('holdout'),
    good: [['0', 0], ['1000', 1000], ['0.1', 0.1], ['0.999', 0.999]],
    bad: ['2.5', '1.0', '-0.1', '-5', 'abc', '', '1e3'],
    message: 'Expected a row count (like 1000, or 0 for none) or a fraction between 0 and 1 (like 0.1).',
  },
  {
    option: '--batch-size',
    parse: parserOf('batchSize'),
    good: [['64', 64], ['0', 0], ['full', 0], ['FULL', 0]],
    bad: ['-1', '6.4', 'half', ''],
    message: 'Expected a number of rows (like 64), or 0 or "full" for full batch.',
  },
];

describe.each(cases)('$option', ({ parse, good, bad, message }) => {
  it.each(good)('accepts %j as %j', (value, expected) => {
    expect(parse(value)).toBe(expected);
  });
  it.each(bad)('refuses %j, saying what it accepts', (value) => {
    expect(refusal(parse, value)).toBe(message);
  });
});
