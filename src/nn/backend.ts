/**
 * Which kernels run (the TypeScript ones or their WebAssembly SIMD twins) and where the arrays they work on must
 * come from, as one value the engines and the prediction path are given. The numbers are the same either way,
 * bit for bit; only the speed differs.
 */
import { plainArrays, sharedArrays, type ArrayAllocator } from '../data/arrays.js';
import { typeScriptKernels, type Kernels } from './kernels/kernels.js';
import { createParameters, type Parameters } from './network.js';
import { WasmMemory, type CompiledModule, type SharedWasmMemory, type ViewType } from './wasm/memory.js';
import { compileWasmKernels, wasmKernelsSupported, WasmKernels } from './wasm/module.js';

export type KernelsName = 'wasm' | 'js';

export interface Backend {
  readonly name: KernelsName;
  readonly kernels: Kernels;
  /** Where every array the kernels are passed must come from. */
  readonly arrays: ArrayAllocator;
  /** For the WebAssembly kernels: their memory and module, for worker threads to attach to. */
  readonly wasm: WasmKernels | null;
}

/** The TypeScript kernels, over ordinary arrays, or SharedArrayBuffers when worker threads must see them. */
export function typeScriptBackend(shared = false): Backend {
  return { name: 'js', kernels: typeScriptKernels, arrays: shared ? sharedArrays : plainArrays, wasm: null };
}

/**
 * The most the kernels' memory may grow to: what a 32-bit module can address. Only what is allocated becomes
 * resident; the rest is address space.
 */
const wasmMemoryMaximum = 2 ** 32;

/** The WebAssembly kernels over a memory of their own (shared, so worker threads can use it), or null without SIMD. */
export function wasmBackend(): Backend | null {
  if (!wasmKernelsSupported()) return null;
  const memory = WasmMemory.create({ maximumBytes: wasmMemoryMaximum });
  return backendOf(WasmKernels.instantiate(compileWasmKernels(), memory));
}

/** What a worker thread is sent to run the main thread's WebAssembly kernels over the same memory. */
export interface WasmShare {
  readonly memory: SharedWasmMemory;
  readonly module: CompiledModule;
}

export function wasmShare(backend: Backend): WasmShare | null {
  return backend.wasm ? { memory: backend.wasm.memory.memory, module: backend.wasm.module } : null;
}

/** In a worker: the backend the main thread's `share` describes (the TypeScript kernels for null). */
export function attachBackend(share: WasmShare | null): Backend {
  if (!share) return typeScriptBackend();
  return backendOf(WasmKernels.instantiate(share.module, WasmMemory.attach(share.memory)));
}

function backendOf(kernels: WasmKernels): Backend {
  return { name: 'wasm', kernels, arrays: kernels.memory, wasm: kernels };
}

/** A typed array as the kernels' arrays hold it. */
export type KernelArray = Float64Array | Uint8Array | Uint16Array | Uint32Array | Int32Array;

/** Whether the backend's kernels can be passed `view` as it is (the TypeScript kernels take any array). */
export function reaches(backend: Backend, view: KernelArray): boolean {
  return backend.wasm === null || backend.wasm.memory.holds(view);
}

/**
 * `view`, which another thread took from the kernels' arrays and posted here, as this thread must hand it to the
 * kernels: a view of the WebAssembly memory arrives over another SharedArrayBuffer object, which the kernels do
 * not know as theirs, so the same bytes are looked up again by offset. For the TypeScript kernels, `view` itself.
 */
export function relocate<View extends KernelArray>(backend: Backend, view: View): View {
  if (!backend.wasm) return view;
  return backend.wasm.memory.at(view.constructor as unknown as ViewType<View>, view.byteOffset, view.length);
}

/** `params` where the backend's kernels reach them: as they are, or a copy in the backend's memory. */
export function reachableParameters(params: Parameters, backend: Backend): Parameters {
  if (reaches(backend, params.data)) return params;
  const data = backend.arrays.f64(params.data.length);
  data.set(params.data);
  return createParameters(params.shape, data);
}

/**
 * Row ids as the backend's kernels can read them: the ids given when the kernels reach them, else a copy in a
 * buffer of the backend's, reused from call to call (and replaced by a bigger one when a call needs more).
 */
export class RowIdStage {
  private buffer: Uint32Array | null = null;

  constructor(private readonly backend: Backend) {}

  of(rowIds: Uint32Array): Uint32Array {
    if (reaches(this.backend, rowIds)) return rowIds;
    if (!this.buffer || this.buffer.length < rowIds.length) {
      this.buffer = this.backend.arrays.u32(Math.max(rowIds.length, 2 * (this.buffer?.length ?? 0)));
    }
    const ids = this.buffer.subarray(0, rowIds.length);
    ids.set(rowIds);
    return ids;
  }
}
