/**
 * Atomic writes: a failure at any point (no space, a read-only folder, a failed rename) leaves the old file
 * byte for byte and no temporary file behind. The failures are injected into node:fs here, so these tests run
 * anywhere; test/e2e/errors.test.ts does the same on a real full tmpfs and a read-only mount where it can.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import * as realFs from 'node:fs';
import { join } from 'node:path';
import { collectOutput } from '../helpers/cli-process.js';
import { DigitsError } from '../../src/errors.js';
import { scratchFolder } from '../errors/cli.js';

/** Which fs call should fail next, and with what code. */
const inject: { call: 'openSync' | 'writeSync' | 'fsyncSync' | 'renameSync' | null; code: string } = { call: null, code: '' };

function systemError(code: string, syscall: string): NodeJS.ErrnoException {
  // Worded as Node words them: "CODE: reason, syscall 'path'".
  const reason = code === 'EXDEV' ? 'cross-device link not permitted' : 'injected failure';
  return Object.assign(new Error(`${code}: ${reason}, ${syscall} '/x/.m.json.tmp' -> '/x/m.json'`), { code, syscall, errno: -1 });
}

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const failing =
    <K extends 'openSync' | 'writeSync' | 'fsyncSync' | 'renameSync'>(name: K) =>
    (...args: unknown[]): unknown => {
      if (inject.call === name) throw systemError(inject.code, name.replace('Sync', ''));
      return (fs[name] as (...a: unknown[]) => unknown)(...args);
    };
  return {
    ...fs,
    default: fs,
    openSync: failing('openSync'),
    writeSync: failing('writeSync'),
    fsyncSync: failing('fsyncSync'),
    renameSync: failing('renameSync'),
  };
});

const { writeFileAtomic, checkWritable, removeStaleTemporaries } = await import('../../src/io/atomic.js');

const scratch = scratchFolder('atomic');
afterAll(() => scratch.remove());
afterEach(() => {
  inject.call = null;
});

function leftovers(): string[] {
  return realFs.readdirSync(scratch.path).filter((name) => name.endsWith('.tmp'));
}

const failures = [
  { call: 'openSync', code: 'EROFS', reason: 'the file system is read-only' },
  { call: 'openSync', code: 'EACCES', reason: 'permission denied' },
  { call: 'writeSync', code: 'ENOSPC', reason: 'no space left on the device (3 kB needed)' },
  { call: 'writeSync', code: 'EDQUOT', reason: 'disk quota exceeded (3 kB needed)' },
  { call: 'fsyncSync', code: 'EIO', reason: 'input/output error (the disk or network drive may be failing)' },
  { call: 'renameSync', code: 'EXDEV', reason: 'cross-device link not permitted' },
] as const;

describe('writeFileAtomic', () => {
  it.each(failures)('a failing $call ($code) keeps the old file and leaves nothing behind', ({ call, code, reason }) => {
    const target = join(scratch.path, 'model.json');
    realFs.writeFileSync(target, 'the old, good model');
    inject.call = call;
    inject.code = code;
    let caught: unknown;
    try {
      writeFileAtomic(target, 'x'.repeat(2500));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DigitsError);
    const error = caught as DigitsError;
    expect(error.message).toBe(`cannot write ${target}: ${reason}`);
    expect(error.details).toEqual(['Nothing was changed: any previous file there is as it was.']);
    expect(error.exitCode).toBe(1);
    expect(realFs.readFileSync(target, 'utf8')).toBe('the old, good model');
    expect(leftovers()).toEqual([]);
  });

  it('replaces the file when nothing fails', () => {
    const target = join(scratch.path, 'fresh.json');
    realFs.writeFileSync(target, 'old');
    writeFileAtomic(target, 'new');
    expect(realFs.readFileSync(target, 'utf8')).toBe('new');
    expect(leftovers()).toEqual([]);
  });

  it('checkWritable finds an unwritable folder before a run starts, and a directory given as the file', () => {
    const target = join(scratch.path, 'later.json');
    inject.call = 'openSync';
    inject.code = 'EROFS';
    expect(() => checkWritable(target)).toThrow(`cannot write ${target}: the file system is read-only`);
    inject.call = null;
    expect(() => checkWritable(scratch.path)).toThrow(`cannot write ${scratch.path}: it is a directory`);
    checkWritable(target);
    expect(realFs.existsSync(target)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('writes a file whose name is as long as the file system allows (its temporary file\'s name is cut short)', () => {
    // 250 bytes: legal, but a temporary name of the whole name plus pid, time and .tmp would pass 255.
    const longName = `${'é'.repeat(100)}${'m'.repeat(46)}.json`;
    expect(Buffer.byteLength(longName)).toBe(251);
    const target = join(scratch.path, longName);
    writeFileAtomic(target, 'long');
    expect(realFs.readFileSync(target, 'utf8')).toBe('long');
    checkWritable(target);
    const dead = join(scratch.path, `.${'é'.repeat(100)}.2147483646.abc1.tmp`); // the cut name, a killed writer
    realFs.writeFileSync(dead, 'partial');
    removeStaleTemporaries(target);
    expect(realFs.existsSync(dead)).toBe(false);
    expect(leftovers()).toEqual([]);
    realFs.unlinkSync(target);
  });

  it('removes temporary files left by killed writers, but not those of running processes', () => {
    const target = join(scratch.path, 'm.json');
    const dead = join(scratch.path, '.m.json.2147483646.abc1.tmp'); // no such process (above pid_max)
    const alive = join(scratch.path, `.m.json.${process.ppid}.abc2.tmp`);
    const other = join(scratch.path, '.other.json.2147483646.abc3.tmp');
    for (const path of [dead, alive, other]) realFs.writeFileSync(path, 'partial');
    removeStaleTemporaries(target);
    expect([dead, alive, other].map((p) => realFs.existsSync(p))).toEqual([false, true, true]);
    for (const path of [alive, other]) realFs.unlinkSync(path);
  });
});

/** Reads a FIFO with `cat`, as a consumer of the output would; `stop` ends it if no writer ever comes. */
function readFifo(path: string): { text: Promise<string>; stop(): void } {
  const reader = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'pipe'] });
  return { text: collectOutput(reader).then((result) => result.stdout), stop: () => reader.kill() };
}

