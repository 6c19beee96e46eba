/**
 * A training worker thread: waits on the shared control array for a job (a gradient or a prediction over a
 * slice of rows), does it with the same network code as the main thread, and signals completion.
 */
import { workerData } from 'node:worker_threads';
import { gradientInSlices, chunkRows } from './engine.js';
import { createParameters, predictProbabilities, Workspace } from './network.js';
import { Command, Control, type WorkerSetup } from './threads.js';

const setup = workerData as WorkerSetup;
const params = createParameters(setup.shape, setup.params);
const grads = createParameters(setup.shape, setup.grads);
const workspace = new Workspace(setup.shape, chunkRows);
const K = setup.shape.classCount;
const block = setup.index * Control.size;
const control = setup.control;
let seen = 0;

for (;;) {
  Atomics.wait(control, block + Control.generation, seen);
  seen = Atomics.load(control, block + Control.generation);
  const command = control[block + Control.command];
  if (command === Command.exit) break;
  const input = setup.inputs[control[block + Control.inputIndex]!]!;
  const start = control[block + Control.start]!;
  const end = control[block + Control.end]!;
  if (command === Command.gradient) {
    grads.data.fill(0);
    const labels = setup.labels[control[block + Control.labelsIndex]!]!;
    const total = control[block + Control.total]!;
    const result = gradientInSlices(params, grads, workspace, input, labels, setup.rowIds, start, end, 1 / total);
    setup.results[setup.index * 2] = result.lossSum;
    setup.results[setup.index * 2 + 1] = result.correct;
  } else if (command === Command.predict) {
    predictProbabilities(params, workspace, input, setup.rowIds.subarray(start, end), setup.probs.subarray(start * K));
  }
  Atomics.store(control, block + Control.done, seen);
  Atomics.notify(control, block + Control.done);
}
