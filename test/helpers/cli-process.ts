/**
 * What every end-to-end test needs to run `node bin/digits.js`: the build it imports (dist/), made when missing or
 * older than src/, and the collection of a child's output until it exits. Each test file keeps its own spawn
 * options (environment, stdin), which differ on purpose.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const binPath = join(repoRoot, 'bin', 'digits.js');

export interface ProcessResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function newestModification(folder: string): number {
  let newest = 0;
  for (const name of readdirSync(folder, { recursive: true, encoding: 'utf8' })) {
    newest = Math.max(newest, statSync(join(folder, name)).mtimeMs);
  }
  return newest;
}

/** bin/digits.js imports dist/: build it when it is missing, incomplete or older than the sources. */
export function buildIfStale(): void {
  const cli = join(repoRoot, 'dist', 'cli.js');
  const fresh =
    existsSync(cli) &&
    existsSync(join(repoRoot, 'dist', 'serve', 'preprocess.js')) &&
    statSync(cli).mtimeMs >= newestModification(join(repoRoot, 'src'));
  if (fresh) return;
  const tsc = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (tsc.status !== 0) throw new Error(`the build failed:\n${tsc.stdout}\n${tsc.stderr}`);
}

/** Collects a started child's stdout and stderr until it exits. */
export function collectOutput(child: ChildProcess): Promise<ProcessResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
  });
}
