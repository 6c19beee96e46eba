/**
 * The bundled sample of real Kaggle rows, read for tests with a deliberately plain parser (gunzip, split on
 * newlines and commas): independent of the project's CSV reader, and fast enough to call from any test.
 * Only for the bundled files, whose layout is known: a header, then integers; `label` first when present.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import type { Dataset } from '../../src/data/dataset.js';

export const sampleTrainPath = fileURLToPath(new URL('../../data/sample/train.csv.gz', import.meta.url));
export const sampleTestPath = fileURLToPath(new URL('../../data/sample/test.csv.gz', import.meta.url));

export interface SampleRows {
  readonly rows: number;
  readonly features: number;
  /** rows x features, 0..255. */
  readonly pixels: Uint8Array;
  /** One label a row, or null for the unlabelled test sample. */
  readonly labels: Uint8Array | null;
}

/** The text of a bundled sample file, decompressed. */
export function sampleText(path: string): string {
  return gunzipSync(readFileSync(path)).toString('utf8');
}

/** The first `limit` data rows (all by default) of a bundled sample file. */
export function readSampleRows(path: string, limit = Infinity): SampleRows {
  const lines = sampleText(path).split('\n').filter((line) => line !== '');
  const header = lines[0]!.split(',');
  const labelled = header[0] === 'label';
  const features = header.length - (labelled ? 1 : 0);
  const rows = Math.min(limit, lines.length - 1);
  const pixels = new Uint8Array(rows * features);
  const labels = labelled ? new Uint8Array(rows) : null;
  for (let r = 0; r < rows; r++) {
    const cells = lines[r + 1]!.split(',').map(Number);
    if (labels) labels[r] = cells[0]!;
    pixels.set(labelled ? cells.slice(1) : cells, r * features);
  }
  return { rows, features, pixels, labels };
}

/** The first `rows` rows of the bundled training sample as a loaded Dataset, for tests that train in process. */
export function sampleDataset(rows: number): Dataset {
  const sample = readSampleRows(sampleTrainPath, rows);
  return {
    rows: sample.rows,
    features: sample.features,
    pixels: sample.pixels,
    labels: sample.labels,
    source: { path: sampleTrainPath, sha256: 'sample-sha', pixelColumns: [] },
  };
}
