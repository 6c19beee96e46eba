/**
 * Scores (src/train/metrics.ts) on small cases worked out by hand: confusion matrix, accuracy, per-class
 * precision, recall and F1, the binomial standard error, and the mean cross-entropy.
 */
import { describe, expect, it } from 'vitest';
import { binomialStandardError, meanCrossEntropy, score } from '../../src/train/metrics.js';

describe('score', () => {
  // Six rows, three classes:
  //   true 0 -> predicted 0, 0, 1;  true 1 -> predicted 1, 2;  true 2 -> predicted 2.
  const labels = [0, 0, 0, 1, 1, 2];
  const predicted = [0, 0, 1, 1, 2, 2];
  const scores = score(predicted, labels, 3);

  it('counts confusion[true][predicted]', () => {
    expect(scores.confusion).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
  });

  it('gives accuracy as correct / rows', () => {
    expect(scores.rows).toBe(6);
    expect(scores.correct).toBe(4);
    expect(scores.accuracy).toBeCloseTo(4 / 6, 15);
  });

  it('gives per-class precision (of the predictions), recall (of the truths) and their harmonic mean', () => {
    // Precision: class 0 2/2, class 1 1/2, class 2 1/2. Recall: 2/3, 1/2, 1/1.
    // F1 = 2pr / (p + r): 2 (1)(2/3) / (5/3) = 0.8, 0.5, 2 (1/2)(1) / (3/2) = 2/3.
    [1, 0.5, 0.5].forEach((p, c) => expect(scores.precision[c]).toBeCloseTo(p, 15));
    [2 / 3, 0.5, 1].forEach((r, c) => expect(scores.recall[c]).toBeCloseTo(r, 15));
    [0.8, 0.5, 2 / 3].forEach((f, c) => expect(scores.f1[c]).toBeCloseTo(f, 15));
  });

  it('gives the binomial standard error sqrt(p (1 - p) / n)', () => {
    // p = 2/3, n = 6: sqrt((2/3)(1/3) / 6) = sqrt(1/27).
    expect(scores.standardError).toBeCloseTo(Math.sqrt(1 / 27), 15);
    expect(binomialStandardError(0.83, 1000)).toBeCloseTo(Math.sqrt((0.83 * 0.17) / 1000), 15);
    expect(binomialStandardError(1, 400)).toBe(0);
    expect(binomialStandardError(0.5, 0)).toBe(0);
  });

  it('gives 0, not NaN, for a class that is never predicted and never true', () => {
    const withAbsent = score([0, 1, 1], [0, 1, 0], 4);
    for (const c of [2, 3]) {
      expect([withAbsent.precision[c], withAbsent.recall[c], withAbsent.f1[c]]).toEqual([0, 0, 0]);
    }
    // Class 0: precision 1/1, recall 1/2. Class 1: precision 1/2, recall 1/1.
    expect(withAbsent.precision.slice(0, 2)).toEqual([1, 0.5]);
    expect(withAbsent.recall.slice(0, 2)).toEqual([0.5, 1]);
  });

  it('scores no rows as zeros', () => {
    const empty = score([], [], 10);
    expect([empty.rows, empty.correct, empty.accuracy, empty.standardError]).toEqual([0, 0, 0, 0]);
    expect(empty.confusion).toEqual(Array.from({ length: 10 }, () => new Array(10).fill(0)));
  });

  it('accepts typed arrays, as predictions and labels are', () => {
    const typed = score(Uint8Array.from(predicted), Uint8Array.from(labels), 3);
    expect(typed).toEqual(scores);
  });
});

describe('meanCrossEntropy', () => {
  it('averages -log p[label] over rows, flooring p so a zero probability stays finite', () => {
    const probs = Float64Array.from([0.5, 0.5, 0.9, 0.1, 0, 1]);
    const loss = meanCrossEntropy(probs, [0, 0, 0], 2);
    // -(log 0.5 + log 0.9 + log 1e-300) / 3
    expect(loss).toBeCloseTo(-(Math.log(0.5) + Math.log(0.9) + Math.log(1e-300)) / 3, 12);
    expect(meanCrossEntropy(Float64Array.from([0.25, 0.75]), [1], 2)).toBeCloseTo(-Math.log(0.75), 15);
    expect(meanCrossEntropy(new Float64Array(0), [], 2)).toBe(0);
  });
});
