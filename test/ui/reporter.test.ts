/** What a training run shows: plain lines in a log, JSON lines with --json, a bar on a terminal that gives the cursor back. */
import { Writable } from 'node:stream';
import { Chalk } from 'chalk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Reporter, type ProgressMode } from '../../src/ui/reporter.js';
import type { StepProgress, TrainingReport } from '../../src/train/trainer.js';
import { fitProgressLine, Pace, timeLeft } from '../../src/ui/progressLine.js';

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

function reporter(
  progress: ProgressMode,
  options: { tty?: boolean; columns?: number; json?: boolean; quiet?: boolean; logEveryGiven?: boolean } = {},
) {
  const stderr = new Capture(options.tty ?? false, options.columns);
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
    const [, filled, empty] = /training (█+)(░+) network 2\/2 epoch 2\/2 \| loss 0\.2500/.exec(stderr.text) ?? [];
    expect(filled!.length).toBe(Math.round(0.75 * (filled!.length + empty!.length)));
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

/** The frames a terminal shows: what is left of each write after the cursor went back to the line's start. */
function frames(text: string): string[] {
  return text
    .split(/\x1b\[1G|\n/)
    .map((frame) => frame.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ''))
    .filter((frame) => frame !== '');
}

const step = (iteration: number, last: TrainingReport | null, rowsPerSecond = 123456): StepProgress => ({
  iteration,
  totalIterations: 300,
  epoch: iteration / 50,
  totalEpochs: 6,
  rowsPerSecond,
  last,
});

describe('Reporter on a narrow terminal', () => {
  afterEach(() => vi.restoreAllMocks());

  for (const columns of [120, 80, 60]) {
    it(`at ${columns} columns, every line fits, and the bar keeps rows/s and the time left`, () => {
      const { r, stderr } = reporter('bar', { tty: true, columns });
      r.info('Training 784-256-10 (preset default) on 3,600 rows, holding out 400: 6 epochs of mini-batches of 64, 2 threads.');
      r.trainingStarted(false, 300, 6, 3);
      r.memberStarted(1);
      r.step(step(120, { ...report('epoch', 100, 0.9425), member: 1 }));
      r.report({ ...report('epoch', 100, 0.9425), member: 1, learningRate: 0.000504 });
      r.finish();
      const shown = frames(stderr.text);
      for (const frame of shown) expect(frame.length, frame).toBeLessThanOrEqual(columns);
      const bars = shown.filter((frame) => frame.includes('rows/s'));
      expect(bars.length).toBeGreaterThan(0);
      for (const bar of bars) {
        // Room is left for the ^C a terminal echoes after it.
        expect(bar.length, bar).toBeLessThanOrEqual(columns - 3);
        expect(bar).toMatch(/network 2\/3 epoch 3\/6 .*\| 123,456 rows\/s \| ETA -$/);
      }
      // The epoch line stays whole from 80 columns up (its time last, nothing cut off); below, it wraps at spaces.
      const epochLine = /network 2 of 3 +epoch +2 +loss 0\.2500 +train 90\.00% +held-out 94\.25%.* 1\.5 s/;
      if (columns >= 80) expect(shown.some((frame) => epochLine.test(frame) && frame.endsWith(' 1.5 s'))).toBe(true);
      else expect(shown.join(' ')).toMatch(epochLine);
      expect(shown.some((frame) => frame.startsWith('Training 784-256-10') && frame.length > 20)).toBe(true);
      expect(shown.join(' ')).toContain('2 threads.');
    });
  }

  it('at 40 columns, the bar gives way to the position, rows/s and the time left', () => {
    const { r, stderr } = reporter('bar', { tty: true, columns: 40 });
    r.trainingStarted(false, 300, 6);
    r.step(step(120, report('epoch', 100, 0.9425)));
    r.finish();
    expect(frames(stderr.text).at(-1)).toBe('epoch 3/6 | 123,456 rows/s | ETA -');
  });

  it('lays the epoch line out shorter only when the full one does not fit', () => {
    const wide = reporter('bar', { tty: true, columns: 120 });
    wide.r.trainingStarted(false, 100, 2);
    wide.r.report(report('epoch', 50, 0.95));
    wide.r.finish();
    expect(frames(wide.stderr.text)).toContain('epoch   1  loss 0.2500  train 90.00%  held-out 95.00% (4200 rows)  lr 0.0500  1.5 s');
    const narrow = reporter('bar', { tty: true, columns: 80 });
    narrow.r.trainingStarted(false, 100, 2);
    narrow.r.report({ ...report('epoch', 50, 0.95), learningRate: 0.000504, elapsedSeconds: 12.5, heldOutRows: 12600 });
    narrow.r.finish();
    expect(frames(narrow.stderr.text)).toContain('epoch   1  loss 0.2500  train 90.00%  held-out 95.00%  lr 0.000504  12.5 s');
  });

  it('counts the time left from the steps this run takes, not from the steps a resumed run took before', () => {
    let now = 50_000;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const lastFrame = (steps: number): string => {
      const { r, stderr } = reporter('bar', { tty: true, columns: 120 });
      r.trainingStarted(false, 300, 6);
      // Resumed at step 200 of 300, this run takes a step every 100 ms.
      for (let k = 1; k <= steps; k++) {
        r.step(step(200 + k, null));
        now += 100;
      }
      r.finish();
      return frames(stderr.text).at(-1)!;
    };
    // Its first step says nothing of its pace yet; then 10 steps a second, with 89 to go.
    expect(lastFrame(1)).toMatch(/ETA -$/);
    expect(lastFrame(11)).toMatch(/ETA 9 s$/);
  });
});

describe('progress line pieces', () => {
  it('drops the lowest-ranked fields first and never the essential ones', () => {
    const line = {
      label: 'training',
      labelRank: 2,
      done: 0.5,
      position: 'epoch 1/2',
      fields: [
        { text: 'loss 0.2500', rank: 3 },
        { text: 'train 90.00%', rank: 1 },
        { text: '12 rows/s', rank: Number.POSITIVE_INFINITY },
      ],
    };
    expect(fitProgressLine(line, 200)).toBe(`training ${'█'.repeat(12)}${'░'.repeat(12)} epoch 1/2 | loss 0.2500 | train 90.00% | 12 rows/s`);
    expect(fitProgressLine(line, 60)).toBe(`training ${'█'.repeat(6)}${'░'.repeat(6)} epoch 1/2 | loss 0.2500 | 12 rows/s`);
    expect(fitProgressLine(line, 40)).toBe(`${'█'.repeat(8)}${'░'.repeat(7)} epoch 1/2 | 12 rows/s`);
    expect(fitProgressLine(line, 30)).toBe('epoch 1/2 | 12 rows/s');
    expect(fitProgressLine(line, 22)).toBe('epoch 1/2 12 rows/s');
    expect(fitProgressLine(line, 12)).toBe('epoch 1/…');
  });

  it('Pace: steps over time, over the latest observations; unknown before two', () => {
    const pace = new Pace(3);
    expect(pace.secondsLeft(100)).toBeNull();
    pace.observe(10, 0);
    expect(pace.secondsLeft(100)).toBeNull();
    pace.observe(20, 1000);
    expect(pace.secondsLeft(100)).toBe(8);
    pace.observe(40, 2000);
    pace.observe(80, 3000); // the window is the last three: 60 steps in 2 s
    expect(pace.secondsLeft(100)).toBeCloseTo(20 / 30);
    expect([timeLeft(null), timeLeft(0.2), timeLeft(59.5), timeLeft(125), timeLeft(3 * 3600 + 125)]).toEqual(['-', '1 s', '1 min 0 s', '2 min 5 s', '3 h 2 min']);
  });
});
