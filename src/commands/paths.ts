/**
 * Paths the commands default to, display of paths relative to where the user stands, and the checks made on
 * output paths before any work starts.
 */
import { mkdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeFileError, failure, inputError, isSystemError } from '../errors.js';
import { checkWritable, modelOutput, writeTarget, type OutputKind } from '../io/atomic.js';

/** The bundled sample of real Kaggle rows, used when `digits train` gets no file. */
export const bundledTrainFile = fileURLToPath(new URL('../../data/sample/train.csv.gz', import.meta.url));
export const defaultModelPath = 'models/model.json';

/** A path as short as possible for messages: relative to cwd when inside it. */
export function displayPath(path: string, cwd = process.cwd()): string {
  if (path === '-') return 'stdin';
  if (!isAbsolute(path)) return path;
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** Creates the folder an output file goes into, if it is missing. */
export function ensureParentFolder(path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    if (isSystemError(error)) throw failure(describeFileError(error, dirname(path), 'creating the output folder'));
    throw error;
  }
}

/**
 * Creates an output's folder and fails now if a file cannot be written there: a long run should learn of a
 * bad path before it starts, not when it saves.
 */
export function prepareOutput(path: string, cwd: string, kind: OutputKind = modelOutput): void {
  ensureParentFolder(path);
  checkWritable(path, displayPath(path, cwd), kind);
}

/** A file a command reads or writes, with what messages call it ("--out", "the training CSV"). */
export interface NamedPath {
  readonly name: string;
  readonly path: string;
}

/**
 * Refuses (exit 2), before anything is read or written, an output that is the same file as one of the inputs
 * or as an earlier output: writing it would destroy the input, or one output would overwrite the other.
 * Standard input (`-`) has no path to clash with.
 */
export function refuseOverwriting(outputs: readonly NamedPath[], inputs: readonly NamedPath[], cwd: string): void {
  const located = (file: NamedPath): LocatedPath => ({ ...file, ...locate(resolve(cwd, file.path)) });
  const readFrom = inputs.filter((input) => input.path !== '-').map(located);
  const writtenTo = outputs.map(located);
  const shown = (file: NamedPath): string => `${file.name} ${displayPath(resolve(cwd, file.path), cwd)}`;
  for (const [index, output] of writtenTo.entries()) {
    const input = readFrom.find((candidate) => sameFile(candidate, output));
    if (input) {
      throw inputError(`${shown(output)} is the same file as ${shown(input)}`, [
        `Writing there would destroy ${input.name}; give ${output.name} another path.`,
      ]);
    }
    const earlier = writtenTo.slice(0, index).find((candidate) => sameFile(candidate, output));
    if (earlier) {
      throw inputError(`${shown(output)} is the same file as ${shown(earlier)}`, [
        `One would overwrite the other; give ${output.name} another path.`,
      ]);
    }
  }
}

interface LocatedPath extends NamedPath {
  /** Where the path really leads: links followed, linked folders and `..` resolved. */
  readonly real: string;
  /** Device and inode, when the file exists: the same file reached through a bind mount or a hard link. */
  readonly identity: string | null;
}

function sameFile(a: LocatedPath, b: LocatedPath): boolean {
  return a.real === b.real || (a.identity !== null && a.identity === b.identity);
}

/**
 * Where `path` really leads, even for a file not written yet: the links in it followed (as the write will
 * follow them), then the deepest folder that exists resolved to its real path, with the rest appended.
 */
function locate(path: string): { real: string; identity: string | null } {
  let target: string;
  try {
    target = writeTarget(path);
  } catch {
    target = path; // a loop of links: the write will report it
  }
  let folder = dirname(target);
  let rest = basename(target);
  let real = target;
  for (;;) {
    try {
      real = join(realpathSync(folder), rest);
      break;
    } catch {
      if (dirname(folder) === folder) break;
      rest = join(basename(folder), rest);
      folder = dirname(folder);
    }
  }
  let identity: string | null = null;
  try {
    const stats = statSync(real);
    identity = `${stats.dev}:${stats.ino}`;
  } catch {
    // Not there yet: its real path is all there is to compare.
  }
  return { real, identity };
}
