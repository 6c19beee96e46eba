/**
 * End to end: where the files digits writes (a model, a submission, a picture) land when the path given is a
 * symbolic link or a FIFO. A link is written through and stays a link; a FIFO is written into and stays a FIFO.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildIfStale, collectOutput } from '../helpers/cli-process.js';
import { runCli, sampleText, scratchFolder, sampleTrain, type CliResult } from '../errors/cli.js';

const scratch = scratchFolder('e2e-outputs');
const cwd = scratch.path;
const tiny = ['--hidden', '16', '--epochs', '1', '--progress', 'none'];

/** Shows a failed run's output in the assertion message. */
function describeRun(run: CliResult): string {
  return `exit ${run.code}\n--- stdout ---\n${run.stdout.slice(0, 2000)}\n--- stderr ---\n${run.stderr.slice(0, 2000)}`;
}

beforeAll(async () => {
  buildIfStale();
  writeFileSync(join(cwd, 'test.csv'), sampleText('test', 5));
  const trained = await runCli(['train', sampleTrain, ...tiny, '--out', 'model.json', '--quiet'], { cwd });
  expect(trained.code, describeRun(trained)).toBe(0);
});
afterAll(() => scratch.remove());

describe('an output path that is a symbolic link or a FIFO', () => {
  it('predict --out through a symbolic link writes the file it points to, and the link stays a link', async () => {
    mkdirSync(join(cwd, 'submissions'));
    writeFileSync(join(cwd, 'submissions/latest.csv'), 'an old submission\n');
    symlinkSync('submissions/latest.csv', join(cwd, 'submission.csv'));
    const run = await runCli(['predict', 'test.csv', '--model', 'model.json', '--out', 'submission.csv'], { cwd });
    expect(run.code, describeRun(run)).toBe(0);
    expect(lstatSync(join(cwd, 'submission.csv')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(cwd, 'submission.csv'))).toBe('submissions/latest.csv');
    expect(readFileSync(join(cwd, 'submissions/latest.csv'), 'utf8')).toMatch(/^ImageId,Label\n1,\d\n2,\d\n3,\d\n4,\d\n5,\d\n$/);
    expect(readdirSync(join(cwd, 'submissions'))).toEqual(['latest.csv']);
  });

  it('predict --out into a FIFO writes into it for its reader, and the FIFO stays a FIFO', async () => {
    const fifo = join(cwd, 'to-reader.csv');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'pipe'] });
    const read = collectOutput(reader);
    try {
      const run = await runCli(['predict', 'test.csv', '--model', 'model.json', '--out', 'to-reader.csv'], { cwd });
      expect(run.code, describeRun(run)).toBe(0);
      expect(lstatSync(fifo).isFIFO()).toBe(true);
      expect((await read).stdout).toMatch(/^ImageId,Label\n(\d,\d\n){5}$/);
    } finally {
      reader.kill(); // only needed when the FIFO was replaced and cat still waits for a writer
    }
  });

  it('train --out and --plot, and plot, write through links to the files they point to', async () => {
    mkdirSync(join(cwd, 'kept'));
    symlinkSync('kept/run1.json', join(cwd, 'current.json'));
    symlinkSync('kept/run1.svg', join(cwd, 'current.svg'));
    const run = await runCli(['train', sampleTrain, ...tiny, '--out', 'current.json', '--plot', 'current.svg', '--quiet'], { cwd });
    expect(run.code, describeRun(run)).toBe(0);
    expect(readdirSync(join(cwd, 'kept')).sort()).toEqual(['run1.json', 'run1.svg']);
    const plotted = await runCli(['plot', 'model.json', 'current.svg', '--quiet'], { cwd });
    expect(plotted.code, describeRun(plotted)).toBe(0);
    for (const link of ['current.json', 'current.svg']) expect(lstatSync(join(cwd, link)).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(cwd, 'kept/run1.svg'), 'utf8')).toMatch(/^<svg/);
    expect(JSON.parse(readFileSync(join(cwd, 'kept/run1.json'), 'utf8'))).toMatchObject({ format: 'digits-model' });
  });
});
