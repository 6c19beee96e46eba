/**
 * Training configurations. `seed` is the original numpy network's run, reproduced faithfully; `default` is what
 * `digits train` does; `best` trades time for the last points of accuracy. Options on the command line
 * override a preset's values one by one.
 */
import type { InitScheme } from '../nn/network.js';
import type { OptimizerName, ScheduleName } from '../nn/optimizers.js';
import type { AugmentSettings } from '../data/augment.js';

export type PresetName = 'seed' | 'default' | 'best';
export const presetNames: readonly PresetName[] = ['seed', 'default', 'best'];

export interface TrainConfig {
  readonly preset: PresetName;
  readonly hiddenSize: number;
  /** Passes over the training rows; ignored when `iterations` is set. */
  readonly epochs: number;
  /** Gradient steps in all; null to run `epochs` whole epochs. */
  readonly iterations: number | null;
  /** Rows per step; 0 means the whole training set (full-batch gradient descent). */
  readonly batchSize: number;
  readonly learningRate: number;
  readonly optimizer: OptimizerName;
  readonly momentum: number;
  readonly beta2: number;
  readonly weightDecay: number;
  readonly schedule: ScheduleName;
  readonly warmupEpochs: number;
  readonly init: InitScheme;
  /** Rows held out: a count (>= 1) or a fraction (0 < x < 1); 0 for none. */
  readonly holdout: number;
  readonly seed: number;
  readonly logEvery: number;
  /** Stop after this many epochs (or reports, full batch) without a better held-out accuracy; null: never. */
  readonly patience: number | null;
  readonly augment: AugmentSettings | null;
  /**
   * Networks of `hiddenSize` units trained one after another from different initialisations, then joined into
   * one hidden layer of members * hiddenSize units whose output is the average of theirs (1: a single network).
   */
  readonly members: number;
  /** The last this-many epochs of each network see the original rows, not augmented ones (0: none). */
  readonly cleanEpochs: number;
  /** Images are deskewed (data/deskew.ts) before the network sees them, in training and in every prediction. */
  readonly deskew: boolean;
}

export const defaultSeed = 42;

const seedPreset: TrainConfig = {
  preset: 'seed',
  hiddenSize: 10,
  epochs: 500,
  iterations: 500,
  batchSize: 0,
  learningRate: 0.1,
  optimizer: 'sgd',
  momentum: 0,
  beta2: 0,
  weightDecay: 0,
  schedule: 'constant',
  warmupEpochs: 0,
  init: 'uniform',
  holdout: 1000,
  seed: defaultSeed,
  logEvery: 10,
  patience: null,
  augment: null,
  members: 1,
  cleanEpochs: 0,
  deskew: false,
};

const defaultPreset: TrainConfig = {
  preset: 'default',
  hiddenSize: 256,
  epochs: 12,
  iterations: null,
  batchSize: 64,
  learningRate: 0.05,
  optimizer: 'nesterov',
  momentum: 0.9,
  beta2: 0.999,
  weightDecay: 1e-4,
  schedule: 'cosine',
  warmupEpochs: 0,
  init: 'he',
  holdout: 0.1,
  seed: defaultSeed,
  logEvery: 10,
  patience: null,
  // Small random shifts, rotations and scalings: without them the network memorises the 37,800 training
  // rows (99.9% train accuracy) and held-out accuracy stalls near 97.6%; with them it reaches about 98.6%.
  augment: { maxShift: 2, maxRotation: 10, maxScale: 0.1, elasticAlpha: 0, elasticSigma: 4 },
  members: 1,
  cleanEpochs: 0,
  deskew: true,
};

const bestPreset: TrainConfig = {
  ...defaultPreset,
  preset: 'best',
  // Simard et al.'s 800 hidden units and elastic distortions, with only mild shifts, rotations and scaling: the
  // full affine range on top of elastic distortion is more than one hidden layer can fit (seed 1, 40 epochs,
  // without deskewing: 98.71% with rotations up to 12 degrees, 98.93% with this mix). Deskewing, inherited from
  // default, changed little here (seeds 1/2/3: 98.98/98.88/99.05% without, 99.00/98.81/99.14% with). Measured on
  // seed 1 and not kept: three networks of 400 joined (--members 3: 98.83%, against 98.67-98.93% for its
  // networks alone), three clean final epochs (98.95% against 98.93%), and, on seed 2, a bank of elastic fields
  // drawn afresh every 256 batches (98.79% against 98.81%). Training longer is what helped (1,200 units for 40
  // epochs gave 98.90% on seed 2): seeds 1/2/3 gave 99.00/98.81/99.14% after 40 epochs, 99.14/98.95/99.26% after
  // 80 and 99.17/99.02/99.26% after 100, in 11-12 minutes here.
  hiddenSize: 800,
  epochs: 100,
  batchSize: 128,
  learningRate: 0.05,
  weightDecay: 5e-5,
  warmupEpochs: 1,
  augment: { maxShift: 1, maxRotation: 5, maxScale: 0.05, elasticAlpha: 2.5, elasticSigma: 4 },
};

export const presets: Readonly<Record<PresetName, TrainConfig>> = {
  seed: seedPreset,
  default: defaultPreset,
  best: bestPreset,
};
