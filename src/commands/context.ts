/** What every command gets from the CLI (its streams, colours and the interrupt flag), and its Reporter. */
import type { ChalkInstance } from 'chalk';
import { Reporter, type ProgressMode } from '../ui/reporter.js';

export interface StopFlag {
  /** The signal that asked the run to stop after the current step, if any. */
  requested: NodeJS.Signals | null;
  /**
   * True while a command can stop after its current step and save what it has (a training run, once its data
   * is loaded); at any other time Ctrl-C ends the program at once, without writing anything.
   */
  graceful: boolean;
  /** Set once the command has finished and the program is exiting. */
  finished: boolean;
  /**
   * True when the command's work outlives its readers: a training run's product is the model file, so a closed
   * stdout or stderr (`digits train --json | head -1`) only silences it. Otherwise a closed pipe ends the program.
   */
  finishWithoutReaders: boolean;
  /** True while serve runs: the first signal closes the server (there is no model to save). */
  serving: boolean;
}

export interface CommandContext {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly chalk: ChalkInstance;
  readonly stop: StopFlag;
  readonly cwd: string;
}

/** The options every command that reads data shares, for its Reporter. */
export interface OutputOptions {
  readonly progress: ProgressMode;
  readonly quiet: boolean;
  readonly json?: boolean;
  readonly logEvery?: number;
}

/** The command's Reporter, writing to the context's streams in its colours. */
export function commandReporter(options: OutputOptions, context: CommandContext): Reporter {
  return new Reporter({
    progress: options.progress,
    json: options.json ?? false,
    quiet: options.quiet,
    logEveryGiven: options.logEvery !== undefined,
    chalk: context.chalk,
    stderr: context.stderr,
    stdout: context.stdout,
  });
}
