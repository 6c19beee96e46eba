/**
 * The training loop's reports, as the progress lines and the model's history show them: which steps are reported,
 * which reports are measured on the held-out rows and kept, whose network they are about, and what an interrupted
 * run keeps of the step it stopped at.
 */
import { describe, expect, it } from 'vitest';
import { toSparseRows } from '../../src/data/dataset.js';
import { heldOutCount, splitRows } from '../../src/data/split.js';
import { LocalEngine } from '../../src/nn/engine.js';
import { createParameters, initialise } from '../../src/nn/network.js';
import { Random } from '../../src/data/random.js';
import { presets, type TrainConfig } from '../../src/train/presets.js';
import { train, type TrainOptions, type TrainingOutcome, type TrainingReport } from '../../src/train/trainer.js';
import { sampleDataset } from '../helpers/sample-rows.js';

const dataset = sampleDataset(300);
// 240 training rows in batches of 32: 8 steps an epoch (the last of 16 rows), 16 in all; a report every 5 steps.
const small: TrainConfig = {
  ...presets.default,
  hiddenSize: 8,
  epochs: 2,
  batchSize: 32,
  holdout: 60,
  logEvery: 5,
  augment: null,
  deskew: false,
};

async function run(config: TrainConfig, options: TrainOptions = {}): Promise<{ sent: TrainingReport[]; outcome: TrainingOutcome }> {
  const shape = { inputSize: dataset.features, hiddenSize: config.hiddenSize, classCount: 10 };
  const split = splitRows(dataset.rows, heldOutCount(config.holdout, dataset.rows), config.seed);
  const params = createParameters(shape);
  initialise(params, config.init, new Random(config.seed));
  const input = toSparseRows(dataset.pixels, dataset.rows, dataset.features);
  const sent: TrainingReport[] = [];
  const events = { ...options.events, onReport: (report: TrainingReport) => void sent.push(report) };
  const outcome = await train(config, new LocalEngine(shape, params), { input, labels: dataset.labels!, split, augmenter: null }, {
    ...options,
    events,
  });
  return { sent, outcome };
}

const shown = (reports: readonly TrainingReport[]): [string, number, boolean][] =>
  reports.map((r) => [r.kind, r.iteration, r.heldOutAccuracy !== null]);

describe('reports', () => {
  it('mini-batch: every logEvery steps unmeasured, at each epoch end measured; only the epoch reports are kept', async () => {
    const { sent, outcome } = await run(small);
    expect(shown(sent)).toEqual([
      ['iteration', 5, false],
      ['epoch', 8, true],
      ['iteration', 10, false],
      ['iteration', 15, false],
      ['epoch', 16, true],
    ]);
    expect(outcome.history).toEqual(sent.filter((r) => r.kind === 'epoch'));
    // Each report's training figures cover the steps since the previous report of its kind.
    expect(sent.map((r) => r.trainRows)).toEqual([5 * 32, 240, 4 * 32 + 16, 5 * 32, 240]);
    expect(outcome).toMatchObject({ stopReason: 'completed', iterations: 16, totalIterations: 16, epochs: 2, restoredBest: null });
  });

  it('full batch: every logEvery steps and the last, each measured and kept', async () => {
    const { sent, outcome } = await run({ ...small, batchSize: 0, iterations: 12 });
    expect(shown(sent)).toEqual([
      ['iteration', 5, true],
      ['iteration', 10, true],
      ['iteration', 12, true],
    ]);
    expect(outcome.history).toEqual(sent);
  });

  it("carry the network's index in a committee, after the reports of the networks before it", async () => {
    const earlier = (await run(small)).outcome;
    const resume = { iteration: 0, optimizer: null, history: earlier.history, elapsedSeconds: earlier.elapsedSeconds };
    const { sent, outcome } = await run(small, { member: 1, resume });
    expect(sent.every((r) => r.member === 1)).toBe(true);
    expect(outcome.history.map((r) => [r.member, r.iteration])).toEqual([
      [0, 8],
      [0, 16],
      [1, 8],
      [1, 16],
    ]);
  });
});

describe('an interrupted run', () => {
  it('keeps a measured report of the step it stopped at, sending no second report for it', async () => {
    let steps = 0;
    const { sent, outcome } = await run(small, { events: { shouldStop: () => ++steps >= 10 } });
    expect(outcome).toMatchObject({ stopReason: 'interrupted', iterations: 10 });
    expect(shown(sent)).toEqual([
      ['iteration', 5, false],
      ['epoch', 8, true],
      ['iteration', 10, false],
    ]);
    expect(shown(outcome.history)).toEqual([
      ['epoch', 8, true],
      ['iteration', 10, true],
    ]);
    expect(outcome.history.at(-1)!.trainRows).toBe(4 * 32 + 16);
  });

  it('between two reports, keeps a new measured report of the steps since the last one', async () => {
    let steps = 0;
    const { sent, outcome } = await run(small, { events: { shouldStop: () => ++steps >= 12 } });
    expect(shown(sent)).toEqual([
      ['iteration', 5, false],
      ['epoch', 8, true],
      ['iteration', 10, false],
      ['iteration', 12, true],
    ]);
    expect(shown(outcome.history)).toEqual([
      ['epoch', 8, true],
      ['iteration', 12, true],
    ]);
    expect(outcome.history.at(-1)!.trainRows).toBe(2 * 32);
  });

  it('at an epoch end keeps that epoch report as it was', async () => {
    let steps = 0;
    const { sent, outcome } = await run(small, { events: { shouldStop: () => ++steps >= 8 } });
    expect(shown(outcome.history)).toEqual([['epoch', 8, true]]);
    expect(outcome.history).toEqual(sent.filter((r) => r.kind === 'epoch'));
  });
});
