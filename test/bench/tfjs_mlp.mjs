/**
 * The JavaScript peer: a 784-128-10 network trained with TensorFlow.js 4.22 (tfjs-layers, Adam), the way a
 * JavaScript user would write it, on the wasm or the pure-JS cpu backend. run.mjs starts one process per backend.
 *
 * Not timed here: reading the CSV (a plain split loop of the bench's own; TensorFlow.js has no CSV reader for
 * local files in Node without tfjs-node) and building the tensors. Timed: model.fit, epoch by epoch, through
 * the onEpochEnd callback; the first epoch carries TensorFlow's warm-up, so run.mjs uses the slope after it.
 *
 * Usage: node tfjs_mlp.mjs <train.csv> --backend wasm|cpu [--epochs 3] [--batch-size 128] [--holdout 1000]
 *        [--seed 42]
 * Prints `BENCH {...}` JSON lines on stderr (like seed_numpy.py); nothing is downloaded at run time: the wasm
 * binaries ship inside @tensorflow/tfjs-backend-wasm.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { permutation, readDigitsCsv } from './lib.mjs';

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    backend: { type: 'string', default: 'wasm' },
    epochs: { type: 'string', default: '3' },
    'batch-size': { type: 'string', default: '128' },
    holdout: { type: 'string', default: '1000' },
    hidden: { type: 'string', default: '128' },
    seed: { type: 'string', default: '42' },
  },
});
const file = positionals[0];
if (!file) {
  console.error('usage: node tfjs_mlp.mjs <train.csv> --backend wasm|cpu [--epochs 3]');
  process.exit(2);
}
const epochs = Number(options.epochs);
const batchSize = Number(options['batch-size']);
const holdout = Number(options.holdout);
const hidden = Number(options.hidden);

const bench = (event, fields) => process.stderr.write(`BENCH ${JSON.stringify({ event, ...fields })}\n`);

function tensors(data, rowIds) {
  const x = new Float32Array(rowIds.length * data.features);
  const y = new Float32Array(rowIds.length * 10);
  rowIds.forEach((row, r) => {
    for (let i = 0; i < data.features; i++) x[r * data.features + i] = data.pixels[row * data.features + i] / 255;
    y[r * 10 + data.labels[row]] = 1;
  });
  return { x: tf.tensor2d(x, [rowIds.length, data.features]), y: tf.tensor2d(y, [rowIds.length, 10]) };
}

if (options.backend === 'wasm') wasm.setThreadsCount(2);
if (!(await tf.setBackend(options.backend))) {
  console.error(`TensorFlow.js backend ${options.backend} failed to start`);
  process.exit(1);
}
await tf.ready();
const threads = options.backend === 'wasm' && (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) ? wasm.getThreadsCount() : 1;
const simd = options.backend === 'wasm' ? await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') : false;

const data = readDigitsCsv(file);
const order = permutation(data.rows, Number(options.seed));
const heldOut = tensors(data, order.subarray(0, holdout));
const train = tensors(data, order.subarray(holdout));
bench('start', { backend: tf.getBackend(), threads, simd, trainRows: data.rows - holdout, heldOutRows: holdout, batchSize, hidden });

const model = tfl.sequential({
  layers: [
    tfl.layers.dense({ inputShape: [data.features], units: hidden, activation: 'relu' }),
    tfl.layers.dense({ units: 10, activation: 'softmax' }),
  ],
});
model.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });

const started = performance.now();
await model.fit(train.x, train.y, {
  epochs,
  batchSize,
  shuffle: true,
  validationData: [heldOut.x, heldOut.y],
  verbose: 0,
  callbacks: {
    onEpochEnd: async (epoch, logs) => {
      bench('epoch', {
        epoch: epoch + 1,
        seconds: (performance.now() - started) / 1000,
        loss: logs?.loss,
        heldOutAccuracy: logs?.val_acc ?? logs?.val_accuracy,
      });
    },
  },
});
