/**
 * Atomic file writes: the content goes to a temporary file in the same folder, is flushed to disk, and is
 * renamed over the target, so that a crash or `kill -9` at any moment leaves either the old file or the new one.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describeFileError, failure, isSystemError } from '../errors.js';

/** The temporary name used while writing `path`: hidden, in the same folder, unique to this process. */
export function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
}

/** Writes `content` to `path` atomically. Throws a DigitsError (exit 1) naming the path on failure. */
export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  const temporary = temporaryPathFor(path);
  let fd: number | undefined;
  try {
    fd = openSync(temporary, 'wx', 0o644);
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temporary);
    } catch {
      // The temporary file may never have been created.
    }
    if (isSystemError(error)) {
      throw failure(describeFileError(error, path, 'writing'), ['The previous file, if any, is unchanged.']);
    }
    throw error;
  }
}
