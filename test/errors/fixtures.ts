/** A small, valid model for the model-file tests: 4 inputs, 3 hidden units, 10 classes, Adam state. */
import { createParameters, parameterCount, type NetworkShape } from '../../src/nn/network.js';
import { toJson, type Model, type ModelJson } from '../../src/model/file.js';
import { presets } from '../../src/train/presets.js';

export const smallShape: NetworkShape = { inputSize: 4, hiddenSize: 3, classCount: 10 };

export function smallModel(): Model {
  const count = parameterCount(smallShape);
  const data = Float64Array.from({ length: count }, (_, k) => Math.sin(k + 1) / 4);
  const config = { ...presets.default, hiddenSize: 3, optimizer: 'adam' as const };
  const report = {
    kind: 'epoch' as const,
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
    },
    data: { path: '/data/train.csv', rows: 10, sha256: 'ab'.repeat(32), heldOutRows: [3, 7] },
    history: [report],
    optimizer: {
      name: 'adam',
      step: 2,
      first: Float64Array.from({ length: count }, (_, k) => k / 1000),
      second: Float64Array.from({ length: count }, (_, k) => k / 1e6),
    },
    tool: { name: 'digits', version: '0.1.0' },
    createdAt: '2025-01-01T00:00:00.000Z',
  };
}

/** The small model as the parsed JSON document, a fresh copy each call. */
export function smallModelJson(): ModelJson {
  return JSON.parse(JSON.stringify(toJson(smallModel()))) as ModelJson;
}
