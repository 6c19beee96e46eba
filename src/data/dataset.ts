import { plainArrays, type ArrayAllocator } from './arrays.js';

/**
 * A labelled (or unlabelled) table of digit images, one byte a pixel: 42,000 Kaggle rows take 33 MB here,
 * not the 263 MB of a Float64 copy. Normalisation (x / 255) happens later, inside the kernels or a batch buffer.
 */

export interface Dataset {
  /** Number of images. */
  readonly rows: number;
  /** Pixels per image, from the header (784 for Kaggle's 28x28 digits). */
  readonly features: number;
  /** Pixel values 0..255, row-major: rows x features. */
  readonly pixels: Uint8Array;
  /** Labels 0..9, one per row, or null for an unlabelled file (Kaggle's test.csv). */
  readonly labels: Uint8Array | null;
  /** True when the pixels have been deskewed (deskew.ts) since they were read; absent means false. */
  readonly deskewed?: boolean;
  /** Where the rows came from, for messages and the model file. */
  readonly source: DatasetSource;
}

export interface DatasetSource {
  /** The path as the user gave it (`-` for stdin). */
  readonly path: string;
  /** SHA-256 of the file's raw bytes. */
  readonly sha256: string;
  /** The header's pixel column names, in order. */
  readonly pixelColumns: readonly string[];
}

/** Digit classes the tool predicts. */
export const classCount = 10;

/** The value pixels are divided by: 0..255 becomes 0..1. */
export const pixelScale = 255;

/** Rows rowIds of `dataset`, in that order, as a dataset of their own (a copy of their pixels and labels). */
export function selectRows(dataset: Dataset, rowIds: Uint32Array): Dataset {
  const F = dataset.features;
  const pixels = new Uint8Array(rowIds.length * F);
  for (let k = 0; k < rowIds.length; k++) {
    const row = rowIds[k]!;
    pixels.set(dataset.pixels.subarray(row * F, (row + 1) * F), k * F);
  }
  const labels = dataset.labels ? Uint8Array.from(rowIds, (row) => dataset.labels![row]!) : null;
  return { ...dataset, rows: rowIds.length, pixels, labels };
}

/** The side of a square image of `features` pixels, or null if it is not square. */
export function imageSide(features: number): number | null {
  const side = Math.round(Math.sqrt(features));
  return side * side === features ? side : null;
}

/**
 * A compressed-sparse-row view of pixel rows: most Kaggle pixels are 0 (about 150 of 784 are not), so the
 * first layer walks only the non-zero ones. Row r's pixels are indices/values[offsets[r] .. offsets[r+1]).
 */
export interface SparseRows {
  readonly rows: number;
  readonly features: number;
  /** rows + 1 offsets into indices/values. */
  readonly offsets: Uint32Array;
  /** Pixel (column) index of each non-zero value. */
  readonly indices: Uint16Array;
  /** The raw 0..255 value of each non-zero pixel. */
  readonly values: Uint8Array;
}

/**
 * Builds the sparse view of `pixels` (rows x features). Its arrays come from `arrays`, so that they can live in
 * shared memory for worker threads, or in the WebAssembly kernels' memory.
 */
export function toSparseRows(
  pixels: Uint8Array,
  rows: number,
  features: number,
  arrays: ArrayAllocator = plainArrays,
): SparseRows {
  if (features > 65536) throw new RangeError(`sparse rows keep pixel indices in 16 bits; ${features} features is too many`);
  // Most pixels are 0: where rows are whole 4-byte words (784 pixels are), four zero pixels are skipped at once.
  const words =
    features % 4 === 0 && pixels.byteOffset % 4 === 0
      ? new Uint32Array(pixels.buffer, pixels.byteOffset, (rows * features) / 4)
      : null;
  let nonZero = 0;
  if (words) {
    for (let w = 0; w < words.length; w++) {
      const v = words[w]!;
      if (v === 0) continue;
      nonZero += (v & 0xff ? 1 : 0) + (v & 0xff00 ? 1 : 0) + (v & 0xff0000 ? 1 : 0) + (v & 0xff000000 ? 1 : 0);
    }
  } else {
    for (let p = 0; p < rows * features; p++) if (pixels[p] !== 0) nonZero++;
  }
  const offsets = arrays.u32(rows + 1);
  const indices = arrays.u16(nonZero);
  const values = arrays.u8(nonZero);
  let at = 0;
  for (let r = 0; r < rows; r++) {
    offsets[r] = at;
    const base = r * features;
    if (words) {
      for (let w = base / 4, end = (base + features) / 4; w < end; w++) {
        if (words[w] === 0) continue;
        for (let p = w * 4; p < w * 4 + 4; p++) {
          const v = pixels[p]!;
          if (v !== 0) {
            indices[at] = p - base;
            values[at] = v;
            at++;
          }
        }
      }
    } else {
      for (let i = 0; i < features; i++) {
        const v = pixels[base + i]!;
        if (v !== 0) {
          indices[at] = i;
          values[at] = v;
          at++;
        }
      }
    }
  }
  offsets[rows] = at;
  return { rows, features, offsets, indices, values };
}
