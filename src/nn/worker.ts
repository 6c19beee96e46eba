/**
 * A training worker thread: waits on the shared control array for a job (a gradient or a prediction over a
 * slice of rows, or adding the gradients up and stepping the optimizer over a range of parameters), does it with
 * the same code as the main thread, and signals completion.
 */
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { gradientInSlices, chunkRows, sumGradients } from './engine.js';
import { createParameters, Workspace } from './network.js';
import { predictSparse, type PackedNetwork } from './predict.js';
import { optimizerNames, updateParameters, type OptimizerState } from './optimizers.js';
import { Command, Control, StepArgs, type WorkerSetup } from './threads.js';

const setup = workerData as WorkerSetup;
const params = createParameters(setup.shape, setup.params);
const grads = createParameters(setup.shape, setup.grads);
const workspace = new Workspace(setup.shape, chunkRows);
/** Packed anew by the main thread before every predict job, in the shared buffer. */
const prediction: PackedNetwork = { params, packed: setup.packed };
const K = setup.shape.classCount;
const block = setup.index * Control.size;
const control = setup.control;
const args = setup.stepArgs;
/** The optimizer state's shared arrays (Command.adopt); its step count comes with each step. */
let optimizerArrays: { first: Float64Array; second: Float64Array } | null = null;
let seen = 0;

/** Steps the optimizer over params[start..end), as the main thread described the step in the shared arguments. */
function updateRange(start: number, end: number): void {
  if (!optimizerArrays) throw new Error('training worker: an optimizer step came before the optimizer state');
  const name = optimizerNames[args[StepArgs.optimizer]!]!;
  const state: OptimizerState = { name, step: args[StepArgs.step]!, ...optimizerArrays };
  const settings = { name, momentum: args[StepArgs.momentum]!, beta2: args[StepArgs.beta2]!, weightDecay: args[StepArgs.weightDecay]! };
  const ranges: Array<readonly [number, number]> = [];
  for (let k = 0; k < args[StepArgs.rangeCount]!; k++) {
    ranges.push([args[StepArgs.ranges + 2 * k]!, args[StepArgs.ranges + 2 * k + 1]!]);
  }
  updateParameters(settings, state, params.data, setup.allGrads[0]!, args[StepArgs.lr]!, ranges, start, end);
}

for (;;) {
  Atomics.wait(control, block + Control.generation, seen);
  seen = Atomics.load(control, block + Control.generation);
  const command = control[block + Control.command];
  if (command === Command.exit) break;
  const start = control[block + Control.start]!;
  const end = control[block + Control.end]!;
  if (command === Command.gradient) {
    const input = setup.inputs[control[block + Control.inputIndex]!]!;
    grads.data.fill(0);
    const labels = setup.labels[control[block + Control.labelsIndex]!]!;
    const total = control[block + Control.total]!;
    const result = gradientInSlices(params, grads, workspace, input, labels, setup.rowIds, start, end, 1 / total);
    setup.results[setup.index * 2] = result.lossSum;
    setup.results[setup.index * 2 + 1] = result.correct;
  } else if (command === Command.predict) {
    const input = setup.inputs[control[block + Control.inputIndex]!]!;
    predictSparse(prediction, input, setup.rowIds.subarray(start, end), setup.probs.subarray(start * K));
  } else if (command === Command.sum || command === Command.update) {
    sumGradients(setup.allGrads, start, end);
    if (command === Command.update) updateRange(start, end);
  } else if (command === Command.adopt) {
    const arrays = receiveMessageOnPort(setup.port)?.message as { first: Float64Array; second: Float64Array } | undefined;
    if (!arrays) throw new Error('training worker: no optimizer state on the port');
    optimizerArrays = arrays;
  }
  Atomics.store(control, block + Control.done, seen);
  Atomics.notify(control, block + Control.done);
}
