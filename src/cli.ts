/**
 * The command-line program: commands and options (commander), and the one place that turns errors into
 * messages and exit codes, handles Ctrl-C and closed pipes, and calls process.exit.
 */
import { Command, CommanderError, Option } from 'commander';
import { DigitsError, ExitCode } from './errors.js';
import { stderrChalk } from './ui/color.js';
import type { CommandContext, StopFlag } from './commands/context.js';
import { batchSize, holdout, nonNegativeInt, nonNegativeNumber, positiveInt, positiveNumber } from './commands/options.js';
import { defaultModelPath } from './commands/paths.js';
import { presetNames } from './train/presets.js';
import { toolVersion } from './version.js';

const debug = (process.env.DEBUG ?? '').split(',').some((name) => name.trim() === 'digits' || name.trim() === '*');

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

const progressOption = (): Option =>
  new Option('--progress <mode>', 'progress display: a bar on a terminal, plain lines in a log')
    .choices(['auto', 'bar', 'lines', 'none'])
    .default('auto');

const maxErrorsOption = (): Option =>
  new Option('--max-errors <n>', 'list up to n problems in the CSV before stopping').argParser(positiveInt).default(1);

export function buildProgram(stop: StopFlag, setExitCode: (code: number) => void): Command {
  const program = new Command();
  program
    .name('digits')
    .description('Train a neural network to read handwritten digits (the Kaggle digit-recognizer CSV).')
    .version(toolVersion, '-V, --version', 'print the version')
    .option('--no-color', 'no colours (also NO_COLOR=1)')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ showGlobalOptions: true })
    .exitOverride();

  program
    .command('train')
    .summary('train a model and save it as JSON')
    .description(
      'Train the 784-hidden-10 network on a labelled CSV (plain, gzip or - for stdin) and save the model.\n' +
        'With no file, trains on the bundled sample of real Kaggle rows.',
    )
    .argument('[file]', 'labelled CSV (default: the bundled sample, data/sample/train.csv.gz)')
    .option('--out <path>', 'where the model is written (atomically)', defaultModelPath)
    .addOption(new Option('--preset <name>', 'seed (the original numpy run), default, or best').choices(presetNames).default('default'))
    .option('--hidden <n>', "hidden units (preset's)", positiveInt)
    .option('--epochs <n>', "passes over the training rows (preset's)", positiveInt)
    .option('--iterations <n>', "gradient steps in all; overrides --epochs (preset's)", positiveInt)
    .option('--batch-size <n>', "rows per step; 0 or full = full batch (preset's)", batchSize)
    .option('--lr <x>', "learning rate (preset's)", positiveNumber)
    .addOption(new Option('--optimizer <name>', "update rule (preset's)").choices(['sgd', 'momentum', 'nesterov', 'adam']))
    .addOption(new Option('--schedule <name>', "learning-rate schedule (preset's)").choices(['constant', 'cosine', 'step']))
    .option('--weight-decay <x>', "decoupled L2 weight decay (preset's)", nonNegativeNumber)
    .option('--holdout <n>', "rows held out: a count or a fraction; 0 for none (preset's)", holdout)
    .option('--patience <n>', 'stop after n epochs without a better held-out accuracy, keeping the best weights', positiveInt)
    .option('--no-augment', "turn off the best preset's image augmentation")
    .option('--resume <model>', 'continue training a saved model (its file, split and optimiser state)')
    .option('--seed <n>', 'seed for initialisation, shuffling and the held-out split (default 42)', nonNegativeInt)
    .option('--log-every <n>', 'report every n iterations (default 10)', positiveInt)
    .option('--threads <n>', 'worker threads for the kernels (default: cores available)', positiveInt)
    .option('--json', 'JSON lines on stdout: one object per report, then a summary', false)
    .option('--quiet', 'only errors', false)
    .addOption(progressOption())
    .addOption(maxErrorsOption())
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  digits train                                   # the bundled sample, to see it work\n' +
        '  digits train train.csv                         # the default preset on Kaggle\'s train.csv\n' +
        '  digits train train.csv --preset seed           # the original numpy run, for comparison\n' +
        '  digits train train.csv --holdout 0 --out models/final.json   # train on every row for a submission\n',
    )
    .action(async (file: string | undefined, options) => {
      const { runTrain } = await import('./commands/train.js');
      setExitCode(await runTrain(file, options, context(program, stop)));
    });

  program
    .command('predict')
    .summary('write a Kaggle submission (ImageId,Label)')
    .description('Predict the digit of every row of a CSV and write ImageId,Label rows to stdout (or --out).')
    .argument('<file>', 'CSV of images (a label column, if any, is ignored); - for stdin')
    .option('--model <path>', 'model file', defaultModelPath)
    .option('--out <path>', 'write the submission here (atomically) instead of stdout')
    .option('--threads <n>', 'threads for predicting (default: cores available)', positiveInt)
    .option('--quiet', 'only errors', false)
    .addOption(progressOption())
    .addOption(maxErrorsOption())
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  digits predict test.csv > submission.csv\n' +
        '  digits predict test.csv.gz --model models/final.json --out submission.csv\n',
    )
    .action(async (file: string, options) => {
      const { runPredict } = await import('./commands/predict.js');
      setExitCode(await runPredict(file, options, context(program, stop)));
    });

  program
    .command('eval')
    .summary('score a model: accuracy, confusion matrix, per-digit precision/recall/F1')
    .description(
      'Score a model on a labelled CSV, or, with no file, on the held-out rows recorded in the model\n' +
        '(re-reading the training file, which must not have changed).',
    )
    .argument('[file]', 'labelled CSV (default: the held-out rows of the training file)')
    .option('--model <path>', 'model file', defaultModelPath)
    .option('--json', 'one JSON object on stdout', false)
    .option('--quiet', 'only errors', false)
    .addOption(progressOption())
    .addOption(maxErrorsOption())
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  digits eval                          # held-out rows of the training file\n' +
        '  digits eval labelled.csv --json      # a labelled file, as JSON\n',
    )
    .action(async (file: string | undefined, options) => {
      const { runEval } = await import('./commands/eval.js');
      setExitCode(await runEval(file, options, context(program, stop)));
    });

  return program;
}

