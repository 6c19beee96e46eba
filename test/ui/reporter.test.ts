/** What a training run shows: plain lines in a log, JSON lines with --json, a bar on a terminal that gives the cursor back. */
import { Writable } from 'node:stream';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { Reporter, type ProgressMode } from '../../src/ui/reporter.js';
import type { TrainingReport } from '../../src/train/trainer.js';

/** A stream that keeps what is written; `isTTY` makes it look like a terminal to cli-progress. */
class Capture extends Writable {
  text = '';
  constructor(readonly isTTY: boolean, readonly columns = 120) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

function reporter(progress: ProgressMode, options: { tty?: boolean; json?: boolean; quiet?: boolean; logEveryGiven?: boolean } = {}) {
  const stderr = new Capture(options.tty ?? false);
  const stdout = new Capture(false);
  const r = new Reporter({
    progress,
    json: options.json ?? false,
    quiet: options.quiet ?? false,
    logEveryGiven: options.logEveryGiven ?? false,
    chalk: new Chalk({ level: 0 }),
    stderr: stderr as unknown as NodeJS.WriteStream,
    stdout,
  });
  return { r, stderr, stdout };
}

const report = (kind: 'iteration' | 'epoch', iteration: number, heldOut: number | null): TrainingReport => ({
  kind,
  member: 0,
  iteration,
  totalIterations: 100,
  epoch: iteration / 50,
  trainLoss: 0.25,
  trainAccuracy: 0.9,
  trainRows: 640,
  heldOutAccuracy: heldOut,
  heldOutLoss: heldOut === null ? null : 0.3,
  heldOutRows: 4200,
  learningRate: 0.05,
  elapsedSeconds: 1.5,
});

describe('Reporter in a log (stderr not a terminal)', () => {
  it('auto means plain lines: one per epoch for mini-batch runs, no escape codes', () => {
    const { r, stderr, stdout } = reporter('auto');
    expect(r.display).toBe('lines');
    r.loadStarted('train.csv', 80e6);
    r.loadFinished();
    r.trainingStarted(false, 100, 2);
    r.report(report('iteration', 10, null));
    r.report(report('epoch', 50, 0.95));
    r.finish();
    expect(stderr.text).toBe('epoch   1  loss 0.2500  train 90.00%  held-out 95.00% (4200 rows)  lr 0.0500  1.5 s\n');
    expect(stdout.text).toBe('');
  });

  it('logs iteration lines of a mini-batch run only when --log-every was given, and every report of a full-batch run', () => {
    const given = reporter('lines', { logEveryGiven: true });
    given.r.trainingStarted(false, 100, 2);
    given.r.report(report('iteration', 10, null));
    expect(given.stderr.text).toMatch(/^iteration  10\/100  loss 0\.2500/);
    const full = reporter('lines');
    full.r.trainingStarted(true, 100, 100);
    full.r.report(report('iteration', 10, 0.5));
    full.r.report(report('iteration', 20, 0.6));
    expect(full.stderr.text.trimEnd().split('\n')).toHaveLength(2);
  });

  it("names a committee's network in each line", () => {
    const { r, stderr } = reporter('lines');
    r.trainingStarted(false, 100, 2, 3);
    r.memberStarted(1);
    r.report({ ...report('epoch', 50, 0.95), member: 1 });
    expect(stderr.text).toBe('network 2 of 3  epoch   1  loss 0.2500  train 90.00%  held-out 95.00% (4200 rows)  lr 0.0500  1.5 s\n');
  });

  it('--json writes each report as a JSON line on stdout and nothing else there', () => {
    const { r, stdout } = reporter('auto', { json: true });
    r.json({ event: 'start', trainRows: 3 });
    r.report(report('epoch', 50, 0.95));
    const lines = stdout.text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({ event: 'start', trainRows: 3 });
    expect(lines[1]).toMatchObject({ event: 'epoch', iteration: 50, heldOutAccuracy: 0.95, trainLoss: 0.25 });
  });

  it('--quiet and --progress none show nothing of the run; only --quiet silences messages too', () => {
    for (const setup of [reporter('auto', { quiet: true }), reporter('none')]) {
      expect(setup.r.display).toBe('none');
      setup.r.trainingStarted(false, 100, 2);
      setup.r.report(report('epoch', 50, 0.95));
      setup.r.finish();
      expect(setup.stderr.text).toBe('');
    }
    const quiet = reporter('auto', { quiet: true });
    quiet.r.info('hello');
    expect(quiet.stderr.text).toBe('');
    const none = reporter('none');
    none.r.info('hello');
    expect(none.stderr.text).toBe('hello\n');
  });

  it('--progress bar into a file writes the bar as plain lines, with no escape codes', () => {
    const { r, stderr } = reporter('bar');
    r.loadStarted('train.csv', 8e6);
    r.loadProgress({ rows: 2048, bytesRead: 4e6, totalBytes: 8e6 }, performance.now() - 1000);
    r.info('a line for people');
    r.loadFinished();
    expect(stderr.text).toContain('a line for people\n');
    expect(stderr.text).toMatch(/loading train\.csv .* 50% \| 2,048 rows/);
    expect(stderr.text).not.toContain('\x1b');
  });
});

describe('Reporter on a terminal', () => {
  it('draws a bar, hides the cursor while it runs and shows it again when done', () => {
    const { r, stderr } = reporter('auto', { tty: true });
    expect(r.display).toBe('bar');
    r.trainingStarted(false, 100, 2);
    r.step({ iteration: 50, totalIterations: 100, epoch: 1, totalEpochs: 2, rowsPerSecond: 12345, last: report('epoch', 50, 0.95) });
    r.report(report('epoch', 50, 0.95));
    r.finish();
    const hide = stderr.text.indexOf('\x1b[?25l');
    const show = stderr.text.lastIndexOf('\x1b[?25h');
    expect(hide).toBeGreaterThanOrEqual(0);
    expect(show).toBeGreaterThan(hide);
    expect(stderr.text).toMatch(/training .* epoch 2\/2 \| loss 0\.2500 \| train 90\.00% \| held-out 95\.00% \| 12,345 rows\/s/);
    // The epoch line logged while the bar ran is written out before the bar goes.
    expect(stderr.text).toContain('epoch   1  loss 0.2500');
  });

  it("a committee's bar names the network and covers all of them: network 2 of 2, half-way, is at 75%", () => {
    const { r, stderr } = reporter('bar', { tty: true });
    r.trainingStarted(false, 100, 2, 2);
    r.memberStarted(1);
    r.step({ iteration: 50, totalIterations: 100, epoch: 1, totalEpochs: 2, rowsPerSecond: 1000, last: { ...report('epoch', 50, 0.9), member: 1 } });
    r.finish();
    // 18 of the bar's 24 cells filled.
    expect(stderr.text).toMatch(/training █{18}░{6} network 2\/2 epoch 2\/2 \| loss 0\.2500/);
  });

  it('keeps showing the last held-out accuracy while iteration reports without one come in', () => {
    const { r, stderr } = reporter('bar', { tty: true });
    r.trainingStarted(false, 100, 2);
    r.report(report('epoch', 50, 0.95));
    r.step({ iteration: 60, totalIterations: 100, epoch: 1.2, totalEpochs: 2, rowsPerSecond: 1000, last: report('iteration', 60, null) });
    r.finish();
    expect(stderr.text).toMatch(/held-out 95\.00%/);
  });

  it('finishing twice is harmless, and the cursor is shown once per bar', () => {
    const { r, stderr } = reporter('bar', { tty: true });
    r.loadStarted('big.csv', 10e6);
    r.finish();
    r.finish();
    expect(stderr.text.split('\x1b[?25h')).toHaveLength(2);
  });
});
