/**
 * End to end: --kernels js and --kernels wasm train the same model and predict the same submission, bit for bit,
 * on one thread and on two, for the default preset and the seed network (whose step is a kernel of its own).
 * Without WebAssembly (node --jitless), --kernels wasm is refused and auto falls back to the TypeScript kernels.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, buildIfStale, collectOutput, type ProcessResult } from '../helpers/cli-process.js';
import { sampleTestPath } from '../helpers/sample-rows.js';

const env: NodeJS.ProcessEnv = { ...process.env };
delete env.FORCE_COLOR;
delete env.DEBUG;

let work: string;

function digits(args: string[], nodeFlags: string[] = []): Promise<ProcessResult> {
  return collectOutput(spawn(process.execPath, [...nodeFlags, binPath, ...args], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

function describeRun(run: ProcessResult): string {
  return `exit ${run.code}\n--- stdout ---\n${run.stdout.slice(0, 2000)}\n--- stderr ---\n${run.stderr.slice(0, 2000)}`;
}

/** What the kernels computed, as saved: the parameters, the optimiser state and the reports' numbers. */
function savedNumbers(path: string): unknown {
  const model = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const history = JSON.stringify(model.history, (key, value: unknown) => (key === 'seconds' || key === 'elapsedSeconds' ? undefined : value));
  return { parameters: model.parameters, optimizer: model.optimizerState, history };
}

beforeAll(() => {
  buildIfStale();
  work = mkdtempSync(join(tmpdir(), 'digits-kernels-'));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const runs: Array<{ name: string; tag: string; args: string[] }> = [
  { name: 'the default preset, one epoch', tag: 'default', args: ['--epochs', '1'] },
  { name: 'the seed preset, 20 iterations', tag: 'seed', args: ['--preset', 'seed', '--iterations', '20'] },
];

describe('--kernels', () => {
  for (const { name, tag, args } of runs) {
    for (const threads of ['1', '2']) {
      it(`js and wasm train the same model: ${name}, ${threads} thread(s)`, async () => {
        const saved: unknown[] = [];
        for (const kernels of ['js', 'wasm']) {
          const out = join(work, `${tag}-${kernels}-${threads}.json`);
          const run = await digits(['train', ...args, '--threads', threads, '--kernels', kernels, '--out', out]);
          expect(run.code, describeRun(run)).toBe(0);
          expect(run.stderr).toContain(`${threads} thread${threads === '1' ? '' : 's'}, ${kernels} kernels.`);
          saved.push(savedNumbers(out));
        }
        expect(saved[1]).toEqual(saved[0]);
      }, 120_000);
    }
  }

  it('js and wasm predict the same submission, on one thread and on two', async () => {
    const model = join(work, 'default-js-1.json');
    const submissions: string[] = [];
    for (const threads of ['1', '2']) {
      for (const kernels of ['js', 'wasm']) {
        const run = await digits(['predict', sampleTestPath, '--model', model, '--threads', threads, '--kernels', kernels]);
        expect(run.code, describeRun(run)).toBe(0);
        submissions.push(run.stdout);
      }
    }
    expect(submissions[0]!.split('\n').length).toBeGreaterThan(100);
    for (const submission of submissions) expect(submission).toBe(submissions[0]);
  }, 120_000);

  it('js and wasm score the held-out rows the same', async () => {
    const model = join(work, 'default-js-1.json');
    const reports: unknown[] = [];
    for (const kernels of ['js', 'wasm']) {
      const run = await digits(['eval', '--model', model, '--json', '--kernels', kernels]);
      expect(run.code, describeRun(run)).toBe(0);
      reports.push(JSON.parse(run.stdout));
    }
    expect(reports[1]).toEqual(reports[0]);
  }, 120_000);

  it('without WebAssembly, wasm is refused before any reading and auto takes the TypeScript kernels', async () => {
    const refused = await digits(['train', '--kernels', 'wasm', '--out', join(work, 'refused.json')], ['--jitless']);
    expect(refused.code, describeRun(refused)).toBe(2);
    expect(refused.stderr).toContain(`error: --kernels wasm: this Node.js (${process.version}) does not run WebAssembly SIMD over shared memory.\n`);
    expect(refused.stderr).toContain('  Use --kernels js or --kernels auto: the TypeScript kernels give the same numbers, more slowly.\n');
    expect(refused.stderr).not.toContain('Read ');
    const auto = await digits(['train', '--preset', 'seed', '--iterations', '1', '--threads', '1', '--out', join(work, 'auto.json')], ['--jitless']);
    expect(auto.code, describeRun(auto)).toBe(0);
    expect(auto.stderr).toContain('1 thread, js kernels.');
  }, 120_000);

  it('refuses a kind of kernels it does not know', async () => {
    const run = await digits(['train', '--kernels', 'gpu']);
    expect(run.code, describeRun(run)).toBe(2);
    expect(run.stderr).toContain("option '--kernels <kind>' argument 'gpu' is invalid. Allowed choices are auto, wasm, js.");
  });
});
