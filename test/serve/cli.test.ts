/**
 * `digits serve` end to end: the built CLI spawned in a temporary folder with a tiny model trained on the
 * bundled sample. Where it listens and what it prints, the compiled preprocessing module it serves, how it
 * stops, and its refusals.
 */
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bin, buildIfStale, digits, root, startServe, trainTinyModel } from './cli-process.js';

let folder: string;

beforeAll(async () => {
  buildIfStale();
  folder = mkdtempSync(join(tmpdir(), 'digits-serve-'));
  await trainTinyModel(folder, 'models/model.json');
});

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe('digits serve', () => {
  test('listens on 127.0.0.1, says where on stderr, keeps stdout empty, and stops on Ctrl-C with 130', async () => {
    const server = await startServe(['--port', '0'], folder);
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(server.stderr()).toMatch(
        /^Serving models\/model\.json \(784-16-10, \d+\.\d% on 400 held-out rows\) at http:\/\/127\.0\.0\.1:\d+\/\nOpen it in a browser and draw a digit\. Press Ctrl-C to stop\.\n$/,
      );
      const page = await fetch(server.url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<canvas id="pad"');
    } finally {
      const run = await server.stop('SIGINT');
      expect(run.code).toBe(130);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/Server stopped\.\n$/);
    }
  });

  test('serves dist/serve/preprocess.js, the compiled preprocessing module the page imports', async () => {
    const server = await startServe(['--port', '0'], folder);
    try {
      const response = await fetch(server.url + 'preprocess.js');
      expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      const served = await response.text();
      expect(served).toBe(readFileSync(join(root, 'dist', 'serve', 'preprocess.js'), 'utf8'));
      expect(served).toContain('export function preprocessDigit(');
      // A browser loads it as it is: no imports of other modules.
      expect(served).not.toMatch(/^\s*import\s/m);
    } finally {
      await server.stop();
    }
  });

  test('stops on SIGTERM with 143, also with a browser connection kept alive', async () => {
    const server = await startServe(['--port', '0', '--model', 'models/model.json'], folder);
    const keptAlive = await fetch(server.url + 'api/model', { headers: { connection: 'keep-alive' } });
    expect(keptAlive.status).toBe(200);
    const run = await server.stop('SIGTERM');
    expect(run.code).toBe(143);
  });

  test('--host localhost is shown as given', async () => {
    const server = await startServe(['--port', '0', '--host', 'localhost'], folder);
    try {
      expect(server.url).toMatch(/^http:\/\/localhost:\d+\/$/);
      expect((await fetch(server.url + 'api/model')).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  test('a port in use is an error that says what to do (exit 1)', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const run = await digits(['serve', '--port', String(port)], folder);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `error: port ${port} on 127.0.0.1 is already in use\n  Pass --port with another number, or --port 0 for any free port.\n`,
      );
    } finally {
      blocker.close();
    }
  });

  test('refuses a bad --port, a missing model and an address this machine does not have (exit 2)', async () => {
    const badPort = await digits(['serve', '--port', '70000'], folder);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain("error: option '--port <n>' argument '70000' is invalid. expected a port number 0..65535 (0 for any free port).");

    const missing = await digits(['serve', '--model', 'models/none.json', '--port', '0'], folder);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `error: models/none.json: no such file\n  Train one first with "node ${bin} train", or pass --model <path>.\n`,
    );

    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine.
    const foreign = await digits(['serve', '--host', '192.0.2.1', '--port', '0'], folder);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toBe(
      'error: --host 192.0.2.1: not an address of this machine\n  Use --host 127.0.0.1 (the default) or an address this machine has.\n',
    );
  });

  test('--help explains the command with examples', async () => {
    const run = await digits(['serve', '--help'], folder);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: digits serve [options]');
    expect(run.stdout).toContain('--port <n>');
    expect(run.stdout).toContain('(default: 8080)');
    expect(run.stdout).toContain('(default: "127.0.0.1")');
    expect(run.stdout).toContain(`node ${bin} serve --model models/final.json --port 3000`);
  });
});
