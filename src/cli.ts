/**
 * The command-line program: commands and options (commander), and the one place that turns errors into
 * messages and exit codes, handles Ctrl-C and closed pipes, and calls process.exit.
 */
import { Command, CommanderError, Option } from 'commander';
import { debugEnabled } from './debug.js';
import { DigitsError, ExitCode, describeFileError, isBrokenPipe, isSystemError } from './errors.js';
import { stderrChalk } from './ui/color.js';
import { outputWidth, wrapWords } from './ui/format.js';
import type { CommandContext, StopFlag } from './commands/context.js';
import { kernelsChoices, maxThreads, nonNegativeInt, optionParser, positiveInt, rowList, threadCount } from './commands/options.js';
import { defaultModelPath } from './commands/paths.js';
import { settingsFromOptions, trainSettings, type OptionValue, type Setting, type SettingKey, type SettingOption } from './train/settings.js';
import { defaultHost, defaultPort, portNumber } from './serve/options.js';
import { invocation } from './invocation.js';
import { toolVersion } from './version.js';
import { examples, presetTable } from './ui/help.js';

const debug = debugEnabled;

/** What the parts of one run of the program share: the interrupt flag, and the exit code the command returned. */
export interface ProgramRun {
  readonly stop: StopFlag;
  exitCode: number;
}

/** The program and its commands; each command's action sets `run.exitCode`. */
export function buildProgram(run: ProgramRun): Command {
  const program = rootCommand();
  addTrainCommand(program, run);
  addPredictCommand(program, run);
  addEvalCommand(program, run);
  addShowCommand(program, run);
  addPlotCommand(program, run);
  addInfoCommand(program, run);
  addServeCommand(program, run);
  // A usage error ends with where to read more about that command.
  for (const command of program.commands) command.showHelpAfterError(`(see: ${invocation()} ${command.name()} --help)`);
  return program;
}

function rootCommand(): Command {
  return new Command()
    .name('digits')
    .description('Train a neural network to read handwritten digits (the Kaggle digit-recognizer CSV).')
    .version(toolVersion, '-V, --version', 'print the version')
    .option('--no-color', 'no colours (also NO_COLOR=1)')
    .showSuggestionAfterError(true)
    .showHelpAfterError(`(see: ${invocation()} --help)`)
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .addHelpText(
      'after',
      examples([
        [`${invocation()} train`, 'train on the bundled sample of real Kaggle rows'],
        [`${invocation()} eval`, 'score it: accuracy, confusion matrix, worst mistakes drawn'],
        [`${invocation()} predict test.csv > submission.csv`, 'a Kaggle submission'],
        [`${invocation()} show test.csv --rows 1-4 --model models/model.json`, 'look at digits and what the model reads'],
        [`${invocation()} info`, 'what the model file holds'],
        [`${invocation()} serve`, 'a web page: draw a digit, watch the model read it'],
      ]) + `\nRun "${invocation()} <command> --help" for its options.\nData (submissions, --json) goes to stdout; messages go to stderr.\n`,
    );
}

/** What a command runs with: the process's streams, colours as --no-color says, the interrupt flag. */
function context(program: Command, stop: StopFlag): CommandContext {
  const color = program.opts<{ color: boolean }>().color;
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    chalk: stderrChalk({ color }),
    stop,
    cwd: process.cwd(),
  };
}

/** --quiet, --progress and --max-errors: the options of every command that reads a CSV, last in its list. */
function addReadingOptions(command: Command): Command {
  return command
    .option('--quiet', 'only errors', false)
    .addOption(
      new Option('--progress <mode>', 'progress display: a bar on a terminal, plain lines in a log')
        .choices(['auto', 'bar', 'lines', 'none'])
        .default('auto'),
    )
    .addOption(new Option('--max-errors <n>', 'list up to n problems in the CSV before stopping').argParser(positiveInt).default(1));
}

/** --threads, for the work that `purpose` names. */
function threadsOption(purpose: string): Option {
  return new Option('--threads <n>', `${purpose}, 1 to ${maxThreads} (default: cores available)`).argParser(threadCount);
}

