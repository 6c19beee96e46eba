/**
 * A committee of M networks of H hidden units, each 784-H-10, joined into one 784-(M*H)-10 network whose logits
 * are the mean of the members' logits. It is exact, not an approximation: hidden units never interact, so the
 * members' hidden layers side by side are one wider hidden layer, and the output layer's sum over hidden units
 * splits into one sum per member:
 *
 *   logits = sum_m (1/M) (relu(x.w1_m + b1_m) . w2_m + b2_m)
 *          = relu(x.[w1_1 .. w1_M] + [b1_1 .. b1_M]) . [w2_1/M ; .. ; w2_M/M] + mean_m b2_m
 *
 * so w1's columns and b1 are concatenated, w2's rows concatenated and divided by M, and b2 averaged. What is
 * averaged is the logits, before the softmax (as a product of experts, not a mean of probabilities): that keeps
 * the committee an ordinary one-hidden-layer network that predict, eval, show and serve use unchanged.
 */
import { createParameters, type NetworkShape, type Parameters } from './network.js';

/** The shape of M members of `member`'s shape joined. */
export function committeeShape(member: NetworkShape, members: number): NetworkShape {
  return { inputSize: member.inputSize, hiddenSize: member.hiddenSize * members, classCount: member.classCount };
}

/**
 * Joins members (all of one shape, I inputs, H hidden, K classes) into one network of M*H hidden units.
 * Legend: I inputs, H hidden units per member, K classes, M members. Member m's hidden unit h becomes unit m*H+h.
 * w1 (I, M*H) row-major: row i is member 0's row i, then member 1's, ...; w2 (M*H, K): member 0's rows, then
 * member 1's, ..., each divided by M. A single member is returned as an exact copy.
 */
export function joinMembers(members: readonly Parameters[]): Parameters {
  const M = members.length;
  if (M === 0) throw new RangeError('joinMembers: no members to join');
  const shape = members[0]!.shape;
  const { inputSize: I, hiddenSize: H, classCount: K } = shape;
  for (const member of members) {
    const s = member.shape;
    if (s.inputSize !== I || s.hiddenSize !== H || s.classCount !== K) {
      throw new RangeError(`joinMembers: members of different shapes (${I}-${H}-${K} and ${s.inputSize}-${s.hiddenSize}-${s.classCount})`);
    }
  }
  const joined = createParameters(committeeShape(shape, M));
  const MH = M * H;
  for (let m = 0; m < M; m++) {
    const { w1, b1, w2 } = members[m]!;
    for (let i = 0; i < I; i++) joined.w1.set(w1.subarray(i * H, (i + 1) * H), i * MH + m * H);
    joined.b1.set(b1, m * H);
    // Divided, not multiplied by 1/M: a division is correctly rounded, and 1/M is not exact for M = 3.
    const w2Base = m * H * K;
    for (let k = 0; k < H * K; k++) joined.w2[w2Base + k] = w2[k]! / M;
  }
  for (let k = 0; k < K; k++) {
    let sum = members[0]!.b2[k]!;
    for (let m = 1; m < M; m++) sum += members[m]!.b2[k]!;
    joined.b2[k] = sum / M;
  }
  return joined;
}

/**
 * The seed of member m: member 0 keeps the run's seed (so a committee's first network is exactly the network a
 * single run trains), the others get seeds mixed from (seed, m), far apart from one another and from the seeds
 * a user would pick nearby.
 */
export function memberSeed(seed: number, member: number): number {
  if (member === 0) return seed >>> 0;
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(member, 0x85ebca77)) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d);
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b);
  return (z ^ (z >>> 16)) >>> 0;
}
