/** Help text and model descriptions: examples that fit a terminal, the presets' table, readable hyperparameters. */
import { describe, expect, it } from 'vitest';
import { examples, presetTable } from '../../src/ui/help.js';
import { formatDate, hyperparameterRows } from '../../src/ui/info.js';
import { presets } from '../../src/train/presets.js';

describe('examples', () => {
  it('aligns comments beside commands when everything fits in 80 columns', () => {
    expect(examples([['digits train', 'a'], ['digits eval --json', 'b']])).toBe(
      '\nExamples:\n  digits train        # a\n  digits eval --json  # b\n',
    );
  });

  it('puts each comment above its command when a line would pass 80 columns', () => {
    const text = examples([['digits predict test.csv.gz --model models/final.json --out submission.csv', 'written atomically']]);
    expect(text).toBe('\nExamples:\n  # written atomically\n  digits predict test.csv.gz --model models/final.json --out submission.csv\n');
  });
});

describe('presetTable', () => {
  it('lists each preset with the values it sets', () => {
    const lines = presetTable().trim().split('\n');
    expect(lines[1]).toMatch(/^\s+seed\s+default\s+best$/);
    const hidden = lines.find((l) => l.trim().startsWith('--hidden'))!.trim().split(/\s+/);
    expect(hidden).toEqual(['--hidden', String(presets.seed.hiddenSize), String(presets.default.hiddenSize), String(presets.best.hiddenSize)]);
    const batch = lines.find((l) => l.trim().startsWith('--batch-size'))!.trim().split(/\s+/);
    expect(batch[1]).toBe('full');
  });
});

describe('model descriptions', () => {
  it('formats ISO dates in UTC and leaves other text alone', () => {
    expect(formatDate('2025-05-01T12:03:04.567Z')).toBe('2025-05-01 12:03 UTC');
    expect(formatDate('yesterday')).toBe('yesterday');
  });

  it('names the hyperparameters in words, and shows settings it does not know as stored', () => {
    const rows = new Map(hyperparameterRows(presets.seed));
    expect(rows.get('iterations')).toBe('500');
    expect(rows.get('batch size')).toBe('full batch');
    expect(rows.get('held out')).toBe('1,000 rows');
    expect(rows.get('optimizer')).toBe('sgd');
    // Fixed augmentation settings, so that tuning a preset does not change what this test reads.
    const augment = { maxShift: 2, maxRotation: 12, maxScale: 0.1, elasticAlpha: 0, elasticSigma: 4 };
    const best = new Map(hyperparameterRows({ ...presets.best, augment, futureSetting: [1, 2] } as never));
    expect(best.get('augmentation')).toBe('shift ±2 px, rotate ±12°, scale ±10%');
    const elastic = new Map(hyperparameterRows({ ...presets.best, augment: { ...augment, elasticAlpha: 2.5 } }));
    expect(elastic.get('augmentation')).toBe('shift ±2 px, rotate ±12°, scale ±10%, elastic 2.5 (sigma 4)');
    expect(best.get('optimizer')).toBe('nesterov, momentum 0.9');
    expect(best.get('futureSetting')).toBe('[1,2]');
  });
});