/** --kernels: which kernels compute (the numbers are the same with either; only the time differs). */
function kernelsOption(): Option {
  return new Option('--kernels <kind>', 'the kernels: wasm (WebAssembly SIMD), js (TypeScript), auto (wasm where it runs)')
    .choices(kernelsChoices)
    .default('auto');
}

function addTrainCommand(program: Command, run: ProgramRun): void {
  const train = program
    .command('train')
    .summary('train a model and save it as JSON')
    .description(
      'Train the 784-hidden-10 network on a labelled CSV (plain, gzip or - for stdin) and save the model. ' +
        'With no file, trains on the bundled sample of real Kaggle rows.',
    )
    .argument('[file]', 'labelled CSV (default: the bundled sample, data/sample/train.csv.gz)')
    .option('--out <path>', 'where the model is written (atomically)', defaultModelPath)
    .option('--plot <file.svg>', 'also draw the learning curves (loss and accuracy per epoch) into an SVG file');
  const settingOptions = addSettingOptions(train);
  train
    .addOption(threadsOption('worker threads for the kernels'))
    .addOption(kernelsOption())
    .option('--json', 'JSON lines on stdout: one object per report, then a summary', false);
  addReadingOptions(train)
    .addHelpText(
      'after',
      presetTable() +
        examples([
          [`${invocation()} train`, 'the bundled sample, to see it work'],
          [`${invocation()} train train.csv --plot curve.svg`, "the default preset on Kaggle's train.csv, with learning curves"],
          [`${invocation()} train train.csv --preset seed`, 'the original numpy run, for comparison'],
          [`${invocation()} train train.csv --holdout 0 --out models/final.json`, 'train on every row for a submission'],
          [`${invocation()} train train.csv --members 3`, 'three networks joined into one of 3 x 256 hidden units'],
          [`${invocation()} train train.csv --json > run.jsonl`, 'JSON lines per report (schema: docs/json.md)'],
        ]),
    )
    .action(async (file: string | undefined, options, command: Command) => {
      run.stop.finishWithoutReaders = true;
      const { runTrain } = await import('./commands/train.js');
      const settings = settingsFromOptions((setting) => givenValue(command, settingOptions.get(setting.key)));
      run.exitCode = await runTrain(file, { ...options, settings }, context(program, run.stop));
    });
}

/**
 * The train command's options for the training settings, in the settings table's order, and --resume among them.
 * Returns each setting's option, for reading what was given.
 */
function addSettingOptions(train: Command): Map<SettingKey, Option> {
  const options = new Map<SettingKey, Option>();
  const add = (setting: Setting, { flags, description, parse, choices }: SettingOption): void => {
    const option = new Option(flags, description);
    if (choices) option.choices(choices);
    if (parse) option.argParser(optionParser(parse));
    train.addOption(option);
    options.set(setting.key, option);
  };
  for (const setting of trainSettings) if (setting.option && !setting.option.listed) add(setting, setting.option);
  train.option('--resume <model>', 'continue training a saved model (its file, split and optimiser state)');
  for (const setting of trainSettings) if (setting.option?.listed === 'after --resume') add(setting, setting.option);
  return options;
}

/** An option's value when it was given on the command line (not commander's default for a --no- switch). */
function givenValue(command: Command, option: Option | undefined): OptionValue | undefined {
  if (!option || command.getOptionValueSource(option.attributeName()) !== 'cli') return undefined;
  return command.getOptionValue(option.attributeName()) as OptionValue;
}

function addPredictCommand(program: Command, run: ProgramRun): void {
  const predict = program
    .command('predict')
    .summary('write a Kaggle submission (ImageId,Label)')
    .description('Predict the digit of every row of a CSV and write ImageId,Label rows to stdout (or --out).')
    .argument('<file>', 'CSV of images (a label column, if any, is ignored); - for stdin')
    .option('--model <path>', 'model file', defaultModelPath)
    .option('--out <path>', 'write the submission here (atomically) instead of stdout')
    .addOption(threadsOption('threads for predicting'))
    .addOption(kernelsOption());
  addReadingOptions(predict)
    .addHelpText(
      'after',
      examples([
        [`${invocation()} predict test.csv > submission.csv`, 'the submission on stdout'],
        [`${invocation()} predict test.csv.gz --model models/final.json --out submission.csv`, 'written atomically'],
        [`zcat test.csv.gz | ${invocation()} predict - | head`, 'from stdin; stops quietly when head has enough'],
      ]),
    )
    .action(async (file: string, options) => {
      const { runPredict } = await import('./commands/predict.js');
      run.exitCode = await runPredict(file, options, context(program, run.stop));
    });
}

