/**
 * Stopping a run (as Ctrl-C does) and resuming it from the saved model must give exactly the weights of the
 * run that was never stopped: the per-epoch shuffle and per-iteration augmentation are seeded from the run's
 * seed, and the optimiser state travels in the model.
 */
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.js';
import { fitModel } from '../../src/train/fit.js';
import { presets, type TrainConfig } from '../../src/train/presets.js';
import { modelFromJson, toJson } from '../../src/model/file.js';
import { readSampleRows, sampleTrainPath } from '../helpers/sample-rows.js';

function sampleDataset(rows: number): Dataset {
  const sample = readSampleRows(sampleTrainPath, rows);
  return {
    rows: sample.rows,
    features: sample.features,
    pixels: sample.pixels,
    labels: sample.labels,
    source: { path: sampleTrainPath, sha256: 'sample-sha', pixelColumns: [] },
  };
}

const small: TrainConfig = { ...presets.default, hiddenSize: 12, epochs: 3, batchSize: 32, holdout: 50 };

describe('resume', () => {
  for (const [name, config] of [
    ['nesterov, cosine schedule', small],
    ['adam with augmentation', { ...small, optimizer: 'adam', learningRate: 0.003, augment: presets.best.augment }],
  ] as const) {
    it(`an interrupted then resumed run ends with the uninterrupted run's weights (${name})`, async () => {
      const dataset = sampleDataset(400);
      const straight = await fitModel(dataset, config);

      let steps = 0;
      const stopped = await fitModel(dataset, config, { events: { shouldStop: () => ++steps >= 17 } });
      expect(stopped.outcome.stopReason).toBe('interrupted');
      expect(stopped.outcome.iterations).toBe(17);

      // Through the JSON model file, as a user's --resume would go.
      const saved = modelFromJson(JSON.parse(JSON.stringify(toJson(stopped.model))), 'stopped.json');
      const resumed = await fitModel(dataset, saved.training.config, { resumeFrom: saved });

      expect(resumed.outcome.stopReason).toBe('completed');
      expect(resumed.outcome.iterations).toBe(straight.outcome.iterations);
      expect(Array.from(resumed.model.params.data)).toEqual(Array.from(straight.model.params.data));
      expect(resumed.model.data.heldOutRows).toEqual(straight.model.data.heldOutRows);
    });
  }

  it('refuses to resume on a different training file', async () => {
    const dataset = sampleDataset(200);
    const { model } = await fitModel(dataset, { ...small, epochs: 1 });
    const other: Dataset = { ...dataset, source: { ...dataset.source, sha256: 'another-file' } };
    await expect(fitModel(other, model.training.config, { resumeFrom: model })).rejects.toThrow(
      /not the file the model was trained on/,
    );
  });
});
