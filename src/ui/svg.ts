/**
 * Learning curves as a hand-written SVG: two panels side by side, loss and accuracy, each with the training
 * and held-out series, axes with ticks and labels, and one legend. Plain SVG 1.1 with no scripts or external
 * fonts, so browsers, GitHub and rsvg-convert all draw it the same. No plotting library: the drawing is a
 * few dozen elements and a tick rule.
 */
import type { TrainingReport } from '../train/trainer.js';

export interface CurveLabels {
  /** First line, bold: what model this is. */
  readonly title: string;
  /** Second line, grey: how it was trained. */
  readonly subtitle?: string;
  /** True when training images were augmented: the training figures are then measured on altered images. */
  readonly augmented?: boolean;
}

interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
}

interface Box {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

const width = 1000;
const height = 460;
const trainColor = '#1f6fb4';
const heldOutColor = '#e8710a';
const font = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif";

/**
 * Tick values at a step of 1, 2 or 5 times a power of ten, about `target` of them, from the last tick at or
 * below `lo` to the first at or above `hi`: the axis runs from the first tick to the last.
 */
export function niceTicks(lo: number, hi: number, target = 5, integer = false): number[] {
  if (!(hi > lo)) hi = lo + 1;
  let step = niceStep((hi - lo) / Math.max(1, target));
  if (integer) step = Math.max(1, Math.round(step));
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(roundTo(k * step, step));
  return ticks;
}

function niceStep(raw: number): number {
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

function roundTo(value: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(value.toFixed(decimals));
}

/** A tick's label: no more decimals than the step needs. */
export function tickLabel(value: number, step: number, suffix = ''): string {
  const decimals = step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step) - 1e-9));
  return value.toFixed(decimals) + suffix;
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const fmt = (n: number): string => (Math.round(n * 100) / 100).toString();

/**
 * The SVG document for a model's history: loss and accuracy per epoch (or per report for full batch). A
 * committee's networks each start again from epoch 0, so each gets its own line, in the same colours.
 */
