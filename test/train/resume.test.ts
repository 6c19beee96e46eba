/**
 * Stopping a run (as Ctrl-C does) and resuming it from the saved model must give exactly the weights of the
 * run that was never stopped: the per-epoch shuffle and per-iteration augmentation are seeded from the run's
 * seed, and the optimiser state travels in the model. For a committee (--members), the networks kept apart in
 * committeeState travel too, wherever the run stopped: inside a network, or between two.
 */
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.js';
import { fitModel } from '../../src/train/fit.js';
import { presets, type TrainConfig } from '../../src/train/presets.js';
import { modelFromJson } from '../../src/model/read.js';
import { toJson } from '../../src/model/write.js';
import type { Model } from '../../src/train/model.js';
import { evaluate } from '../../src/train/evaluate.js';
import { joinMembers } from '../../src/nn/committee.js';
import { createParameters } from '../../src/nn/network.js';
import type { TrainingReport } from '../../src/train/trainer.js';
import { sampleDataset } from '../helpers/sample-rows.js';
import { DigitsError } from '../../src/errors.js';


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

  // 350 training rows in batches of 32: 11 steps an epoch. Step 20 has a report every 10 steps (no held-out
  // figure), step 17 none, step 22 ends an epoch (with a held-out figure).
  it.each([20, 17, 22])('stopped at step %i, records the held-out accuracy of the weights it saved', async (stopAt) => {
    const dataset = sampleDataset(400);
    let steps = 0;
    const stopped = await fitModel(dataset, small, { events: { shouldStop: () => ++steps >= stopAt } });
    expect(stopped.outcome.iterations).toBe(stopAt);
    const { model } = stopped;
    const measured = await evaluate(model, dataset, 'stopped.json', Uint32Array.from(model.data.heldOutRows));
    expect(model.training.heldOut!.accuracy).toBe(measured.scores.accuracy);
    const lastRecorded = model.history.at(-1)!;
    expect([lastRecorded.iteration, lastRecorded.heldOutAccuracy]).toEqual([stopAt, measured.scores.accuracy]);
  });

  describe('asking for fewer steps than the run has taken', () => {
    // 350 training rows in batches of 32: 11 steps an epoch, 33 in the plan; stopped 3 steps into epoch 3.
    const dataset = sampleDataset(400);
    let interruptedRun: Promise<Model> | undefined;
    const interrupted = (): Promise<Model> =>
      (interruptedRun ??= fitModel(dataset, small, { events: stopAfter(25) }).then((run) => throughFile(run.model, 'interrupted.json')));
    const finishLater = ', or leave --epochs out to finish the run\'s plan of 3 epochs.';

    it('refuses --epochs fewer than done, saying how far the run got and what to ask for', async () => {
      await expect(refusal(fitModel(dataset, { ...small, epochs: 2 }, { resumeFrom: await interrupted() }))).resolves.toEqual([
        '--epochs 2 asks for 22 iterations in all, fewer than the 25 iterations (2.3 epochs) the resumed run has already trained',
        `--epochs and --iterations count from the start of the run, not from where it stopped: ask for --epochs 3 or more${finishLater}`,
      ]);
    });

    it('refuses --iterations fewer than done', async () => {
      await expect(refusal(fitModel(dataset, { ...small, iterations: 20 }, { resumeFrom: await interrupted() }))).resolves.toEqual([
        '--iterations 20 asks for 20 iterations in all, fewer than the 25 iterations (2.3 epochs) the resumed run has already trained',
        "--epochs and --iterations count from the start of the run, not from where it stopped: ask for --iterations 26 or more, or leave --iterations out to finish the run's plan of 3 epochs.",
      ]);
    });

    it('refuses to resume a run that has taken every step of its plan, unless asked for more', async () => {
      const { model } = await fitModel(dataset, small);
      const done = throughFile(model, 'done.json');
      await expect(refusal(fitModel(dataset, small, { resumeFrom: done }))).resolves.toEqual([
        'the resumed run has already trained all 33 iterations (3 epochs) it planned: nothing is left to train',
        '--epochs and --iterations count from the start of the run, not from where it stopped: ask for --epochs 4 or more.',
      ]);
      const longer = await fitModel(dataset, { ...small, epochs: 4 }, { resumeFrom: done });
      expect(longer.outcome).toMatchObject({ stopReason: 'completed', iterations: 44, totalIterations: 44 });
      expect(throughFile(longer.model, 'longer.json').training.iterations).toBe(44);
    });

    it('in a committee, refuses fewer steps than a finished network took, and accepts as many', async () => {
      // A committee stopped 3 steps into its second network (of 11 steps each); --epochs 1 finishes network 2 where
      // it is and trains network 3 for one epoch, so the model records no more steps than it plans.
      const committee: TrainConfig = { ...small, epochs: 1, members: 3 };
      const run = await fitModel(dataset, committee, { events: stopAfter(14) });
      const saved = throughFile(run.model, 'committee.json');
      await expect(refusal(fitModel(dataset, { ...committee, iterations: 10 }, { resumeFrom: saved }))).resolves.toEqual([
        '--iterations 10 asks for 10 iterations in all, fewer than the 11 iterations (1 epoch) network 1 of the resumed run has already trained',
        "--epochs and --iterations count from the start of the run, not from where it stopped: ask for --iterations 12 or more, or leave --iterations out to finish the run's plan of 1 epoch.",
      ]);
      const resumed = await fitModel(dataset, { ...committee, iterations: 11 }, { resumeFrom: saved });
      expect(throughFile(resumed.model, 'resumed.json').training).toMatchObject({ iterations: 33, totalIterations: 33 });
    });
  });

  describe('settings that would change the run', () => {
    const dataset = sampleDataset(400);
    let stoppedRun: Promise<Model> | undefined;
    const stopped = (): Promise<Model> =>
      (stoppedRun ??= fitModel(dataset, small, { events: stopAfter(5) }).then((run) => throughFile(run.model, 'stopped.json')));
    const hint = '--resume continues a run as it was started: leave out what differs (or give the recorded value), or train a new model without --resume.';

    it('are refused, each named as its option with the recorded value, rather than ignored', async () => {
      const changed: TrainConfig = { ...small, preset: 'best', seed: 7, holdout: 0.2, augment: null, patience: 2, batchSize: 0 };
      await expect(refusal(fitModel(dataset, changed, { resumeFrom: await stopped() }))).resolves.toEqual([
        '--preset best, --batch-size full, --holdout 0.2, --seed 7, --patience 2 and --no-augment differ from the resumed run ' +
          '(--preset default, --batch-size 32, --holdout 50, --seed 42, no --patience, augmentation)',
        hint,
      ]);
      await expect(refusal(fitModel(dataset, { ...small, learningRate: 0.1 }, { resumeFrom: await stopped() }))).resolves.toEqual([
        '--lr 0.1 differs from the resumed run (--lr 0.05)',
        hint,
      ]);
    });

    it('are accepted when they equal the recorded ones; more epochs and another report interval are accepted', async () => {
      const resumed = await fitModel(dataset, { ...small, epochs: 4, logEvery: 3 }, { resumeFrom: await stopped() });
      expect(resumed.outcome).toMatchObject({ stopReason: 'completed', iterations: 44 });
      expect(resumed.model.data.heldOutRows).toEqual((await stopped()).data.heldOutRows);
    });
  });

  it('refuses to resume on a different training file', async () => {
    const dataset = sampleDataset(200);
    const { model } = await fitModel(dataset, { ...small, epochs: 1 });
    const other: Dataset = { ...dataset, source: { ...dataset.source, sha256: 'another-file' } };
    await expect(fitModel(other, model.training.config, { resumeFrom: model })).rejects.toThrow(
      /not the file the model was trained on/,
    );
  });
});

