/**
 * Parsers for the values of the options that are not training settings (those are in train/settings.ts), and
 * the adapter that hands any parser to commander. Commander puts the option and the value in front of a refusal
 * ("option '--threads <n>' argument '0' is invalid."), so each message is the second sentence. Negative numbers
 * arrive here too: commander takes the word after an option that needs a value as that value, even when it
 * starts with "-".
 */
import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from 'commander';
import { nonNegativeWholeNumber, positiveWholeNumber, SettingValueError, wholeNumber, type OptionValue } from '../train/settings.js';

/** --kernels: the WebAssembly SIMD kernels, the TypeScript ones, or (auto) the first where this Node.js runs them. */
export const kernelsChoices = ['auto', 'wasm', 'js'] as const;
export type KernelsChoice = (typeof kernelsChoices)[number];

/** A parser as commander takes it: a refused value becomes commander's "argument ... is invalid" message. */
export function optionParser<Value extends OptionValue>(parse: (text: string) => Value): (text: string) => Value {
  return (text) => {
    try {
      return parse(text);
    } catch (error) {
      if (error instanceof SettingValueError) throw new InvalidArgumentError(error.message);
      throw error;
    }
  };
}

export const positiveInt = optionParser(positiveWholeNumber);
export const nonNegativeInt = optionParser(nonNegativeWholeNumber);

/**
 * `--threads`: a training batch is split into one slice of rows per thread, and the default preset's batches
 * are 64 rows, so a 65th thread would have no rows; each thread is also a whole V8 instance, with the memory and
 * start-up time of one, so a thousand would cost gigabytes and most of a minute before any work. The default
 * (cores available) is held to the same limit.
 */
export const maxThreads = 64;
export const threadCount = optionParser(wholeNumber(1, maxThreads, '2'));

/** Threads when --threads is not given: the cores available, within the same limit. */
export function defaultThreads(): number {
  return Math.min(maxThreads, Math.max(1, availableParallelism()));
}

/** A comma-separated list of row numbers (1 = first data row), as `--rows 1,2,5` or ranges `1-8`. */
export function rowList(value: string): number[] {
  const rows: number[] = [];
  for (const part of value.split(',')) {
    const range = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!range) throw new InvalidArgumentError('Expected row numbers like 1,2,5 or 1-8 (1 is the first data row).');
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    if (from < 1 || to < from || to - from > 10000) throw new InvalidArgumentError('Expected row numbers from 1, ranges low-high.');
    for (let r = from; r <= to; r++) rows.push(r);
  }
  return rows;
}