function addEvalCommand(program: Command, run: ProgramRun): void {
  const evaluate = program
    .command('eval')
    .summary('score a model: accuracy, confusion matrix, per-digit precision/recall/F1')
    .description(
      'Score a model on a labelled CSV, or, with no file, on the held-out rows recorded in the model ' +
        '(re-reading the training file, which must not have changed).',
    )
    .argument('[file]', 'labelled CSV (default: the held-out rows of the training file)')
    .option('--model <path>', 'model file', defaultModelPath)
    .option('--json', 'one JSON object on stdout', false)
    .option('--mistakes <n>', 'worst mistakes to draw, 0 for none (default: as many as fit across the terminal)', nonNegativeInt)
    .addOption(threadsOption('threads for predicting a whole file'))
    .addOption(kernelsOption());
  addReadingOptions(evaluate)
    .addHelpText(
      'after',
      examples([
        [`${invocation()} eval`, 'the held-out rows of the training file'],
        [`${invocation()} eval labelled.csv --mistakes 12`, 'a labelled file, drawing the 12 worst mistakes'],
        [`${invocation()} eval --json | jq .accuracy`, 'one JSON object on stdout (schema: docs/json.md)'],
      ]),
    )
    .action(async (file: string | undefined, options) => {
      const { runEval } = await import('./commands/eval.js');
      run.exitCode = await runEval(file, options, context(program, run.stop));
    });
}

function addShowCommand(program: Command, run: ProgramRun): void {
  const show = program
    .command('show')
    .summary('draw digits from a CSV in the terminal, with a model\'s predictions')
    .description(
      'Draw rows of a CSV as pictures in the terminal (28x28 pixels in 14 lines of half blocks) with their labels; ' +
        'with --model, the prediction and the three most probable digits beside each.',
    )
    .argument('<file>', 'CSV of images, labelled or not; - for stdin')
    .option('--rows <list>', 'data rows to draw, 1 being the first after the header: 1,2,5 or 10-15 (default: 1-6)', rowList)
    .option('--model <path>', 'also show what this model predicts')
    .option('--json', 'one JSON object on stdout: labels, predictions, probabilities', false);
  addReadingOptions(show)
    .addHelpText(
      'after',
      examples([
        [`${invocation()} show train.csv`, 'the first six digits and their labels'],
        [`${invocation()} show test.csv --rows 1-4 --model models/model.json`, "what the model reads, with its top 3"],
        [`${invocation()} show train.csv --rows 1013 --model models/model.json`, 'look at a mistake that eval listed'],
      ]),
    )
    .action(async (file: string, options) => {
      const { runShow } = await import('./commands/show.js');
      run.exitCode = await runShow(file, options, context(program, run.stop));
    });
}

function addPlotCommand(program: Command, run: ProgramRun): void {
  program
    .command('plot')
    .summary('draw a model\'s learning curves (loss and accuracy) as SVG')
    .description(
      'Write the learning curves kept in a model file (loss and accuracy, training and held-out, per epoch or per ' +
        'report for full-batch runs) to an SVG file, written atomically.',
    )
    .argument('[model]', `model file (default: ${defaultModelPath})`)
    .argument('[out]', 'SVG file to write, - for stdout (default: the model\'s path with .svg)')
    .option('--quiet', 'only errors', false)
    .addHelpText(
      'after',
      examples([
        [`${invocation()} plot`, `${defaultModelPath} -> models/model.svg`],
        [`${invocation()} plot models/final.json curve.svg`, 'a named model and picture'],
        ['rsvg-convert curve.svg -o curve.png', 'a PNG, if you need one (Debian: librsvg2-bin)'],
      ]),
    )
    .action(async (model: string | undefined, out: string | undefined, options) => {
      const { runPlot } = await import('./commands/plot.js');
      run.exitCode = await runPlot(model, out, options, context(program, run.stop));
    });
}

