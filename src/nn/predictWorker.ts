/**
 * A prediction worker thread (see predictThreads.ts): it is given the network once, then is offered every batch
 * of rows as it is read; it predicts each batch it manages to claim, with the same code as the main thread,
 * writing the probabilities straight into shared memory, and says which batch it finished.
 */
import { parentPort } from 'node:worker_threads';
import { Claim, predictBatch, threadModel, type ThreadModel, type WorkerMessage } from './predictThreads.js';

const port = parentPort!;
let model: ThreadModel | null = null;
let claims: Int32Array | null = null;

port.on('message', (message: WorkerMessage) => {
  if (message.kind === 'model') {
    model = threadModel(message);
    claims = message.claims;
    return;
  }
  if (!model || !claims) throw new Error('prediction worker: a batch came before the model');
  // The main thread may have taken this batch already (at the end of the reading).
  if (Atomics.compareExchange(claims, message.index, Claim.free, Claim.taken) !== Claim.free) return;
  predictBatch(model, message);
  port.postMessage(message.index);
});
