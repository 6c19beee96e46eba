/**
 * Runs `node bin/digits.js` (which imports dist/) for the serve tests: builds dist/ first when it is missing or
 * older than src/, trains a tiny model through the CLI, and starts `digits serve` until it prints its URL.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIfStale, collectOutput } from '../helpers/cli-process.js';

export { buildIfStale };

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const bin = join(root, 'bin', 'digits.js');

/** A plain log: no colour, no debug output. */
const env: NodeJS.ProcessEnv = { ...process.env };
delete env.FORCE_COLOR;
delete env.DEBUG;
env.NO_COLOR = '1';

export interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI to the end. */
export function digits(args: readonly string[], cwd: string): Promise<Run> {
  return collectOutput(spawn(process.execPath, [bin, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Trains a small model on the bundled sample through the CLI and returns its path. */
export async function trainTinyModel(cwd: string, out: string, extra: readonly string[] = ['--hidden', '16', '--epochs', '1']): Promise<string> {
  const run = await digits(['train', '--out', out, '--quiet', ...extra], cwd);
  if (run.code !== 0) throw new Error(`digits train failed (exit ${run.code}):\n${run.stderr}`);
  return join(cwd, out);
}

export interface RunningServer {
  readonly url: string;
  readonly child: ChildProcessWithoutNullStreams;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  /** Sends a signal and waits for the process to end. */
  stop(signal?: NodeJS.Signals): Promise<Run>;
}

/** Starts `digits serve ...args` and resolves once it prints its URL; rejects if it exits first. */
export function startServe(args: readonly string[], cwd: string): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'serve', ...args], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let started = false;
    const ended = new Promise<Run>((done) => child.on('close', (code, signal) => done({ code, signal, stdout, stderr })));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const url = /at (http:\/\/\S+\/)/.exec(stderr)?.[1];
      if (url && !started) {
        started = true;
        resolve({
          url,
          child,
          stdout: () => stdout,
          stderr: () => stderr,
          stop: (signal = 'SIGINT') => {
            child.kill(signal);
            return ended;
          },
        });
      }
    });
    child.on('error', reject);
    void ended.then((run) => {
      if (!started) reject(new Error(`digits serve ended before printing its URL (exit ${run.code}):\n${run.stderr}`));
    });
  });
}
