/**
 * How a training run shows itself: a live cli-progress bar on a terminal, plain lines in a log, JSON lines on
 * stdout with --json, nothing with --quiet. The trainer only emits events; this decides what they look like.
 * Beside a bar every line fits the width: the bar drops its less important fields, a report line takes a shorter
 * layout, and other lines wrap at spaces (the terminal would cut them or break words).
 */
import cliProgress from 'cli-progress';
import type { ChalkInstance } from 'chalk';
import type { StepProgress, TrainingReport } from '../train/trainer.js';
import type { LoadProgress } from '../data/csv.js';
import { count, megabytes, outputWidth, percent, seconds, visibleLength, wrapWords } from './format.js';
import { essential, fitProgressLine, Pace, timeLeft, type ProgressLine } from './progressLine.js';

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

export interface ReporterOptions {
  readonly progress: ProgressMode;
  readonly json: boolean;
  readonly quiet: boolean;
  /** True when --log-every was given: mini-batch runs then log iteration lines too. */
  readonly logEveryGiven: boolean;
  readonly chalk: ChalkInstance;
  readonly stderr: NodeJS.WriteStream;
  readonly stdout: NodeJS.WritableStream;
}

export type JsonEvent = Record<string, unknown> & { event: string };

/**
 * What a report line holds: the log's line has it all; narrower ones leave out the held-out row count, then the
 * learning rate, then close the gaps.
 */
interface ReportLayout {
  readonly heldOutRows: boolean;
  readonly learningRate: boolean;
  readonly gap: string;
}

const reportLayouts: readonly ReportLayout[] = [
  { heldOutRows: true, learningRate: true, gap: '  ' },
  { heldOutRows: false, learningRate: true, gap: '  ' },
  { heldOutRows: false, learningRate: false, gap: '  ' },
  { heldOutRows: false, learningRate: false, gap: ' ' },
];

/** The training bar's fields, as last measured. */
interface TrainingFields {
  readonly position: string;
  readonly loss: string;
  readonly train: string;
  readonly heldOut: string;
  readonly rate: string;
  readonly timeLeft: string;
}

export class Reporter {
  private readonly mode: 'bar' | 'lines' | 'none';
  private bars: cliProgress.MultiBar | null = null;
  private bar: cliProgress.SingleBar | null = null;
  /** What the bar shows, given the share done: laid out again at every redraw, for the width at that moment. */
  private line: (done: number) => ProgressLine = emptyLine;
  /** The name of the file the loading bar reads. */
  private loading = '';
  private fullBatch = false;
  /** A committee (--members) trains its networks one after another; the bar covers them all. */
  private members = 1;
  private member = 0;
  private iterationsPerMember = 0;
  private lastDraw = 0;
  /** Held-out accuracy is measured only now and then (epoch ends): the bar keeps showing the latest. */
  private lastHeldOut: number | null = null;
  /** This run's pace, for the time left: a resumed run's earlier steps are not this process's. */
  private pace = new Pace();
  /** Shows the cursor again if the process ends while a bar has it hidden (an uncaught error, process.exit). */
  private readonly restoreCursor = (): void => {
    if (this.options.stderr.isTTY) this.options.stderr.write('\x1b[?25h');
  };

  constructor(private readonly options: ReporterOptions) {
    if (options.quiet || options.progress === 'none') this.mode = 'none';
    else if (options.progress === 'bar') this.mode = 'bar';
    else if (options.progress === 'lines') this.mode = 'lines';
    else this.mode = options.stderr.isTTY ? 'bar' : 'lines';
  }

  /** What the reporter draws: `bar`, `lines` or `none` (after --progress, --quiet and the terminal check). */
  get display(): 'bar' | 'lines' | 'none' {
    return this.mode;
  }

  /** A line for people on stderr (not in --quiet); with a bar, wrapped at spaces to the width. */
  info(line: string): void {
    if (this.options.quiet) return;
    const shown = this.mode === 'bar' ? wrapWords(line, this.width()) : line;
    if (this.bars) this.bars.log(shown + '\n');
    else this.options.stderr.write(shown + '\n');
  }

