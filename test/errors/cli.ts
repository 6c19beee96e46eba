/**
 * Helpers for the error and interrupt tests: run the built CLI (`node bin/digits.js`, which imports dist/; build
 * with `npx tsc -p tsconfig.json` first, as `npm test` does), scratch folders, the bundled sample.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { collectOutput } from '../helpers/cli-process.js';

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const binPath = join(repoRoot, 'bin/digits.js');
export const sampleTrain = join(repoRoot, 'data/sample/train.csv.gz');
export const sampleTest = join(repoRoot, 'data/sample/test.csv.gz');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly cwd?: string;
  readonly input?: string | Buffer;
  readonly env?: NodeJS.ProcessEnv;
  /** Leave standard input open (a run reading `-` then waits for more). */
  readonly keepStdinOpen?: boolean;
}

/** Environment for a predictable run: no colour, no debug output. */
function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  if (!('DEBUG' in extra)) delete env.DEBUG;
  delete env.FORCE_COLOR;
  return env;
}

/** Starts the CLI; the caller owns the process. */
export function startCli(args: readonly string[], options: CliOptions = {}): ChildProcess {
  const child = spawn(process.execPath, [binPath, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: childEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  else if (!options.keepStdinOpen) child.stdin!.end();
  return child;
}

/** Collects a started CLI's output until it exits. */
export const finished: (child: ChildProcess) => Promise<CliResult> = collectOutput;

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return finished(startCli(args, options));
}

/** Resolves once the child's stderr contains `pattern` (the child's output is also kept in `seen`). */
export function waitForStderr(child: ChildProcess, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  let seen = '';
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`timed out waiting for ${pattern} on stderr; saw:\n${seen}`)), timeoutMs);
    const onData = (chunk: Buffer | string): void => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        done();
      }
    };
    child.stderr!.on('data', onData);
    child.on('close', () => {
      clearTimeout(timer);
      if (!pattern.test(seen)) fail(new Error(`exited before ${pattern} appeared on stderr; saw:\n${seen}`));
    });
  });
}

/** A stack trace line, which no message for users may contain. */
export const stackTraceLine = /^\s+at .+(:\d+:\d+|\(native\)|<anonymous>)/m;

export function scratchFolder(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `digits-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** The bundled sample's text: header and the first `rows` data rows (all when omitted). */
export function sampleText(which: 'train' | 'test', rows?: number): string {
  const text = gunzipSync(readFileSync(which === 'train' ? sampleTrain : sampleTest)).toString('utf8');
  if (rows === undefined) return text;
  return text.split('\n').slice(0, rows + 1).join('\n') + '\n';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
