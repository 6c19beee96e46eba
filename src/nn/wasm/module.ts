/**
 * The WebAssembly kernels (kernels.wat, assembled by `npm run build` into dist/nn/wasm/kernels.wasm): loading,
 * the check that this engine runs 128-bit SIMD, and wrappers with the TypeScript twins' signatures
 * (nn/kernels/: the Kernels interface both satisfy), so a caller can take either. Every array passed must live in the
 * kernels' WasmMemory (memory.ts), and the wrappers pass the kernels each array's byte offset, after checking
 * that it is there and long enough for the call.
 *
 * The numbers are bit for bit the twins': test/nn/wasm.test.ts holds every kernel to exact equality.
 * Without SIMD (or shared memory) loadWasmKernels gives null, and the caller keeps the TypeScript kernels.
 */
import { readFileSync } from 'node:fs';
import type { SparseRows } from '../../data/dataset.js';
import type { Kernels } from '../kernels/kernels.js';
import { webAssembly, WasmMemory, type CompiledModule } from './memory.js';

/** Where the build puts the module: found from src/nn/wasm/ (tests) as from dist/nn/wasm/. */
const wasmFile = new URL('../../../dist/nn/wasm/kernels.wasm', import.meta.url);

/**
 * A tiny module of f64x2 operations, which validates only where 128-bit SIMD is supported:
 *   (module (func (param f64) (result v128) (f64x2.mul (f64x2.splat (local.get 0)) (f64x2.splat (local.get 0)))))
 */
const simdProbe = Uint8Array.from([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 124, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 32, 0, 253, 20, 32, 0,
  253, 20, 253, 242, 1, 11,
]);

