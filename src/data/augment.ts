/**
 * On-the-fly augmentation for training batches: each image gets a small random affine transform (shift,
 * rotation, scale) and optionally an elastic distortion (Simard et al., 2003), drawn from a generator seeded by
 * (seed, iteration) so that a run, and a resumed run, sees the same images. Held-out rows never pass through it.
 * Works on square images (28x28 for Kaggle); the output is a small sparse batch the kernels read as usual.
 */
import type { Dataset, SparseRows } from './dataset.js';
import type { AugmentSettings } from '../train/presets.js';
import { Random } from '../nn/random.js';

export interface AugmentedBatch {
  readonly input: SparseRows;
  /** 0..R-1: the batch's rows in the augmented input. */
  readonly rowIds: Uint32Array;
}

export interface BatchAugmenter {
  /** Labels of the current batch, by augmented row id. */
  readonly labels: Uint8Array;
  batch(rowIds: Uint32Array, iteration: number): AugmentedBatch;
}

/** Precomputed elastic fields drawn from, instead of smoothing a fresh random field per image. */
const elasticBankSize = 256;

export function createAugmenter(
  data: Dataset,
  settings: AugmentSettings,
  maxBatch: number,
  seed: number,
): BatchAugmenter {
  const side = Math.round(Math.sqrt(data.features));
  if (side * side !== data.features) {
    throw new RangeError(`augmentation needs square images; ${data.features} pixels is not a square`);
  }
  if (!data.labels) throw new RangeError('augmentation needs labelled rows');
  const sourceLabels = data.labels;
  const P = data.features;
  const labels = new Uint8Array(maxBatch);
  const offsets = new Uint32Array(maxBatch + 1);
  const indices = new Uint16Array(maxBatch * P);
  const values = new Uint8Array(maxBatch * P);
  const identity = new Uint32Array(maxBatch);
  for (let r = 0; r < maxBatch; r++) identity[r] = r;
  const image = new Float64Array(P);
  const bank = settings.elasticAlpha > 0 ? elasticFields(side, settings, new Random(seed ^ 0xe1a5)) : null;

  return {
    labels,
    batch(rowIds: Uint32Array, iteration: number): AugmentedBatch {
      const random = new Random((seed * 0x27d4eb2f + iteration * 0x165667b1 + 7) >>> 0);
      const R = rowIds.length;
      let at = 0;
      for (let r = 0; r < R; r++) {
        const row = rowIds[r]!;
        labels[r] = sourceLabels[row]!;
        const angle = (random.uniform(-1, 1) * settings.maxRotation * Math.PI) / 180;
        const scale = 1 + random.uniform(-1, 1) * settings.maxScale;
        const dx = random.uniform(-1, 1) * settings.maxShift;
        const dy = random.uniform(-1, 1) * settings.maxShift;
        const field = bank ? bank[random.int(bank.length)]! : null;
        const fieldSign = random.next() < 0.5 ? -1 : 1;
        transformImage(image, data.pixels, row * P, side, angle, scale, dx, dy, field, fieldSign);
        offsets[r] = at;
        for (let p = 0; p < P; p++) {
          const v = Math.round(image[p]!);
          if (v > 0) {
            indices[at] = p;
            values[at] = v > 255 ? 255 : v;
            at++;
          }
        }
      }
      offsets[R] = at;
      return { input: { rows: R, features: P, offsets, indices, values }, rowIds: identity.subarray(0, R) };
    },
  };
}

/**
 * Writes into out (side*side) the image at pixels[base..] seen through an affine map about the centre
 * (rotation `angle`, `scale`, then shift dx, dy) plus an optional displacement field, with bilinear sampling.
 * Output pixel (x, y) samples the source at the inverse-mapped point.
 */
export function transformImage(
  out: Float64Array,
  pixels: Uint8Array,
  base: number,
  side: number,
  angle: number,
  scale: number,
  dx: number,
  dy: number,
  field: Float64Array | null,
  fieldSign: number,
): void {
  const centre = (side - 1) / 2;
  const cos = Math.cos(angle) / scale;
  const sin = Math.sin(angle) / scale;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      let u = x - centre - dx;
      let v = y - centre - dy;
      if (field) {
        const k = (y * side + x) * 2;
        u += fieldSign * field[k]!;
        v += fieldSign * field[k + 1]!;
      }
      const sx = cos * u + sin * v + centre;
      const sy = -sin * u + cos * v + centre;
      out[y * side + x] = bilinear(pixels, base, side, sx, sy);
    }
  }
}

function bilinear(pixels: Uint8Array, base: number, side: number, sx: number, sy: number): number {
  const x0 = Math.floor(sx);
  const y0 = Math.floor(sy);
  const fx = sx - x0;
  const fy = sy - y0;
  const at = (x: number, y: number): number =>
    x < 0 || y < 0 || x >= side || y >= side ? 0 : pixels[base + y * side + x]!;
  const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
  const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
  return top * (1 - fy) + bottom * fy;
}

/** Random displacement fields (side*side*2), smoothed by a Gaussian of `elasticSigma` and scaled by `elasticAlpha`. */
function elasticFields(side: number, settings: AugmentSettings, random: Random): Float64Array[] {
  const sigma = settings.elasticSigma;
  const radius = Math.ceil(3 * sigma);
  const kernel = new Float64Array(2 * radius + 1);
  for (let k = -radius; k <= radius; k++) kernel[k + radius] = Math.exp(-(k * k) / (2 * sigma * sigma));
  const n = side * side;
  const raw = new Float64Array(n);
  const tmp = new Float64Array(n);
  const smooth = new Float64Array(n);
  const fields: Float64Array[] = [];
  for (let f = 0; f < elasticBankSize; f++) {
    const field = new Float64Array(n * 2);
    for (let axis = 0; axis < 2; axis++) {
      for (let p = 0; p < n; p++) raw[p] = random.uniform(-1, 1);
      blur(raw, tmp, smooth, side, kernel, radius);
      let norm = 0;
      for (let p = 0; p < n; p++) norm = Math.max(norm, Math.abs(smooth[p]!));
      // Normalising the peak keeps the strength independent of sigma's smoothing.
      for (let p = 0; p < n; p++) field[p * 2 + axis] = (smooth[p]! / (norm || 1)) * settings.elasticAlpha;
    }
    fields.push(field);
  }
  return fields;
}

function blur(
  source: Float64Array,
  tmp: Float64Array,
  out: Float64Array,
  side: number,
  kernel: Float64Array,
  radius: number,
): void {
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      let sum = 0;
      for (let k = -radius; k <= radius; k++) {
        const xx = x + k;
        if (xx >= 0 && xx < side) sum += source[y * side + xx]! * kernel[k + radius]!;
      }
      tmp[y * side + x] = sum;
    }
  }
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      let sum = 0;
      for (let k = -radius; k <= radius; k++) {
        const yy = y + k;
        if (yy >= 0 && yy < side) sum += tmp[yy * side + x]! * kernel[k + radius]!;
      }
      out[y * side + x] = sum;
    }
  }
}
