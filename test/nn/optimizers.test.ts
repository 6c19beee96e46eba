/**
 * Parameter updates and learning-rate schedules (src/nn/optimizers.ts) against values worked out by hand from
 * each rule's definition. Tolerance: 1e-14 absolute (the hand values are a few decimal operations).
 */
import { describe, expect, it } from 'vitest';
import { createParameters, weightRanges, type NetworkShape } from '../../src/nn/network.js';
import {
  createOptimizerState,
  learningRateAt,
  optimizerStep,
  type OptimizerName,
  type OptimizerSettings,
  type ScheduleSettings,
} from '../../src/nn/optimizers.js';

const digits = 14;

function settings(name: OptimizerName, overrides: Partial<OptimizerSettings> = {}): OptimizerSettings {
  return { name, momentum: 0.9, beta2: 0.999, weightDecay: 0, ...overrides };
}

function expectValues(actual: Float64Array, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((value, k) => expect(actual[k], `entry ${k}`).toBeCloseTo(value, digits));
}

/** Runs steps of (grads, lr) from `start` and returns the parameters after each step. */
function run(name: OptimizerName, start: number[], steps: Array<[number[], number]>, overrides: Partial<OptimizerSettings> = {}): Float64Array[] {
  const params = Float64Array.from(start);
  const state = createOptimizerState(name, params.length);
  return steps.map(([grads, lr]) => {
    optimizerStep(settings(name, overrides), state, params, Float64Array.from(grads), lr, []);
    return params.slice();
  });
}

describe('optimizerStep', () => {
  it('sgd: p -= lr * g', () => {
    const [one, two] = run('sgd', [1, -2, 0.5], [
      [[0.5, 0.25, -1], 0.1],
      [[1, 1, 1], 0.1],
    ]);
    expectValues(one!, [0.95, -2.025, 0.6]);
    expectValues(two!, [0.85, -2.125, 0.5]);
  });

  it('momentum: v = mu v + g, p -= lr v', () => {
    // v1 = 0.5, p1 = 1 - 0.05; v2 = 0.45 + 0.25 = 0.7, p2 = 0.95 - 0.07.
    const [one, two] = run('momentum', [1], [
      [[0.5], 0.1],
      [[0.25], 0.1],
    ]);
    expectValues(one!, [0.95]);
    expectValues(two!, [0.88]);
  });

  it('nesterov: v = mu v + g, p -= lr (g + mu v)', () => {
    // v1 = 0.5, p1 = 1 - 0.1 (0.5 + 0.45) = 0.905; v2 = 0.45 + 0.25 = 0.7, p2 = 0.905 - 0.1 (0.25 + 0.63) = 0.817.
    const [one, two] = run('nesterov', [1], [
      [[0.5], 0.1],
      [[0.25], 0.1],
    ]);
    expectValues(one!, [0.905]);
    expectValues(two!, [0.817]);
  });

  it('adam: bias-corrected moments, p -= lr m^ / (sqrt(v^) + eps / sqrt(1 - beta2^t))', () => {
    // Kingma & Ba's update with the epsilon of their efficient form (eps-hat = eps * sqrt(1 - beta2^t)), eps 1e-8.
    // Step 1, g = 0.5: m = 0.1 * 0.5 = 0.05, v = 0.001 * 0.25 = 0.00025; m^ = 0.05 / 0.1 = 0.5, v^ = 0.25.
    // Step 2, g = -0.25: m = 0.045 - 0.025 = 0.02, v = 0.00024975 + 0.0000625 = 0.00031225;
    //   m^ = 0.02 / 0.19, v^ = 0.00031225 / 0.001999.
    const [one, two] = run('adam', [1], [
      [[0.5], 0.01],
      [[-0.25], 0.01],
    ]);
    const p1 = 1 - (0.01 * 0.5) / (Math.sqrt(0.25) + 1e-8 / Math.sqrt(0.001));
    const p2 = p1 - (0.01 * (0.02 / 0.19)) / (Math.sqrt(0.00031225 / 0.001999) + 1e-8 / Math.sqrt(0.001999));
    expectValues(one!, [p1]);
    expectValues(two!, [p2]);
  });

  it('adam: the first step moves every parameter by about lr against its gradient, whatever its size', () => {
    const [one] = run('adam', [0, 0, 0], [[[1e-3, -50, 2], 0.01]]);
    // Off only by epsilon: 1e-8 / (sqrt(0.001) |g|) relative, 3.2e-4 for g = 1e-3 and under 1e-6 for the others.
    expect(Math.abs(one![0]! + 0.01) / 0.01).toBeLessThan(1e-3);
    expect(Math.abs(one![1]! - 0.01) / 0.01).toBeLessThan(1e-6);
    expect(Math.abs(one![2]! + 0.01) / 0.01).toBeLessThan(1e-6);
  });

  it('counts steps and keeps only the state each rule needs', () => {
    const sizes = (name: OptimizerName): number[] => {
      const state = createOptimizerState(name, 7);
      return [state.step, state.first.length, state.second.length];
    };
    expect(sizes('sgd')).toEqual([0, 0, 0]);
    expect(sizes('momentum')).toEqual([0, 7, 0]);
    expect(sizes('nesterov')).toEqual([0, 7, 0]);
    expect(sizes('adam')).toEqual([0, 7, 7]);
    const state = createOptimizerState('adam', 2);
    const params = new Float64Array(2);
    optimizerStep(settings('adam'), state, params, Float64Array.from([1, 1]), 0.1, []);
    optimizerStep(settings('adam'), state, params, Float64Array.from([1, 1]), 0.1, []);
    expect(state.step).toBe(2);
  });
});

