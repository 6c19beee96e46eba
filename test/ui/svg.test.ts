/**
 * Learning curves in SVG: ticks, the mapping of values to positions (read back through the axis labels), and
 * the document as rsvg-convert renders it (skipped, with the reason printed, where rsvg-convert is missing).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeXml, learningCurveSvg, niceTicks, tickLabel } from '../../src/ui/svg.js';
import type { TrainingReport } from '../../src/train/trainer.js';

function epochReport(epoch: number, trainLoss: number, trainAccuracy: number, heldOutLoss: number | null, heldOutAccuracy: number | null): TrainingReport {
  return {
    kind: 'epoch',
    member: 0,
    iteration: epoch * 100,
    totalIterations: 1200,
    epoch,
    trainLoss,
    trainAccuracy,
    trainRows: 6400,
    heldOutAccuracy,
    heldOutLoss,
    heldOutRows: heldOutAccuracy === null ? 0 : 4200,
    learningRate: 0.05,
    elapsedSeconds: epoch * 5,
  };
}

const history: TrainingReport[] = [
  epochReport(1, 0.62, 0.83, 0.31, 0.912),
  epochReport(2, 0.24, 0.93, 0.2, 0.947),
  epochReport(3, 0.15, 0.958, 0.16, 0.961),
  epochReport(4, 0.1, 0.971, 0.14, 0.968),
];

interface Panel {
  title: string;
  body: string;
}

function panels(svg: string): Panel[] {
  return [...svg.matchAll(/<g class="panel" data-title="([^"]*)">([\s\S]*?)<\/g>/g)].map((m) => ({ title: m[1]!, body: m[2]! }));
}

function series(panel: Panel): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (const m of panel.body.matchAll(/<polyline class="series" data-name="([^"]*)" points="([^"]*)"/g)) {
    out.set(m[1]!, m[2]!.split(' ').map((p) => p.split(',').map(Number) as [number, number]));
  }
  return out;
}

/** Tick labels with their positions: y ticks are end-anchored at the left axis, x ticks centred under it. */
function ticks(panel: Panel, axis: 'x' | 'y'): { value: number; at: number }[] {
  const pattern =
    axis === 'y'
      ? /<text x="[\d.]+" y="([\d.]+)" dy="4" text-anchor="end"[^>]*>([^<]*)<\/text>/g
      : /<text x="([\d.]+)" y="[\d.]+" text-anchor="middle" font-size="12"[^>]*>([^<]*)<\/text>/g;
  return [...panel.body.matchAll(pattern)].map((m) => ({ at: Number(m[1]), value: Number(m[2]!.replace('%', '')) }));
}

/** The value at a position, interpolated between the first and last tick. */
function valueAt(position: number, axisTicks: { value: number; at: number }[]): number {
  const first = axisTicks[0]!;
  const last = axisTicks.at(-1)!;
  return first.value + ((position - first.at) / (last.at - first.at)) * (last.value - first.value);
}

describe('niceTicks', () => {
  it('steps by 1, 2 or 5 times a power of ten and covers the range', () => {
    for (const [lo, hi] of [[0, 0.62], [0, 2.31], [83, 100], [0, 500], [0, 4], [0.5, 0.51], [0, 1e-6]] as const) {
      const t = niceTicks(lo, hi);
      expect(t[0]!).toBeLessThanOrEqual(lo);
      expect(t.at(-1)!).toBeGreaterThanOrEqual(hi);
      expect(t.length).toBeGreaterThanOrEqual(2);
      expect(t.length).toBeLessThanOrEqual(12);
      const step = t[1]! - t[0]!;
      const mantissa = step / Math.pow(10, Math.floor(Math.log10(step) + 1e-9));
      expect([1, 2, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-6)).toBe(true);
      for (let k = 1; k < t.length; k++) expect(t[k]! - t[k - 1]!).toBeCloseTo(step, 9);
    }
  });

  it('gives whole steps for epochs when asked', () => {
    expect(niceTicks(0, 3, 6, true)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(0, 12, 6, true)).toEqual([0, 2, 4, 6, 8, 10, 12]);
  });

  it('labels ticks with the decimals the step needs', () => {
    expect(tickLabel(0.2, 0.2)).toBe('0.2');
    expect(tickLabel(0.05, 0.05)).toBe('0.05');
    expect(tickLabel(90, 5, '%')).toBe('90%');
  });
});

