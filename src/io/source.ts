/**
 * Opens what the user named as input: a file (plain or gzip, recognised by its magic bytes, not its name) or
 * `-` for standard input. Yields decompressed chunks and keeps a SHA-256 of the raw bytes, so that a model can
 * record exactly which file it was trained on. Content that is plainly not CSV text (an archive, an image,
 * UTF-16, binary data) is refused here, before any parser sees it, so every reader gives the same message.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { describeFileError, inputError, isSystemError } from '../errors.js';
import { invocation } from '../invocation.js';

export interface InputSource {
  /** The name used in messages: the path as given, or `stdin`. */
  readonly name: string;
  /** Size in bytes of the raw file, when known (not for stdin). */
  readonly size: number | undefined;
  /** Decompressed content, chunk by chunk. */
  readonly chunks: AsyncIterable<Buffer>;
  /** Raw bytes read so far (compressed bytes for gzip), for progress. */
  bytesRead(): number;
  /** SHA-256 (hex) of the raw bytes; complete once `chunks` is exhausted. */
  sha256(): string;
  /** Stops reading and releases the file (safe to call twice, and after the end). */
  close(): void;
}

const gzipMagic = [0x1f, 0x8b];
/** How much of the start of the input is looked at before deciding what it is. */
const headBytes = 8192;

/** Formats digits does not read, recognised by their first bytes, and what to say about each. */
const foreignFormats: ReadonlyArray<{ magic: readonly number[]; what: string; advice: string }> = [
  {
    magic: [0x50, 0x4b, 0x03, 0x04],
    what: 'a zip archive',
    advice: `Unzip it first and give the CSV inside (for Kaggle: unzip digit-recognizer.zip, then ${invocation()} train train.csv).`,
  },
  { magic: [0x42, 0x5a, 0x68], what: 'bzip2-compressed', advice: 'Decompress it first (bunzip2), or recompress it with gzip.' },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'xz-compressed', advice: 'Decompress it first (unxz), or recompress it with gzip.' },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], what: 'zstd-compressed', advice: 'Decompress it first (unzstd), or recompress it with gzip.' },
  { magic: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: 'a 7-Zip archive', advice: 'Extract the CSV from it first.' },
  { magic: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image', advice: 'digits reads a CSV of pixel values (Kaggle\'s train.csv / test.csv), not image files.' },
  { magic: [0xff, 0xd8, 0xff], what: 'a JPEG image', advice: 'digits reads a CSV of pixel values (Kaggle\'s train.csv / test.csv), not image files.' },
  { magic: [0x47, 0x49, 0x46, 0x38], what: 'a GIF image', advice: 'digits reads a CSV of pixel values (Kaggle\'s train.csv / test.csv), not image files.' },
  { magic: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document', advice: 'digits reads a CSV of pixel values (Kaggle\'s train.csv / test.csv).' },
  {
    magic: [0xd0, 0xcf, 0x11, 0xe0],
    what: 'an old Excel (.xls) workbook',
    advice: 'Save it as "CSV UTF-8 (comma delimited)" first.',
  },
];

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return bytes.length >= magic.length && magic.every((b, k) => bytes[k] === b);
}

/**
 * Refuses content that is not CSV text, from its first bytes: known archive, image and document formats,
 * UTF-16 text, and binary data (a NUL byte, or more than a few control characters or invalid UTF-8 sequences).
 * `compressed` is true when `head` came out of gzip.
 */
export function checkLooksLikeText(name: string, head: Uint8Array, compressed = false): void {
  const inside = compressed ? ' (inside the gzip)' : '';
  for (const format of foreignFormats) {
    if (startsWith(head, format.magic)) {
      // An .xlsx workbook is a zip archive too; say so rather than suggest unzipping it.
      if (format.what === 'a zip archive' && /\.xlsx$/i.test(name)) {
        throw inputError(`${name}: is an Excel workbook, not a CSV file`, ['Save it as "CSV UTF-8 (comma delimited)" first.']);
      }
      throw inputError(`${name}: is ${format.what}${inside}, not a CSV file`, [format.advice]);
    }
  }
  if (startsWith(head, [0xff, 0xfe]) || startsWith(head, [0xfe, 0xff])) {
    throw inputError(`${name}: is UTF-16 text${inside}; digits reads UTF-8 (or ASCII) CSV`, [
      'Save it again as "CSV UTF-8" (in Excel), or convert it: iconv -f UTF-16 -t UTF-8 in.csv > out.csv',
    ]);
  }
  const sample = head.subarray(0, 64 * 1024);
  const nul = sample.indexOf(0);
  let odd = 0;
  for (let k = 0; k < sample.length; k++) {
    const b = sample[k]!;
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d) || b === 0x7f) odd++;
  }
  odd += invalidUtf8Sequences(sample);
  if (nul !== -1 || odd > Math.max(2, sample.length / 100)) {
    const where = nul !== -1 ? ` (a zero byte at offset ${nul})` : '';
    throw inputError(`${name}: looks like binary data${inside}, not CSV text${where}`, [
      'digits reads comma-separated text: a header row (label,pixel0,...,pixel783), then one row per image.',
    ]);
  }
}

