/** The eval report: mistakes ranked by confidence, confused pairs, and the text people read. */
import { spawnSync } from 'node:child_process';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { confusedPairs, confusionHeatMap, formatEvalReport, mistakesForWidth, rankMistakes } from '../../src/ui/report.js';
import { score } from '../../src/train/metrics.js';
import { stripAnsi } from '../../src/ui/format.js';

const plain = new Chalk({ level: 0 });

/** One-hot-ish probabilities: `p` on `predicted`, the rest spread evenly over the other classes. */
function probsFor(rows: { predicted: number; p: number }[], K: number): Float64Array {
  const probs = new Float64Array(rows.length * K);
  rows.forEach(({ predicted, p }, r) => {
    for (let k = 0; k < K; k++) probs[r * K + k] = k === predicted ? p : (1 - p) / (K - 1);
  });
  return probs;
}

describe('rankMistakes', () => {
  it('lists only wrong predictions, most confident first, with 1-based rows from the scored row ids', () => {
    const K = 3;
    const predicted = [0, 1, 2, 1, 0];
    const labels = [0, 2, 2, 0, 1];
    const probs = probsFor(
      [
        { predicted: 0, p: 0.9 },
        { predicted: 1, p: 0.6 },
        { predicted: 2, p: 0.99 },
        { predicted: 1, p: 0.8 },
        { predicted: 0, p: 0.6 },
      ],
      K,
    );
    const rowIds = [10, 11, 12, 13, 14];
    const mistakes = rankMistakes(probs, predicted, labels, rowIds, K);
    expect(mistakes.map((m) => m.row)).toEqual([14, 12, 15]); // 0.8, then the 0.6 tie by row
    expect(mistakes[0]).toEqual({ row: 14, label: 0, predicted: 1, confidence: 0.8, labelProbability: expect.closeTo(0.1, 12) });
    for (const m of mistakes) expect(m.label).not.toBe(m.predicted);
  });
});

describe('confusedPairs', () => {
  it('gives off-diagonal cells, largest first, with their share of the true digit', () => {
    const confusion = [
      [8, 2, 0],
      [1, 5, 4],
      [0, 2, 6],
    ];
    expect(confusedPairs(confusion)).toEqual([
      { label: 1, predicted: 2, count: 4, shareOfLabel: 0.4 },
      { label: 0, predicted: 1, count: 2, shareOfLabel: 0.2 },
      { label: 2, predicted: 1, count: 2, shareOfLabel: 0.25 },
      { label: 1, predicted: 0, count: 1, shareOfLabel: 0.1 },
    ]);
  });
});

