/**
 * Colour for people, on stderr only: on when stderr is a terminal, off with NO_COLOR (non-empty, as
 * no-color.org asks; chalk does not read it itself) or --no-color, forced with FORCE_COLOR.
 */
import { Chalk, supportsColorStderr, type ChalkInstance } from 'chalk';

export function stderrChalk(options: { color: boolean }, env: NodeJS.ProcessEnv = process.env): ChalkInstance {
  const noColor = (env.NO_COLOR ?? '') !== '';
  if (!options.color || noColor) return new Chalk({ level: 0 });
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  if (!process.stderr.isTTY && !forced) return new Chalk({ level: 0 });
  const level = supportsColorStderr ? supportsColorStderr.level : forced ? 1 : 0;
  return new Chalk({ level });
}