  /** One JSON object per line on stdout, with --json. */
  json(event: JsonEvent): void {
    if (this.options.json) this.options.stdout.write(JSON.stringify(event) + '\n');
  }

  // Loading -------------------------------------------------------------------------------------------------

  loadStarted(name: string, totalBytes: number | undefined): void {
    if (this.mode !== 'bar' || totalBytes === undefined || totalBytes < 4e6) return;
    this.startBar(totalBytes);
    this.showLoading(name, 0, '-');
  }

  loadProgress(progress: LoadProgress, startedAt: number): void {
    if (!this.bar) return;
    const secondsSoFar = (performance.now() - startedAt) / 1000;
    this.showLoading(this.loading, progress.rows, `${megabytes(progress.bytesRead / Math.max(secondsSoFar, 1e-3))}/s`);
    this.bar.update(progress.bytesRead);
  }

  private showLoading(name: string, rows: number, speed: string): void {
    this.loading = name;
    this.line = (done) => ({
      label: `loading ${name}`,
      labelRank: 3,
      done,
      position: `${Math.floor(done * 100)}%`,
      fields: [
        { text: `${count(rows)} rows`, rank: 2 },
        { text: speed, rank: 1 },
      ],
    });
  }

  loadFinished(): void {
    this.stopBar();
  }

  // Training ------------------------------------------------------------------------------------------------

  /** `totalIterations` and `totalEpochs` are each network's; `members` networks are trained one after another. */
  trainingStarted(fullBatch: boolean, totalIterations: number, totalEpochs: number, members = 1): void {
    this.fullBatch = fullBatch;
    this.members = members;
    this.iterationsPerMember = totalIterations;
    this.pace = new Pace();
    if (this.mode !== 'bar') return;
    this.startBar(totalIterations * members);
    this.showTraining({
      position: this.position(0, 0, totalIterations, totalEpochs),
      loss: '-',
      train: '-',
      heldOut: '-',
      rate: '-',
      timeLeft: '-',
    });
  }

  /** Where the run is, as the bar says it: `epoch 5/6`, `iteration 40/500`, after `network 2/3` in a committee. */
  private position(iteration: number, epoch: number, totalIterations: number, totalEpochs: number): string {
    const network = this.members > 1 ? `network ${this.member + 1}/${this.members} ` : '';
    return network + (this.fullBatch ? `iteration ${iteration}/${totalIterations}` : `epoch ${epoch}/${totalEpochs}`);
  }

  /** Rows/s and the time left are what a narrow terminal keeps; then held-out accuracy, loss, the label, train accuracy. */
  private showTraining(fields: TrainingFields): void {
    this.line = (done) => ({
      label: 'training',
      labelRank: 2,
      done,
      position: fields.position,
      fields: [
        { text: `loss ${fields.loss}`, rank: 3 },
        { text: `train ${fields.train}`, rank: 1 },
        { text: `held-out ${fields.heldOut}`, rank: 4 },
        { text: `${fields.rate} rows/s`, rank: essential },
        { text: `ETA ${fields.timeLeft}`, rank: essential },
      ],
    });
  }

  /** A committee's network `member` (from 0) starts: the bar moves on to its share of the run. */
  memberStarted(member: number): void {
    this.member = member;
    this.lastHeldOut = null;
    this.lastDraw = 0;
  }

  step(progress: StepProgress): void {
    if (!this.bar) return;
    const now = performance.now();
    if (now - this.lastDraw < 100 && progress.iteration < progress.totalIterations) return;
    this.lastDraw = now;
    const last = progress.last;
    if (last?.heldOutAccuracy != null) this.lastHeldOut = last.heldOutAccuracy;
    const done = this.member * this.iterationsPerMember + progress.iteration;
    this.pace.observe(done, now);
    const epoch = Math.min(progress.totalEpochs, Math.floor(progress.epoch) + 1);
    this.showTraining({
      position: this.position(progress.iteration, epoch, progress.totalIterations, progress.totalEpochs),
      loss: last ? last.trainLoss.toFixed(4) : '-',
      train: last ? percent(last.trainAccuracy) : '-',
      heldOut: this.lastHeldOut !== null ? percent(this.lastHeldOut) : '-',
      rate: Math.round(progress.rowsPerSecond).toLocaleString('en-US'),
      timeLeft: timeLeft(this.pace.secondsLeft(this.members * this.iterationsPerMember)),
    });
    this.bar.update(done);
  }

