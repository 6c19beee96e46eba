/**
 * The live progress line: a bar and its fields laid out to fit the terminal's width, and the time left, from the
 * run's own pace. The Reporter (reporter.ts) feeds them; cli-progress only redraws the line.
 */
import { truncate } from './format.js';

/** A field after the bar ('loss 0.4046') and how much it matters: the lowest rank is dropped first. */
export interface ProgressField {
  readonly text: string;
  readonly rank: number;
}

/** Fields that are never dropped (rows/s and ETA: what a narrow terminal still needs to see). */
export const essential = Number.POSITIVE_INFINITY;

export interface ProgressLine {
  /** What is running, before the bar ('training'); dropped, at `labelRank`, when space is short. */
  readonly label: string;
  readonly labelRank: number;
  /** How much is done, from 0 to 1: the filled share of the bar. */
  readonly done: number;
  /** Right after the bar ('epoch 5/6', '50%'); always shown. */
  readonly position: string;
  /** After the position, each after ' | '. */
  readonly fields: readonly ProgressField[];
}

const barCells = { min: 10, max: 24 };

/**
 * The line laid out in `width` columns: everything, with a bar of up to 24 cells, when it fits; else without the
 * least important fields (and the label), one rank at a time, until the bar has at least 10 cells; else the
 * position and the essential fields alone, closer together if need be, and cut to the width if even that is wider.
 */
export function fitProgressLine(line: ProgressLine, width: number): string {
  // Three columns stay free: the terminal echoes Ctrl-C as ^C after the bar, and neither that nor a bar filling
  // the last column may wrap onto a new line (the stop message then could not take the bar's place).
  const room = width - 3;
  const ranks = [...new Set([line.labelRank, ...line.fields.map((field) => field.rank)])]
    .filter((rank) => rank !== essential)
    .sort((a, b) => a - b);
  for (const dropped of [Number.NEGATIVE_INFINITY, ...ranks]) {
    const label = line.labelRank > dropped ? `${line.label} ` : '';
    const tail = [line.position, ...line.fields.filter((field) => field.rank > dropped).map((field) => field.text)].join(' | ');
    const cells = Math.min(barCells.max, room - label.length - 1 - tail.length);
    if (cells >= barCells.min) return `${label}${bar(line.done, cells)} ${tail}`;
  }
  const kept = [line.position, ...line.fields.filter((field) => field.rank === essential).map((field) => field.text)];
  const apart = kept.join(' | ');
  return apart.length <= room ? apart : truncate(kept.join(' '), room);
}

function bar(done: number, cells: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, done)) * cells);
  return '█'.repeat(filled) + '░'.repeat(cells - filled);
}

/**
 * How long the rest of a run takes at its own pace: the steps it has taken between its latest `window`
 * observations and the time they took. The first observation is the run's own first step, so the steps of a
 * resumed run's earlier process never count as if they had just been taken.
 */
export class Pace {
  private readonly times: number[] = [];
  private readonly steps: number[] = [];

  constructor(private readonly window = 50) {}

  /** The run has reached step `step` at time `now` (milliseconds). */
  observe(step: number, now: number): void {
    this.steps.push(step);
    this.times.push(now);
    if (this.steps.length > this.window) {
      this.steps.shift();
      this.times.shift();
    }
  }

  /** Seconds until step `total`, or null while the pace is not known (fewer than two observations apart). */
  secondsLeft(total: number): number | null {
    const last = this.steps.length - 1;
    if (last < 1) return null;
    const steps = this.steps[last]! - this.steps[0]!;
    const milliseconds = this.times[last]! - this.times[0]!;
    if (steps <= 0 || milliseconds <= 0) return null;
    return (Math.max(0, total - this.steps[last]!) * milliseconds) / steps / 1000;
  }
}

/** Time left for people: `14 s`, `2 min 5 s`, `1 h 3 min`; `-` while unknown. */
export function timeLeft(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '-';
  const whole = Math.ceil(seconds);
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  return `${Math.floor(whole / 3600)} h ${Math.floor((whole % 3600) / 60)} min`;
}
