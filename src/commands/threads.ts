/** Choosing the engine for --threads. */
import { availableParallelism } from 'node:os';
import { localEngineFactory, type EngineFactory } from '../train/fit.js';

export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

export function createEngineFactory(threads: number): EngineFactory {
  void threads;
  return localEngineFactory;
}