function addInfoCommand(program: Command, run: ProgramRun): void {
  program
    .command('info')
    .summary('what a model file holds: network, hyperparameters, data, metrics')
    .description(
      'Print a model\'s architecture and parameter count, preset and hyperparameters, training data (path, rows, ' +
        'SHA-256), final metrics, and the digits version and date that wrote it.',
    )
    .argument('[model]', `model file (default: ${defaultModelPath})`)
    .option('--json', 'one JSON object on stdout', false)
    .addHelpText(
      'after',
      examples([
        [`${invocation()} info`, `about ${defaultModelPath}`],
        [`${invocation()} info models/final.json --json | jq .metrics`, 'as data (schema: docs/json.md)'],
      ]),
    )
    .action(async (model: string | undefined, options) => {
      const { runInfo } = await import('./commands/info.js');
      run.exitCode = await runInfo(model ?? defaultModelPath, options, context(program, run.stop));
    });
}

function addServeCommand(program: Command, run: ProgramRun): void {
  program
    .command('serve')
    .summary('a local web page: draw a digit and watch the model read it')
    .description(
      'Serve a page where you draw a digit with mouse, pen or finger and see, as you draw, the 28x28 image the ' +
        'model reads (MNIST-style preprocessing), its prediction and the ten probabilities. Works offline.',
    )
    .option('--model <path>', 'model file', defaultModelPath)
    .option('--port <n>', 'port to listen on; 0 for any free port', portNumber, defaultPort)
    .option('--host <address>', 'address to listen on; the default lets only this machine in', defaultHost)
    .addHelpText(
      'after',
      examples([
        [`${invocation()} serve`, 'http://127.0.0.1:8080/ with models/model.json'],
        [`${invocation()} serve --model models/final.json --port 3000`, 'another model, another port'],
      ]),
    )
    .action(async (options) => {
      const { runServe } = await import('./commands/serve.js');
      run.exitCode = await runServe(options, context(program, run.stop));
    });
}

const systemCallVerbs: Readonly<Record<string, string>> = {
  open: 'opening it',
  read: 'reading it',
  write: 'writing it',
  rename: 'renaming it',
  mkdir: 'creating it',
  unlink: 'removing it',
  scandir: 'listing it',
  stat: 'looking at it',
};

/** Prints an error for people: one or a few lines, a stack trace only with DEBUG=digits. Returns the exit code. */
export function printError(error: unknown, stderr: { write(text: string): unknown } = process.stderr): number {
  // A closed pipe on stdout (digits predict ... | head) is how such a run ends: quietly, and successfully.
  if (isBrokenPipe(error)) return ExitCode.ok;
  const chalk = stderrChalk({ color: !process.argv.includes('--no-color') });
  const stack = debug && error instanceof Error && error.stack ? error.stack + '\n' : '';
  if (error instanceof DigitsError) {
    stderr.write(`${chalk.red('error:')} ${error.message}\n`);
    for (const line of error.details) stderr.write(`  ${line}\n`);
    stderr.write(stack);
    return error.exitCode;
  }
  if (isSystemError(error) && typeof error.path === 'string') {
    // A file-system error that escaped the place that should have explained it: still say what and where.
    const doing = systemCallVerbs[error.syscall ?? ''] ?? 'working on it';
    stderr.write(`${chalk.red('error:')} ${describeFileError(error, error.path, doing)}\n`);
    stderr.write(stack);
    return ExitCode.failure;
  }
  const message = error instanceof Error ? error.message : String(error);
  stderr.write(`${chalk.red('error:')} ${message || 'unexpected failure'}\n`);
  if (stack) stderr.write(stack);
  else stderr.write('  This is a bug in digits; run again with DEBUG=digits for the details, and please report it.\n');
  return ExitCode.failure;
}

export interface SignalActions {
  write(text: string): void;
  exit(code: number): void;
  /** True when stderr is a terminal (a progress bar may have hidden the cursor). */
  readonly terminal: boolean;
  /** The terminal's width now, to wrap the message in. */
  width?(): number;
}