/** The message and hints of the DigitsError a promise rejects with. */
async function refusal(promise: Promise<unknown>): Promise<string[]> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DigitsError) return [error.message, ...error.details];
    throw error;
  }
  throw new Error('it was accepted');
}

/** A model as --resume reads it: through its JSON document. */
const throughFile = (model: Model, name: string): Model => modelFromJson(JSON.parse(JSON.stringify(toJson(model))), name);

/** Each epoch report's network, epoch and held-out accuracy and loss. */
const heldOutCurve = (history: readonly TrainingReport[]): unknown[] =>
  history.filter((r) => r.kind === 'epoch').map((r) => [r.member, r.epoch, r.heldOutAccuracy, r.heldOutLoss]);

/** Stops after `steps` steps in all (counted over every network), as a Ctrl-C at that moment would. */
function stopAfter(steps: number): { onStep: () => void; shouldStop: () => boolean } {
  let done = 0;
  return { onStep: () => void done++, shouldStop: () => done >= steps };
}

describe('resume across the networks of a committee', () => {
  // 350 training rows in batches of 32: 11 steps an epoch, 22 a network.
  const committee: TrainConfig = { ...small, epochs: 2, members: 3 };
  const perMember = 22;
  const dataset = sampleDataset(400);
  const straight = fitModel(dataset, committee);

  for (const [where, steps, done, current] of [
    ['in the first network', 5, 0, 5],
    ['in the second network', perMember + 7, 1, 7],
    ['exactly at the end of the first network (between networks 1 and 2)', perMember, 1, null],
    ['exactly at the end of the second network (between networks 2 and 3)', 2 * perMember, 2, null],
    ['at the last step but one of the last network', 3 * perMember - 1, 2, perMember - 1],
  ] as const) {
    it(`stopped ${where}, then resumed: ends bit for bit where the uninterrupted run ends`, async () => {
      const stopped = await fitModel(dataset, committee, { events: stopAfter(steps) });
      expect(stopped.outcome.stopReason).toBe('interrupted');
      const state = stopped.model.committee!;
      expect(state.done).toBe(done);
      expect(state.current?.iteration ?? null).toBe(current);
      const joined = done + (current === null ? 0 : 1);
      expect(state.members).toHaveLength(joined);
      expect(stopped.model.training.memberResults).toHaveLength(joined);
      expect(stopped.model.training.iterations).toBe(steps);
      expect(stopped.model.optimizer).toBeNull();

      // What it predicts with: the networks that exist, joined, and their own held-out accuracy.
      expect(stopped.model.params.shape.hiddenSize).toBe(joined * committee.hiddenSize);
      const memberShape = { inputSize: 784, hiddenSize: committee.hiddenSize, classCount: 10 };
      const expected = joinMembers(state.members.map((vector) => createParameters(memberShape, vector)));
      expect(Array.from(stopped.model.params.data)).toEqual(Array.from(expected.data));
      expect(stopped.model.training.heldOut?.rows).toBe(50);

      const saved = throughFile(stopped.model, 'stopped.json');
      const resumed = await fitModel(dataset, saved.training.config, { resumeFrom: saved });
      const target = await straight;
      expect(resumed.outcome.stopReason).toBe('completed');
      expect(resumed.model.committee).toBeNull();
      expect(Array.from(resumed.model.params.data)).toEqual(Array.from(target.model.params.data));
      // Held-out figures are measured on the weights, so they agree; training figures of the epoch that was cut
      // cover only the steps after the resume (as for a single network), and the cut adds a report.
      expect(heldOutCurve(resumed.model.history)).toEqual(heldOutCurve(target.model.history));
      expect(resumed.model.training.memberResults).toEqual(target.model.training.memberResults);
      expect(resumed.model.training.heldOut).toEqual(target.model.training.heldOut);
      expect(resumed.model.training.iterations).toBe(3 * perMember);
    });
  }

  it('stopped twice (Adam, elastic augmentation), resumed twice: still the uninterrupted run', async () => {
    const config: TrainConfig = { ...committee, members: 2, optimizer: 'adam', learningRate: 0.003, augment: presets.best.augment };
    const target = await fitModel(dataset, config);
    const first = await fitModel(dataset, config, { events: stopAfter(9) });
    const firstSaved = throughFile(first.model, 'first.json');
    expect(firstSaved.committee!.current!.optimizer.name).toBe('adam');
    // The second stop comes 20 steps into the resumed run: 7 steps into the second network.
    const second = await fitModel(dataset, config, { resumeFrom: firstSaved, events: stopAfter(20) });
    expect(second.model.committee).toMatchObject({ done: 1, current: { iteration: 7 } });
    const resumed = await fitModel(dataset, config, { resumeFrom: throughFile(second.model, 'second.json') });
    expect(Array.from(resumed.model.params.data)).toEqual(Array.from(target.model.params.data));
    expect(heldOutCurve(resumed.model.history)).toEqual(heldOutCurve(target.model.history));
  });

  it('refuses to resume a committee that was trained to the end', async () => {
    const { model } = await straight;
    await expect(fitModel(dataset, model.training.config, { resumeFrom: throughFile(model, 'done.json') })).rejects.toThrow(
      "the model's 3 networks were trained to the end and joined into one: there is nothing left to resume",
    );
  });

  it('refuses to resume with another number of members', async () => {
    const stopped = await fitModel(dataset, committee, { events: stopAfter(5) });
    await expect(fitModel(dataset, { ...committee, members: 2 }, { resumeFrom: stopped.model })).rejects.toThrow(
      '--members 2 differs from the resumed run (--members 3)',
    );
  });
});
