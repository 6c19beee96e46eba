/**
 * Committees (--members) and clean epochs (--clean-epochs) in fitModel, on real sample rows: one member is
 * exactly the single network put together by hand without fitModel; a committee's first network is that same
 * network; the others have their own seeds; the saved network is the members joined, and its held-out accuracy
 * is its own.
 */
import { describe, expect, it } from 'vitest';
import { toSparseRows, type Dataset } from '../../src/data/dataset.js';
import { withDeskew } from '../../src/data/deskew.js';
import { createAugmenter } from '../../src/data/augment.js';
import { heldOutCount, splitRows } from '../../src/data/split.js';
import { LocalEngine } from '../../src/nn/engine.js';
import { createParameters, initialise, parameterCount } from '../../src/nn/network.js';
import { Random } from '../../src/data/random.js';
import { predictRows } from '../../src/nn/predict.js';
import { fitModel } from '../../src/train/fit.js';
import { presets, type TrainConfig } from '../../src/train/presets.js';
import { planSchedule, train, type TrainingReport } from '../../src/train/trainer.js';
import { sampleDataset } from '../helpers/sample-rows.js';


const bits = (values: Float64Array): Buffer => Buffer.from(values.buffer, values.byteOffset, values.byteLength);

/** A report without its timing, which differs from run to run. */
const untimed = (report: TrainingReport): Omit<TrainingReport, 'elapsedSeconds'> => {
  const { elapsedSeconds: _, ...rest } = report;
  return rest;
};

const dataset = sampleDataset(400);
const small: TrainConfig = { ...presets.default, hiddenSize: 12, epochs: 2, batchSize: 32, holdout: 60, augment: null };
const augmented: TrainConfig = { ...small, augment: presets.best.augment };

/**
 * The single-network run put together by hand: split, initialisation, augmenter, engine and trainer, with
 * nothing of fitModel's committee code in the way.
 */
async function singleRunByHand(config: TrainConfig): Promise<{ params: Float64Array; history: TrainingReport[] }> {
  const shape = { inputSize: dataset.features, hiddenSize: config.hiddenSize, classCount: 10 };
  const split = splitRows(dataset.rows, heldOutCount(config.holdout, dataset.rows), config.seed);
  const params = createParameters(shape);
  initialise(params, config.init, new Random(config.seed));
  // Deskewing, when the configuration asks for it, is input preparation that fitModel does before all of this.
  const prepared = withDeskew(dataset, config.deskew);
  const input = toSparseRows(prepared.pixels, prepared.rows, prepared.features);
  const plan = planSchedule(config, split.trainRows.length);
  const augmenter = config.augment ? createAugmenter(prepared, config.augment, plan.batchSize, config.seed) : null;
  const outcome = await train(config, new LocalEngine(shape, params), { input, labels: dataset.labels!, split, augmenter });
  return { params: params.data, history: outcome.history };
}

describe('one member', () => {
  for (const [name, config] of [
    ['no augmentation', small],
    ['augmentation', augmented],
  ] as const) {
    it(`trains exactly the single network put together by hand (${name})`, async () => {
      const byHand = await singleRunByHand(config);
      const { model, memberResults } = await fitModel(dataset, { ...config, members: 1 });
      expect(bits(model.params.data).equals(bits(byHand.params))).toBe(true);
      expect(model.history.map(untimed)).toEqual(byHand.history.map(untimed));
      expect(model.history.every((r) => r.member === 0)).toBe(true);
      expect(model.params.shape.hiddenSize).toBe(config.hiddenSize);
      // Saved as a single network: its own optimiser state, no committee fields.
      expect(model.optimizer).not.toBeNull();
      expect(model.committee).toBeNull();
      expect(model.training.memberResults).toBeNull();
      expect(memberResults).toHaveLength(1);
      expect(model.training.heldOut!.accuracy).toBe(byHand.history.at(-1)!.heldOutAccuracy);
    });
  }
});

