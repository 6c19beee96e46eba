/**
 * The kernels a training step and a prediction run, as one interface: the TypeScript kernels here
 * (typeScriptKernels) and their WebAssembly SIMD twins (wasm/module.ts's WasmKernels) both satisfy it, with the
 * same numbers bit for bit, so the callers (network.ts's accumulateGradient, predict.ts's predictSparse) take
 * either. ReLU, the dense layer of the plain forward pass and the softmax are not here: they stay TypeScript.
 */
import { sparseBackward, sparseForward, sparsePackedForward } from './firstLayer.js';
import { outputLayerForward, outputLayerStep } from './outputLayer.js';
import { sparseStepTenByTen } from './seedStep.js';

export interface Kernels {
  readonly sparseForward: typeof sparseForward;
  readonly sparseBackward: typeof sparseBackward;
  readonly outputLayerStep: typeof outputLayerStep;
  readonly sparseStepTenByTen: typeof sparseStepTenByTen;
  readonly sparsePackedForward: typeof sparsePackedForward;
  readonly outputLayerForward: typeof outputLayerForward;
}

export const typeScriptKernels: Kernels = {
  sparseForward,
  sparseBackward,
  outputLayerStep,
  sparseStepTenByTen,
  sparsePackedForward,
  outputLayerForward,
};
