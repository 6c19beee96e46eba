/** Help text that teaches: examples per command, and the presets' values side by side for `train --help`. */
import { presetNames, presets, type TrainConfig } from '../train/presets.js';
import { table } from './format.js';

/** Help stays readable in an 80-column terminal. */
const helpWidth = 80;

/**
 * An "Examples:" block: each command with a comment saying what it does. Comments are aligned beside the
 * commands when everything fits in 80 columns, and otherwise each goes on the line above its command.
 */
export function examples(entries: readonly (readonly [command: string, comment: string])[]): string {
  const width = Math.max(...entries.map(([command]) => command.length));
  const fits = entries.every(([, comment]) => 2 + width + 4 + comment.length <= helpWidth);
  const lines = fits
    ? entries.map(([command, comment]) => `  ${command.padEnd(width)}  # ${comment}`)
    : entries.map(([command, comment]) => `  # ${comment}\n  ${command}`);
  return '\nExamples:\n' + lines.join(fits ? '\n' : '\n\n') + '\n';
}

const rows: readonly (readonly [option: string, value: (c: TrainConfig) => string])[] = [
  ['--hidden', (c) => String(c.hiddenSize)],
  ['--epochs', (c) => (c.iterations === null ? String(c.epochs) : '-')],
  ['--iterations', (c) => (c.iterations === null ? '-' : String(c.iterations))],
  ['--batch-size', (c) => (c.batchSize === 0 ? 'full' : String(c.batchSize))],
  ['--lr', (c) => String(c.learningRate)],
  ['--optimizer', (c) => c.optimizer],
  ['--schedule', (c) => c.schedule],
  ['--weight-decay', (c) => String(c.weightDecay)],
  ['--holdout', (c) => String(c.holdout)],
  ['augmentation', (c) => (c.augment ? 'on' : 'off')],
  ['deskewing', (c) => (c.deskew ? 'on' : 'off')],
  ['--clean-epochs', (c) => String(c.cleanEpochs)],
  ['--members', (c) => String(c.members)],
];

/** The table of what each preset sets, for `digits train --help`. */
export function presetTable(): string {
  const header = ['', ...presetNames];
  const body = rows.map(([option, value]) => [option, ...presetNames.map((name) => value(presets[name]))]);
  return (
    '\nPresets (options given on the command line override these one by one):\n' +
    table([header, ...body], undefined, 'left').map((line) => '  ' + line).join('\n') +
    '\n'
  );
}
