/** A small model trained in the test process on the bundled sample, for the serve tests (a second or two). */
import { fileURLToPath } from 'node:url';
import { readDigitCsv } from '../../src/data/csv.js';
import type { Dataset } from '../../src/data/dataset.js';
import type { Model } from '../../src/train/model.js';
import { fitModel } from '../../src/train/fit.js';
import { presets } from '../../src/train/presets.js';

export const sampleTrainFile = fileURLToPath(new URL('../../data/sample/train.csv.gz', import.meta.url));
export const sampleTestFile = fileURLToPath(new URL('../../data/sample/test.csv.gz', import.meta.url));

export function readSample(path: string): Promise<Dataset> {
  return readDigitCsv(path, { labels: 'optional' });
}

export async function trainSampleModel(hiddenSize = 32, epochs = 2): Promise<Model> {
  const dataset = await readDigitCsv(sampleTrainFile, { labels: 'required' });
  const { model } = await fitModel(dataset, { ...presets.default, hiddenSize, epochs });
  return model;
}
