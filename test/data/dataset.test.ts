/** Dataset helpers on real sample rows. */
import { describe, expect, it } from 'vitest';
import { selectRows } from '../../src/data/dataset.js';
import { sampleDataset } from '../helpers/sample-rows.js';

describe('selectRows', () => {
  it('copies the chosen rows, in the order asked, with their labels, leaving the dataset as it was', () => {
    const dataset = sampleDataset(20);
    const before = dataset.pixels.slice();
    const F = dataset.features;
    const rowIds = Uint32Array.from([19, 0, 7, 7]);
    const selected = selectRows(dataset, rowIds);
    expect(selected.rows).toBe(4);
    expect(selected.features).toBe(F);
    expect(selected.source).toBe(dataset.source);
    rowIds.forEach((row, k) => {
      expect(selected.pixels.subarray(k * F, (k + 1) * F)).toEqual(dataset.pixels.subarray(row * F, (row + 1) * F));
      expect(selected.labels![k]).toBe(dataset.labels![row]);
    });
    selected.pixels.fill(0);
    expect(dataset.pixels).toEqual(before);
  });

  it('keeps an unlabelled dataset unlabelled', () => {
    const dataset = { ...sampleDataset(3), labels: null };
    expect(selectRows(dataset, Uint32Array.from([2])).labels).toBeNull();
  });
});
