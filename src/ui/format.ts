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

/** Pads each column of `rows` to its widest cell; numbers-looking cells are right-aligned. */
export function table(rows: string[][], visibleLength: (s: string) => number = (s) => s.length): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, c) => (widths[c] = Math.max(widths[c] ?? 0, visibleLength(cell))));
  return rows.map((row) =>
    row
      .map((cell, c) => {
        const pad = ' '.repeat(widths[c]! - visibleLength(cell));
        return /^[\d.,%+-]+$/.test(cell.replace(/\x1b\[[0-9;]*m/g, '')) ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd(),
  );
}
