/**
 * MNIST-style preprocessing of a drawn digit: the one implementation, run by the page in the browser (the server
 * sends this compiled module as /preprocess.js) and by the tests in Node. It takes any ink image (a canvas's
 * alpha channel, or a Kaggle row drawn larger) and returns the 28x28 bytes the model reads.
 *
 * What MNIST did, and so what the model expects: the digit's bounding box is scaled to fit a 20x20 box keeping
 * its aspect ratio, with anti-aliased greys, and placed in a 28x28 field so that its centre of mass is at the
 * centre. Here both steps are one area-averaging resample, so the centre lands to a fraction of a pixel.
 *
 * Deliberately self-contained (no imports, no DOM, no Node): a browser loads the compiled file as it is.
 */

/** A grey image, row-major: ink[y * width + x] >= 0, 0 for background, larger for more ink (any scale). */
export interface InkImage {
  readonly width: number;
  readonly height: number;
  readonly ink: ArrayLike<number>;
}

/** The model's image side (28) and the box the digit's larger side is scaled to (20), as in MNIST. */
export const imageSide = 28;
export const digitBoxSide = 20;

/**
 * Where the centre of mass goes, in the same units as InkExtent's: the middle of pixel (14, 14). Measured on
 * Kaggle's rows: their mean centre of mass is (14.50, 14.47), spread 0.3.
 */
const massCentre = imageSide / 2 + 0.5;

/**
 * Ink fainter than this share of the darkest pixel does not count for the bounding box: the anti-aliased fringe
 * of a stroke (a canvas draws one) would otherwise make every digit a little smaller than MNIST's.
 */
const boxThreshold = 0.1;

/** Where the ink is: bounding box of pixels above the threshold, centre of mass of all ink, in pixel units. */
export interface InkExtent {
  readonly left: number;
  readonly top: number;
  /** Exclusive. */
  readonly right: number;
  /** Exclusive. */
  readonly bottom: number;
  /** Centre of mass, with pixel (x, y) covering [x, x+1) x [y, y+1). */
  readonly centreX: number;
  readonly centreY: number;
}

/** The bounding box and centre of mass of the ink, or null when there is none. */
export function inkExtent(image: InkImage): InkExtent | null {
  const { width, height, ink } = image;
  let darkest = 0;
  let mass = 0;
  let sumX = 0;
  let sumY = 0;
  // Rows with any ink, so that the second pass (the box above the threshold) looks only there.
  let firstRow = height;
  let lastRow = -1;
  for (let y = 0; y < height; y++) {
    let rowMass = 0;
    for (let x = 0; x < width; x++) {
      const v = ink[y * width + x]!;
      if (v <= 0) continue;
      rowMass += v;
      sumX += v * (x + 0.5);
      if (v > darkest) darkest = v;
    }
    if (rowMass > 0) {
      if (y < firstRow) firstRow = y;
      lastRow = y;
    }
    mass += rowMass;
    sumY += rowMass * (y + 0.5);
  }
  if (!(mass > 0) || !Number.isFinite(mass)) return null;
  const threshold = darkest * boxThreshold;
  let left = width;
  let top = height;
  let right = 0;
  let bottom = 0;
  for (let y = firstRow; y <= lastRow; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x]! < threshold) continue;
      if (x < left) left = x;
      if (x >= right) right = x + 1;
      if (y < top) top = y;
      if (y >= bottom) bottom = y + 1;
    }
  }
  return { left, top, right, bottom, centreX: sumX / mass, centreY: sumY / mass };
}

/**
 * For each of `count` target pixels t, the source pixels it covers when target pixel t spans source
 * [start + t / scale, start + (t + 1) / scale), and their weights: the overlap length times `scale`, so that a
 * target pixel fully inside the source is the average of what it covers. Source pixels outside [0, length)
 * are background.
 */
interface Coverage {
  readonly first: Int32Array;
  readonly weights: Float64Array[];
}