/** Whether this engine runs WebAssembly with 128-bit SIMD over shared memory, as the kernels need. */
export function wasmKernelsSupported(): boolean {
  const api = webAssembly();
  if (api === undefined || typeof SharedArrayBuffer === 'undefined') return false;
  if (!api.validate(simdProbe)) return false;
  try {
    new api.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

/** The compiled kernels, from the build's .wasm file; a WebAssembly.Module, which worker threads can be sent. */
export function compileWasmKernels(): CompiledModule {
  return new (webAssembly().Module)(readFileSync(wasmFile));
}

/**
 * The kernels over `memory` (a new one by default), or null when this engine lacks what they need
 * (wasmKernelsSupported): the caller then uses the TypeScript kernels.
 */
export function loadWasmKernels(memory?: WasmMemory, module?: CompiledModule): WasmKernels | null {
  if (!wasmKernelsSupported()) return null;
  return WasmKernels.instantiate(module ?? compileWasmKernels(), memory ?? WasmMemory.create());
}

/** The module's exports: pointers are byte offsets into the memory, sizes element counts. */
interface KernelExports {
  sparseForward(out: number, offsets: number, indices: number, values: number, rowIds: number, scale: number,
    w: number, b: number, R: number, O: number): void;
  sparseBackward(dw: number, db: number, dout: number, offsets: number, indices: number, values: number,
    rowIds: number, scale: number, R: number, O: number, activeUnits: number, activeGrads: number): void;
  outputLayerStep(dhidden: number, dw2: number, db2: number, dlogits: number, probs: number, hidden: number,
    labels: number, w2: number, b2: number, scale: number, R: number, H: number, K: number): [number, number];
  sparseStepTenByTen(dw1: number, db1: number, dw2: number, db2: number, hidden: number, dhidden: number,
    probs: number, dlogits: number, offsets: number, indices: number, values: number, rowIds: number,
    labels: number, scale: number, w1: number, b1: number, w2: number, b2: number, lossScale: number,
    R: number): [number, number];
  sparsePackedForward(hidden: number, offsets: number, indices: number, values: number, rowIds: number,
    scale: number, packed: number, w1: number, b: number, R: number, I: number, H: number): void;
  outputLayerForward(logits: number, hidden: number, w: number, b: number, R: number, H: number, K: number): void;
}

/** A training step's summed loss and its rows whose most probable class is their label. */
export interface StepResult {
  lossSum: number;
  correct: number;
}

export class WasmKernels implements Kernels {
  private constructor(
    readonly memory: WasmMemory,
    readonly module: CompiledModule,
    private readonly raw: KernelExports,
  ) {}

  /** The kernels of `module` over `memory`; a worker thread does the same with the memory and module it is sent. */
  static instantiate(module: CompiledModule, memory: WasmMemory): WasmKernels {
    const imports = { env: { memory: memory.memory }, math: { exp: Math.exp, log: Math.log } };
    const instance = new (webAssembly().Instance)(module, imports);
    return new WasmKernels(memory, module, instance.exports as KernelExports);
  }

  /** kernels/firstLayer.ts's sparseForward: out (R,O) = b + scaled rows rowIds of input times w (I,O). */
  sparseForward(
    out: Float64Array,
    input: SparseRows,
    rowIds: Uint32Array,
    scale: number,
    w: Float64Array,
    b: Float64Array,
    R: number,
    O: number,
  ): void {
    const m = this.memory;
    const [offsets, indices, values] = this.rows(input);
    this.raw.sparseForward(
      m.pointer(out, R * O, 'out'), offsets, indices, values, m.pointer(rowIds, R, 'rowIds'), scale,
      m.pointer(w, input.features * O, 'w'), m.pointer(b, O, 'b'), R, O,
    );
  }

  /** kernels/firstLayer.ts's sparseBackward: adds dw (I,O) and db (O) for dout (R,O); activeUnits/activeGrads scratch (O). */
  sparseBackward(
    dw: Float64Array,
    db: Float64Array,
    dout: Float64Array,
    input: SparseRows,
    rowIds: Uint32Array,
    scale: number,
    R: number,
    O: number,
    activeUnits: Int32Array,
    activeGrads: Float64Array,
  ): void {
    const m = this.memory;
    const [offsets, indices, values] = this.rows(input);
    this.raw.sparseBackward(
      m.pointer(dw, input.features * O, 'dw'), m.pointer(db, O, 'db'), m.pointer(dout, R * O, 'dout'),
      offsets, indices, values, m.pointer(rowIds, R, 'rowIds'), scale, R, O,
      m.pointer(activeUnits, O, 'activeUnits'), m.pointer(activeGrads, O, 'activeGrads'),
    );
  }

  /** kernels/outputLayer.ts's outputLayerStep: hidden (R,H), w2 (H,K); writes dhidden, probs, dlogits, adds dw2, db2. */
  outputLayerStep(
    dhidden: Float64Array,
    dw2: Float64Array,
    db2: Float64Array,
    dlogits: Float64Array,
    probs: Float64Array,
    hidden: Float64Array,
    labels: Uint8Array,
    w2: Float64Array,
    b2: Float64Array,
    scale: number,
    R: number,
    H: number,
    K: number,
  ): StepResult {
    const m = this.memory;
    const [lossSum, correct] = this.raw.outputLayerStep(
      m.pointer(dhidden, R * H, 'dhidden'), m.pointer(dw2, H * K, 'dw2'), m.pointer(db2, K, 'db2'),
      m.pointer(dlogits, R * K, 'dlogits'), m.pointer(probs, R * K, 'probs'), m.pointer(hidden, R * H, 'hidden'),
      m.pointer(labels, R, 'labels'), m.pointer(w2, H * K, 'w2'), m.pointer(b2, K, 'b2'), scale, R, H, K,
    );
    return { lossSum, correct };
  }

  /** kernels/seedStep.ts's sparseStepTenByTen: a whole step of a 784-10-10 network (all (R,10) buffers written). */
  sparseStepTenByTen(
    dw1: Float64Array,
    db1: Float64Array,
    dw2: Float64Array,
    db2: Float64Array,
    hidden: Float64Array,
    dhidden: Float64Array,
    probs: Float64Array,
    dlogits: Float64Array,
    input: SparseRows,
    rowIds: Uint32Array,
    labels: Uint8Array,
    scale: number,
    w1: Float64Array,
    b1: Float64Array,
    w2: Float64Array,
    b2: Float64Array,
    lossScale: number,
    R: number,
  ): StepResult {
    const m = this.memory;
    const I = input.features;
    const [offsets, indices, values] = this.rows(input);
    const [lossSum, correct] = this.raw.sparseStepTenByTen(
      m.pointer(dw1, I * 10, 'dw1'), m.pointer(db1, 10, 'db1'), m.pointer(dw2, 100, 'dw2'), m.pointer(db2, 10, 'db2'),
      m.pointer(hidden, R * 10, 'hidden'), m.pointer(dhidden, R * 10, 'dhidden'), m.pointer(probs, R * 10, 'probs'),
      m.pointer(dlogits, R * 10, 'dlogits'), offsets, indices, values, m.pointer(rowIds, R, 'rowIds'),
      m.pointer(labels, R, 'labels'), scale, m.pointer(w1, I * 10, 'w1'), m.pointer(b1, 10, 'b1'),
      m.pointer(w2, 100, 'w2'), m.pointer(b2, 10, 'b2'), lossScale, R,
    );
    return { lossSum, correct };
  }

  /** kernels/firstLayer.ts's sparsePackedForward: hidden (R,H) = ReLU of the first layer; packed = packFirstLayer(w1). */
  sparsePackedForward(
    hidden: Float64Array,
    input: SparseRows,
    rowIds: Uint32Array,
    scale: number,
    packed: Float64Array,
    w1: Float64Array,
    b: Float64Array,
    R: number,
    I: number,
    H: number,
  ): void {
    const m = this.memory;
    const [offsets, indices, values] = this.rows(input);
    this.raw.sparsePackedForward(
      m.pointer(hidden, R * H, 'hidden'), offsets, indices, values, m.pointer(rowIds, R, 'rowIds'), scale,
      m.pointer(packed, I * (H - (H % 8)), 'packed'), m.pointer(w1, I * H, 'w1'), m.pointer(b, H, 'b'), R, I, H,
    );
  }

  /** kernels/outputLayer.ts's outputLayerForward: logits (R,K) = b + hidden (R,H) . w (H,K). */
  outputLayerForward(
    logits: Float64Array,
    hidden: Float64Array,
    w: Float64Array,
    b: Float64Array,
    R: number,
    H: number,
    K: number,
  ): void {
    const m = this.memory;
    this.raw.outputLayerForward(
      m.pointer(logits, R * K, 'logits'), m.pointer(hidden, R * H, 'hidden'), m.pointer(w, H * K, 'w'),
      m.pointer(b, K, 'b'), R, H, K,
    );
  }

  /** The byte offsets of a SparseRows' offsets, indices and values (rowIds must be below input.rows, as for the twins). */
  private rows(input: SparseRows): [number, number, number] {
    const m = this.memory;
    return [
      m.pointer(input.offsets, input.rows + 1, 'input.offsets'),
      m.pointer(input.indices, input.offsets[input.rows]!, 'input.indices'),
      m.pointer(input.values, input.offsets[input.rows]!, 'input.values'),
    ];
  }
}
