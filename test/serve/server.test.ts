/**
 * The serve HTTP server in this process, on a free port, with a small model trained on the bundled sample:
 * what the page and the predict endpoint answer, and that every bad request gets a 4xx (with a message) while
 * the server goes on answering.
 */
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Dataset } from '../../src/data/dataset.js';
import type { Model } from '../../src/train/model.js';
import { predictRows } from '../../src/nn/predict.js';
import { Classifier, type PixelClassifier } from '../../src/serve/classifier.js';
import { pageCss, pageHtml, pageScript, type PageAssets } from '../../src/serve/page.js';
import { maxBodyBytes } from '../../src/serve/request.js';
import { createDigitServer, modelSummary, type ModelSummary } from '../../src/serve/server.js';
import { readSample, sampleTestFile, trainSampleModel } from './sample-model.js';

const assets: PageAssets = { html: pageHtml, css: pageCss, app: pageScript, preprocess: 'export const stand_in = 1;\n' };

let model: Model;
let kaggle: Dataset;
let server: Server;
let base: string;
const internalErrors: unknown[] = [];

async function start(classifier: PixelClassifier): Promise<{ server: Server; base: string }> {
  const started = createDigitServer({
    classifier,
    summary: modelSummary(model, 'models/sample.json'),
    assets,
    onInternalError: (error) => internalErrors.push(error),
  });
  await new Promise<void>((done) => started.listen(0, '127.0.0.1', done));
  return { server: started, base: `http://127.0.0.1:${(started.address() as AddressInfo).port}` };
}

async function stop(running: Server): Promise<void> {
  running.closeAllConnections();
  await new Promise((done) => running.close(done));
}

beforeAll(async () => {
  [model, kaggle] = await Promise.all([trainSampleModel(16, 1), readSample(sampleTestFile)]);
  ({ server, base } = await start(new Classifier(model)));
});

afterAll(async () => {
  await stop(server);
});

const json = { 'content-type': 'application/json' };
const row = (r: number): number[] => Array.from(kaggle.pixels.subarray(r * 784, (r + 1) * 784));

function post(body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = json, path = '/api/predict'): Promise<Response> {
  const init: RequestInit & { duplex?: 'half' } = { method: 'POST', headers, body };
  if (typeof body !== 'string') init.duplex = 'half';
  return fetch(base + path, init);
}

async function expectRefusal(response: Response, status: number, message: string | RegExp): Promise<void> {
  const body = (await response.json()) as { error: string };
  expect({ status: response.status, type: response.headers.get('content-type') }).toEqual({
    status,
    type: 'application/json; charset=utf-8',
  });
  if (typeof message === 'string') expect(body.error).toBe(message);
  else expect(body.error).toMatch(message);
}

