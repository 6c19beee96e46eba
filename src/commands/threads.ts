/**
 * Choosing the engine for --threads and --kernels: the plain single-threaded one, or worker threads over shared
 * memory; the TypeScript kernels, or their WebAssembly SIMD twins (the same numbers, faster).
 */
import { inputError } from '../errors.js';
import { typeScriptBackend, wasmBackend, type Backend } from '../nn/backend.js';
import { LocalEngine } from '../nn/engine.js';
import { ThreadEngine } from '../nn/threads.js';
import type { EngineFactory } from '../train/fit.js';
import type { KernelsChoice } from './options.js';

/**
 * The kernels --kernels asks for: `auto` takes the WebAssembly ones where this Node.js runs WebAssembly SIMD,
 * else the TypeScript ones. `shared`: arrays worker threads can be given.
 */
export function chooseBackend(choice: KernelsChoice, shared: boolean): Backend {
  if (choice === 'js') return typeScriptBackend(shared);
  const wasm = wasmBackend();
  if (wasm) return wasm;
  if (choice === 'auto') return typeScriptBackend(shared);
  throw inputError(`--kernels wasm: this Node.js (${process.version}) does not run WebAssembly SIMD over shared memory.`, [
    'Use --kernels js or --kernels auto: the TypeScript kernels give the same numbers, more slowly.',
  ]);
}

export function createEngineFactory(threads: number, backend: Backend): EngineFactory {
  if (threads <= 1) {
    return { arrays: backend.arrays, create: async (shape, params) => new LocalEngine(shape, params, backend) };
  }
  return {
    arrays: backend.arrays,
    create: (shape, params, inputs) => ThreadEngine.start(shape, params, inputs, threads, backend),
  };
}
