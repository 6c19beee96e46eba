/**
 * The one error type the program shows to people. The core throws it with a message written for the user and
 * the exit code the contract gives; `src/cli.ts` is the only place that turns it into output and an exit.
 */

/** Exit codes from the command-line contract. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  badInput: 2,
  interrupted: 130,
  terminated: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class DigitsError extends Error {
  readonly exitCode: ExitCode;
  /** Further lines shown under the message (for example more CSV problems, or a hint). */
  readonly details: readonly string[];

  constructor(message: string, exitCode: ExitCode = ExitCode.badInput, details: readonly string[] = []) {
    super(message);
    this.name = 'DigitsError';
    this.exitCode = exitCode;
    this.details = details;
  }
}

/** Bad input: a CSV, a model file or an option the user gave. Exit code 2. */
export function inputError(message: string, details: readonly string[] = []): DigitsError {
  return new DigitsError(message, ExitCode.badInput, details);
}

/** A failure while working (disk full, unreadable folder, divergence). Exit code 1. */
export function failure(message: string, details: readonly string[] = []): DigitsError {
  return new DigitsError(message, ExitCode.failure, details);
}

/** Node's system errors carry a `code` such as ENOENT; this narrows `unknown` to them. */
export function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}

/** What a file-system error code means, in a few words (without the path). */
export function fileProblem(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    case 'EIO':
      return 'input/output error (the disk or network drive may be failing)';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'EBUSY':
      return 'the file is busy';
    default:
      // Node's message repeats the code, the system call and the path; keep only the reason.
      return (error.message.replace(/^[A-Z0-9_]+: /, '').replace(/, \w+ '.*'$/, '') || String(error.code)).trim();
  }
}

/**
 * A one-line, user-facing explanation of a file-system error on `path`. Missing files and directories speak for
 * themselves; for everything else the line also says what was being done.
 */
export function describeFileError(error: NodeJS.ErrnoException, path: string, doing: string): string {
  switch (error.code) {
    case 'ENOENT':
    case 'EISDIR':
    case 'ENOTDIR':
      return `${path}: ${fileProblem(error)}`;
    default:
      return `${path}: ${fileProblem(error)} (while ${doing})`;
  }
}

/** True for the error a write to a closed pipe gives (`digits predict ... | head`). */
export function isBrokenPipe(error: unknown): boolean {
  return isSystemError(error) && (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED');
}
