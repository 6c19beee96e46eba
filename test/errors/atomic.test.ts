/**
 * Atomic writes: a failure at any point (no space, a read-only folder, a failed rename) leaves the old file
 * byte for byte and no temporary file behind. The failures are injected into node:fs here, so these tests run
 * anywhere; test/e2e/errors.test.ts does the same on a real full tmpfs and a read-only mount where it can.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import * as realFs from 'node:fs';
import { join } from 'node:path';
import { DigitsError } from '../../src/errors.js';
import { scratchFolder } from './cli.js';

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

const { writeFileAtomic, checkWritable, removeStaleTemporaries } = await import('../../src/model/atomic.js');

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
