/** Wrapping for people: prose at spaces, shell commands in lines that paste back as one. */
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { wrapCommand, wrapWords } from '../../src/ui/format.js';

describe('wrapWords', () => {
  it('breaks at spaces, keeps lines that fit and the spaces inside a line, and a long word whole', () => {
    expect(wrapWords('short enough', 20)).toBe('short enough');
    expect(wrapWords('epoch   1  loss 0.2500  train 90.00%', 20)).toBe('epoch   1  loss\n0.2500  train 90.00%');
    expect(wrapWords('see /a/very/long/path/that/does/not/fit here', 12)).toBe('see\n/a/very/long/path/that/does/not/fit\nhere');
    expect(wrapWords('one two\nthree four', 8)).toBe('one two\nthree\nfour');
  });

  it("continues a line with its own leading spaces, or the indent given; colour codes take no room", () => {
    expect(wrapWords('  A real submission needs a model', 16)).toBe('  A real\n  submission\n  needs a model');
    expect(wrapWords('Look closer at these rows', 12, '    ')).toBe('Look closer\n    at these\n    rows');
    const chalk = new Chalk({ level: 1 });
    const wrapped = wrapWords(`held-out ${chalk.bold('97.25%')} of 400`, 15);
    expect(wrapped.split('\n').map((line) => line.replace(/\x1b\[[0-9;]*m/g, ''))).toEqual(['held-out 97.25%', 'of 400']);
  });
});

describe('wrapCommand', () => {
  it('breaks between pieces only, ending each line that goes on with a backslash', () => {
    const pieces = ['npx digits', 'show', 'train.csv', '--rows 1,2,3', '--model models/model.json'];
    expect(wrapCommand(pieces, 80, '  ')).toEqual(['  npx digits show train.csv --rows 1,2,3 --model models/model.json']);
    expect(wrapCommand(pieces, 40, '  ')).toEqual(['  npx digits show train.csv \\', '    --rows 1,2,3 \\', '    --model models/model.json']);
  });
});
