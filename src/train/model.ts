/**
 * A trained model as training makes it and every command uses it: the network's parameters, how its input is
 * prepared, and the record of the run that made it (configuration, data, history, optimiser state). The file
 * format that stores it is in model/.
 */
import type { Parameters } from '../nn/network.js';
import type { OptimizerState } from '../nn/optimizers.js';
import type { TrainConfig } from './presets.js';
import type { RestoredBest, StopReason, TrainingReport } from './trainer.js';

export interface TrainingDataRecord {
  /** Absolute path of the training file (`-` for standard input). */
  readonly path: string;
  readonly rows: number;
  readonly sha256: string;
  /** Row indices (0-based, data rows only: row r is on line r + 2) held out from training. */
  readonly heldOutRows: readonly number[];
}

export interface HeldOutMetrics {
  readonly accuracy: number;
  readonly rows: number;
  readonly standardError: number;
}

/** How one network of a committee ended, before the networks were joined. */
export interface MemberResult {
  /** The seed of its initialisation, shuffles and augmentation. */
  readonly seed: number;
  readonly stopReason: StopReason;
  /** Its own gradient steps and epochs. */
  readonly iterations: number;
  readonly epochs: number;
  /** Its own held-out accuracy (of the weights it kept); null without held-out rows. */
  readonly heldOutAccuracy: number | null;
  readonly restoredBest: RestoredBest | null;
}

/** What --resume needs to continue an interrupted committee exactly where it stopped. */
export interface CommitteeState {
  /** Networks trained to the end. */
  readonly done: number;
  /**
   * The networks' own parameter vectors (784-H-10 each, as trained, not joined): the `done` finished ones, then
   * the interrupted one when `current` is set. They cannot be recovered from the joined network (w2 / M rounds).
   */
  readonly members: readonly Float64Array[];
  /** The interrupted network: steps it took and its optimiser state; null when stopped between two networks. */
  readonly current: { readonly iteration: number; readonly optimizer: OptimizerState } | null;
}

export interface TrainingRecord {
  readonly config: TrainConfig;
  readonly stopReason: StopReason;
  readonly iterations: number;
  readonly totalIterations: number;
  readonly epochs: number;
  readonly elapsedSeconds: number;
  readonly threads: number;
  /** A single network's early stopping; null for a committee (see memberResults). */
  readonly restoredBest: RestoredBest | null;
  /** The held-out accuracy of the saved network (for a committee: of its networks joined). */
  readonly heldOut: HeldOutMetrics | null;
  /** A committee's networks, one entry per network joined into the saved one; null for a single network. */
  readonly memberResults: readonly MemberResult[] | null;
}

export interface Model {
  readonly params: Parameters;
  readonly classes: readonly number[];
  /** Pixels are divided by this before the first layer. */
  readonly pixelScale: number;
  /** Images are deskewed (data/deskew.ts) before they are divided and fed to the network. */
  readonly deskew: boolean;
  readonly training: TrainingRecord;
  readonly data: TrainingDataRecord;
  readonly history: readonly TrainingReport[];
  readonly optimizer: OptimizerState | null;
  /** An interrupted committee's networks, kept apart for --resume; null otherwise. */
  readonly committee: CommitteeState | null;
  readonly tool: { readonly name: string; readonly version: string };
  readonly createdAt: string;
}

