/**
 * The one place errors become output (printError) and what signals do (createSignalHandler), tested directly;
 * the end-to-end tests spawn the program for the same behaviour.
 */
import { describe, expect, it } from 'vitest';
import { createSignalHandler, printError } from '../../src/cli.js';
import { DigitsError, ExitCode, failure, inputError } from '../../src/errors.js';
import type { StopFlag } from '../../src/commands/context.js';

function printed(error: unknown): { code: number; text: string } {
  let text = '';
  const code = printError(error, { write: (chunk: string) => (text += chunk) });
  return { code, text };
}

describe('printError', () => {
  it('prints a DigitsError as "error:" and its details, and returns its exit code', () => {
    expect(printed(inputError('train.csv:3: column 2 (pixel0): expected a whole number 0..255, got "x"', ['a hint']))).toEqual({
      code: 2,
      text: 'error: train.csv:3: column 2 (pixel0): expected a whole number 0..255, got "x"\n  a hint\n',
    });
    expect(printed(failure('cannot write m.json: no space left on the device')).code).toBe(1);
  });

  it('ends a closed pipe quietly with exit 0', () => {
    const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE', syscall: 'write' });
    expect(printed(epipe)).toEqual({ code: 0, text: '' });
  });

  it('explains a file-system error that escaped, without a stack trace', () => {
    const enospc = Object.assign(new Error("ENOSPC: no space left on device, write '/out/x'"), {
      code: 'ENOSPC',
      syscall: 'write',
      path: '/out/x',
    });
    expect(printed(enospc)).toEqual({ code: 1, text: 'error: /out/x: no space left on the device (while writing it)\n' });
  });

  it('calls anything else a bug, with one line and no stack trace', () => {
    const { code, text } = printed(new TypeError("Cannot read properties of undefined (reading 'x')"));
    expect(code).toBe(1);
    expect(text).toBe(
      "error: Cannot read properties of undefined (reading 'x')\n" +
        '  This is a bug in digits; run again with DEBUG=digits for the details, and please report it.\n',
    );
    expect(printed('a thrown string').text.split('\n')[0]).toBe('error: a thrown string');
  });
});

describe('signals', () => {
  function harness(graceful: boolean): { stop: StopFlag; log: string[]; exits: number[]; handle: (s: NodeJS.Signals) => void } {
    const stop: StopFlag = { requested: null, graceful, finished: false, finishWithoutReaders: false, serving: false };
    const log: string[] = [];
    const exits: number[] = [];
    const handle = createSignalHandler(stop, { write: (t) => log.push(t), exit: (c) => exits.push(c), terminal: false });
    return { stop, log, exits, handle };
  }

  it('during training, the first Ctrl-C asks to stop after the step; the second quits at once with 130', () => {
    const { stop, log, exits, handle } = harness(true);
    handle('SIGINT');
    expect(stop.requested).toBe('SIGINT');
    expect(exits).toEqual([]);
    expect(log.join('')).toContain('Stopping after this step to save the model (SIGINT); press Ctrl-C again to quit at once without saving.');
    handle('SIGINT');
    expect(exits).toEqual([ExitCode.interrupted]);
    expect(log.at(-1)).toBe('\nStopped at once; the model was not saved.\n');
  });

  it('while serving, the first Ctrl-C closes the server and says so; the second quits at once', () => {
    const { stop, log, exits, handle } = harness(true);
    stop.serving = true;
    handle('SIGINT');
    expect(log.join('')).toBe('\nStopping the server (SIGINT); press Ctrl-C again to quit at once.\n');
    handle('SIGINT');
    expect(exits).toEqual([ExitCode.interrupted]);
    expect(log.at(-1)).toBe('\nStopped at once.\n');
  });

  it('during training, SIGTERM stops after the step too, and a second one exits 143', () => {
    const { stop, exits, handle } = harness(true);
    handle('SIGTERM');
    expect(stop.requested).toBe('SIGTERM');
    handle('SIGTERM');
    expect(exits).toEqual([ExitCode.terminated]);
  });

  it('outside training (loading, predicting), a signal quits at once', () => {
    const { stop, log, exits, handle } = harness(false);
    handle('SIGINT');
    expect(stop.requested).toBeNull();
    expect(exits).toEqual([130]);
    expect(log).toEqual(['\nInterrupted (SIGINT).\n']);
    const term = harness(false);
    term.handle('SIGTERM');
    expect(term.exits).toEqual([143]);
  });

  it('once the command has finished, a signal changes nothing', () => {
    const { stop, log, exits, handle } = harness(true);
    stop.finished = true;
    handle('SIGINT');
    expect([stop.requested, log, exits]).toEqual([null, [], []]);
  });

  it('on a terminal, the message takes the place of the line the cursor is on (a bar, and the ^C over it), wrapped at spaces', () => {
    const stop: StopFlag = { requested: null, graceful: true, finished: false, finishWithoutReaders: false, serving: false };
    const log: string[] = [];
    const handle = createSignalHandler(stop, { write: (t) => log.push(t), exit: () => undefined, terminal: true, width: () => 80 });
    handle('SIGINT');
    expect(log).toEqual([
      '\r\x1b[2KStopping after this step to save the model (SIGINT); press Ctrl-C again to quit\nat once without saving.\n',
    ]);
    handle('SIGINT');
    expect(log.slice(1)).toEqual(['\x1b[?25h', '\r\x1b[2KStopped at once; the model was not saved.\n']);
  });

  it('shows the cursor again on a terminal (a progress bar hides it)', () => {
    const stop: StopFlag = { requested: null, graceful: false, finished: false, finishWithoutReaders: false, serving: false };
    const log: string[] = [];
    createSignalHandler(stop, { write: (t) => log.push(t), exit: () => undefined, terminal: true })('SIGINT');
    expect(log[0]).toBe('\x1b[?25h');
  });
});

it('DigitsError defaults to exit code 2', () => {
  expect(new DigitsError('x').exitCode).toBe(2);
});
