/** Writing a model file: its document (schema.ts), written atomically in pieces. */
import type { OptimizerState } from '../nn/optimizers.js';
import { failure } from '../errors.js';
import type { Model } from '../train/model.js';
import { writeFileAtomic } from '../io/atomic.js';
import { modelFormat, modelVersion, stepsBeyondPlan, type ModelJson, type OptimizerStateJson } from './schema.js';

/** The model's document, with its number arrays as plain arrays (what JSON.parse gives back). */
export function toJson(model: Model): ModelJson {
  return modelDocument(model, (values) => Array.from(values));
}

/** The model's document, each of its Float64Arrays given as `numbers(array)`. */
function modelDocument<Numbers>(model: Model, numbers: (values: Float64Array) => Numbers): ModelJson<Numbers> {
  const { params } = model;
  const { inputSize: I, hiddenSize: H, classCount: K } = params.shape;
  const optimizerJson = (state: OptimizerState): OptimizerStateJson<Numbers> => ({
    name: state.name,
    step: state.step,
    first: numbers(state.first),
    second: numbers(state.second),
  });
  return {
    format: modelFormat,
    version: modelVersion,
    tool: { ...model.tool },
    createdAt: model.createdAt,
    architecture: {
      inputSize: I,
      hiddenSize: H,
      classCount: K,
      hiddenActivation: 'relu',
      output: 'softmax',
      weightLayout: 'row-major [inputs, outputs]: hidden = relu(x / divideBy . w1 + b1), probs = softmax(hidden . w2 + b2)',
    },
    normalization: { divideBy: model.pixelScale, deskew: model.deskew },
    classes: [...model.classes],
    parameters: {
      w1: { shape: [I, H], data: numbers(params.w1) },
      b1: { shape: [H], data: numbers(params.b1) },
      w2: { shape: [H, K], data: numbers(params.w2) },
      b2: { shape: [K], data: numbers(params.b2) },
    },
    training: model.training,
    data: { ...model.data, heldOutRows: [...model.data.heldOutRows] },
    history: [...model.history],
    optimizerState: model.optimizer ? optimizerJson(model.optimizer) : null,
    committeeState: model.committee
      ? {
          done: model.committee.done,
          members: model.committee.members.map((member) => numbers(member)),
          current: model.committee.current
            ? { iteration: model.committee.current.iteration, optimizerState: optimizerJson(model.committee.current.optimizer) }
            : null,
        }
      : null,
  };
}

/**
 * The model file's text, JSON.stringify(toJson(model)) + '\n' byte for byte, as pieces to write one after the
 * other: the document around its number arrays, and each array (weights, optimizer state, committee networks)
 * written straight from its Float64Array a few thousand numbers at a time (join gives a finite number the same
 * digits as JSON), so that saving never holds the whole text, and then its bytes, on top of training's memory.
 * Returns a function that gives the pieces afresh at each call (as writeFileAtomic takes them), or null if one
 * of the arrays holds a number JSON cannot write (NaN or an infinity).
 */
export function modelFileText(model: Model): (() => Generator<string>) | null {
  const arrays: Float64Array[] = [];
  const around = JSON.stringify(modelDocument(model, (values) => values), (_key, value: unknown) => {
    if (!(value instanceof Float64Array)) return value;
    arrays.push(value);
    return arrayMark;
  }).split(JSON.stringify(arrayMark));
  // The mark cannot come out of any other value: no string in a model holds a NUL character.
  if (around.length !== arrays.length + 1) throw new Error('modelFileText: an array mark was found in the document itself');
  if (arrays.some((values) => firstNonFinite(values) !== -1)) return null;
  return function* pieces() {
    yield around[0]!;
    for (let k = 0; k < arrays.length; k++) {
      const values = arrays[k]!;
      for (let at = 0; at < values.length; at += numbersPerPiece) {
        const text = values.subarray(at, at + numbersPerPiece).join(',');
        yield at === 0 ? `[${text}` : `,${text}`;
      }
      yield values.length === 0 ? `[]${around[k + 1]!}` : `]${around[k + 1]!}`;
    }
    yield '\n';
  };
}

/** Numbers written in one piece: about 90 kB of text, a short-lived string that the young generation takes. */
const numbersPerPiece = 4096;

const arrayMark = '\u0000';

/**
 * Writes the model atomically; a failed write leaves any previous file as it was. Messages name the file as
 * `shownAs` (the path as the user gave it).
 */
export function saveModel(path: string, model: Model, shownAs = path): void {
  // A model with a NaN or an infinity in it is never written: JSON would turn it into null, and the file
  // would not load again.
  const bad = firstNonFinite(model.params.data);
  if (bad !== -1) {
    throw failure(`not writing ${shownAs}: weight ${bad} is ${model.params.data[bad]}, not a finite number`, [
      'Training went wrong (try a lower --lr); any previous model file is unchanged.',
    ]);
  }
  // The loader refuses this as damaged, so writing it would replace a good file (perhaps the one resumed) with
  // one no command reads. train/resume.ts refuses such a plan before training; this is the last guard.
  const beyondPlan = stepsBeyondPlan(model.training);
  if (beyondPlan) {
    throw failure(`not writing ${shownAs}: its training.iterations ${beyondPlan}, so it could not be read again`, [
      'This is a bug in digits; please report it. Any previous model file is unchanged.',
    ]);
  }
  // In pieces, no model is too large to write as JSON: only the text around its number arrays is one string.
  const text = modelFileText(model);
  if (text === null) {
    throw failure(`not writing ${shownAs}: its optimizer state or a committee network holds a number that is not finite`, [
      'Training went wrong (try a lower --lr); any previous model file is unchanged.',
    ]);
  }
  writeFileAtomic(path, text, shownAs);
}

function firstNonFinite(values: Float64Array): number {
  for (let k = 0; k < values.length; k++) if (!Number.isFinite(values[k]!)) return k;
  return -1;
}
