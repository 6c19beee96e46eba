/**
 * On-the-fly augmentation for training batches: each image gets a small random affine transform (shift,
 * rotation, scale) and optionally an elastic distortion (Simard et al., 2003), drawn from a generator seeded by
 * (seed, iteration) so that a run, and a resumed run, sees the same images. Held-out rows never pass through it.
 * Works on square images (28x28 for Kaggle); the output is a small sparse batch the kernels read as usual.
 */
import { plainArrays, type ArrayAllocator } from './arrays.js';
import { imageSide, type Dataset, type SparseRows } from './dataset.js';
import { Random } from './random.js';

export interface AugmentSettings {
  /** Largest shift in pixels, each axis. */
  readonly maxShift: number;
  /** Largest rotation in degrees, either way. */
  readonly maxRotation: number;
  /** Largest relative change of scale, either way (0.1 = 90%..110%). */
  readonly maxScale: number;
  /** Elastic distortion strength in pixels (0 for none) and smoothness (Gaussian sigma). */
  readonly elasticAlpha: number;
  readonly elasticSigma: number;
}

export interface AugmentedBatch {
  readonly input: SparseRows;
  /** 0..R-1: the batch's rows in the augmented input. */
  readonly rowIds: Uint32Array;
}

export interface BatchAugmenter {
  /** Labels of the current batch, by augmented row id. */
  readonly labels: Uint8Array;
  /** The buffer every batch is written into (the same object each time, so threads can share it). */
  readonly input: SparseRows;
  batch(rowIds: Uint32Array, iteration: number): AugmentedBatch;
}

/** Precomputed elastic fields drawn from, instead of smoothing a fresh random field per image. */
const elasticBankSize = 256;

export function createAugmenter(
  data: Dataset,
  settings: AugmentSettings,
  maxBatch: number,
  seed: number,
  arrays: ArrayAllocator = plainArrays,
): BatchAugmenter {
  const side = imageSide(data.features);
  if (side === null) throw new RangeError(`augmentation needs square images; ${data.features} pixels is not a square`);
  if (!data.labels) throw new RangeError('augmentation needs labelled rows');
  const sourceLabels = data.labels;
  const P = data.features;
  const labels = arrays.u8(maxBatch);
  const offsets = arrays.u32(maxBatch + 1);
  const indices = arrays.u16(maxBatch * P);
  const values = arrays.u8(maxBatch * P);
  const input: SparseRows = { rows: maxBatch, features: P, offsets, indices, values };
  const identity = arrays.u32(maxBatch);
  for (let r = 0; r < maxBatch; r++) identity[r] = r;
  const image = new Float64Array(P);
  const boxes = Array.from({ length: data.rows }, (_, r) => inkBox(data.pixels, r * P, side));
  const region: InkBox = { minX: 0, maxX: -1, minY: 0, maxY: -1 };
  const bank = settings.elasticAlpha > 0 ? elasticFields(side, settings, new Random(seed ^ 0xe1a5)) : null;
  // Fields are scaled so that no displacement exceeds elasticAlpha pixels.
  const fieldReach = Math.ceil(settings.elasticAlpha);

  return {
    labels,
    input,
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
        transformImage(image, data.pixels, row * P, side, angle, scale, dx, dy, field, fieldSign, fieldReach, boxes[row]!, region);
        offsets[r] = at;
        for (let y = region.minY; y <= region.maxY; y++) {
          for (let x = region.minX; x <= region.maxX; x++) {
            const p = y * side + x;
            const v = Math.round(image[p]!);
            if (v > 0) {
              indices[at] = p;
              values[at] = v > 255 ? 255 : v;
              at++;
            }
          }
        }
      }
      offsets[R] = at;
      return { input, rowIds: identity.subarray(0, R) };
    },
  };
}

/** A rectangle of pixels, inclusive; empty when maxX < minX. */
export interface InkBox {
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
}

