/**
 * Digits drawn in the terminal with Unicode half blocks: one character cell holds two pixels, the upper half
 * block's foreground is the upper pixel and its background the lower one, so a 28x28 image takes 28 columns and
 * 14 lines. With 256 colours or more the pixels are shades of grey; with fewer (or none, as in a log file or
 * under NO_COLOR) each half is on or off, drawn with ▀ ▄ █ and space. Pictures are laid out side by side as
 * tiles, wrapping to the output width.
 */
import type { ChalkInstance } from 'chalk';
import { padVisible, visibleLength } from './format.js';

/** Pixels at or above this are ink in the black-and-white drawing (MNIST strokes are anti-aliased). */
export const inkThreshold = 96;

/**
 * Draws a side x side image (pixels 0..255, row-major) as ceil(side / 2) lines of `side` columns.
 * `pixels` may be a view into a larger buffer: `offset` is where the image starts.
 */
export function drawDigit(pixels: ArrayLike<number>, side: number, chalk: ChalkInstance, offset = 0): string[] {
  const lines: string[] = [];
  const shades = chalk.level >= 2;
  for (let y = 0; y < side; y += 2) {
    let line = '';
    for (let x = 0; x < side; x++) {
      const top = pixels[offset + y * side + x] ?? 0;
      const bottom = y + 1 < side ? (pixels[offset + (y + 1) * side + x] ?? 0) : 0;
      line += shades ? shadedCell(top, bottom, chalk) : halfBlock(top >= inkThreshold, bottom >= inkThreshold);
    }
    lines.push(line);
  }
  return lines;
}

/** The black-and-white character for a cell whose upper and lower pixels are ink or not. */
export function halfBlock(top: boolean, bottom: boolean): string {
  if (top && bottom) return '█';
  if (top) return '▀';
  if (bottom) return '▄';
  return ' ';
}

function shadedCell(top: number, bottom: number, chalk: ChalkInstance): string {
  return chalk.rgb(top, top, top).bgRgb(bottom, bottom, bottom)('▀');
}

/** A block of lines `width` columns wide, laid out beside others. */
export interface Tile {
  readonly lines: readonly string[];
  readonly width: number;
}

/** A tile from lines, as wide as the widest. */
export function tile(lines: readonly string[]): Tile {
  return { lines, width: Math.max(0, ...lines.map(visibleLength)) };
}

/** Puts `right` beside `left`, `gap` columns apart. */
export function beside(left: Tile, right: Tile, gap = 2): Tile {
  const height = Math.max(left.lines.length, right.lines.length);
  const lines: string[] = [];
  for (let k = 0; k < height; k++) {
    lines.push(padVisible(left.lines[k] ?? '', left.width) + ' '.repeat(gap) + (right.lines[k] ?? ''));
  }
  return { lines, width: left.width + gap + right.width };
}

/** Puts `lower` under `upper`. */
export function above(upper: Tile, lower: Tile): Tile {
  return { lines: [...upper.lines, ...lower.lines], width: Math.max(upper.width, lower.width) };
}

/** How many tiles of `tileWidth` fit in `maxWidth` columns, `gap` apart (at least one). */
export function tilesPerRow(tileWidth: number, maxWidth: number, gap = 3): number {
  return Math.max(1, Math.floor((maxWidth + gap) / (tileWidth + gap)));
}

/**
 * Lays tiles out left to right, as many to a row as fit in `maxWidth`, rows one blank line apart. Lines carry
 * no trailing spaces.
 */
export function layoutTiles(tiles: readonly Tile[], maxWidth: number, gap = 3): string[] {
  const out: string[] = [];
  let k = 0;
  while (k < tiles.length) {
    const row: Tile[] = [];
    let width = 0;
    while (k < tiles.length) {
      const next = tiles[k]!;
      const needed = row.length === 0 ? next.width : width + gap + next.width;
      if (row.length > 0 && needed > maxWidth) break;
      row.push(next);
      width = needed;
      k++;
    }
    if (out.length > 0) out.push('');
    const height = Math.max(...row.map((t) => t.lines.length));
    for (let line = 0; line < height; line++) {
      const cells = row.map((t, c) => (c === row.length - 1 ? (t.lines[line] ?? '') : padVisible(t.lines[line] ?? '', t.width)));
      out.push(cells.join(' '.repeat(gap)).trimEnd());
    }
  }
  return out;
}