/** Counts byte sequences that are not valid UTF-8 (a sequence cut off at the end of the sample is fine). */
function invalidUtf8Sequences(bytes: Uint8Array): number {
  let bad = 0;
  let k = 0;
  while (k < bytes.length) {
    const b = bytes[k]!;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need === -1) {
      bad++;
      k++;
      continue;
    }
    let ok = true;
    for (let j = 1; j <= need; j++) {
      if (k + j >= bytes.length) return bad;
      if ((bytes[k + j]! & 0xc0) !== 0x80) ok = false;
    }
    if (!ok) bad++;
    k += ok ? need + 1 : 1;
  }
  return bad;
}

/** Opens `path` (or `-` for standard input). Throws a DigitsError for a missing file or a directory. */
export function openInput(path: string, stdin: NodeJS.ReadableStream = process.stdin): InputSource {
  let raw: NodeJS.ReadableStream;
  let size: number | undefined;
  const name = path === '-' ? 'stdin' : path;
  if (path === '-') {
    raw = stdin;
  } else {
    try {
      const stat = statSync(path);
      if (stat.isDirectory()) throw inputError(`${path}: is a directory, not a CSV file`);
      size = stat.size;
    } catch (error) {
      if (isSystemError(error)) throw inputError(describeFileError(error, path, 'opening the CSV file'), missingFileHints(path, error));
      throw error;
    }
    raw = createReadStream(path, { highWaterMark: 1 << 20 });
  }

  const hash = createHash('sha256');
  let bytes = 0;
  let gunzip: ReturnType<typeof createGunzip> | undefined;
  const readError = (error: unknown): unknown =>
    isSystemError(error) && !String(error.code).startsWith('Z_')
      ? inputError(describeFileError(error, name, 'reading the CSV file'))
      : error;

  async function* decompressed(): AsyncGenerator<Buffer> {
    const hashed = (async function* (): AsyncGenerator<Buffer> {
      try {
        for await (const chunk of raw as AsyncIterable<Buffer | string>) {
          const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          hash.update(buffer);
          bytes += buffer.length;
          yield buffer;
        }
      } catch (error) {
        throw readError(error);
      }
    })();
    // Decide what the content is from its first few kilobytes, however the stream happens to cut them up.
    let head: Buffer<ArrayBufferLike> = Buffer.alloc(0);
    while (head.length < headBytes) {
      const next = await hashed.next();
      if (next.done) break;
      head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
    }
    if (head.length === 0) return;
    if (!startsWith(head, gzipMagic)) {
      checkLooksLikeText(name, head);
      yield head;
      yield* hashed;
      return;
    }
    // 256 kB pieces, not zlib's default 16 kB: at 16 kB the cost of each call is most of gunzip's CPU time.
    const unzip = createGunzip({ chunkSize: 1 << 18 });
    gunzip = unzip;
    const feed = Readable.from(
      (async function* () {
        yield head;
        yield* hashed;
      })(),
    );
    feed.on('error', (error) => unzip.destroy(error));
    feed.pipe(unzip);
    let pending: Buffer<ArrayBufferLike> | null = Buffer.alloc(0);
    try {
      for await (const chunk of unzip as AsyncIterable<Buffer>) {
        if (pending === null) {
          yield chunk;
          continue;
        }
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        if (pending.length >= headBytes) {
          checkLooksLikeText(name, pending, true);
          yield pending;
          pending = null;
        }
      }
      if (pending !== null && pending.length > 0) {
        checkLooksLikeText(name, pending, true);
        yield pending;
      }
    } catch (error) {
      if (error instanceof Error && 'code' in error && String(error.code).startsWith('Z_')) {
        const truncated = error.code === 'Z_BUF_ERROR' || /unexpected end/i.test(error.message);
        throw inputError(
          truncated
            ? `${name}: the gzip data ends early; the file is truncated (an interrupted download or copy?)`
            : `${name}: the gzip data is damaged (${error.message})`,
          ['Download or copy the file again.'],
        );
      }
      throw error;
    } finally {
      feed.destroy();
    }
  }

  return {
    name,
    size,
    chunks: decompressed(),
    bytesRead: () => bytes,
    sha256: () => hash.copy().digest('hex'),
    close: () => {
      gunzip?.destroy();
      if (raw !== stdin && 'destroy' in raw && typeof raw.destroy === 'function') (raw as Readable).destroy();
    },
  };
}

/** For a missing file: does a close relative exist (with or without .gz)? */
function missingFileHints(path: string, error: NodeJS.ErrnoException): string[] {
  if (error.code !== 'ENOENT') return [];
  const other = path.endsWith('.gz') ? path.slice(0, -3) : `${path}.gz`;
  return existsSync(other) ? [`Did you mean ${other}?`] : [];
}