export function learningCurveSvg(history: readonly TrainingReport[], labels: CurveLabels): string {
  const byEpoch = history.length > 0 && history.every((r) => r.kind === 'epoch');
  const xOf = (r: TrainingReport): number => (byEpoch ? r.epoch : r.iteration);
  const xName = byEpoch ? 'epoch' : 'iteration';
  const members = [...new Set(history.map((r) => r.member))].sort((a, b) => a - b);
  const named = (name: string, member: number): string => (members.length > 1 ? `${name} (network ${member + 1})` : name);
  const series = (pick: (r: TrainingReport) => number | null, member: number, scale = 1): [number, number][] =>
    history.flatMap((r) => {
      const y = pick(r);
      return r.member !== member || y === null || !Number.isFinite(y) ? [] : [[xOf(r), y * scale] as [number, number]];
    });
  const both = (pickTrain: (r: TrainingReport) => number | null, pickHeldOut: (r: TrainingReport) => number | null, scale = 1): Series[] =>
    (members.length === 0 ? [0] : members).flatMap((m) => [
      { name: named('train', m), color: trainColor, points: series(pickTrain, m, scale) },
      { name: named('held-out', m), color: heldOutColor, points: series(pickHeldOut, m, scale) },
    ]);
  const loss = both((r) => r.trainLoss, (r) => r.heldOutLoss);
  const accuracy = both((r) => r.trainAccuracy, (r) => r.heldOutAccuracy, 100);
  const xMax = Math.max(1, ...history.map(xOf));

  const lossValues = loss.flatMap((s) => s.points.map((p) => p[1]));
  const lossTicks = niceTicks(0, Math.max(1e-6, ...lossValues), 5);
  const accValues = accuracy.flatMap((s) => s.points.map((p) => p[1]));
  // Zoom on the interesting part: from a round value under the lowest accuracy up to 100%.
  const accLow = accValues.length === 0 ? 0 : Math.max(0, Math.min(...accValues) - 0.5);
  const accTicks = niceTicks(accLow, 100, 5);

  const best = bestHeldOut(history, xOf);
  const panelTop = 104;
  const panelHeight = height - panelTop - 74;
  const left: Box = { left: 80, top: panelTop, width: 380, height: panelHeight };
  const right: Box = { left: 580, top: panelTop, width: 380, height: panelHeight };

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="${font}" font-size="13" fill="#222">`,
  );
  parts.push(`<title>${escapeXml(labels.title)}: learning curves</title>`);
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="40" y="34" font-size="19" font-weight="bold">${escapeXml(labels.title)}</text>`);
  if (labels.subtitle) parts.push(`<text x="40" y="58" fill="#666">${escapeXml(labels.subtitle)}</text>`);
  parts.push(legend(width - 40, 34));

  parts.push(
    panel(left, 'Loss', 'cross-entropy', loss, [0, xMax], xName, lossTicks, (v, step) => tickLabel(v, step), byEpoch),
  );
  const accTitle = best ? `best held-out ${best.accuracy.toFixed(2)}% at ${xName} ${fmtX(best.x)}` : '';
  parts.push(
    panel(right, 'Accuracy', accTitle, accuracy, [0, xMax], xName, accTicks, (v, step) => tickLabel(v, step, '%'), byEpoch),
  );
  const trainNote = byEpoch ? 'mean over each epoch\u2019s steps' : 'mean over the steps since the previous report';
  const note =
    `train: ${trainNote}${labels.augmented ? ', on augmented images' : ''}; ` +
    `held-out: measured ${byEpoch ? 'at the end of each epoch' : 'at each report'}`;
  parts.push(`<text x="40" y="${height - 14}" font-size="11" fill="#888">${escapeXml(note)}</text>`);
  if (history.length === 0) {
    parts.push(`<text x="${width / 2}" y="${height / 2}" text-anchor="middle" font-size="16" fill="#888">no reports recorded</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function fmtX(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

function bestHeldOut(history: readonly TrainingReport[], xOf: (r: TrainingReport) => number): { accuracy: number; x: number } | null {
  let best: { accuracy: number; x: number } | null = null;
  for (const r of history) {
    if (r.heldOutAccuracy !== null && (best === null || r.heldOutAccuracy * 100 > best.accuracy)) {
      best = { accuracy: r.heldOutAccuracy * 100, x: xOf(r) };
    }
  }
  return best;
}

function legend(rightEdge: number, y: number): string {
  const entries: [string, string][] = [
    ['train', trainColor],
    ['held-out', heldOutColor],
  ];
  const parts: string[] = [];
  let x = rightEdge - 200;
  for (const [name, color] of entries) {
    parts.push(`<line x1="${x}" y1="${y - 4}" x2="${x + 26}" y2="${y - 4}" stroke="${color}" stroke-width="3"/>`);
    parts.push(`<circle cx="${x + 13}" cy="${y - 4}" r="3.5" fill="${color}"/>`);
    parts.push(`<text x="${x + 34}" y="${y}">${escapeXml(name)}</text>`);
    x += 110;
  }
  return `<g class="legend">${parts.join('')}</g>`;
}

function panel(
  box: Box,
  title: string,
  note: string,
  series: readonly Series[],
  xDomain: readonly [number, number],
  xName: string,
  yTicks: readonly number[],
  yLabel: (value: number, step: number) => string,
  integerX: boolean,
): string {
  const xTicks = niceTicks(xDomain[0], xDomain[1], 6, integerX);
  const xStep = xTicks.length > 1 ? xTicks[1]! - xTicks[0]! : 1;
  const x0 = xTicks[0]!;
  const x1 = xTicks.at(-1)!;
  const y0 = yTicks[0]!;
  const y1 = yTicks.at(-1)!;
  const yStep = yTicks.length > 1 ? yTicks[1]! - yTicks[0]! : 1;
  const sx = (x: number): number => box.left + ((x - x0) / (x1 - x0)) * box.width;
  const sy = (y: number): number => box.top + box.height - ((y - y0) / (y1 - y0 || 1)) * box.height;
  const parts: string[] = [];
  parts.push(`<text x="${box.left}" y="${box.top - 16}" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);
  if (note) {
    parts.push(`<text x="${box.left + box.width}" y="${box.top - 16}" text-anchor="end" fill="#666">${escapeXml(note)}</text>`);
  }
  // Grid and y ticks.
  for (const v of yTicks) {
    const y = fmt(sy(v));
    parts.push(`<line x1="${box.left}" y1="${y}" x2="${box.left + box.width}" y2="${y}" stroke="#e6e6e6" stroke-width="1"/>`);
    parts.push(`<text x="${box.left - 8}" y="${y}" dy="4" text-anchor="end" font-size="12" fill="#555">${yLabel(v, yStep)}</text>`);
  }
  // X ticks.
  for (const v of xTicks) {
    const x = fmt(sx(v));
    const bottom = box.top + box.height;
    parts.push(`<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 5}" stroke="#444" stroke-width="1"/>`);
    parts.push(`<text x="${x}" y="${bottom + 20}" text-anchor="middle" font-size="12" fill="#555">${tickLabel(v, xStep)}</text>`);
  }
  // Axes.
  parts.push(
    `<polyline points="${box.left},${box.top} ${box.left},${box.top + box.height} ${box.left + box.width},${box.top + box.height}" ` +
      `fill="none" stroke="#444" stroke-width="1.2"/>`,
  );
  parts.push(
    `<text x="${box.left + box.width / 2}" y="${box.top + box.height + 42}" text-anchor="middle" fill="#444">${escapeXml(xName)}</text>`,
  );
  // Series.
  for (const s of series) {
    if (s.points.length === 0) continue;
    const coords = s.points.map(([x, y]) => `${fmt(sx(x))},${fmt(sy(y))}`);
    parts.push(
      `<polyline class="series" data-name="${escapeXml(s.name)}" points="${coords.join(' ')}" fill="none" stroke="${s.color}" ` +
        `stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>`,
    );
    if (s.points.length <= 30) {
      for (const c of coords) {
        const [cx, cy] = c.split(',');
        parts.push(`<circle cx="${cx}" cy="${cy}" r="3.5" fill="${s.color}"/>`);
      }
    }
  }
  return `<g class="panel" data-title="${escapeXml(title)}">\n${parts.join('\n')}\n</g>`;
}
