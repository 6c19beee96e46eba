/**
 * Atomic file writes: the content goes to a temporary file in the same folder, is flushed to disk, and is
 * renamed over the target, so that a crash or `kill -9` at any moment leaves either the old file or the new one.
 * A write that fails (a full disk, a read-only folder) removes its temporary file and leaves the target as it was.
 * A symbolic link is written through (the file it points to is replaced; the link stays), and a device, FIFO or
 * socket is written into directly, as the shell's `>` would: renaming over those would replace them.
 */
import {
  accessSync,
  closeSync,
  constants,
  fsyncSync,
  openSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { failure, fileProblem, inputError, isSystemError } from '../errors.js';

/**
 * The temporary name used while writing `path`: hidden, in the same folder, unique to this process (whose
 * writes are synchronous, so one at a time). Opening it with 'wx' refuses to reuse a name that exists.
 */
export function temporaryPathFor(path: string): string {
  return join(dirname(path), `${temporaryPrefix(path)}${process.pid}.${Date.now().toString(36)}.tmp`);
}

/** Bytes of the target's name kept in a temporary file's: the rest of 255 is for the dot, pid, time and .tmp. */
const maxNameInTemporary = 200;

/**
 * How the temporary files of `path` begin: a dot and its name, cut short for a long name, so that the temporary
 * file's name stays within the 255 bytes file systems allow (a legal 245-byte name would otherwise fail).
 */
function temporaryPrefix(path: string): string {
  // Whole characters (code points) are dropped, so that the cut never splits one.
  const characters = Array.from(basename(path));
  while (Buffer.byteLength(characters.join('')) > maxNameInTemporary) characters.pop();
  return `.${characters.join('')}.`;
}

const unchangedHint = 'Nothing was changed: any previous file there is as it was.';
const incompleteHint = 'The output is incomplete; do not use it.';

/**
 * What a file is written from: text, bytes, or a function giving the text in pieces, which are written one after
 * the other and never joined. The function gives them afresh at each call: a failure goes through them again for
 * the size it reports.
 */
export type FileContent = string | Uint8Array | (() => Iterable<string>);

/**
 * Writes `content` to `path` atomically (or, for a device, FIFO or socket, directly). Throws a DigitsError
 * (exit 1) on failure, naming the file as `shownAs` (the path as the user gave it; `path` by default).
 */
export function writeFileAtomic(path: string, content: FileContent, shownAs = path): void {
  const target = writeTargetOrFail(path, shownAs);
  if (isSpecialFile(target)) {
    writeInPlace(target, content, shownAs);
    return;
  }
  removeStaleTemporaries(target);
  // Beside the real file, not beside the link: a rename only replaces a file within its own folder.
  const temporary = temporaryPathFor(target);
  let fd: number | undefined;
  try {
    fd = openSync(temporary, 'wx', 0o644);
    writeAll(fd, content);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, target);
  } catch (error) {
    if (fd !== undefined) closeQuietly(fd);
    unlinkQuietly(temporary);
    if (isSystemError(error)) throw writeFailure(error, shownAs, byteLength(content));
    throw error;
  }
  syncFolder(dirname(target));
}

/** Writes all of `content` at the file's current position, a piece at a time. */
function writeAll(fd: number, content: FileContent): void {
  const pieces: Iterable<string | Uint8Array> = typeof content === 'function' ? content() : [content];
  for (const piece of pieces) {
    const bytes = typeof piece === 'string' ? Buffer.from(piece) : piece;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
  }
}

function byteLength(content: FileContent): number {
  if (content instanceof Uint8Array) return content.length;
  if (typeof content === 'string') return Buffer.byteLength(content);
  let bytes = 0;
  for (const piece of content()) bytes += Buffer.byteLength(piece);
  return bytes;
}

/**
 * The file a write to `path` lands in: `path` with its symbolic links followed to the end of the chain, even
 * when the last one points to a file that does not exist yet (which the write then creates, as `>` would).
 * Throws the system's ELOOP for a loop of links.
 */
