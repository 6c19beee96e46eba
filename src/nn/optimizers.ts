/**
 * Parameter updates over flat Float64Arrays: plain SGD (the seed's rule), momentum (optionally Nesterov) and
 * Adam, with decoupled weight decay on the weight matrices only, and the learning-rate schedules.
 */

/** Every optimizer, in a fixed order (the thread engine passes an optimizer to its workers by its index here). */
export const optimizerNames = ['sgd', 'momentum', 'nesterov', 'adam'] as const;
export type OptimizerName = (typeof optimizerNames)[number];
/** Every learning-rate schedule. */
export const scheduleNames = ['constant', 'cosine', 'step'] as const;
export type ScheduleName = (typeof scheduleNames)[number];

export interface OptimizerSettings {
  readonly name: OptimizerName;
  /** Momentum coefficient (momentum, nesterov) or Adam's beta1. */
  readonly momentum: number;
  /** Adam's beta2. */
  readonly beta2: number;
  /** Decoupled weight decay: each step, weights shrink by lr * weightDecay * w. */
  readonly weightDecay: number;
}

/** What an optimiser must remember between steps; saved in the model so that training can resume. */
export interface OptimizerState {
  readonly name: OptimizerName;
  step: number;
  /** Velocity (momentum) or first moment (Adam); empty for SGD. */
  readonly first: Float64Array;
  /** Adam's second moment; empty otherwise. */
  readonly second: Float64Array;
}

/** A fresh state for `size` parameters; `allocate` makes its arrays (shared memory, for the thread engine). */
export function createOptimizerState(
  name: OptimizerName,
  size: number,
  allocate: (length: number) => Float64Array = (length) => new Float64Array(length),
): OptimizerState {
  const needsFirst = name !== 'sgd';
  return {
    name,
    step: 0,
    first: allocate(needsFirst ? size : 0),
    second: allocate(name === 'adam' ? size : 0),
  };
}

const adamEpsilon = 1e-8;

/**
 * One update of `params` (n) from `grads` (n) at learning rate `lr`. `decayRanges` are [start, end) ranges of
 * params that weight decay applies to (the weight matrices, not the biases). The decay is folded into the same
 * pass as the update (one sweep over the parameters, not two): each range is updated with its own shrink factor.
 */
export function optimizerStep(
  settings: OptimizerSettings,
  state: OptimizerState,
  params: Float64Array,
  grads: Float64Array,
  lr: number,
  decayRanges: ReadonlyArray<readonly [number, number]>,
): void {
  state.step++;
  updateParameters(settings, state, params, grads, lr, decayRanges, 0, params.length);
}

/**
 * optimizerStep's update for params[from..to) only, with state.step already counting this step: each element's
 * update depends on that element alone, so threads can update disjoint parts of one step, with the same result.
 */
export function updateParameters(
  settings: OptimizerSettings,
  state: OptimizerState,
  params: Float64Array,
  grads: Float64Array,
  lr: number,
  decayRanges: ReadonlyArray<readonly [number, number]>,
  from: number,
  to: number,
): void {
  const decayed = 1 - lr * settings.weightDecay;
  const update = (start: number, end: number, shrink: number): void => {
    const first = Math.max(start, from);
    const last = Math.min(end, to);
    if (first < last) updateRange(settings, state, params, grads, lr, shrink, first, last);
  };
  let at = 0;
  for (const [start, end] of decayRanges) {
    if (start > at) update(at, start, 1);
    update(start, end, decayed);
    at = end;
  }
  if (at < params.length) update(at, params.length, 1);
}

/** The update of params[start..end), each first multiplied by `shrink` (1 for no weight decay). */
function updateRange(
  settings: OptimizerSettings,
  state: OptimizerState,
  params: Float64Array,
  grads: Float64Array,
  lr: number,
  shrink: number,
  start: number,
  end: number,
): void {
  const { first, second } = state;
  switch (settings.name) {
    case 'sgd':
      for (let k = start; k < end; k++) params[k] = params[k]! * shrink - lr * grads[k]!;
      return;
    case 'momentum': {
      const mu = settings.momentum;
      for (let k = start; k < end; k++) {
        const v = mu * first[k]! + grads[k]!;
        first[k] = v;
        params[k] = params[k]! * shrink - lr * v;
      }
      return;
    }
    case 'nesterov': {
      const mu = settings.momentum;
      for (let k = start; k < end; k++) {
        const g = grads[k]!;
        const v = mu * first[k]! + g;
        first[k] = v;
        params[k] = params[k]! * shrink - lr * (g + mu * v);
      }
      return;
    }
    case 'adam': {
      const beta1 = settings.momentum;
      const beta2 = settings.beta2;
      const correction1 = 1 - Math.pow(beta1, state.step);
      const correction2 = 1 - Math.pow(beta2, state.step);
      const stepSize = (lr * Math.sqrt(correction2)) / correction1;
      for (let k = start; k < end; k++) {
        const g = grads[k]!;
        const m = beta1 * first[k]! + (1 - beta1) * g;
        const v = beta2 * second[k]! + (1 - beta2) * g * g;
        first[k] = m;
        second[k] = v;
        params[k] = params[k]! * shrink - (stepSize * m) / (Math.sqrt(v) + adamEpsilon);
      }
      return;
    }
  }
}

export interface ScheduleSettings {
  readonly name: ScheduleName;
  /** Peak learning rate. */
  readonly learningRate: number;
  /** Steps of linear warm-up, rising from about lr/10 at step 0 to lr at step warmupSteps - 1 (0 for none). */
  readonly warmupSteps: number;
  /** For `step`: multiply by `decay` every `stepEvery` steps. */
  readonly decay: number;
  readonly stepEvery: number;
  /** For `cosine`: the learning rate falls to learningRate * finalFraction. */
  readonly finalFraction: number;
}

/** The learning rate for step `step` (0-based) of `totalSteps`. */
export function learningRateAt(schedule: ScheduleSettings, step: number, totalSteps: number): number {
  const lr = schedule.learningRate;
  if (step < schedule.warmupSteps) {
    return lr * (0.1 + (0.9 * (step + 1)) / schedule.warmupSteps);
  }
  switch (schedule.name) {
    case 'constant':
      return lr;
    case 'step':
      return lr * Math.pow(schedule.decay, Math.floor(step / Math.max(1, schedule.stepEvery)));
    case 'cosine': {
      const span = Math.max(1, totalSteps - schedule.warmupSteps);
      const progress = Math.min(1, (step - schedule.warmupSteps) / span);
      const floor = lr * schedule.finalFraction;
      return floor + (lr - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
  }
}
