/** Number and text formatting shared by the commands' human-readable output. */

export function percent(fraction: number, digits = 2): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(digits)}%` : '-';
}

export function seconds(value: number): string {
  if (value < 60) return `${value.toFixed(1)} s`;
  const minutes = Math.floor(value / 60);
  return `${minutes} min ${Math.round(value - minutes * 60)} s`;
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * Pads each column of `rows` to its widest cell. With `numbers-right`, a column whose cells below the first row
 * all look like numbers is right-aligned, its heading too; `left` aligns everything left.
 */
export function table(
  rows: string[][],
  visibleLength: (s: string) => number = (s) => s.length,
  align: 'numbers-right' | 'left' = 'numbers-right',
): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, c) => (widths[c] = Math.max(widths[c] ?? 0, visibleLength(cell))));
  const isNumber = (cell: string): boolean => /^[\d.,%+-]+$/.test(cell.replace(/\x1b\[[0-9;]*m/g, ''));
  const rightAligned = widths.map(
    (_, c) => align === 'numbers-right' && rows.length > 1 && rows.slice(1).every((row) => row[c] === undefined || isNumber(row[c]!)),
  );
  return rows.map((row) =>
    row
      .map((cell, c) => {
        const pad = ' '.repeat(widths[c]! - visibleLength(cell));
        return rightAligned[c] ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd(),
  );
}

const ansiPattern = /\x1b\[[0-9;]*m/g;

/** Text without its colour codes. */
export function stripAnsi(text: string): string {
  return text.replace(ansiPattern, '');
}

/** Columns a string takes on a terminal: colour codes take none (every character used here is one column). */
export function visibleLength(text: string): number {
  return stripAnsi(text).length;
}

/** Pads `text` with spaces on the right to `width` visible columns. */
export function padVisible(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleLength(text)));
}

/** Cuts plain text to `width` columns, with an ellipsis when something was cut. */
export function truncate(text: string, width: number): string {
  return text.length <= width ? text : text.slice(0, Math.max(0, width - 1)) + '…';
}

/**
 * `text` broken at spaces into lines of at most `width` columns, each further line starting with `indent` (by
 * default the spaces the line itself starts with). Lines already in the text stay lines, spaces inside a line
 * stay as they are, colour codes take no room, and a word wider than a line stays whole on a line of its own.
 */
export function wrapWords(text: string, width: number, indent?: string): string {
  return text
    .split('\n')
    .map((line) => wrapLine(line, width, indent ?? /^ */.exec(line)![0]).join('\n'))
    .join('\n');
}

function wrapLine(line: string, width: number, indent: string): string[] {
  if (visibleLength(line) <= width) return [line];
  const lines: string[] = [];
  let current = '';
  let gap = '';
  for (const token of line.split(/( +)/)) {
    if (token === '') continue;
    if (token.startsWith(' ')) {
      gap += token;
      continue;
    }
    const longer = current + gap + token;
    // The first word of a line goes on it whatever its width (after the line's own leading spaces).
    if (stripAnsi(current).trim() === '' || visibleLength(longer) <= width) {
      current = longer;
    } else {
      lines.push(current);
      current = indent + token;
    }
    gap = '';
  }
  lines.push(current);
  return lines;
}

/**
 * A shell command in lines of at most `width` columns, broken only between `pieces` (words as a shell reads
 * them, or an option with its value): a line that goes on ends in ` \`, so that the lines paste back as one
 * command, and further lines are indented two more.
 */
export function wrapCommand(pieces: readonly string[], width: number, indent = ''): string[] {
  const lines: string[] = [];
  let current = indent;
  for (const piece of pieces) {
    if (current.trim() !== '' && current.length + 1 + piece.length + 2 > width) {
      lines.push(current + ' \\');
      current = `${indent}  ${piece}`;
    } else {
      current = current.trim() === '' ? current + piece : `${current} ${piece}`;
    }
  }
  lines.push(current);
  return lines;
}

/** The width to lay out for: the terminal's, else COLUMNS, else 80. */
export function outputWidth(stream: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv = process.env): number {
  if (stream.isTTY && stream.columns && stream.columns > 0) return stream.columns;
  const columns = Number(env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : 80;
}
