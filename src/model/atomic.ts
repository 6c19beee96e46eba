/**
 * Atomic file writes: the content goes to a temporary file in the same folder, is flushed to disk, and is
 * renamed over the target, so that a crash or `kill -9` at any moment leaves either the old file or the new one.
 * A write that fails (a full disk, a read-only folder) removes its temporary file and leaves the target as it was.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { failure, fileProblem, inputError, isSystemError } from '../errors.js';

/**
 * The temporary name used while writing `path`: hidden, in the same folder, unique to this process (whose
 * writes are synchronous, so one at a time). Opening it with 'wx' refuses to reuse a name that exists.
 */
export function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
}

/**
 * Writes `content` to `path` atomically. Throws a DigitsError (exit 1) on failure, naming the file as
 * `shownAs` (the path as the user gave it; `path` by default).
 */
export function writeFileAtomic(path: string, content: string | Uint8Array, shownAs = path): void {
  removeStaleTemporaries(path);
  const temporary = temporaryPathFor(path);
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  let fd: number | undefined;
  try {
    fd = openSync(temporary, 'wx', 0o644);
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, path);
  } catch (error) {
    if (fd !== undefined) closeQuietly(fd);
    unlinkQuietly(temporary);
    if (isSystemError(error)) throw writeFailure(error, shownAs, bytes.length);
    throw error;
  }
  syncFolder(dirname(path));
}

/**
 * Fails now, the way the real write would, if a file cannot be created beside `path` (a read-only or
 * unwritable folder): a long run should learn this before it starts, not when it saves.
 */
export function checkWritable(path: string, shownAs = path): void {
  if (isDirectory(path)) {
    throw inputError(`cannot write ${shownAs}: it is a directory`, [`Give a file name for the model, like ${join(shownAs, 'model.json')}`]);
  }
  const temporary = temporaryPathFor(path);
  try {
    closeSync(openSync(temporary, 'wx', 0o644));
  } catch (error) {
    if (isSystemError(error)) throw writeFailure(error, shownAs);
    throw error;
  }
  unlinkQuietly(temporary);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function writeFailure(error: NodeJS.ErrnoException, path: string, size?: number): Error {
  const needs = size !== undefined && (error.code === 'ENOSPC' || error.code === 'EDQUOT') ? ` (${megabytes(size)} needed)` : '';
  const reason = error.code === 'EISDIR' ? 'it is a directory' : fileProblem(error);
  return failure(`cannot write ${path}: ${reason}${needs}`, ['Nothing was changed: any previous file there is as it was.']);
}

function megabytes(bytes: number): string {
  return bytes < 1e6 ? `${Math.ceil(bytes / 1e3)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * Removes temporary files that earlier writes of `path` left behind when their process was killed (kill -9,
 * a power cut). Only files of processes that no longer exist are touched.
 */
export function removeStaleTemporaries(path: string): void {
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length).split('.', 1)[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || processExists(pid)) continue;
    unlinkQuietly(join(dirname(path), name));
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isSystemError(error) && error.code === 'EPERM';
  }
}

/** Makes the rename itself durable; some file systems cannot sync a folder, which is fine. */
function syncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch {
    // Best effort only: the data is already safely in place.
  } finally {
    if (fd !== undefined) closeQuietly(fd);
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Closing after a failed write can fail too; the error that matters is already being reported.
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // The temporary file may never have been created.
  }
}
