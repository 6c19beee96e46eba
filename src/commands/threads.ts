/** Choosing the engine for --threads: the plain single-threaded one, or worker threads over shared memory. */
import { sharedBuffer, ThreadEngine } from '../nn/threads.js';
import { localEngineFactory, type EngineFactory } from '../train/fit.js';

export function createEngineFactory(threads: number): EngineFactory {
  if (threads <= 1) return localEngineFactory;
  return {
    allocate: sharedBuffer,
    create: (shape, params, inputs) => ThreadEngine.start(shape, params, inputs, threads),
  };
}
