/** Scores of predictions against labels: accuracy, confusion matrix, per-class precision, recall and F1. */

export interface Scores {
  readonly rows: number;
  readonly correct: number;
  readonly accuracy: number;
  /** Binomial standard error of the accuracy: sqrt(p (1 - p) / n). */
  readonly standardError: number;
  /** confusion[true][predicted] counts. */
  readonly confusion: number[][];
  readonly precision: number[];
  readonly recall: number[];
  readonly f1: number[];
}

export function score(predicted: ArrayLike<number>, labels: ArrayLike<number>, classes: number): Scores {
  const rows = labels.length;
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    const truth = labels[r]!;
    const guess = predicted[r]!;
    confusion[truth]![guess]!++;
    if (truth === guess) correct++;
  }
  const precision: number[] = [];
  const recall: number[] = [];
  const f1: number[] = [];
  for (let c = 0; c < classes; c++) {
    const truePositives = confusion[c]![c]!;
    let predictedAsC = 0;
    let actuallyC = 0;
    for (let k = 0; k < classes; k++) {
      predictedAsC += confusion[k]![c]!;
      actuallyC += confusion[c]![k]!;
    }
    const p = predictedAsC === 0 ? 0 : truePositives / predictedAsC;
    const r = actuallyC === 0 ? 0 : truePositives / actuallyC;
    precision.push(p);
    recall.push(r);
    f1.push(p + r === 0 ? 0 : (2 * p * r) / (p + r));
  }
  const accuracy = rows === 0 ? 0 : correct / rows;
  return {
    rows,
    correct,
    accuracy,
    standardError: binomialStandardError(accuracy, rows),
    confusion,
    precision,
    recall,
    f1,
  };
}

export function binomialStandardError(accuracy: number, rows: number): number {
  return rows === 0 ? 0 : Math.sqrt((accuracy * (1 - accuracy)) / rows);
}

/** Mean cross-entropy of (rows,K) probabilities against labels, with probabilities floored to avoid log(0). */
export function meanCrossEntropy(probs: Float64Array, labels: ArrayLike<number>, K: number): number {
  let sum = 0;
  for (let r = 0; r < labels.length; r++) sum -= Math.log(Math.max(probs[r * K + labels[r]!]!, 1e-300));
  return labels.length === 0 ? 0 : sum / labels.length;
}