describe('writeFileAtomic through links and into special files', () => {
  it('through a symbolic link, replaces the file it points to and leaves the link a link', () => {
    const elsewhere = join(scratch.path, 'elsewhere');
    realFs.mkdirSync(elsewhere);
    realFs.writeFileSync(join(elsewhere, 'real.csv'), 'old');
    const link = join(scratch.path, 'link.csv');
    realFs.symlinkSync('elsewhere/real.csv', link);
    writeFileAtomic(link, 'new');
    expect(realFs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(realFs.readlinkSync(link)).toBe('elsewhere/real.csv');
    expect(realFs.readFileSync(join(elsewhere, 'real.csv'), 'utf8')).toBe('new');
    expect(leftovers()).toEqual([]);
    expect(realFs.readdirSync(elsewhere)).toEqual(['real.csv']);
  });

  it('through a link to a file not there yet, creates that file', () => {
    const link = join(scratch.path, 'ahead.json');
    realFs.symlinkSync('created-later.json', link);
    writeFileAtomic(link, 'new');
    expect(realFs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(realFs.readFileSync(join(scratch.path, 'created-later.json'), 'utf8')).toBe('new');
  });

  it('writes into a FIFO as it is, for whoever reads it, and leaves it a FIFO', async () => {
    const fifo = join(scratch.path, 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    const reader = readFifo(fifo);
    try {
      writeFileAtomic(fifo, 'ImageId,Label\n1,7\n');
      expect(realFs.lstatSync(fifo).isFIFO()).toBe(true);
      expect(await reader.text).toBe('ImageId,Label\n1,7\n');
      expect(leftovers()).toEqual([]);
    } finally {
      reader.stop();
      realFs.rmSync(fifo, { force: true });
    }
  });

  it('a failing write into a FIFO or device (ENOSPC) is reported, and says the output is incomplete', async () => {
    const fifo = join(scratch.path, 'full.csv');
    execFileSync('mkfifo', [fifo]);
    const link = join(scratch.path, 'full-link.csv');
    realFs.symlinkSync('full.csv', link);
    const reader = readFifo(fifo);
    try {
      inject.call = 'writeSync';
      inject.code = 'ENOSPC';
      let caught: unknown;
      try {
        writeFileAtomic(link, 'x'.repeat(2500), 'full-link.csv');
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(DigitsError);
      const error = caught as DigitsError;
      expect(error.message).toBe('cannot write full-link.csv: no space left on the device (3 kB needed)');
      expect(error.details).toEqual(['The output is incomplete; do not use it.']);
      expect(error.exitCode).toBe(1);
      expect(realFs.lstatSync(fifo).isFIFO()).toBe(true);
      expect(realFs.lstatSync(link).isSymbolicLink()).toBe(true);
    } finally {
      inject.call = null;
      reader.stop();
      realFs.rmSync(fifo, { force: true });
    }
  });

  it('checkWritable asks a FIFO whether it can be written, without waiting for a reader', () => {
    const fifo = join(scratch.path, 'unread.csv');
    execFileSync('mkfifo', [fifo]);
    try {
      checkWritable(fifo);
      expect(realFs.lstatSync(fifo).isFIFO()).toBe(true);
    } finally {
      realFs.rmSync(fifo, { force: true });
    }
  });
});
