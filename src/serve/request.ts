/**
 * What the server accepts from a client: a JSON body of limited size, read from a request, and the pixels in
 * it checked one by one. Every refusal is a RequestError carrying the HTTP status and a message for the client.
 */
import type { IncomingMessage } from 'node:http';

export class RequestError extends Error {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, message: string, headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.name = 'RequestError';
    this.status = status;
    this.headers = headers;
  }
}

/**
 * Largest request body accepted: 784 pixels of up to "255," are about 3 KB; 64 KiB leaves room for
 * pretty-printed JSON and refuses anything that is plainly not one image.
 */
export const maxBodyBytes = 64 * 1024;

/** Whether a Content-Type header names JSON (`application/json`, any parameters such as charset). */
export function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(';')[0]!.trim().toLowerCase() === 'application/json';
}

/**
 * Reads a request's body as UTF-8 text, refusing (413) as soon as it passes `limit` bytes, whether announced by
 * Content-Length or found while reading. The rest of a refused body is not read.
 */
export function readBody(request: IncomingMessage, limit = maxBodyBytes): Promise<string> {
  return new Promise((resolve, reject) => {
    const tooLarge = (): RequestError => new RequestError(413, `request body too large: the limit is ${limit} bytes`);
    const announced = Number(request.headers['content-length']);
    if (Number.isFinite(announced) && announced > limit) {
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    request.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) {
        settled = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', (error) => {
      if (settled) return;
      settled = true;
      reject(new RequestError(400, `could not read the request body: ${error.message}`));
    });
  });
}

/** Parses a body as JSON, refusing (400) what is not. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new RequestError(400, `the body is not valid JSON (${(error as Error).message})`);
  }
}

/** How a value looks in a message: short, and never the whole of a long input. */
function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * The pixels of a predict request: `{"pixels": [p0, ..., p783]}`, exactly `inputSize` integers 0..255, row-major,
 * as in a CSV row of Kaggle's data (not 0..1: one scale everywhere, so a row pasted from a CSV file just works).
 */
export function pixelsFromJson(json: unknown, inputSize: number): Uint8Array {
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !('pixels' in json)) {
    throw new RequestError(400, `expected a JSON object {"pixels": [...]} with ${inputSize} integers 0..255`);
  }
  const values = (json as { pixels: unknown }).pixels;
  if (!Array.isArray(values)) {
    throw new RequestError(400, `"pixels" must be an array of ${inputSize} integers 0..255, got ${describe(values)}`);
  }
  if (values.length !== inputSize) {
    throw new RequestError(400, `"pixels" must hold exactly ${inputSize} values (28x28), got ${values.length}`);
  }
  const pixels = new Uint8Array(inputSize);
  for (let p = 0; p < inputSize; p++) {
    const v: unknown = values[p];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
      throw new RequestError(400, `pixels[${p}] must be an integer 0..255, got ${describe(v)}`);
    }
    pixels[p] = v;
  }
  return pixels;
}