describe('learningCurveSvg', () => {
  const svg = learningCurveSvg(history, { title: 'Net <256> & co', subtitle: 'a "quoted" run' });

  it('has a title, subtitle, legend and two panels (loss, accuracy) with train and held-out series', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('Net &lt;256&gt; &amp; co');
    expect(svg).toContain('a &quot;quoted&quot; run');
    expect(svg).toMatch(/<g class="legend">.*>train<.*>held-out</);
    const [loss, accuracy] = panels(svg);
    expect([loss!.title, accuracy!.title]).toEqual(['Loss', 'Accuracy']);
    expect(accuracy!.body).toContain('best held-out 96.80% at epoch 4');
    for (const panel of [loss!, accuracy!]) {
      expect([...series(panel).keys()]).toEqual(['train', 'held-out']);
      expect(panel.body).toContain('>epoch</text>');
    }
  });

  it('puts every point where the axis labels say its value is', () => {
    const [loss, accuracy] = panels(svg);
    const expected = {
      Loss: { train: history.map((r) => r.trainLoss), 'held-out': history.map((r) => r.heldOutLoss!) },
      Accuracy: { train: history.map((r) => r.trainAccuracy * 100), 'held-out': history.map((r) => r.heldOutAccuracy! * 100) },
    };
    for (const panel of [loss!, accuracy!]) {
      const yTicks = ticks(panel, 'y');
      const xTicks = ticks(panel, 'x');
      expect(yTicks.length).toBeGreaterThanOrEqual(3);
      expect(xTicks.map((t) => t.value)).toEqual([0, 1, 2, 3, 4]);
      for (const [name, points] of series(panel)) {
        expect(points.map(([x]) => valueAt(x, xTicks))).toEqual(history.map((r) => expect.closeTo(r.epoch, 2)));
        const values = expected[panel.title as 'Loss' | 'Accuracy'][name as 'train' | 'held-out'];
        const tolerance = panel.title === 'Loss' ? 0.002 : 0.05;
        points.forEach(([, y], k) => expect(Math.abs(valueAt(y, yTicks) - values[k]!)).toBeLessThan(tolerance));
      }
    }
  });

  it('starts the loss axis at 0 and ends the accuracy axis at 100%', () => {
    const [loss, accuracy] = panels(svg);
    expect(ticks(loss!, 'y')[0]!.value).toBe(0);
    expect(ticks(accuracy!, 'y').at(-1)!.value).toBe(100);
  });

  it('draws full-batch runs per report, against iterations', () => {
    const reports = [10, 20, 30].map((iteration, k) => ({ ...history[k]!, kind: 'iteration' as const, iteration, epoch: iteration }));
    const [loss] = panels(learningCurveSvg(reports, { title: 'seed' }));
    expect(loss!.body).toContain('>iteration</text>');
    expect(ticks(loss!, 'x').at(-1)!.value).toBeGreaterThanOrEqual(30);
  });

  it('leaves out a held-out series when nothing was held out', () => {
    const none = history.map((r) => ({ ...r, heldOutAccuracy: null, heldOutLoss: null }));
    const [loss, accuracy] = panels(learningCurveSvg(none, { title: 'all rows' }));
    expect([...series(loss!).keys()]).toEqual(['train']);
    expect(accuracy!.body).not.toContain('best held-out');
  });

  it("draws each network of a committee as its own lines over the same epochs, not one line running back", () => {
    const committee = [...history, ...history.map((r) => ({ ...r, member: 1, trainLoss: r.trainLoss / 2 }))];
    const [loss] = panels(learningCurveSvg(committee, { title: 'committee' }));
    const drawn = series(loss!);
    expect([...drawn.keys()]).toEqual(['train (network 1)', 'held-out (network 1)', 'train (network 2)', 'held-out (network 2)']);
    for (const points of drawn.values()) {
      const xs = points.map(([x]) => x);
      expect(xs).toEqual([...xs].sort((a, b) => a - b));
      expect(points).toHaveLength(history.length);
    }
    expect(ticks(loss!, 'x').map((t) => t.value)).toEqual([0, 1, 2, 3, 4]);
  });

  it('says so when there is nothing to draw', () => {
    expect(learningCurveSvg([], { title: 'empty' })).toContain('no reports recorded');
  });

  it('escapes the five XML characters', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});

describe('rendering with rsvg-convert', () => {
  const probe = spawnSync('rsvg-convert', ['--version'], { encoding: 'utf8' });
  const available = probe.status === 0;
  if (!available) {
    console.log('skipping the rsvg-convert rendering test: rsvg-convert is not installed (Debian: apt-get install librsvg2-bin)');
  }

  it.skipIf(!available)('renders the SVG to a PNG of the declared size', () => {
    const folder = mkdtempSync(join(tmpdir(), 'digits-svg-'));
    try {
      const svgPath = join(folder, 'curve.svg');
      const pngPath = join(folder, 'curve.png');
      writeFileSync(svgPath, learningCurveSvg(history, { title: 'render test', subtitle: 'ünïcode · ±' }));
      const run = spawnSync('rsvg-convert', [svgPath, '-o', pngPath], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const png = readFileSync(pngPath);
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      const size = [png.readUInt32BE(16), png.readUInt32BE(20)];
      const declared = /width="(\d+)" height="(\d+)"/.exec(readFileSync(svgPath, 'utf8'))!.slice(1).map(Number);
      expect(size).toEqual(declared);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('the note under the curves', () => {
  it('says how the figures were measured, and that training images were augmented when they were', () => {
    expect(learningCurveSvg(history, { title: 't' })).toContain(
      'train: mean over each epoch’s steps; held-out: measured at the end of each epoch',
    );
    expect(learningCurveSvg(history, { title: 't', augmented: true })).toContain('mean over each epoch’s steps, on augmented images;');
  });
});
