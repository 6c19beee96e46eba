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

/** A one-line, user-facing explanation of a file-system error on `path`. */
export function describeFileError(error: NodeJS.ErrnoException, path: string, doing: string): string {
  switch (error.code) {
    case 'ENOENT':
      return `${path}: no such file (while ${doing})`;
    case 'EISDIR':
      return `${path}: is a directory, not a file`;
    case 'EACCES':
    case 'EPERM':
      return `${path}: permission denied (while ${doing})`;
    case 'EROFS':
      return `${path}: the file system is read-only (while ${doing})`;
    case 'ENOSPC':
      return `${path}: no space left on the device (while ${doing})`;
    case 'ENOTDIR':
      return `${path}: a part of the path is not a folder`;
    default:
      return `${path}: ${error.message} (while ${doing})`;
  }
}
