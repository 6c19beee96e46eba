/**
 * A training worker thread: waits on the shared control array for a job (a gradient or a prediction over a
 * slice of rows, or adding the gradients up and stepping the optimizer over a range of parameters), does it with
 * the same code as the main thread, and signals completion.
 */
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { SparseRows } from '../data/dataset.js';
import { attachBackend, relocate } from './backend.js';
import { gradientInSlices, chunkRows, sumGradients } from './engine.js';
import { createParameters, Workspace } from './network.js';
import { predictSparse, PredictScratch, type PackedNetwork } from './predict.js';
import { optimizerNames, updateParameters, type OptimizerState } from './optimizers.js';
import { Command, Control, StepArgs, type WorkerSetup } from './threads.js';

const setup = workerData as WorkerSetup;
const backend = attachBackend(setup.wasm);
const kernels = backend.kernels;
const relocateRows = (rows: SparseRows): SparseRows => ({
  ...rows,
  offsets: relocate(backend, rows.offsets),
  indices: relocate(backend, rows.indices),
  values: relocate(backend, rows.values),
});
const inputs = setup.inputs.map(relocateRows);
const labelSets = setup.labels.map((labels) => relocate(backend, labels));
const rowIds = relocate(backend, setup.rowIds);
const probs = relocate(backend, setup.probs);
const allGrads = setup.allGrads.map((grads) => relocate(backend, grads));
const params = createParameters(setup.shape, relocate(backend, setup.params));
const grads = createParameters(setup.shape, allGrads[setup.index]!);
const workspace = new Workspace(setup.shape, chunkRows, backend.arrays);
const scratch = new PredictScratch(setup.shape, undefined, backend);
/** Packed anew by the main thread before every predict job, in the shared buffer. */
const prediction: PackedNetwork = { params, packed: relocate(backend, setup.packed) };
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
  updateParameters(settings, state, params.data, allGrads[0]!, args[StepArgs.lr]!, ranges, start, end);
}

for (;;) {
  Atomics.wait(control, block + Control.generation, seen);
  seen = Atomics.load(control, block + Control.generation);
  const command = control[block + Control.command];
  if (command === Command.exit) break;
  const start = control[block + Control.start]!;
  const end = control[block + Control.end]!;
  if (command === Command.gradient) {
    const input = inputs[control[block + Control.inputIndex]!]!;
    grads.data.fill(0);
    const labels = labelSets[control[block + Control.labelsIndex]!]!;
    const total = control[block + Control.total]!;
    const result = gradientInSlices(params, grads, workspace, input, labels, rowIds, start, end, 1 / total, kernels);
    setup.results[setup.index * 2] = result.lossSum;
    setup.results[setup.index * 2 + 1] = result.correct;
  } else if (command === Command.predict) {
    const input = inputs[control[block + Control.inputIndex]!]!;
    predictSparse(prediction, input, rowIds.subarray(start, end), probs.subarray(start * K), scratch);
  } else if (command === Command.sum || command === Command.update) {
    sumGradients(allGrads, start, end);
    if (command === Command.update) updateRange(start, end);
  } else if (command === Command.adopt) {
    const arrays = receiveMessageOnPort(setup.port)?.message as { first: Float64Array; second: Float64Array } | undefined;
    if (!arrays) throw new Error('training worker: no optimizer state on the port');
    optimizerArrays = arrays;
  }
  Atomics.store(control, block + Control.done, seen);
  Atomics.notify(control, block + Control.done);
}