  report(report: TrainingReport): void {
    this.json({ event: report.kind, ...report });
    if (report.heldOutAccuracy !== null) this.lastHeldOut = report.heldOutAccuracy;
    if (this.mode === 'none') return;
    // Full batch: a line every --log-every iterations, as the seed printed. Mini-batch: a line per epoch, and
    // per --log-every iterations only when that option was given.
    const wanted = this.fullBatch || report.kind === 'epoch' || this.options.logEveryGiven;
    if (wanted) this.info(this.formatReport(report, this.mode === 'bar' ? this.width() : Number.POSITIVE_INFINITY));
  }

  /** The line for a report: the log's, or the first shorter layout that fits in `width` columns. */
  formatReport(report: TrainingReport, width = Number.POSITIVE_INFINITY): string {
    let line = '';
    for (const layout of reportLayouts) {
      line = this.reportLine(report, layout);
      if (visibleLength(line) <= width) break;
    }
    return line;
  }

  private reportLine(report: TrainingReport, layout: ReportLayout): string {
    const { chalk } = this.options;
    const { gap } = layout;
    const where =
      report.kind === 'epoch'
        ? `epoch ${String(Math.round(report.epoch)).padStart(3)}`
        : `iteration ${String(report.iteration).padStart(String(report.totalIterations).length)}/${report.totalIterations}`;
    const network = this.members > 1 ? `network ${report.member + 1} of ${this.members}${gap}` : '';
    const rows = layout.heldOutRows ? ` (${report.heldOutRows} rows)` : '';
    const heldOut = report.heldOutAccuracy === null ? '' : `${gap}held-out ${chalk.bold(percent(report.heldOutAccuracy))}${rows}`;
    const rate = layout.learningRate ? `${gap}lr ${report.learningRate.toPrecision(3)}` : '';
    return (
      `${chalk.cyan(network + where)}${gap}loss ${report.trainLoss.toFixed(4)}${gap}train ${percent(report.trainAccuracy)}` +
      `${heldOut}${rate}${gap}${chalk.dim(seconds(report.elapsedSeconds))}`
    );
  }

  /** Columns to lay lines out in: the terminal's as it is now (it may have been resized), else COLUMNS, else 80. */
  private width(): number {
    return outputWidth(this.options.stderr);
  }

  /** Stops any bar (restoring the cursor); safe to call twice. */
  finish(): void {
    this.stopBar();
  }

  private startBar(total: number): void {
    this.stopBar();
    const terminal = this.options.stderr.isTTY === true;
    this.bars = new cliProgress.MultiBar({
      format: (_options, params) => fitProgressLine(this.line(params.progress), this.width()),
      stream: this.options.stderr,
      // --progress bar into a pipe or file: the bar's line every two seconds, plain text.
      noTTYOutput: !terminal,
      notTTYSchedule: 2000,
      hideCursor: true,
      // Lines logged beside the bar wrap, not run off the edge: cli-progress would otherwise turn the
      // terminal's wrapping off while the bar runs, and a long line would be cut and overwrite its last column.
      linewrap: true,
      clearOnComplete: true,
      stopOnComplete: false,
      fps: 10,
    });
    this.bar = this.bars.create(total, 0);
    if (terminal) process.once('exit', this.restoreCursor);
  }

  private stopBar(): void {
    if (this.bars) {
      // Lines logged since the last redraw wait in cli-progress's buffer; one last redraw writes them out.
      this.bars.update();
      this.bars.stop();
      process.removeListener('exit', this.restoreCursor);
      this.bars = null;
      this.bar = null;
      this.line = emptyLine;
    }
  }
}

function emptyLine(done: number): ProgressLine {
  return { label: '', labelRank: 0, done, position: '', fields: [] };
}
