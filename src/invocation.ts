/**
 * How the user started this program, as the words to type to run it again, so that a hint ("run digits eval")
 * names a command that works where the user is: after `npm ci` only `npx digits` does, not `digits`.
 * Ground level: imports nothing from the rest of src/, so every layer may use it.
 */
import { basename, delimiter, dirname, isAbsolute, relative, resolve } from 'node:path';

/** What the rule looks at: where node was asked to run, the environment and the working folder. */
export interface InvocationFacts {
  /** process.argv[1]: the script node runs, as given (a bin link keeps its own name, `digits`). */
  readonly script: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** The program's name, and what a hint says when the program was not started through its own bin file. */
const programName = 'digits';

/**
 * The command that starts the program the way it was started:
 * - `npx digits` when npm exec (npx) ran it through its bin link (npm puts npm_command=exec, or
 *   npm_lifecycle_event=npx, in the environment);
 * - `digits` when it ran through a bin link named digits in a folder on PATH;
 * - `node <script>` when node was given the script (bin/digits.js, or a link outside PATH): the path relative to
 *   the working folder when it is inside it, else absolute;
 * - `digits` when something else started it (a test runner or a program importing the modules).
 */
export function invocationOf(facts: InvocationFacts): string {
  const { script, env, cwd } = facts;
  if (!script) return programName;
  const name = basename(script);
  if (name !== programName && name !== `${programName}.js`) return programName;
  const throughLink = name === programName;
  if (throughLink && (env.npm_command === 'exec' || env.npm_lifecycle_event === 'npx')) return `npx ${programName}`;
  const folder = dirname(resolve(cwd, script));
  if (throughLink && (env.PATH ?? '').split(delimiter).some((entry) => entry !== '' && resolve(cwd, entry) === folder)) {
    return programName;
  }
  const absolute = resolve(cwd, script);
  const inside = relative(cwd, absolute);
  const shown = inside !== '' && !inside.startsWith('..') && !isAbsolute(inside) ? inside : absolute;
  return `node ${shellWord(shown)}`;
}

let current: string | undefined;

/** How this process was started: `npx digits`, `digits` or `node bin/digits.js` (see invocationOf). */
export function invocation(): string {
  current ??= invocationOf({ script: process.argv[1], env: process.env, cwd: process.cwd() });
  return current;
}

/** A word as a POSIX shell reads it: as it is when it is plain, else in single quotes. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