describe('weight decay', () => {
  const shape: NetworkShape = { inputSize: 3, hiddenSize: 2, classCount: 2 };

  it('shrinks the weight matrices (weightRanges) by lr * decay each step, and leaves the biases alone', () => {
    const params = createParameters(shape);
    params.data.fill(1);
    const grads = createParameters(shape);
    grads.data.fill(0.2);
    const state = createOptimizerState('sgd', params.data.length);
    optimizerStep(settings('sgd', { weightDecay: 0.1 }), state, params.data, grads.data, 0.5, weightRanges(shape));
    // Weights: 1 * (1 - 0.5 * 0.1) - 0.5 * 0.2 = 0.85. Biases: 1 - 0.5 * 0.2 = 0.9.
    expectValues(params.w1, new Array(6).fill(0.85));
    expectValues(params.w2, new Array(4).fill(0.85));
    expectValues(params.b1, new Array(2).fill(0.9));
    expectValues(params.b2, new Array(2).fill(0.9));
  });

  it('is decoupled from adaptive rules: with adam, biases move exactly as without decay', () => {
    const step = (weightDecay: number): ReturnType<typeof createParameters> => {
      const params = createParameters(shape);
      params.data.forEach((_, k) => (params.data[k] = 0.1 * (k + 1)));
      const grads = createParameters(shape);
      grads.data.forEach((_, k) => (grads.data[k] = k % 2 === 0 ? 0.3 : -0.7));
      const state = createOptimizerState('adam', params.data.length);
      optimizerStep(settings('adam', { weightDecay }), state, params.data, grads.data, 0.01, weightRanges(shape));
      return params;
    };
    const plain = step(0);
    const decayed = step(0.5);
    expect(Array.from(decayed.b1)).toEqual(Array.from(plain.b1));
    expect(Array.from(decayed.b2)).toEqual(Array.from(plain.b2));
    // Weights: the Adam move is the same, applied after shrinking by 1 - 0.01 * 0.5.
    const before = (k: number): number => 0.1 * (k + 1);
    for (const [start, end] of weightRanges(shape)) {
      for (let k = start; k < end; k++) {
        const adamMove = plain.data[k]! - before(k);
        expect(decayed.data[k]).toBeCloseTo(before(k) * 0.995 + adamMove, digits);
      }
    }
  });
});

describe('learningRateAt', () => {
  const base: ScheduleSettings = {
    name: 'constant',
    learningRate: 0.1,
    warmupSteps: 0,
    decay: 0.1,
    stepEvery: 10,
    finalFraction: 0.01,
  };

  it('constant: the same rate at every step', () => {
    for (const step of [0, 1, 50, 99]) expect(learningRateAt(base, step, 100)).toBe(0.1);
  });

  it('cosine: starts at lr, is halfway at half time, ends at lr * finalFraction, never rises', () => {
    const cosine: ScheduleSettings = { ...base, name: 'cosine' };
    expect(learningRateAt(cosine, 0, 100)).toBeCloseTo(0.1, digits);
    expect(learningRateAt(cosine, 50, 100)).toBeCloseTo((0.1 + 0.001) / 2, digits);
    expect(learningRateAt(cosine, 100, 100)).toBeCloseTo(0.001, digits);
    expect(learningRateAt(cosine, 150, 100)).toBeCloseTo(0.001, digits);
    const rates = Array.from({ length: 101 }, (_, step) => learningRateAt(cosine, step, 100));
    for (let k = 1; k < rates.length; k++) expect(rates[k]!).toBeLessThanOrEqual(rates[k - 1]!);
  });

  it('warm-up: rises linearly to lr over warmupSteps, then the schedule starts from lr', () => {
    const warm: ScheduleSettings = { ...base, name: 'cosine', warmupSteps: 5 };
    const rates = Array.from({ length: 5 }, (_, step) => learningRateAt(warm, step, 105));
    // lr * (0.1 + 0.9 (step + 1) / 5)
    [0.028, 0.046, 0.064, 0.082, 0.1].forEach((rate, k) => expect(rates[k]).toBeCloseTo(rate, digits));
    expect(learningRateAt(warm, 5, 105)).toBeCloseTo(0.1, digits);
    expect(learningRateAt(warm, 55, 105)).toBeCloseTo((0.1 + 0.001) / 2, digits);
    expect(learningRateAt(warm, 105, 105)).toBeCloseTo(0.001, digits);
    expect(learningRateAt({ ...warm, name: 'constant' }, 2, 105)).toBeCloseTo(0.064, digits);
  });

  it('step: multiplies by decay every stepEvery steps', () => {
    const stepped: ScheduleSettings = { ...base, name: 'step' };
    expect(learningRateAt(stepped, 0, 30)).toBe(0.1);
    expect(learningRateAt(stepped, 9, 30)).toBe(0.1);
    expect(learningRateAt(stepped, 10, 30)).toBeCloseTo(0.01, digits);
    expect(learningRateAt(stepped, 19, 30)).toBeCloseTo(0.01, digits);
    expect(learningRateAt(stepped, 25, 30)).toBeCloseTo(0.001, digits);
  });
});
