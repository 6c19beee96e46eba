/**
 * A prediction worker thread (see predictThreads.ts): it is given the network once, then is offered every batch
 * of rows as it is read; it predicts each batch it manages to claim, with the same code as the main thread,
 * writing the probabilities straight into shared memory, and says which batch it finished.
 */
import { parentPort } from 'node:worker_threads';
import { createParameters, type Parameters } from '../nn/network.js';
import { predictWithPacked } from './predictKernel.js';
import { Claim, type WorkerMessage } from './predictThreads.js';

const port = parentPort!;
let model: { params: Parameters; packed: Float64Array; scale: number; claims: Int32Array } | null = null;
let ids = new Uint32Array(0);

port.on('message', (message: WorkerMessage) => {
  if (message.kind === 'model') {
    const { shape, params, packed, scale, claims } = message;
    model = { params: createParameters(shape, params), packed, scale, claims };
    return;
  }
  if (!model) throw new Error('prediction worker: a batch came before the model');
  // The main thread may have taken this batch already (at the end of the reading).
  if (Atomics.compareExchange(model.claims, message.index, Claim.free, Claim.taken) !== Claim.free) return;
  const rows = message.input.rows;
  if (ids.length < rows) ids = Uint32Array.from({ length: rows }, (_, r) => r);
  predictWithPacked(model.params, model.packed, message.input, ids.subarray(0, rows), model.scale, message.probs);
  port.postMessage(message.index);
});
