/**
 * Writing data to standard output so that none of it is lost without a word. When stdout is a file
 * (`digits predict test.csv > submission.csv`), Node writes it with one write(2) call and ignores a short
 * count, so a full disk would silently cut the submission off; here every byte is written or the write fails.
 */
import { fstatSync, writeSync } from 'node:fs';
import { failure, fileProblem, isBrokenPipe, isSystemError } from '../errors.js';

export async function writeToStdout(stream: NodeJS.WritableStream, text: string): Promise<void> {
  const fd = (stream as { fd?: unknown }).fd;
  if (typeof fd === 'number' && isRegularFile(fd)) {
    const bytes = Buffer.from(text);
    let written = 0;
    try {
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    } catch (error) {
      throw outputFailure(error);
    }
    return;
  }
  await new Promise<void>((done, fail) =>
    stream.write(text, (error) => (error ? fail(isBrokenPipe(error) ? error : outputFailure(error)) : done())),
  );
}

function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

function outputFailure(error: unknown): unknown {
  if (!isSystemError(error) || isBrokenPipe(error)) return error;
  return failure(`cannot write to standard output: ${fileProblem(error)}`, ['The output is incomplete; do not use it.']);
}