function coverage(start: number, scale: number, count: number, length: number): Coverage {
  const first = new Int32Array(count);
  const weights: Float64Array[] = [];
  for (let t = 0; t < count; t++) {
    const from = start + t / scale;
    const to = start + (t + 1) / scale;
    const lo = Math.min(length, Math.max(0, Math.floor(from)));
    const hi = Math.min(length, Math.max(lo, Math.ceil(to)));
    first[t] = lo;
    const w = new Float64Array(hi - lo);
    for (let s = lo; s < hi; s++) w[s - lo] = Math.max(0, Math.min(to, s + 1) - Math.max(from, s)) * scale;
    weights.push(w);
  }
  return { first, weights };
}

/**
 * The source coordinate that target coordinate 0 maps to, along one axis: the scaled ink [low, high) is moved so
 * that its centre of mass is nearest the middle while its edge `low` stays on a pixel edge. MNIST moved its
 * digits by whole pixels too; keeping the edge on the grid means Kaggle's own rows come back as they were.
 */
function sourceOrigin(low: number, centre: number, scale: number): number {
  // A symmetric digit sits exactly half a pixel off; snapping to 1/1024 first lets that tie round the same way
  // whatever the ink's scale, instead of by floating-point noise.
  const start = Math.round(Math.round((massCentre - (centre - low) * scale) * 1024) / 1024);
  return low - start / scale;
}

/**
 * The 28x28 image the model reads (row-major bytes 0..255, the darkest pixel 255), or null for an image with no
 * ink. The bounding box's larger side becomes 20 pixels; the centre of mass lands on the middle of pixel (14, 14).
 */
export function preprocessDigit(image: InkImage): Uint8Array | null {
  const extent = inkExtent(image);
  if (!extent) return null;
  const { width, height, ink } = image;
  const scale = digitBoxSide / Math.max(extent.right - extent.left, extent.bottom - extent.top);
  const columns = coverage(sourceOrigin(extent.left, extent.centreX, scale), scale, imageSide, width);
  const rows = coverage(sourceOrigin(extent.top, extent.centreY, scale), scale, imageSide, height);

  // Resample along x for each source row a target row needs, then along y.
  const rowFrom = rows.first[0]!;
  const rowTo = Math.max(rowFrom, rows.first[imageSide - 1]! + rows.weights[imageSide - 1]!.length);
  const across = new Float64Array((rowTo - rowFrom) * imageSide);
  for (let y = rowFrom; y < rowTo; y++) {
    const base = y * width;
    for (let tx = 0; tx < imageSide; tx++) {
      const w = columns.weights[tx]!;
      const x0 = columns.first[tx]!;
      let sum = 0;
      for (let k = 0; k < w.length; k++) sum += w[k]! * ink[base + x0 + k]!;
      across[(y - rowFrom) * imageSide + tx] = sum;
    }
  }
  const grey = new Float64Array(imageSide * imageSide);
  let darkest = 0;
  for (let ty = 0; ty < imageSide; ty++) {
    const w = rows.weights[ty]!;
    const y0 = rows.first[ty]!;
    for (let tx = 0; tx < imageSide; tx++) {
      let sum = 0;
      for (let k = 0; k < w.length; k++) sum += w[k]! * across[(y0 + k - rowFrom) * imageSide + tx]!;
      grey[ty * imageSide + tx] = sum;
      if (sum > darkest) darkest = sum;
    }
  }
  // MNIST strokes are solid at their core: scale so the darkest pixel is 255 whatever the ink's scale, and thin
  // strokes shrunk from a large drawing stay as dark as drawn ones.
  const out = new Uint8Array(imageSide * imageSide);
  if (darkest <= 0) return out;
  for (let p = 0; p < out.length; p++) out[p] = Math.round((grey[p]! / darkest) * 255);
  return out;
}

/** The ink of a canvas drawn in opaque strokes on a transparent background: its alpha channel. */
export function inkFromRgba(rgba: ArrayLike<number>, width: number, height: number): InkImage {
  const ink = new Uint8Array(width * height);
  for (let p = 0; p < ink.length; p++) ink[p] = rgba[p * 4 + 3]!;
  return { width, height, ink };
}
