/**
 * End to end: where the files digits writes (a model, a submission, a picture) land when the path given is a
 * symbolic link or a FIFO (a link is written through and stays a link; a FIFO is written into and stays a FIFO),
 * and the paths it refuses before doing anything: an output that is one of its inputs, or another output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
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

describe('an output path that would overwrite an input or another output', () => {
  /** A folder of its own for each run, with a labelled CSV, a test CSV and a model, so that no run can spoil another. */
  function folderFor(name: string): string {
    const folder = join(cwd, name);
    mkdirSync(folder);
    writeFileSync(join(folder, 'train.csv'), sampleText('train', 60));
    writeFileSync(join(folder, 'test.csv'), sampleText('test', 5));
    copyFileSync(join(cwd, 'model.json'), join(folder, 'model.json'));
    symlinkSync('train.csv', join(folder, 'points-at-train.csv'));
    symlinkSync('later.json', join(folder, 'ahead.svg')); // later.json does not exist yet
    return folder;
  }

  /** Every file in a folder and its bytes (links as where they point). */
  function snapshot(folder: string): Record<string, string> {
    const files: Record<string, string> = {};
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      files[name] = lstatSync(path).isSymbolicLink() ? `-> ${readlinkSync(path)}` : readFileSync(path, 'latin1');
    }
    return files;
  }

  const refused = [
    {
      name: 'train --plot onto the model --out writes',
      args: ['train', 'train.csv', ...tiny, '--out', 'm.json', '--plot', 'm.json'],
      stderr: 'error: --plot m.json is the same file as --out m.json\n  One would overwrite the other; give --plot another path.\n',
    },
    {
      name: 'train --out onto the training CSV',
      args: ['train', 'train.csv', ...tiny, '--out', 'train.csv'],
      stderr: 'error: --out train.csv is the same file as the training CSV train.csv\n  Writing there would destroy the training CSV; give --out another path.\n',
    },
    {
      name: 'train --out through a link to the training CSV',
      args: ['train', 'train.csv', ...tiny, '--out', 'points-at-train.csv'],
      stderr:
        'error: --out points-at-train.csv is the same file as the training CSV train.csv\n' +
        '  Writing there would destroy the training CSV; give --out another path.\n',
    },
    {
      name: 'train --plot onto the training CSV',
      args: ['train', 'train.csv', ...tiny, '--plot', 'train.csv'],
      stderr: 'error: --plot train.csv is the same file as the training CSV train.csv\n  Writing there would destroy the training CSV; give --plot another path.\n',
    },
    {
      name: 'train --plot through a link to the model --out will write, which does not exist yet',
      args: ['train', 'train.csv', ...tiny, '--out', 'later.json', '--plot', 'ahead.svg'],
      stderr: 'error: --plot ahead.svg is the same file as --out later.json\n  One would overwrite the other; give --plot another path.\n',
    },
    {
      name: 'train --out and --plot spelled differently, in a folder not made yet',
      args: ['train', 'train.csv', ...tiny, '--out', 'new/../m.json', '--plot', './m.json'],
      stderr: 'error: --plot m.json is the same file as --out m.json\n  One would overwrite the other; give --plot another path.\n',
    },
    {
      name: 'train --plot onto the model being resumed',
      args: ['train', ...tiny, '--epochs', '2', '--resume', 'model.json', '--out', 'next.json', '--plot', 'model.json'],
      stderr:
        'error: --plot model.json is the same file as the resumed model model.json\n' +
        '  Writing there would destroy the resumed model; give --plot another path.\n',
    },
    {
      name: 'predict --out onto the CSV',
      args: ['predict', 'test.csv', '--model', 'model.json', '--out', 'test.csv'],
      stderr: 'error: --out test.csv is the same file as the CSV test.csv\n  Writing there would destroy the CSV; give --out another path.\n',
    },
    {
      name: 'predict --out onto the model',
      args: ['predict', 'test.csv', '--model', 'model.json', '--out', './model.json'],
      stderr: 'error: --out model.json is the same file as the model model.json\n  Writing there would destroy the model; give --out another path.\n',
    },
    {
      name: 'plot onto the model',
      args: ['plot', 'model.json', 'model.json'],
      stderr: 'error: the SVG file model.json is the same file as the model model.json\n  Writing there would destroy the model; give the SVG file another path.\n',
    },
  ];

  it.each(refused)('$name: refused with exit 2 before anything is read or written', async ({ name, args, stderr }) => {
    const folder = folderFor(name.replace(/\W+/g, '-'));
    const before = snapshot(folder);
    const run = await runCli(args, { cwd: folder });
    expect(run.stderr).toBe(stderr);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(snapshot(folder)).toEqual(before);
  });

  it.each([
    ['train', ['train', 'train.csv', ...tiny, '--out', 'adir'], 'the model, like adir/model.json'],
    ['predict', ['predict', 'test.csv', '--model', 'model.json', '--out', 'adir'], 'the submission, like adir/submission.csv'],
    ['plot', ['plot', 'model.json', 'adir'], 'the learning curves, like adir/curves.svg'],
  ])('%s into a directory: refused with exit 2 before anything is read, as by every command', async (command, args, example) => {
    const folder = folderFor(`directory-${command}`);
    mkdirSync(join(folder, 'adir'));
    const run = await runCli(args as string[], { cwd: folder });
    expect(run.stderr).toBe(`error: cannot write adir: it is a directory\n  Give a file name for ${example}\n`);
    expect(run.code).toBe(2);
    expect(readdirSync(join(folder, 'adir'))).toEqual([]);
  });

  it('train --resume into the model it resumes still works: that is what --resume is for', async () => {
    const folder = folderFor('resume-in-place');
    const run = await runCli(['train', '--resume', 'model.json', '--out', 'model.json', '--epochs', '2', '--quiet'], { cwd: folder });
    expect(run.code, describeRun(run)).toBe(0);
    const resumed = JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8')) as { training: { epochs: number } };
    expect(resumed.training.epochs).toBe(2);
  });

  it('predict from standard input has no input path to clash with', async () => {
    const folder = folderFor('stdin');
    const run = await runCli(['predict', '-', '--model', 'model.json', '--out', 'test.csv'], { cwd: folder, input: sampleText('test', 2) });
    expect(run.code, describeRun(run)).toBe(0);
    expect(readFileSync(join(folder, 'test.csv'), 'utf8')).toMatch(/^ImageId,Label\n1,\d\n2,\d\n$/);
  });

  it('train --plot into a place that cannot be written fails before training, as --out does', async () => {
    const folder = folderFor('plot-unwritable');
    const run = await runCli(['train', 'train.csv', ...tiny, '--out', 'fresh.json', '--plot', 'test.csv/curves.svg'], { cwd: folder });
    expect(run.stderr).toBe(`error: ${join(folder, 'test.csv')}: file already exists (while creating the output folder)\n`);
    expect(run.code).toBe(1);
    expect(existsSync(join(folder, 'fresh.json'))).toBe(false);
  });
});