/** Prints an error for people: one or a few lines, a stack trace only with DEBUG=digits. */
function printError(error: unknown): number {
  const chalk = stderrChalk({ color: !process.argv.includes('--no-color') });
  if (error instanceof DigitsError) {
    process.stderr.write(`${chalk.red('error:')} ${error.message}\n`);
    for (const line of error.details) process.stderr.write(`  ${line}\n`);
    if (debug && error.stack) process.stderr.write(error.stack + '\n');
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${chalk.red('error:')} ${message}\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(error.stack + '\n');
  else process.stderr.write('  This is a bug in digits; run with DEBUG=digits for details and report it.\n');
  return ExitCode.failure;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  const stop: StopFlag = { requested: null };
  let exitCode = 0;

  // A closed stdout (digits predict ... | head) is not an error: end quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
  });

  // The first Ctrl-C (or SIGTERM) asks the run to stop after the current step and save; the second exits now.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stop.requested) {
      if (process.stderr.isTTY) process.stderr.write('\x1b[?25h\n');
      process.stderr.write('Stopped at once; nothing written.\n');
      process.exit(signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted);
    }
    stop.requested = signal;
    process.stderr.write(`\nStopping after this step (${signal}); press Ctrl-C again to quit without saving.\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const program = buildProgram(stop, (code) => (exitCode = code));
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message (with a suggestion for a mistyped name); help and version are fine.
      const ok = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
      exitCode = ok ? 0 : ExitCode.badInput;
    } else {
      exitCode = printError(error);
    }
  }
  process.exitCode = exitCode;
  // Worker threads or timers must not hold the process open once the command is done.
  setImmediate(() => process.exit(exitCode));
}
