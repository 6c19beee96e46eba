/** --patience: training stops once held-out accuracy has not improved for that many epochs, keeping the best. */
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.js';
import { fitModel } from '../../src/train/fit.js';
import { presets, type TrainConfig } from '../../src/train/presets.js';
import { sampleDataset } from '../helpers/sample-rows.js';

const dataset: Dataset = sampleDataset(300);
const base: TrainConfig = { ...presets.default, hiddenSize: 8, epochs: 10, batchSize: 50, holdout: 60, schedule: 'constant' };

describe('early stopping', () => {
  it('stops after `patience` epochs without a better held-out accuracy and restores the best weights', async () => {
    // A learning rate this small cannot change any prediction: accuracy stays flat, so epoch 1 stays best.
    const epochsSeen: number[] = [];
    const { outcome, model } = await fitModel(dataset, { ...base, learningRate: 1e-12, patience: 2 }, {
      events: { onReport: (r) => r.kind === 'epoch' && epochsSeen.push(r.epoch) },
    });
    expect(outcome.stopReason).toBe('early-stopped');
    expect(epochsSeen).toEqual([1, 2, 3]);
    expect(outcome.restoredBest).toMatchObject({ epoch: 1 });
    expect(model.training.heldOut?.accuracy).toBe(outcome.restoredBest?.heldOutAccuracy);
  });

  it('runs every epoch and restores nothing when --patience is not given', async () => {
    const { outcome } = await fitModel(dataset, { ...base, epochs: 3, patience: null });
    expect(outcome.stopReason).toBe('completed');
    expect(outcome.restoredBest).toBeNull();
    expect(outcome.epochs).toBe(3);
  });
});
