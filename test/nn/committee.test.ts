/**
 * Joining a committee (src/nn/committee.ts): the joined network's logits are the mean of its members' logits on
 * real sample rows, to rounding; its layout is the members' side by side; member seeds are distinct and member
 * 0 keeps the run's seed.
 */
import { describe, expect, it } from 'vitest';
import { toSparseRows } from '../../src/data/dataset.js';
import { committeeShape, joinMembers, memberSeed } from '../../src/nn/committee.js';
import { createParameters, initialise, type NetworkShape, type Parameters } from '../../src/nn/network.js';
import { Random } from '../../src/data/random.js';
import { readSampleRows, sampleTrainPath } from '../helpers/sample-rows.js';
import { plainForward } from './plainForward.js';

const sample = readSampleRows(sampleTrainPath, 200);
const input = toSparseRows(sample.pixels, sample.rows, sample.features);
const rowIds = Uint32Array.from({ length: sample.rows }, (_, r) => r);

/** He-initialised weights and (unlike He) non-zero biases, so that every part of the join is exercised. */
function member(shape: NetworkShape, seed: number): Parameters {
  const params = createParameters(shape);
  const random = new Random(seed);
  initialise(params, 'he', random);
  for (const bias of [params.b1, params.b2]) for (let k = 0; k < bias.length; k++) bias[k] = random.uniform(-0.5, 0.5);
  return params;
}

function logits(params: Parameters): Float64Array {
  return plainForward(params, input, rowIds).logits;
}

describe('joinMembers', () => {
  for (const M of [2, 3, 5]) {
    it(`gives the mean of ${M} members' logits on real rows, within 1e-12 relative`, () => {
      const shape: NetworkShape = { inputSize: sample.features, hiddenSize: 7, classCount: 10 };
      const members = Array.from({ length: M }, (_, m) => member(shape, 100 + m));
      const joined = joinMembers(members);
      expect(joined.shape).toEqual(committeeShape(shape, M));
      expect(joined.shape.hiddenSize).toBe(7 * M);

      const each = members.map(logits);
      const got = logits(joined);
      let worst = 0;
      for (let r = 0; r < sample.rows; r++) {
        // Relative to the row's largest logit: a logit near 0 has no meaningful relative error of its own.
        let scale = 0;
        const mean = new Float64Array(10);
        for (let k = 0; k < 10; k++) {
          for (let m = 0; m < M; m++) mean[k]! += each[m]![r * 10 + k]! / M;
          scale = Math.max(scale, Math.abs(mean[k]!));
        }
        for (let k = 0; k < 10; k++) worst = Math.max(worst, Math.abs(got[r * 10 + k]! - mean[k]!) / scale);
      }
      expect(worst).toBeLessThan(1e-12);
      // And it is a real difference from any one member: the join is not accidentally one of them.
      expect(Math.max(...got.map((v, k) => Math.abs(v - each[0]![k]!)))).toBeGreaterThan(1e-3);
    });
  }

  it('lays the members side by side: w1 columns and b1 concatenated, w2 rows concatenated and divided by M, b2 averaged', () => {
    const shape: NetworkShape = { inputSize: 3, hiddenSize: 2, classCount: 2 };
    const a = createParameters(shape, Float64Array.from({ length: 14 }, (_, k) => k + 1));
    const b = createParameters(shape, Float64Array.from({ length: 14 }, (_, k) => -(k + 1) * 10));
    const joined = joinMembers([a, b]);
    // w1 (3, 2) each: rows [1 2] [3 4] [5 6] and [-10 -20] [-30 -40] [-50 -60].
    expect(Array.from(joined.w1)).toEqual([1, 2, -10, -20, 3, 4, -30, -40, 5, 6, -50, -60]);
    expect(Array.from(joined.b1)).toEqual([7, 8, -70, -80]);
    // w2 (2, 2) each: [9 10] [11 12] and [-90 -100] [-110 -120], halved.
    expect(Array.from(joined.w2)).toEqual([4.5, 5, 5.5, 6, -45, -50, -55, -60]);
    expect(Array.from(joined.b2)).toEqual([(13 - 130) / 2, (14 - 140) / 2]);
  });

  it('returns a single member as an exact copy, not the same memory', () => {
    const shape: NetworkShape = { inputSize: sample.features, hiddenSize: 5, classCount: 10 };
    const only = member(shape, 7);
    only.b2[3] = -0;
    const joined = joinMembers([only]);
    expect(Buffer.from(joined.data.buffer).equals(Buffer.from(only.data.buffer))).toBe(true);
    expect(joined.data).not.toBe(only.data);
  });

  it('refuses members of different shapes, and an empty committee', () => {
    const a = createParameters({ inputSize: 4, hiddenSize: 2, classCount: 3 });
    const b = createParameters({ inputSize: 4, hiddenSize: 3, classCount: 3 });
    expect(() => joinMembers([a, b])).toThrow('joinMembers: members of different shapes (4-2-3 and 4-3-3)');
    expect(() => joinMembers([])).toThrow('joinMembers: no members to join');
  });
});

describe('memberSeed', () => {
  it('keeps the run seed for member 0, so that a committee starts with the single network', () => {
    for (const seed of [0, 1, 42, 2 ** 32 - 1]) expect(memberSeed(seed, 0)).toBe(seed);
  });

  it('gives every member of a run its own 32-bit seed, and different runs different members', () => {
    const seen = new Set<number>();
    for (const seed of [0, 1, 2, 3, 42, 43, 2 ** 32 - 1]) {
      for (let m = 1; m < 50; m++) {
        const s = memberSeed(seed, m);
        expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
        seen.add(s);
      }
    }
    expect(seen.size).toBe(7 * 49);
    // Neighbouring run seeds (42 and 43, which a user might well both try) share no member seed, not even the
    // run seed itself.
    const of42 = Array.from({ length: 20 }, (_, m) => memberSeed(42, m));
    const of43 = Array.from({ length: 20 }, (_, m) => memberSeed(43, m));
    expect(of42.filter((s) => of43.includes(s))).toEqual([]);
  });

  it('is deterministic', () => {
    expect(memberSeed(42, 1)).toBe(memberSeed(42, 1));
    expect(memberSeed(42, 1)).not.toBe(memberSeed(42, 2));
  });
});
