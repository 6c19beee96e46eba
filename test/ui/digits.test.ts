/** Digits drawn with half blocks: read back, the drawing must give the image's pixels. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { imageSide } from '../../src/data/dataset.js';
import { above, beside, drawDigit, halfBlock, inkThreshold, layoutTiles, tile, tilesPerRow } from '../../src/ui/digits.js';
import { stripAnsi } from '../../src/ui/format.js';

const plain = new Chalk({ level: 0 });
const trueColor = new Chalk({ level: 3 });

/** The first rows of the bundled training sample: labels and pixels, read with a plain split. */
function sampleRows(count: number): { label: number; pixels: number[] }[] {
  const path = new URL('../../data/sample/train.csv.gz', import.meta.url);
  const lines = gunzipSync(readFileSync(path)).toString('utf8').split('\n').slice(1, count + 1);
  return lines.map((line) => {
    const cells = line.split(',').map(Number);
    return { label: cells[0]!, pixels: cells.slice(1) };
  });
}

/** Reads a black-and-white drawing back into ink (1) or not (0) per pixel. */
function readBack(lines: string[], side: number): number[] {
  const ink: number[] = new Array(side * side).fill(0);
  lines.forEach((line, l) => {
    [...line].forEach((char, x) => {
      const top = char === '█' || char === '▀';
      const bottom = char === '█' || char === '▄';
      ink[2 * l * side + x] = top ? 1 : 0;
      if (2 * l + 1 < side) ink[(2 * l + 1) * side + x] = bottom ? 1 : 0;
    });
  });
  return ink;
}

describe('drawDigit without colour', () => {
  it('draws a small image cell by cell: upper half, lower half, both, neither', () => {
    // 4x4: rows 0-1 make the first line, rows 2-3 the second.
    const image = [
      255, 0, 255, 0,
      0, 0, 255, 255,
      200, 0, 0, 0,
      200, 0, 0, 50,
    ];
    expect(drawDigit(image, 4, plain)).toEqual(['▀ █▄', '█   ']);
  });

  it('an odd side leaves the last line its upper halves only', () => {
    expect(drawDigit([255, 255, 0, 0, 0, 0, 255, 0, 255], 3, plain)).toEqual(['▀▀ ', '▀ ▀']);
  });

  it('draws real 28x28 digits in 14 lines of 28 columns that read back as the thresholded pixels', () => {
    for (const { pixels } of sampleRows(20)) {
      const lines = drawDigit(pixels, 28, plain);
      expect(lines).toHaveLength(14);
      for (const line of lines) expect([...line]).toHaveLength(28);
      expect(readBack(lines, 28)).toEqual(pixels.map((v) => (v >= inkThreshold ? 1 : 0)));
    }
  });

  it('reads an image at an offset in a larger buffer', () => {
    const rows = sampleRows(3);
    const all = rows.flatMap((r) => r.pixels);
    expect(drawDigit(all, 28, plain, 2 * 784)).toEqual(drawDigit(rows[2]!.pixels, 28, plain));
  });
});

describe('drawDigit with 16 million colours', () => {
  it('gives each half cell the grey of its pixel: foreground upper, background lower', () => {
    const { pixels } = sampleRows(1)[0]!;
    const lines = drawDigit(pixels, 28, trueColor);
    const greys: number[] = new Array(784).fill(-1);
    lines.forEach((line, l) => {
      const cells = [...line.matchAll(/\x1b\[38;2;(\d+);(\d+);(\d+)m\x1b\[48;2;(\d+);(\d+);(\d+)m▀/g)];
      expect(cells).toHaveLength(28);
      cells.forEach((cell, x) => {
        expect(cell[1]).toBe(cell[2]);
        greys[2 * l * 28 + x] = Number(cell[1]);
        greys[(2 * l + 1) * 28 + x] = Number(cell[4]);
      });
    });
    expect(greys).toEqual(pixels);
  });
});

describe('halfBlock and imageSide', () => {
  it('maps the four cases', () => {
    expect([halfBlock(false, false), halfBlock(true, false), halfBlock(false, true), halfBlock(true, true)]).toEqual([' ', '▀', '▄', '█']);
  });

  it('finds square images only', () => {
    expect(imageSide(784)).toBe(28);
    expect(imageSide(1)).toBe(1);
    expect(imageSide(785)).toBeNull();
  });
});

describe('tiles', () => {
  const box = (char: string, width: number, height: number) => tile(new Array(height).fill(char.repeat(width)));

  it('lays tiles side by side as far as the width allows, then wraps with a blank line', () => {
    const tiles = [box('a', 4, 2), box('b', 4, 2), box('c', 4, 3)];
    expect(layoutTiles(tiles, 11, 3)).toEqual(['aaaa   bbbb', 'aaaa   bbbb', '', 'cccc', 'cccc', 'cccc']);
    expect(layoutTiles(tiles, 18, 3)).toEqual(['aaaa   bbbb   cccc', 'aaaa   bbbb   cccc', ' '.repeat(14) + 'cccc']);
  });

  it('always puts at least one tile on a row, even when it is wider than the width', () => {
    expect(layoutTiles([box('x', 10, 1), box('y', 10, 1)], 5)).toEqual(['xxxxxxxxxx', '', 'yyyyyyyyyy']);
  });

  it('pads by visible width, ignoring colour codes, and leaves no trailing spaces', () => {
    const red = new Chalk({ level: 1 }).red;
    const lines = layoutTiles([tile([red('ab'), 'a']), tile(['c', 'cc'])], 80, 2);
    expect(lines.map(stripAnsi)).toEqual(['ab  c', 'a   cc']);
    for (const line of layoutTiles([tile(['a ', 'b']), tile(['c  '])], 80)) expect(line).toBe(line.trimEnd());
  });

  it('beside and above combine tiles', () => {
    const t = beside(tile(['ab', 'a']), tile(['x', 'y', 'z']), 1);
    expect(t).toEqual({ lines: ['ab x', 'a  y', '   z'], width: 4 });
    expect(above(tile(['abc']), tile(['d']))).toEqual({ lines: ['abc', 'd'], width: 3 });
  });

  it('counts how many tiles fit a width', () => {
    expect(tilesPerRow(28, 80)).toBe(2);
    expect(tilesPerRow(28, 90)).toBe(3);
    expect(tilesPerRow(28, 10)).toBe(1);
  });
});
