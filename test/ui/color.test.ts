/** Colour decisions: --no-color, NO_COLOR, FORCE_COLOR and the terminal check, in that order of strength. */
import { describe, expect, it } from 'vitest';
import { colorLevel, forcedLevel, stderrChalk, type ColorStream } from '../../src/ui/color.js';

const terminal = (depth = 8): ColorStream => ({ isTTY: true, getColorDepth: () => depth });
const pipe: ColorStream = { isTTY: false, getColorDepth: () => 8 };
const on = { color: true };

describe('colorLevel', () => {
  it('colours a terminal at the depth it reports, and never a pipe or file', () => {
    expect(colorLevel(on, {}, terminal(4))).toBe(1);
    expect(colorLevel(on, {}, terminal(8))).toBe(2);
    expect(colorLevel(on, {}, terminal(24))).toBe(3);
    expect(colorLevel(on, {}, terminal(1))).toBe(0); // TERM=dumb
    expect(colorLevel(on, {}, pipe)).toBe(0);
    expect(colorLevel(on, {}, {})).toBe(0);
  });

  it('--no-color wins over everything, FORCE_COLOR included', () => {
    expect(colorLevel({ color: false }, {}, terminal())).toBe(0);
    expect(colorLevel({ color: false }, { FORCE_COLOR: '3' }, terminal())).toBe(0);
  });

  it('NO_COLOR turns colour off when set to anything but the empty string (no-color.org)', () => {
    expect(colorLevel(on, { NO_COLOR: '1' }, terminal())).toBe(0);
    expect(colorLevel(on, { NO_COLOR: 'false' }, terminal())).toBe(0);
    expect(colorLevel(on, { NO_COLOR: '1', FORCE_COLOR: '1' }, pipe)).toBe(0);
    expect(colorLevel(on, { NO_COLOR: '' }, terminal(8))).toBe(2);
  });

  it('FORCE_COLOR forces colour into a pipe, at the level it names, and 0 turns it off on a terminal', () => {
    expect(colorLevel(on, { FORCE_COLOR: '' }, pipe)).toBe(1);
    expect(colorLevel(on, { FORCE_COLOR: '1' }, pipe)).toBe(1);
    expect(colorLevel(on, { FORCE_COLOR: '2' }, pipe)).toBe(2);
    expect(colorLevel(on, { FORCE_COLOR: '3' }, pipe)).toBe(3);
    expect(colorLevel(on, { FORCE_COLOR: 'true' }, pipe)).toBe(1);
    expect(colorLevel(on, { FORCE_COLOR: '0' }, terminal())).toBe(0);
    expect(colorLevel(on, { FORCE_COLOR: 'false' }, terminal())).toBe(0);
  });

  it('asks the terminal for its depth without FORCE_COLOR or NO_COLOR in the environment', () => {
    const seen: NodeJS.ProcessEnv[] = [];
    const stream: ColorStream = { isTTY: true, getColorDepth: (env) => (seen.push(env ?? {}), 24) };
    colorLevel(on, { TERM: 'xterm-256color', NO_COLOR: '' }, stream);
    expect(seen).toEqual([{ TERM: 'xterm-256color' }]);
  });
});

describe('forcedLevel', () => {
  it('reads FORCE_COLOR as chalk does, clamping numbers to 0..3', () => {
    expect(forcedLevel(undefined)).toBeUndefined();
    expect(forcedLevel('7')).toBe(3);
    expect(forcedLevel('yes')).toBe(1);
  });
});

describe('stderrChalk', () => {
  it('gives a chalk that writes escape codes only when colour is on', () => {
    expect(stderrChalk(on, {}, pipe).red('x')).toBe('x');
    expect(stderrChalk(on, { FORCE_COLOR: '1' }, pipe).red('x')).toBe('\x1b[31mx\x1b[39m');
  });
});