describe('a committee of three', () => {
  const config: TrainConfig = { ...augmented, members: 3 };
  const H = config.hiddenSize;
  const run = fitModel(dataset, config);
  const single = fitModel(dataset, augmented);

  it('saves one network of 3 x hidden units, with one result per member and no optimiser state', async () => {
    const { model, outcome, memberResults } = await run;
    expect(model.params.shape).toEqual({ inputSize: 784, hiddenSize: 3 * H, classCount: 10 });
    expect(model.training.config).toMatchObject({ hiddenSize: H, members: 3 });
    expect(model.training.memberResults).toEqual(memberResults);
    expect(memberResults.map((r) => r.stopReason)).toEqual(['completed', 'completed', 'completed']);
    expect(model.optimizer).toBeNull();
    expect(model.committee).toBeNull();
    expect(outcome.stopReason).toBe('completed');
    expect(model.training.iterations).toBe(3 * memberResults[0]!.iterations);
    expect(model.training.totalIterations).toBe(model.training.iterations);
    expect(model.training.epochs).toBe(3 * config.epochs);
    // Two epoch reports per member, in member order.
    expect(model.history.filter((r) => r.kind === 'epoch').map((r) => [r.member, r.epoch])).toEqual([
      [0, 1], [0, 2], [1, 1], [1, 2], [2, 1], [2, 2],
    ]);
  });

  it('starts with exactly the single network of the same configuration', async () => {
    const { model } = await run;
    const { model: alone } = await single;
    const joined = model.params;
    const K = 10;
    // Member 0's hidden units are the joined network's first H: w1 columns and b1 as they were, w2 rows halved
    // (divided by 3 here: compared after multiplying back, within rounding).
    for (let i = 0; i < 784; i++) {
      expect(bits(joined.w1.subarray(i * 3 * H, i * 3 * H + H)).equals(bits(alone.params.w1.subarray(i * H, (i + 1) * H)))).toBe(true);
    }
    expect(bits(joined.b1.subarray(0, H)).equals(bits(alone.params.b1))).toBe(true);
    for (let k = 0; k < H * K; k++) expect(joined.w2[k]! * 3).toBeCloseTo(alone.params.w2[k]!, 14);
    expect(model.history.filter((r) => r.member === 0).map(untimed)).toEqual(alone.history.map(untimed));
    expect(model.training.memberResults![0]!.heldOutAccuracy).toBe(alone.training.heldOut!.accuracy);
  });

  it('gives each member its own seed, initialisation, shuffles and augmentation', async () => {
    const { model, memberResults } = await run;
    const seeds = memberResults.map((r) => r.seed);
    expect(seeds[0]).toBe(config.seed);
    expect(new Set(seeds).size).toBe(3);
    // The members' first-layer weights differ, and so do their training curves.
    const w1 = model.params.w1;
    const column = (m: number): number[] => Array.from({ length: 784 }, (_, i) => w1[i * 3 * H + m * H]!);
    expect(column(1)).not.toEqual(column(0));
    expect(column(2)).not.toEqual(column(1));
    const losses = [0, 1, 2].map((m) => model.history.find((r) => r.member === m && r.kind === 'epoch')!.trainLoss);
    expect(new Set(losses).size).toBe(3);
  });

  it("records the joined network's own held-out accuracy, the one eval measures", async () => {
    const { model } = await run;
    const heldOut = Uint32Array.from(model.data.heldOutRows);
    const predicted = predictRows(model.params, dataset, { deskew: model.deskew, rowIds: heldOut }).predicted;
    let correct = 0;
    heldOut.forEach((row, k) => (correct += predicted[k] === dataset.labels![row] ? 1 : 0));
    expect(model.training.heldOut).toMatchObject({ accuracy: correct / heldOut.length, rows: 60 });
  });

  it('is the same committee run after run', async () => {
    const again = await fitModel(dataset, config);
    expect(bits(again.model.params.data).equals(bits((await run).model.params.data))).toBe(true);
  });
});

describe('a committee with early stopping', () => {
  it('stops and restores each member on its own', async () => {
    const config: TrainConfig = { ...small, epochs: 8, members: 2, patience: 1, learningRate: 0.2, schedule: 'constant' };
    const { model, outcome, memberResults } = await fitModel(dataset, config);
    // At a constant, high learning rate with patience 1, held-out accuracy soon dips (here both members peak at
    // epoch 5 of 8, with different curves, and stop at 6).
    expect(memberResults.some((r) => r.stopReason === 'early-stopped')).toBe(true);
    for (const result of memberResults) {
      if (result.stopReason === 'early-stopped') expect(result.epochs).toBeLessThan(8);
      if (result.restoredBest) expect(result.heldOutAccuracy).toBe(result.restoredBest.heldOutAccuracy);
    }
    expect(outcome.stopReason).toBe('early-stopped');
    expect(model.training.restoredBest).toBeNull();
    expect(model.training.iterations).toBe(memberResults[0]!.iterations + memberResults[1]!.iterations);
    // Member 1 starts after member 0 stopped, whenever that was.
    expect(model.history.findIndex((r) => r.member === 1)).toBe(model.history.filter((r) => r.member === 0).length);
    expect(model.params.data.length).toBe(parameterCount({ inputSize: 784, hiddenSize: 24, classCount: 10 }));
  });
});

describe('clean epochs', () => {
  it('covering every epoch train exactly as without augmentation', async () => {
    const clean = await fitModel(dataset, { ...augmented, cleanEpochs: augmented.epochs });
    const plain = await fitModel(dataset, { ...augmented, augment: null });
    expect(bits(clean.model.params.data).equals(bits(plain.model.params.data))).toBe(true);
  });

  it('change only the last epochs: the ones before are those of the augmented run', async () => {
    const config: TrainConfig = { ...augmented, epochs: 3 };
    const withClean = await fitModel(dataset, { ...config, cleanEpochs: 1 });
    const without = await fitModel(dataset, config);
    const epochs = (history: readonly TrainingReport[]): Omit<TrainingReport, 'elapsedSeconds'>[] =>
      history.filter((r) => r.kind === 'epoch').map(untimed);
    expect(epochs(withClean.model.history).slice(0, 2)).toEqual(epochs(without.model.history).slice(0, 2));
    expect(epochs(withClean.model.history)[2]).not.toEqual(epochs(without.model.history)[2]);
    // The schedule is the same: the last epoch's learning rates match.
    expect(withClean.model.history.at(-1)!.learningRate).toBe(without.model.history.at(-1)!.learningRate);
  });

  it('apply to each member of a committee', async () => {
    const config: TrainConfig = { ...augmented, members: 2, cleanEpochs: augmented.epochs };
    const clean = await fitModel(dataset, config);
    const plain = await fitModel(dataset, { ...config, augment: null });
    expect(bits(clean.model.params.data).equals(bits(plain.model.params.data))).toBe(true);
  });

  it('are ignored without augmentation', async () => {
    const a = await fitModel(dataset, { ...small, cleanEpochs: 1 });
    const b = await fitModel(dataset, small);
    expect(bits(a.model.params.data).equals(bits(b.model.params.data))).toBe(true);
  });
});
