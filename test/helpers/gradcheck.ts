/**
 * Central finite differences, the independent reference every backward pass is checked against:
 *   dL/dv ~ (L(v + h) - L(v - h)) / 2h
 * and the error measure the tests state their tolerances in.
 */

/**
 * The numerical gradient of `loss` with respect to every entry of `values`, which `loss` reads. Each entry is
 * nudged in place and restored.
 */
export function numericalGradient(loss: () => number, values: Float64Array, h: number): Float64Array {
  const gradient = new Float64Array(values.length);
  for (let k = 0; k < values.length; k++) {
    const saved = values[k]!;
    values[k] = saved + h;
    const plus = loss();
    values[k] = saved - h;
    const minus = loss();
    values[k] = saved;
    gradient[k] = (plus - minus) / (2 * h);
  }
  return gradient;
}

/**
 * The largest relative error |a - n| / max(|a|, |n|, floor) over two vectors. The floor keeps gradients that
 * are zero in truth (an input that is zero, a unit that is off) from dividing rounding noise by nothing: below
 * it the measure is an absolute error scaled by 1/floor.
 */
export function maxRelativeError(analytic: ArrayLike<number>, numeric: ArrayLike<number>, floor = 1e-6): number {
  if (analytic.length !== numeric.length) throw new RangeError(`lengths differ: ${analytic.length} vs ${numeric.length}`);
  let worst = 0;
  for (let k = 0; k < analytic.length; k++) {
    const a = analytic[k]!;
    const n = numeric[k]!;
    const error = Math.abs(a - n) / Math.max(Math.abs(a), Math.abs(n), floor);
    if (Number.isNaN(error)) return Number.POSITIVE_INFINITY;
    if (error > worst) worst = error;
  }
  return worst;
}

/** Fills `values` with uniform numbers in [low, high) from `next` (a seeded generator's [0, 1) draw). */
export function fillUniform(values: Float64Array, next: () => number, low = -1, high = 1): Float64Array {
  for (let k = 0; k < values.length; k++) values[k] = low + (high - low) * next();
  return values;
}