describe('formatEvalReport', () => {
  const labels = [0, 0, 1, 1, 1, 2, 2, 2, 2, 9];
  const predicted = [0, 1, 1, 1, 2, 2, 2, 2, 2, 4];
  const scores = score(predicted, labels, 10);

  it('says the accuracy with the row count, then the matrix, per-digit scores and confused pairs', () => {
    const text = formatEvalReport(scores, 'test.csv', plain).join('\n');
    expect(text).toContain('Accuracy 70.00% ± 14.49% (7 of 10 rows correct) on test.csv');
    expect(text).toContain('Confusion matrix');
    expect(text).toMatch(/^ {2}digit {2}precision {2}recall +f1 +rows$/m);
    expect(text).toMatch(/^ {2}1 read as 2 {2}1 time {2}\(33\.3% of the 1s\)$/m);
    expect(text).not.toContain('Worst mistakes');
    expect(text).not.toContain('\x1b');
  });

  it('prints the confusion matrix numbers as they are, · for zero, with the row totals', () => {
    const lines = confusionHeatMap(scores.confusion, plain);
    expect(lines).toHaveLength(11);
    lines.slice(1).forEach((line, truth) => {
      const cells = line.trim().split(/\s+/);
      expect(cells.slice(0, 2)).toEqual(['true', String(truth)]);
      const numbers = cells.slice(2, 12).map((c) => (c === '·' ? 0 : Number(c)));
      expect(numbers).toEqual(scores.confusion[truth]);
      expect(Number(cells[12])).toBe(scores.confusion[truth]!.reduce((a, b) => a + b, 0));
    });
    // Columns line up: every line has the same width.
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });

  it('shades cells with colour when colour is on, and the text stays the same', () => {
    for (const level of [1, 2, 3] as const) {
      const lines = confusionHeatMap(scores.confusion, new Chalk({ level }));
      expect(lines.join('\n')).toContain('\x1b[');
      expect(lines.map(stripAnsi)).toEqual(confusionHeatMap(scores.confusion, plain));
    }
  });

  it('draws the given mistakes side by side with row, true label, prediction and confidence', () => {
    const features = 784;
    const pixels = new Uint8Array(3 * features);
    pixels.fill(255, features, 2 * features); // row 2 is all ink
    const mistakes = [
      { row: 2, label: 7, predicted: 1, confidence: 0.973, labelProbability: 0.01 },
      { row: 1, label: 3, predicted: 8, confidence: 0.5, labelProbability: 0.4 },
    ];
    const showCommand = ['digits', 'show', 'test.csv', '--rows 2,1'];
    const lines = formatEvalReport(scores, 'test.csv', plain, { width: 80, pictures: { pixels, features, mistakes, showCommand } });
    const start = lines.findIndex((l) => l.startsWith('Worst mistakes'));
    expect(start).toBeGreaterThan(0);
    expect(lines.slice(-2)).toEqual(['', 'Look closer: digits show test.csv --rows 2,1']);
    const pictures = lines.slice(start + 2, -2);
    expect(pictures).toHaveLength(16); // 14 picture lines, two caption lines, both tiles on one row
    expect(pictures[0]).toBe('█'.repeat(28));
    expect(pictures[14]).toMatch(/^row 2 +row 1$/);
    expect(pictures[15]).toMatch(/^true 7, read 1 97\.3% +true 3, read 8 50\.0%$/);
  });

  it('wraps its first line at spaces, and the look-closer command in lines a shell reads back as one', () => {
    const features = 784;
    const pixels = new Uint8Array(2 * features);
    const mistakes = [{ row: 2, label: 7, predicted: 1, confidence: 0.973, labelProbability: 0.01 }];
    const what = 'the 4,200 held-out rows of /home/ada/kaggle/train.csv';
    const showCommand = ['node bin/digits.js', 'show', '/home/ada/kaggle/train.csv', '--rows 2', '--model models/model.json'];
    for (const width of [80, 120]) {
      const lines = formatEvalReport(scores, what, plain, { width, pictures: { pixels, features, mistakes, showCommand } });
      for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(width);
      const closer = lines.slice(lines.indexOf('Look closer:') + 1);
      if (width === 80) {
        expect(lines[0]).toBe('Accuracy 70.00% ± 14.49% (7 of 10 rows correct) on the 4,200 held-out rows of');
        expect(lines[1]).toBe('/home/ada/kaggle/train.csv');
        expect(closer).toEqual([
          '  node bin/digits.js show /home/ada/kaggle/train.csv --rows 2 \\',
          '    --model models/model.json',
        ]);
        const pasted = spawnSync('sh', ['-c', `printf '%s|' ${closer.join('\n').replace(/^ {2}node bin\/digits\.js/, '')}`], { encoding: 'utf8' });
        expect(pasted.stdout).toBe('show|/home/ada/kaggle/train.csv|--rows|2|--model|models/model.json|');
      } else {
        expect(lines[0]).toBe(`Accuracy 70.00% ± 14.49% (7 of 10 rows correct) on ${what}`);
        expect(lines.at(-1)).toBe(`Look closer: ${showCommand.join(' ')}`);
      }
    }
  });

  it('fits as many mistake pictures as the width allows, from 2 to 8', () => {
    expect(mistakesForWidth(40)).toBe(2);
    expect(mistakesForWidth(120)).toBe(3);
    expect(mistakesForWidth(1000)).toBe(8);
  });
});
