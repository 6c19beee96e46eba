/** What every command gets from the CLI: its streams, colours and the interrupt flag. */
import type { ChalkInstance } from 'chalk';

export interface StopFlag {
  /** The signal that asked the run to stop after the current step, if any. */
  requested: NodeJS.Signals | null;
}

export interface CommandContext {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly chalk: ChalkInstance;
  readonly stop: StopFlag;
  readonly cwd: string;
}