/** The bounding box of a row's non-zero pixels. */
export function inkBox(pixels: Uint8Array, base: number, side: number): InkBox {
  const box: InkBox = { minX: side, maxX: -1, minY: side, maxY: -1 };
  for (let y = 0; y < side; y++) {
    const row = base + y * side;
    for (let x = 0; x < side; x++) {
      if (pixels[row + x] !== 0) {
        if (x < box.minX) box.minX = x;
        if (x > box.maxX) box.maxX = x;
        if (y < box.minY) box.minY = y;
        if (y > box.maxY) box.maxY = y;
      }
    }
  }
  return box;
}

/**
 * Writes into out (side*side) the image at pixels[base..] seen through an affine map about the centre
 * (rotation `angle`, `scale`, then shift dx, dy) plus an optional displacement field, with bilinear sampling.
 * Output pixel (x, y) samples the source at the inverse-mapped point. Only output pixels that can reach the
 * source's ink (`box`, mapped forward, plus the field's reach) are sampled and written; that rectangle is
 * returned in `region`, and nothing outside it is touched (callers read only the region).
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
  fieldReach: number,
  box: InkBox,
  region: InkBox,
): void {
  const { minX, maxX, minY, maxY } = box;
  region.minX = 0;
  region.maxX = -1;
  region.minY = 0;
  region.maxY = -1;
  if (maxX < 0) return;
  const centre = (side - 1) / 2;
  // Forward map of the box's corners gives the output region (one pixel of margin for bilinear spread).
  const forwardCos = Math.cos(angle) * scale;
  const forwardSin = Math.sin(angle) * scale;
  let outMinX = side, outMaxX = -1, outMinY = side, outMaxY = -1;
  for (const [cx, cy] of [[minX, minY], [maxX, minY], [minX, maxY], [maxX, maxY]] as const) {
    const u = cx - centre;
    const v = cy - centre;
    const ox = forwardCos * u - forwardSin * v + centre + dx;
    const oy = forwardSin * u + forwardCos * v + centre + dy;
    outMinX = Math.min(outMinX, ox);
    outMaxX = Math.max(outMaxX, ox);
    outMinY = Math.min(outMinY, oy);
    outMaxY = Math.max(outMaxY, oy);
  }
  const margin = 1 + fieldReach;
  const x0 = Math.max(0, Math.floor(outMinX - margin));
  const x1 = Math.min(side - 1, Math.ceil(outMaxX + margin));
  const y0 = Math.max(0, Math.floor(outMinY - margin));
  const y1 = Math.min(side - 1, Math.ceil(outMaxY + margin));
  const cos = Math.cos(angle) / scale;
  const sin = Math.sin(angle) / scale;
  region.minX = x0;
  region.maxX = x1;
  region.minY = y0;
  region.maxY = y1;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      out[y * side + x] = 0;
      let u = x - centre - dx;
      let v = y - centre - dy;
      if (field) {
        const k = (y * side + x) * 2;
        u += fieldSign * field[k]!;
        v += fieldSign * field[k + 1]!;
      }
      const sx = cos * u + sin * v + centre;
      const sy = -sin * u + cos * v + centre;
      // Bilinear sample; points outside the source read as 0.
      const ix = Math.floor(sx);
      const iy = Math.floor(sy);
      if (ix < -1 || iy < -1 || ix >= side || iy >= side) continue;
      const fx = sx - ix;
      const fy = sy - iy;
      const inX0 = ix >= 0;
      const inX1 = ix + 1 < side;
      const at = base + iy * side + ix;
      let top = 0;
      let bottom = 0;
      if (iy >= 0) top = (inX0 ? pixels[at]! * (1 - fx) : 0) + (inX1 ? pixels[at + 1]! * fx : 0);
      if (iy + 1 < side) bottom = (inX0 ? pixels[at + side]! * (1 - fx) : 0) + (inX1 ? pixels[at + side + 1]! * fx : 0);
      out[y * side + x] = top * (1 - fy) + bottom * fy;
    }
  }
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
