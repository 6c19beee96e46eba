/**
 * Colour for people, on stderr only. The rules, strongest first:
 *   1. `--no-color` turns colour off;
 *   2. `NO_COLOR` set to anything but the empty string turns it off (no-color.org; chalk does not read it);
 *   3. `FORCE_COLOR` forces it on, even into a pipe: `1`, `2`, `3` choose 16, 256 or 16 million colours, an
 *      empty value or `true` means 16; `0` or `false` turn colour off even on a terminal (chalk's convention);
 *   4. otherwise colour is on when stderr is a terminal, at the depth the terminal reports (TERM, COLORTERM),
 *      and off for TERM=dumb.
 * stdout never gets colour: it carries data.
 */
import { Chalk, type ChalkInstance } from 'chalk';

/** chalk's levels: 0 none, 1 basic 16 colours, 2 256 colours, 3 true colour. */
export type ColorLevel = 0 | 1 | 2 | 3;

/** What the colour decision looks at: a stream's terminal-ness and colour depth. */
export interface ColorStream {
  readonly isTTY?: boolean;
  getColorDepth?(env?: NodeJS.ProcessEnv): number;
}

export function colorLevel(options: { color: boolean }, env: NodeJS.ProcessEnv, stream: ColorStream): ColorLevel {
  if (!options.color) return 0;
  if ((env.NO_COLOR ?? '') !== '') return 0;
  const forced = forcedLevel(env.FORCE_COLOR);
  if (forced !== undefined) return forced;
  if (stream.isTTY !== true) return 0;
  // Node's own reading of TERM/COLORTERM; FORCE_COLOR and NO_COLOR were settled above.
  const { FORCE_COLOR: _force, NO_COLOR: _no, NODE_DISABLE_COLORS: _disable, ...rest } = env;
  const depth = stream.getColorDepth ? stream.getColorDepth(rest) : 4;
  return depth >= 24 ? 3 : depth >= 8 ? 2 : depth >= 4 ? 1 : 0;
}

/** FORCE_COLOR's level, or undefined when it is not set (chalk and supports-color read it the same way). */
export function forcedLevel(value: string | undefined): ColorLevel | undefined {
  if (value === undefined) return undefined;
  const text = value.trim().toLowerCase();
  if (text === '' || text === 'true') return 1;
  if (text === 'false') return 0;
  const n = Number.parseInt(text, 10);
  if (!Number.isFinite(n)) return 1;
  return Math.max(0, Math.min(3, n)) as ColorLevel;
}

/** The chalk instance for text written to stderr. */
export function stderrChalk(
  options: { color: boolean },
  env: NodeJS.ProcessEnv = process.env,
  stream: ColorStream = process.stderr,
): ChalkInstance {
  return new Chalk({ level: colorLevel(options, env, stream) });
}