describe('the page', () => {
  test('GET / is the page: the drawing pad, buttons, the 28x28 view and ten bars', async () => {
    const response = await fetch(base + '/');
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html).toContain('<canvas id="pad"');
    expect(html).toContain('<canvas id="seen" width="28" height="28"');
    expect(html).toMatch(/<button id="clear"[^>]*>Clear/);
    expect(html.match(/<li data-digit="\d">/g)).toHaveLength(10);
    expect(html).toContain('<script type="module" src="/app.js"></script>');
  });

  test('the page and its scripts work offline: nothing is fetched from another site', async () => {
    for (const path of ['/', '/style.css', '/app.js']) {
      const text = await (await fetch(base + path)).text();
      expect(text, path).not.toMatch(/https?:\/\//);
      expect(text, path).not.toMatch(/url\(/);
    }
    const policy = (await fetch(base + '/')).headers.get('content-security-policy');
    expect(policy).toContain("default-src 'self'");
  });

  test('serves the script, the styles and the preprocessing module with their types', async () => {
    const types: Record<string, string> = {
      '/app.js': 'text/javascript; charset=utf-8',
      '/preprocess.js': 'text/javascript; charset=utf-8',
      '/style.css': 'text/css; charset=utf-8',
    };
    for (const [path, type] of Object.entries(types)) {
      const response = await fetch(base + path);
      expect([path, response.status, response.headers.get('content-type')]).toEqual([path, 200, type]);
    }
    expect(await (await fetch(base + '/preprocess.js')).text()).toBe(assets.preprocess);
    expect(await (await fetch(base + '/app.js')).text()).toContain("from '/preprocess.js'");
  });

  test('HEAD answers like GET without a body, and a query string is ignored', async () => {
    const head = await fetch(base + '/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(Buffer.byteLength(pageHtml));
    expect(await head.text()).toBe('');
    expect((await fetch(base + '/?from=readme')).status).toBe(200);
  });

  test('GET /api/model describes the model for the page', async () => {
    const summary = (await (await fetch(base + '/api/model')).json()) as ModelSummary;
    expect(summary).toMatchObject({
      path: 'models/sample.json',
      inputSize: 784,
      hiddenSize: 16,
      classCount: 10,
      classes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      heldOutRows: model.data.heldOutRows.length,
      trainingRows: 4000 - model.data.heldOutRows.length,
      preset: 'default',
    });
    expect(summary.heldOutAccuracy).toBe(model.training.heldOut!.accuracy);
  });
});

describe('POST /api/predict', () => {
  test('answers what `digits predict` computes for the same Kaggle rows (deskewed, as the model was trained)', async () => {
    expect(model.deskew).toBe(true);
    const expected = predictRows(model.params, kaggle, { deskew: model.deskew, rowIds: Uint32Array.from({ length: 20 }, (_, r) => r) });
    for (let r = 0; r < 20; r++) {
      const response = await post(JSON.stringify({ pixels: row(r) }));
      expect(response.status).toBe(200);
      const body = (await response.json()) as { digit: number; probabilities: number[]; classes: number[] };
      expect(body.digit).toBe(model.classes[expected.predicted[r]!]);
      expect(body.classes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(body.probabilities).toEqual(Array.from(expected.probs.subarray(r * 10, r * 10 + 10)));
      expect(body.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
  });

  test('accepts a charset in the content type and pretty-printed JSON', async () => {
    const response = await post(JSON.stringify({ pixels: row(0) }, null, 2), { 'content-type': 'Application/JSON; charset=utf-8' });
    expect(response.status).toBe(200);
  });

  test.each([
    ['783 values', () => JSON.stringify({ pixels: row(0).slice(1) }), '"pixels" must hold exactly 784 values (28x28), got 783'],
    ['785 values', () => JSON.stringify({ pixels: [...row(0), 0] }), '"pixels" must hold exactly 784 values (28x28), got 785'],
    ['no values', () => JSON.stringify({ pixels: [] }), '"pixels" must hold exactly 784 values (28x28), got 0'],
    ['a string', () => JSON.stringify({ pixels: row(0).map((v, p) => (p === 5 ? '12' : v)) }), 'pixels[5] must be an integer 0..255, got "12"'],
    ['null', () => JSON.stringify({ pixels: row(0).map((v, p) => (p === 0 ? null : v)) }), 'pixels[0] must be an integer 0..255, got null'],
    ['a fraction', () => JSON.stringify({ pixels: row(0).map((v, p) => (p === 783 ? 0.5 : v)) }), 'pixels[783] must be an integer 0..255, got 0.5'],
    ['256', () => JSON.stringify({ pixels: row(0).map((v, p) => (p === 400 ? 256 : v)) }), 'pixels[400] must be an integer 0..255, got 256'],
    ['-1', () => JSON.stringify({ pixels: row(0).map((v, p) => (p === 1 ? -1 : v)) }), 'pixels[1] must be an integer 0..255, got -1'],
    ['a nested array', () => JSON.stringify({ pixels: row(0).map((v, p) => (p === 2 ? [v] : v)) }), /^pixels\[2\] must be an integer 0\.\.255, got \[/],
    ['pixels not an array', () => JSON.stringify({ pixels: 'all zeros' }), '"pixels" must be an array of 784 integers 0..255, got "all zeros"'],
    ['a bare array', () => JSON.stringify(row(0)), 'expected a JSON object {"pixels": [...]} with 784 integers 0..255'],
    ['no pixels field', () => JSON.stringify({ image: row(0) }), 'expected a JSON object {"pixels": [...]} with 784 integers 0..255'],
    ['JSON null', () => 'null', 'expected a JSON object {"pixels": [...]} with 784 integers 0..255'],
    ['broken JSON', () => '{"pixels": [1, 2,', /^the body is not valid JSON \(/],
    ['an empty body', () => '', /^the body is not valid JSON \(/],
  ])('refuses %s with 400 and says what is wrong', async (_name, body, message) => {
    await expectRefusal(await post(body()), 400, message);
  });

  test('refuses a body that is not declared as JSON with 415', async () => {
    const body = JSON.stringify({ pixels: row(0) });
    const message = 'send the pixels as JSON, with Content-Type: application/json';
    await expectRefusal(await post(body, { 'content-type': 'text/plain' }), 415, message);
    await expectRefusal(await post(body, { 'content-type': 'application/x-www-form-urlencoded' }), 415, message);
    await expectRefusal(await fetch(base + '/api/predict', { method: 'POST' }), 415, message);
  });

  test(`refuses bodies over ${maxBodyBytes} bytes with 413, announced or streamed`, async () => {
    const message = `request body too large: the limit is ${maxBodyBytes} bytes`;
    await expectRefusal(await post('1'.repeat(maxBodyBytes + 1)), 413, message);
    await expectRefusal(await post(' '.repeat(20_000_000)), 413, message);
    const chunk = new TextEncoder().encode('9'.repeat(100_000));
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Without a Content-Length: the server has to count; stop after 50 MB in case it never does.
        if (sent++ < 500) controller.enqueue(chunk);
        else controller.close();
      },
    });
    await expectRefusal(await post(endless), 413, message);
    expect(sent).toBeLessThan(500);
  });
});

describe('requests that are not for the server', () => {
  test('an unknown path is 404', async () => {
    await expectRefusal(await fetch(base + '/favicon.ico'), 404, 'no such page: /favicon.ico');
    await expectRefusal(await fetch(base + '/../package.json'), 404, 'no such page: /package.json');
    await expectRefusal(await fetch(base + '/api/predict/7'), 404, 'no such page: /api/predict/7');
    await expectRefusal(await post('{}', json, '/predict'), 404, 'no such page: /predict');
  });

  test('a wrong method is 405 with the methods allowed', async () => {
    const cases: Array<[string, string, string]> = [
      ['GET', '/api/predict', 'POST'],
      ['PUT', '/api/predict', 'POST'],
      ['POST', '/', 'GET, HEAD'],
      ['DELETE', '/api/model', 'GET, HEAD'],
      ['OPTIONS', '/app.js', 'GET, HEAD'],
    ];
    for (const [method, path, allowed] of cases) {
      const response = await fetch(base + path, { method });
      expect(response.headers.get('allow'), `${method} ${path}`).toBe(allowed);
      await expectRefusal(response, 405, `${method} is not allowed on ${path}; use ${allowed}`);
    }
  });

  function rawRequest(text: string): Promise<string> {
    return new Promise<string>((done, fail) => {
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (answer += chunk));
      socket.on('end', () => done(answer));
      socket.on('error', fail);
      socket.write(text);
    });
  }

  test('malformed HTTP gets 400, oversized headers 431, and the connection is closed', async () => {
    expect(await rawRequest('THIS IS NOT HTTP\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    const huge = `GET / HTTP/1.1\r\nhost: localhost\r\nx-padding: ${'x'.repeat(100_000)}\r\n\r\n`;
    expect(await rawRequest(huge)).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  });

  test('after all of the above the server still answers, and nothing was its own fault', async () => {
    const response = await post(JSON.stringify({ pixels: row(3) }));
    expect(response.status).toBe(200);
    expect(internalErrors).toEqual([]);
  });
});

describe('a failure inside the server', () => {
  test('is a 500 with a short message, reported to the command, and the next request is answered', async () => {
    let calls = 0;
    const failing: PixelClassifier = {
      inputSize: 784,
      classify: (pixels) => {
        if (calls++ === 0) throw new Error('the kernel fell over');
        return new Classifier(model).classify(pixels);
      },
    };
    const other = await start(failing);
    try {
      const body = JSON.stringify({ pixels: row(0) });
      const first = await fetch(other.base + '/api/predict', { method: 'POST', headers: json, body });
      expect(first.status).toBe(500);
      expect(await first.json()).toEqual({ error: 'internal error in the digits server' });
      expect(internalErrors.map((error) => (error as Error).message)).toEqual(['the kernel fell over']);
      const second = await fetch(other.base + '/api/predict', { method: 'POST', headers: json, body });
      expect(second.status).toBe(200);
    } finally {
      internalErrors.length = 0;
      await stop(other.server);
    }
  });
});
