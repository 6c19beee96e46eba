/**
 * The HTTP server of `digits serve`, on Node's own http module: the page and its scripts, the model's summary,
 * and the predict endpoint. Every request gets an answer, a refusal is a 4xx with a JSON `{"error": ...}`, and
 * nothing a client sends can stop the server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Model } from '../train/model.js';
import type { PixelClassifier } from './classifier.js';
import type { PageAssets } from './page.js';
import { isJsonContentType, parseJson, pixelsFromJson, readBody, RequestError } from './request.js';

/** What the page shows about the model. */
export interface ModelSummary {
  readonly path: string;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly classCount: number;
  readonly classes: readonly number[];
  readonly heldOutAccuracy: number | null;
  readonly heldOutRows: number;
  readonly trainingRows: number;
  readonly preset: string;
  readonly createdAt: string;
}

/** The summary of `model`, read from `path` (as shown to the user). */
export function modelSummary(model: Model, path: string): ModelSummary {
  const { shape } = model.params;
  return {
    path,
    inputSize: shape.inputSize,
    hiddenSize: shape.hiddenSize,
    classCount: shape.classCount,
    classes: model.classes,
    heldOutAccuracy: model.training.heldOut?.accuracy ?? null,
    heldOutRows: model.training.heldOut?.rows ?? 0,
    trainingRows: model.data.rows - model.data.heldOutRows.length,
    preset: model.training.config.preset,
    createdAt: model.createdAt,
  };
}

export interface DigitServerOptions {
  readonly classifier: PixelClassifier;
  readonly summary: ModelSummary;
  readonly assets: PageAssets;
  /** Told of a failure that is the server's fault (a 500), for the command to show; requests never are. */
  readonly onInternalError?: (error: unknown) => void;
}

type Handler = (request: IncomingMessage, response: ServerResponse) => Promise<void> | void;
interface Route {
  readonly GET?: Handler;
  readonly POST?: Handler;
}

/**
 * The browser may run only this origin's scripts and talk only to this origin; nothing may frame the page.
 * The 28x28 preview is a canvas, so no images are needed beyond the inline icon.
 */
const securityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

function send(
  response: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(status, {
    ...securityHeaders,
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

function sendJson(response: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(value) + '\n', headers);
}

function staticFile(contentType: string, body: string): Handler {
  return (_request, response) => send(response, 200, contentType, body);
}

export function createDigitServer(options: DigitServerOptions): Server {
  const { classifier, summary, assets } = options;
  const javascript = 'text/javascript; charset=utf-8';

  const predict: Handler = async (request, response) => {
    if (!isJsonContentType(request.headers['content-type'])) {
      throw new RequestError(415, 'send the pixels as JSON, with Content-Type: application/json');
    }
    const pixels = pixelsFromJson(parseJson(await readBody(request)), classifier.inputSize);
    sendJson(response, 200, classifier.classify(pixels));
  };

  const routes: Readonly<Record<string, Route>> = {
    '/': { GET: staticFile('text/html; charset=utf-8', assets.html) },
    '/style.css': { GET: staticFile('text/css; charset=utf-8', assets.css) },
    '/app.js': { GET: staticFile(javascript, assets.app) },
    '/preprocess.js': { GET: staticFile(javascript, assets.preprocess) },
    '/api/model': { GET: (_request, response) => sendJson(response, 200, summary) },
    '/api/predict': { POST: predict },
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (!route) throw new RequestError(404, `no such page: ${path.length > 80 ? path.slice(0, 77) + '...' : path}`);
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    const handler = method === 'GET' || method === 'POST' ? route[method] : undefined;
    if (!handler) {
      const allowed = route.GET ? 'GET, HEAD' : 'POST';
      throw new RequestError(405, `${request.method} is not allowed on ${path}; use ${allowed}`, { allow: allowed });
    }
    await handler(request, response);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (error instanceof RequestError) {
        // A refused body may still be arriving: answer, then close the connection rather than read the rest.
        const close: Record<string, string> = error.status === 413 ? { connection: 'close' } : {};
        sendJson(response, error.status, { error: error.message }, { ...error.headers, ...close });
        return;
      }
      options.onInternalError?.(error);
      sendJson(response, 500, { error: 'internal error in the digits server' });
    });
  });
  // Malformed HTTP (bad request line, oversized headers) is refused by Node; answer it and drop the socket.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });
  return server;
}
