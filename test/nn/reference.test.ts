/**
 * The plain kernels of reference.ts against central finite differences (relative error < 1e-6, see
 * gradientTolerance), on small random shapes: they are what the fast kernels are checked against, so they are
 * checked first.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/data/random.js';
import { fillUniform, maxRelativeError, numericalGradient } from '../helpers/gradcheck.js';
import { dot, gradientTolerance, h, sameResultTolerance, shapes, sparseish } from './kernels/cases.js';
import { denseBackward, denseForward, reluBackward, reluForward } from './reference.js';

describe('denseForward / denseBackward', () => {
  it.each(shapes)('gives dw, db and dx equal to finite differences (R=%i, I=%i, O=%i)', (R, I, O) => {
    const random = new Random(R * 100 + I * 10 + O);
    const x = sparseish(R * I, random);
    const w = fillUniform(new Float64Array(I * O), () => random.next());
    const b = fillUniform(new Float64Array(O), () => random.next());
    const G = fillUniform(new Float64Array(R * O), () => random.next());
    const out = new Float64Array(R * O);
    const loss = (): number => {
      denseForward(out, x, w, b, R, I, O);
      return dot(out, G);
    };

    const dx = new Float64Array(R * I);
    const dw = new Float64Array(I * O);
    const db = new Float64Array(O);
    denseBackward(dx, dw, db, G, x, w, R, I, O);

    expect(maxRelativeError(dw, numericalGradient(loss, w, h))).toBeLessThan(gradientTolerance);
    expect(maxRelativeError(db, numericalGradient(loss, b, h))).toBeLessThan(gradientTolerance);
    expect(maxRelativeError(dx, numericalGradient(loss, x, h))).toBeLessThan(gradientTolerance);
  });

  it('adds into dw and db (so a batch can be done in slices) but overwrites dx', () => {
    const [R, I, O] = [3, 5, 4];
    const random = new Random(7);
    const x = sparseish(R * I, random);
    const w = fillUniform(new Float64Array(I * O), () => random.next());
    const G = fillUniform(new Float64Array(R * O), () => random.next());

    const dxFresh = new Float64Array(R * I);
    const dwFresh = new Float64Array(I * O);
    const dbFresh = new Float64Array(O);
    denseBackward(dxFresh, dwFresh, dbFresh, G, x, w, R, I, O);

    const dwStart = fillUniform(new Float64Array(I * O), () => random.next());
    const dbStart = fillUniform(new Float64Array(O), () => random.next());
    const dw = dwStart.slice();
    const db = dbStart.slice();
    const dx = new Float64Array(R * I).fill(123);
    denseBackward(dx, dw, db, G, x, w, R, I, O);

    // Rows are added one by one onto the starting values, so only the rounding differs from start + fresh.
    expect(maxRelativeError(dw, Array.from(dwStart, (v, k) => v + dwFresh[k]!))).toBeLessThan(sameResultTolerance);
    expect(maxRelativeError(db, Array.from(dbStart, (v, k) => v + dbFresh[k]!))).toBeLessThan(sameResultTolerance);
    expect(Array.from(dx)).toEqual(Array.from(dxFresh));
  });

  it('gives the same dw and db with dx = null (the first layer needs no input gradient)', () => {
    const [R, I, O] = [4, 6, 5];
    const random = new Random(8);
    const x = sparseish(R * I, random);
    const w = fillUniform(new Float64Array(I * O), () => random.next());
    const G = fillUniform(new Float64Array(R * O), () => random.next());
    const withDx = { dw: new Float64Array(I * O), db: new Float64Array(O) };
    const withoutDx = { dw: new Float64Array(I * O), db: new Float64Array(O) };
    denseBackward(new Float64Array(R * I), withDx.dw, withDx.db, G, x, w, R, I, O);
    denseBackward(null, withoutDx.dw, withoutDx.db, G, x, w, R, I, O);
    expect(withoutDx).toEqual(withDx);
  });
});

describe('reluForward / reluBackward', () => {
  it('clamps negatives to zero', () => {
    const x = Float64Array.from([-2, -0.5, 0, 0.5, 3]);
    const out = new Float64Array(5);
    reluForward(out, x, 5);
    expect(Array.from(out)).toEqual([0, 0, 0, 0.5, 3]);
  });

  it('gives dx equal to finite differences away from the kink', () => {
    const n = 40;
    const random = new Random(5);
    // |x| >= 0.1, so that a step of h never crosses zero.
    const x = Float64Array.from({ length: n }, () => (random.next() < 0.5 ? -1 : 1) * (0.1 + random.next()));
    const G = fillUniform(new Float64Array(n), () => random.next());
    const out = new Float64Array(n);
    const loss = (): number => {
      reluForward(out, x, n);
      return dot(out, G);
    };
    const dx = new Float64Array(n);
    reluBackward(dx, G, x, n);
    expect(maxRelativeError(dx, numericalGradient(loss, x, h))).toBeLessThan(gradientTolerance);
  });

  it('may write dx over dout, and passes nothing back through x <= 0', () => {
    const x = Float64Array.from([-1, 0, 2, 3]);
    const dout = Float64Array.from([10, 20, 30, 40]);
    reluBackward(dout, dout, x, 4);
    expect(Array.from(dout)).toEqual([0, 0, 30, 40]);
  });
});
