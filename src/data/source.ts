/**
 * Opens what the user named as input: a file (plain or gzip, recognised by its magic bytes, not its name) or
 * `-` for standard input. Yields decompressed chunks and keeps a SHA-256 of the raw bytes, so that a model can
 * record exactly which file it was trained on.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { describeFileError, inputError, isSystemError } from '../errors.js';

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
}

const gzipMagic0 = 0x1f;
const gzipMagic1 = 0x8b;

/** Opens `path` (or `-` for standard input). Throws a DigitsError for a missing file or a directory. */
export function openInput(path: string, stdin: Readable = process.stdin): InputSource {
  let raw: Readable;
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
      if (isSystemError(error)) throw inputError(describeFileError(error, path, 'opening the CSV file'));
      throw error;
    }
    raw = createReadStream(path, { highWaterMark: 1 << 20 });
  }

  const hash = createHash('sha256');
  let bytes = 0;
  async function* decompressed(): AsyncGenerator<Buffer> {
    const hashed = (async function* (): AsyncGenerator<Buffer> {
      try {
        for await (const chunk of raw as AsyncIterable<Buffer>) {
          hash.update(chunk);
          bytes += chunk.length;
          yield chunk;
        }
      } catch (error) {
        if (isSystemError(error)) throw inputError(describeFileError(error, name, 'reading the CSV file'));
        throw error;
      }
    })();
    const first = await hashed.next();
    if (first.done) return;
    const head = first.value;
    if (head.length >= 2 && head[0] === gzipMagic0 && head[1] === gzipMagic1) {
      // 256 kB pieces, not the default 16 kB: gunzip of Kaggle's test.csv.gz took 180 ms of CPU, now 60 ms.
      const gunzip = createGunzip({ chunkSize: 1 << 18 });
      const feed = Readable.from(
        (async function* () {
          yield head;
          yield* hashed;
        })(),
      );
      feed.on('error', (error) => gunzip.destroy(error));
      feed.pipe(gunzip);
      try {
        for await (const chunk of gunzip as AsyncIterable<Buffer>) yield chunk;
      } catch (error) {
        if (error instanceof Error && 'code' in error && String(error.code).startsWith('Z_')) {
          throw inputError(`${name}: the gzip data is damaged or truncated (${error.message})`);
        }
        throw error;
      }
    } else {
      yield head;
      yield* hashed;
    }
  }

  return {
    name,
    size,
    chunks: decompressed(),
    bytesRead: () => bytes,
    sha256: () => hash.copy().digest('hex'),
  };
}
