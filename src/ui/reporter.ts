/**
 * How a training run shows itself: a live cli-progress bar on a terminal, plain lines in a log, JSON lines on
 * stdout with --json, nothing with --quiet. The trainer only emits events; this decides what they look like.
 */
import cliProgress from 'cli-progress';
import type { ChalkInstance } from 'chalk';
import type { StepProgress, TrainingReport } from '../train/trainer.js';
import type { LoadProgress } from '../data/csv.js';
import { count, megabytes, percent, seconds } from './format.js';

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

export class Reporter {
  private readonly mode: 'bar' | 'lines' | 'none';
  private bars: cliProgress.MultiBar | null = null;
  private bar: cliProgress.SingleBar | null = null;
  private fullBatch = false;
  /** A committee (--members) trains its networks one after another; the bar covers them all. */
  private members = 1;
  private member = 0;
  private iterationsPerMember = 0;
  private lastDraw = 0;
  /** Held-out accuracy is measured only now and then (epoch ends): the bar keeps showing the latest. */
  private lastHeldOut: number | null = null;
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

  /** A line for people on stderr (not in --quiet). */
  info(line: string): void {
    if (this.options.quiet) return;
    if (this.bars) this.bars.log(line + '\n');
    else this.options.stderr.write(line + '\n');
  }

  /** One JSON object per line on stdout, with --json. */
  json(event: JsonEvent): void {
    if (this.options.json) this.options.stdout.write(JSON.stringify(event) + '\n');
  }

  // Loading -------------------------------------------------------------------------------------------------

  loadStarted(name: string, totalBytes: number | undefined): void {
    if (this.mode !== 'bar' || totalBytes === undefined || totalBytes < 4e6) return;
    this.startBar(
      `loading ${name} {bar} {percentage}% | {rows} rows | {speed}`,
      totalBytes,
    );
  }

  loadProgress(progress: LoadProgress, startedAt: number): void {
    if (!this.bar) return;
    const secondsSoFar = (performance.now() - startedAt) / 1000;
    this.bar.update(progress.bytesRead, {
      rows: count(progress.rows),
      speed: `${megabytes(progress.bytesRead / Math.max(secondsSoFar, 1e-3))}/s`,
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
    if (this.mode !== 'bar') return;
    const unit = fullBatch ? 'iteration {iteration}/{iterations}' : 'epoch {epoch}/{epochs}';
    const network = members > 1 ? 'network {network} ' : '';
    this.startBar(
      `training {bar} ${network}${unit} | loss {loss} | train {train} | held-out {heldOut} | {rate} rows/s | ETA {eta_formatted}`,
      totalIterations * members,
    );
    this.bar?.update(0, {
      network: `1/${members}`,
      iteration: 0,
      iterations: totalIterations,
      epoch: 0,
      epochs: totalEpochs,
      loss: '-',
      train: '-',
      heldOut: '-',
      rate: '-',
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
    this.bar.update(this.member * this.iterationsPerMember + progress.iteration, {
      network: `${this.member + 1}/${this.members}`,
      iteration: progress.iteration,
      iterations: progress.totalIterations,
      epoch: Math.min(progress.totalEpochs, Math.floor(progress.epoch) + 1),
      epochs: progress.totalEpochs,
      loss: last ? last.trainLoss.toFixed(4) : '-',
      train: last ? percent(last.trainAccuracy) : '-',
      heldOut: this.lastHeldOut !== null ? percent(this.lastHeldOut) : '-',
      rate: Math.round(progress.rowsPerSecond).toLocaleString('en-US'),
    });
  }

  report(report: TrainingReport): void {
    this.json({ event: report.kind, ...report });
    if (report.heldOutAccuracy !== null) this.lastHeldOut = report.heldOutAccuracy;
    if (this.mode === 'none') return;
    // Full batch: a line every --log-every iterations, as the seed printed. Mini-batch: a line per epoch, and
    // per --log-every iterations only when that option was given.
    const wanted = this.fullBatch || report.kind === 'epoch' || this.options.logEveryGiven;
    if (wanted) this.info(this.formatReport(report));
  }

  formatReport(report: TrainingReport): string {
    const { chalk } = this.options;
    const where =
      report.kind === 'epoch'
        ? `epoch ${String(Math.round(report.epoch)).padStart(3)}`
        : `iteration ${String(report.iteration).padStart(String(report.totalIterations).length)}/${report.totalIterations}`;
    const network = this.members > 1 ? `network ${report.member + 1} of ${this.members}  ` : '';
    const heldOut =
      report.heldOutAccuracy === null
        ? ''
        : `  held-out ${chalk.bold(percent(report.heldOutAccuracy))} (${report.heldOutRows} rows)`;
    return (
      `${chalk.cyan(network + where)}  loss ${report.trainLoss.toFixed(4)}  train ${percent(report.trainAccuracy)}` +
      `${heldOut}  lr ${report.learningRate.toPrecision(3)}  ${chalk.dim(seconds(report.elapsedSeconds))}`
    );
  }

  /** Stops any bar (restoring the cursor); safe to call twice. */
  finish(): void {
    this.stopBar();
  }

  private startBar(format: string, total: number): void {
    this.stopBar();
    const terminal = this.options.stderr.isTTY === true;
    this.bars = new cliProgress.MultiBar(
      {
        format,
        stream: this.options.stderr,
        // --progress bar into a pipe or file: the bar's line every two seconds, plain text.
        noTTYOutput: !terminal,
        notTTYSchedule: 2000,
        hideCursor: true,
        clearOnComplete: true,
        stopOnComplete: false,
        barsize: 24,
        fps: 10,
        etaBuffer: 50,
        autopadding: true,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar = this.bars.create(total, 0, { rows: 0, speed: '-' });
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
    }
  }
}