export function writeTarget(path: string): string {
  let current = resolve(path);
  for (let hops = 0; hops < maxLinkHops; hops++) {
    let link: string;
    try {
      link = readlinkSync(current);
    } catch {
      return current; // not a link (EINVAL), or nothing there yet (ENOENT)
    }
    // Relative to the link's real folder, as the kernel reads it: `..` after a linked folder leaves the real one.
    current = resolve(realFolder(dirname(current)), link);
  }
  statSync(current); // still a link after that many: a loop, which stat reports as ELOOP
  return current;
}

/** Linux follows at most 40 links in a path; a longer chain is a loop or as good as one. */
const maxLinkHops = 40;

function realFolder(folder: string): string {
  try {
    return realpathSync(folder);
  } catch {
    return folder; // missing: the write will say so
  }
}

function writeTargetOrFail(path: string, shownAs: string): string {
  try {
    return writeTarget(path);
  } catch (error) {
    if (isSystemError(error)) throw writeFailure(error, shownAs);
    throw error;
  }
}

/** True for something that exists and is neither a regular file nor a directory: a device, FIFO or socket. */
function isSpecialFile(path: string): boolean {
  try {
    const stats = statSync(path);
    return !stats.isFile() && !stats.isDirectory();
  } catch {
    return false;
  }
}

/**
 * Writes into a device, FIFO or socket as it is: no temporary file and no rename, which would put a regular
 * file in its place. Opening a FIFO waits for a reader, as `>` does. Not atomic, so a failure says the output
 * is incomplete.
 */
function writeInPlace(path: string, content: FileContent, shownAs: string): void {
  let fd: number | undefined;
  try {
    // Neither create nor truncate: it exists, and devices and FIFOs have nothing to truncate.
    fd = openSync(path, constants.O_WRONLY);
    writeAll(fd, content);
    closeSync(fd);
    fd = undefined;
  } catch (error) {
    if (fd !== undefined) closeQuietly(fd);
    if (isSystemError(error)) throw writeFailure(error, shownAs, byteLength(content), incompleteHint);
    throw error;
  }
}

/** What an output is, for the hint when a directory is given in its place. */
export interface OutputKind {
  readonly noun: string;
  readonly example: string;
}
export const modelOutput: OutputKind = { noun: 'the model', example: 'model.json' };

/**
 * Fails now, the way the real write would, if a file cannot be created beside `path` (a read-only or
 * unwritable folder): a long run should learn this before it starts, not when it saves.
 */
export function checkWritable(path: string, shownAs = path, kind: OutputKind = modelOutput): void {
  if (isDirectory(path)) {
    throw inputError(`cannot write ${shownAs}: it is a directory`, [`Give a file name for ${kind.noun}, like ${join(shownAs, kind.example)}`]);
  }
  const target = writeTargetOrFail(path, shownAs);
  if (isSpecialFile(target)) {
    // Opening a FIFO to test it would wait for a reader; asking is enough.
    try {
      accessSync(target, constants.W_OK);
    } catch (error) {
      if (isSystemError(error)) throw writeFailure(error, shownAs);
      throw error;
    }
    return;
  }
  const temporary = temporaryPathFor(target);
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

function writeFailure(error: NodeJS.ErrnoException, path: string, size?: number, hint = unchangedHint): Error {
  const needs = size !== undefined && (error.code === 'ENOSPC' || error.code === 'EDQUOT') ? ` (${megabytes(size)} needed)` : '';
  const reason = error.code === 'EISDIR' ? 'it is a directory' : fileProblem(error);
  return failure(`cannot write ${path}: ${reason}${needs}`, [hint]);
}

function megabytes(bytes: number): string {
  return bytes < 1e6 ? `${Math.ceil(bytes / 1e3)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * Removes temporary files that earlier writes of `path` left behind when their process was killed (kill -9,
 * a power cut). Only files of processes that no longer exist are touched.
 */
export function removeStaleTemporaries(path: string): void {
  const prefix = temporaryPrefix(path);
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
