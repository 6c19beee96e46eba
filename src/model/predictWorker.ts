/**
 * A prediction worker thread (see predictThreads.ts): for each job, the class probabilities of a slice of rows,
 * computed with the same code as on the main thread and written straight into shared memory.
 */
import { parentPort } from 'node:worker_threads';
import { createParameters } from '../nn/network.js';
import { predictWithPacked } from './predictKernel.js';
import type { PredictJob } from './predictThreads.js';

const port = parentPort!;
port.on('message', (job: PredictJob) => {
  const params = createParameters(job.shape, job.params);
  const K = job.shape.classCount;
  const rowIds = job.rowIds.subarray(job.start, job.end);
  predictWithPacked(params, job.packed, job.input, rowIds, job.scale, job.probs.subarray(job.start * K));
  port.postMessage('done');
});