/**
 * What Ctrl-C (SIGINT) and SIGTERM do. While a training run can stop after its current step and save
 * (`stop.graceful`), the first signal asks it to; any other signal ends the program at once, without writing.
 * Once the command has finished (`stop.finished`), signals change nothing: the program is exiting anyway.
 */
export function createSignalHandler(stop: StopFlag, actions: SignalActions): (signal: NodeJS.Signals) => void {
  // On a terminal the message takes the place of the line the cursor is on, a progress bar's (with the ^C the
  // terminal echoed over it), and wraps at spaces; the bar, still running, draws itself again below. In a log
  // it starts on a line of its own.
  const say = (message: string): void =>
    actions.write(actions.terminal ? `\r\x1b[2K${wrapWords(message, actions.width?.() ?? 80)}\n` : `\n${message}\n`);
  return (signal) => {
    if (stop.finished) return;
    const code = signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
    if (stop.graceful && !stop.requested) {
      stop.requested = signal;
      say(
        stop.serving
          ? `Stopping the server (${signal}); press Ctrl-C again to quit at once.`
          : `Stopping after this step to save the model (${signal}); press Ctrl-C again to quit at once without saving.`,
      );
      return;
    }
    if (actions.terminal) actions.write('\x1b[?25h');
    const atOnce = stop.serving ? 'Stopped at once.' : 'Stopped at once; the model was not saved.';
    say(stop.requested ? atOnce : `Interrupted (${signal}).`);
    actions.exit(code);
  };
}

export async function main(argv: string[] = process.argv): Promise<void> {
  const run: ProgramRun = {
    stop: { requested: null, graceful: false, finished: false, finishWithoutReaders: false, serving: false },
    exitCode: 0,
  };
  const { stop } = run;
  const exitNow = (code: number): void => {
    stop.finished = true;
    process.exit(code);
  };
  endOnStreamErrors(stop, exitNow);
  // Whatever slips through (a bug, a rejected promise nobody awaited) still ends with a short message.
  const crash = (error: unknown): void => exitNow(printError(error));
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  const onSignal = createSignalHandler(stop, {
    write: (text) => process.stderr.write(text),
    exit: exitNow,
    terminal: process.stderr.isTTY === true,
    width: () => outputWidth(process.stderr),
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    await buildProgram(run).parseAsync(argv);
  } catch (error) {
    run.exitCode = error instanceof CommanderError ? commanderExitCode(error) : printError(error);
  }
  stop.finished = true;
  process.exitCode = run.exitCode;
  // process.exit drops what a pipe has not taken yet (a pipe holds 64 kB; eval --json on a large file writes
  // more), so the output is let out first.
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  // Worker threads or timers must not hold the process open once the command is done.
  setImmediate(() => process.exit(run.exitCode));
}

/** Commander has printed its message (with a suggestion for a mistyped name); help and version are fine. */
function commanderExitCode(error: CommanderError): number {
  const ok = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
  return ok ? 0 : ExitCode.badInput;
}

/**
 * A closed stdout (digits predict ... | head) or stderr is not an error: end quietly, or, for a training run,
 * go on without printing and save the model. (Writes to the closed stream are then dropped by Node.) Any other
 * failure to write there (a full disk under "> file") is said on stderr, if it still works.
 */
function endOnStreamErrors(stop: StopFlag, exitNow: (code: number) => void): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (isBrokenPipe(error)) {
        if (!stop.finishWithoutReaders) exitNow(ExitCode.ok);
        return;
      }
      const where = stream === process.stdout ? 'standard output' : 'standard error';
      if (stream === process.stdout) process.stderr.write(`error: cannot write to ${where}: ${error.message}\n`);
      exitNow(ExitCode.failure);
    });
  }
}

/** Resolves once everything written to `stream` so far has gone to the operating system (or cannot). */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || stream.writableLength === 0) return Promise.resolve();
  // Writes complete in order: the callback of an empty write runs after all the writes before it.
  return new Promise((done) => stream.write('', () => done()));
}
