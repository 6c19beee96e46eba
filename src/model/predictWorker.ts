/**
 * A prediction worker thread (see predictThreads.ts): it is given the network once, then is offered every batch
 * of rows as it is read; it sparsifies, deskews (if the model asks) and predicts each batch it manages to claim,
 * with the same code as the main thread, writing the probabilities straight into shared memory, and says which
 * batch it finished.
 */
import { parentPort } from 'node:worker_threads';
import { createParameters } from '../nn/network.js';
import { Claim, predictBatch, type SharedModel, type WorkerMessage } from './predictThreads.js';

const port = parentPort!;
let model: (SharedModel & { claims: Int32Array }) | null = null;
let ids = new Uint32Array(0);

port.on('message', (message: WorkerMessage) => {
  if (message.kind === 'model') {
    const { shape, params, packed, scale, deskew, claims } = message;
    model = { params: createParameters(shape, params), packed, scale, deskew, claims };
    return;
  }
  if (!model) throw new Error('prediction worker: a batch came before the model');
  // The main thread may have taken this batch already (at the end of the reading).
  if (Atomics.compareExchange(model.claims, message.index, Claim.free, Claim.taken) !== Claim.free) return;
  if (ids.length < message.rows) ids = Uint32Array.from({ length: message.rows }, (_, r) => r);
  predictBatch(model, message, ids);
  port.postMessage(message.index);
});
