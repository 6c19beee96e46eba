/**
 * The seeded generator (src/data/random.ts): the same seed gives the same numbers, the ranges hold, and the
 * distributions are roughly right. Statistical checks use fixed seeds and loose tolerances stated in
 * standard errors, so they are deterministic and far from flaky.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/data/random.js';

const draws = 100_000;

function take(random: Random, n: number, draw: (r: Random) => number): number[] {
  return Array.from({ length: n }, () => draw(random));
}

function meanAndVariance(values: number[]): { mean: number; variance: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, variance };
}

describe('Random', () => {
  it('gives the same sequence for the same seed, and a different one for another seed', () => {
    const a = take(new Random(42), 50, (r) => r.next());
    const b = take(new Random(42), 50, (r) => r.next());
    const c = take(new Random(43), 50, (r) => r.next());
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    expect(new Set(a).size).toBe(50);
  });

  it('continues the same sequence from a saved state', () => {
    const original = new Random(7);
    take(original, 13, (r) => r.next());
    const copy = Random.fromState(original.state());
    expect(take(copy, 20, (r) => r.nextUint32())).toEqual(take(original, 20, (r) => r.nextUint32()));
  });

  it('draws next() in [0, 1), uniform(low, high) in [low, high), int(n) in 0..n-1', () => {
    const random = new Random(1);
    const unit = take(random, draws, (r) => r.next());
    expect(unit.every((v) => v >= 0 && v < 1)).toBe(true);
    const ranged = take(random, draws, (r) => r.uniform(-0.5, 0.5));
    expect(ranged.every((v) => v >= -0.5 && v < 0.5)).toBe(true);
    const ints = take(random, draws, (r) => r.int(10));
    expect(ints.every((v) => Number.isInteger(v) && v >= 0 && v < 10)).toBe(true);
  });

  it('is roughly uniform: mean 1/2 and variance 1/12, each of 10 bins near 10%', () => {
    const random = new Random(2);
    const { mean, variance } = meanAndVariance(take(random, draws, (r) => r.next()));
    // Standard errors over 100,000 draws: mean 0.0009, variance 0.00026. Tolerances are about 5 of them.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.0015);
    const bins = new Array<number>(10).fill(0);
    for (const v of take(random, draws, (r) => r.int(10))) bins[v]!++;
    // Each bin: 10,000 expected, standard deviation 95; allow 5%.
    for (const count of bins) expect(Math.abs(count - draws / 10)).toBeLessThan(500);
  });

  it('draws normal() with mean 0 and variance 1 (roughly)', () => {
    const values = take(new Random(3), draws, (r) => r.normal());
    const { mean, variance } = meanAndVariance(values);
    // Standard errors over 100,000 draws: mean 0.0032, variance 0.0045. Tolerances are about 5 of them.
    expect(Math.abs(mean)).toBeLessThan(0.016);
    expect(Math.abs(variance - 1)).toBeLessThan(0.025);
    // About 68.3% within one standard deviation (standard error 0.15%).
    const within = values.filter((v) => Math.abs(v) < 1).length / draws;
    expect(Math.abs(within - 0.6827)).toBeLessThan(0.0075);
  });

  it('shuffles into a permutation of the same values, the same way for the same seed', () => {
    const values = Uint32Array.from({ length: 1000 }, (_, k) => k);
    const once = new Random(5).shuffle(values.slice());
    const again = new Random(5).shuffle(values.slice());
    const other = new Random(6).shuffle(values.slice());
    expect(Array.from(once).sort((a, b) => a - b)).toEqual(Array.from(values));
    expect(Array.from(again)).toEqual(Array.from(once));
    expect(Array.from(other)).not.toEqual(Array.from(once));
    // Really shuffled: few values stay where they were (about 1 expected).
    const fixed = once.filter((v, k) => v === k).length;
    expect(fixed).toBeLessThan(10);
  });

  it('shuffles every position with roughly equal chance', () => {
    // Where element 0 of 5 lands, over 20,000 shuffles: 4,000 expected each, standard deviation 57; allow 300.
    const random = new Random(9);
    const landed = new Array<number>(5).fill(0);
    for (let k = 0; k < 20_000; k++) landed[random.shuffle([0, 1, 2, 3, 4]).indexOf(0)]!++;
    for (const count of landed) expect(Math.abs(count - 4000)).toBeLessThan(300);
  });

  it('leaves empty and one-element arrays as they are', () => {
    expect(new Random(1).shuffle([])).toEqual([]);
    expect(new Random(1).shuffle([3])).toEqual([3]);
  });
});
