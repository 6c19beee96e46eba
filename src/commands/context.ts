/** What every command gets from the CLI: its streams, colours and the interrupt flag. */
import type { ChalkInstance } from 'chalk';

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
}

export interface CommandContext {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly chalk: ChalkInstance;
  readonly stop: StopFlag;
  readonly cwd: string;
}
