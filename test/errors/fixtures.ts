/** A small, valid model for the model-file tests: 4 inputs, 3 hidden units, 10 classes, Adam state. */
import { createParameters, parameterCount, type NetworkShape } from '../../src/nn/network.js';
import { joinMembers } from '../../src/nn/committee.js';
import type { ModelJson } from '../../src/model/schema.js';
import { toJson } from '../../src/model/write.js';
import type { Model } from '../../src/train/model.js';
import { presets } from '../../src/train/presets.js';

export const smallShape: NetworkShape = { inputSize: 4, hiddenSize: 3, classCount: 10 };

export function smallModel(): Model {
  const count = parameterCount(smallShape);
  const data = Float64Array.from({ length: count }, (_, k) => Math.sin(k + 1) / 4);
  const config = { ...presets.default, hiddenSize: 3, optimizer: 'adam' as const };
  const report = {
    kind: 'epoch' as const,
    member: 0,
    iteration: 2,
    totalIterations: 2,
    epoch: 1,
    trainLoss: 2.1,
    trainAccuracy: 0.25,
    trainRows: 8,
    heldOutAccuracy: 0.5,
    heldOutLoss: 1.9,
    heldOutRows: 2,
    learningRate: 0.05,
    elapsedSeconds: 0.01,
  };
  return {
    params: createParameters(smallShape, data),
    classes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    pixelScale: 255,
    deskew: config.deskew,
    training: {
      config,
      stopReason: 'completed',
      iterations: 2,
      totalIterations: 2,
      epochs: 1,
      elapsedSeconds: 0.01,
      threads: 1,
      restoredBest: null,
      heldOut: { accuracy: 0.5, rows: 2, standardError: 0.35 },
      memberResults: null,
    },
    data: { path: '/data/train.csv', rows: 10, sha256: 'ab'.repeat(32), heldOutRows: [3, 7] },
    history: [report],
    optimizer: {
      name: 'adam',
      step: 2,
      first: Float64Array.from({ length: count }, (_, k) => k / 1000),
      second: Float64Array.from({ length: count }, (_, k) => k / 1e6),
    },
    committee: null,
    tool: { name: 'digits', version: '0.1.0' },
    createdAt: '2025-01-01T00:00:00.000Z',
  };
}

/** The small model as the parsed JSON document, a fresh copy each call. */
export function smallModelJson(): ModelJson {
  return JSON.parse(JSON.stringify(toJson(smallModel()))) as ModelJson;
}

/**
 * A small committee stopped in its second network: two networks of 4-3-10 (training.config.hiddenSize 3,
 * members 2), the first finished, the second interrupted after one step, saved joined as one 4-6-10 network.
 */
export function smallCommitteeModel(): Model {
  const single = smallModel();
  const count = parameterCount(smallShape);
  const members = [0, 1].map((m) => Float64Array.from({ length: count }, (_, k) => Math.cos(k + 7 * m) / 3));
  const joined = joinMembers(members.map((vector) => createParameters(smallShape, vector)));
  const result = { seed: 42, stopReason: 'completed' as const, iterations: 2, epochs: 1, heldOutAccuracy: 0.5, restoredBest: null };
  return {
    ...single,
    params: joined,
    training: {
      ...single.training,
      config: { ...single.training.config, members: 2 },
      stopReason: 'interrupted',
      iterations: 3,
      totalIterations: 4,
      epochs: 1.5,
      heldOut: { accuracy: 0.5, rows: 2, standardError: 0.35 },
      memberResults: [result, { ...result, seed: 7, stopReason: 'interrupted', iterations: 1, epochs: 0.5 }],
    },
    history: [single.history[0]!, { ...single.history[0]!, kind: 'iteration', member: 1, iteration: 1, epoch: 0.5 }],
    optimizer: null,
    committee: {
      done: 1,
      members,
      current: {
        iteration: 1,
        optimizer: {
          name: 'adam',
          step: 1,
          first: Float64Array.from({ length: count }, (_, k) => k / 2000),
          second: Float64Array.from({ length: count }, (_, k) => k / 2e6),
        },
      },
    },
  };
}

/** The small committee as the parsed JSON document, a fresh copy each call. */
export function smallCommitteeJson(): ModelJson {
  return JSON.parse(JSON.stringify(toJson(smallCommitteeModel()))) as ModelJson;
}
