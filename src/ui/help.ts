/** Help text that teaches: examples per command, and the presets' values side by side for `train --help`. */
import { presetNames, presets } from '../train/presets.js';
import { settingName, trainSettings } from '../train/settings.js';
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

/** The table of what each preset sets, for `digits train --help`: the settings that have a row in it. */
export function presetTable(): string {
  const header = ['', ...presetNames];
  const body = trainSettings.flatMap((setting) => {
    const row = setting.presetRow;
    return row ? [[row.name ?? settingName(setting), ...presetNames.map((name) => row.value(presets[name]))]] : [];
  });
  return (
    '\nPresets (options given on the command line override these one by one):\n' +
    table([header, ...body], undefined, 'left').map((line) => '  ' + line).join('\n') +
    '\n'
  );
}
