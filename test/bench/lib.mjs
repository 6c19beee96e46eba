/**
 * Small helpers shared by the benchmark scripts: a plain reader for Kaggle's numeric CSV files (the bench's
 * own, so that the peers are fed without timing digits' loader), a seeded permutation, and number formatting.
 * Not a CSV parser for anything else: no quotes, no BOM, label column first.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** Reads a Kaggle digits CSV (plain or gzip): labels (or null) and pixels, one byte each. */
export function readDigitsCsv(path) {
  let bytes = readFileSync(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  const lines = bytes.toString('latin1').split('\n');
  const header = lines[0].trim().split(',');
  const labelled = header[0].toLowerCase() === 'label';
  const features = header.length - (labelled ? 1 : 0);
  const rows = lines.slice(1).filter((line) => line.trim().length > 0);
  const labels = labelled ? new Uint8Array(rows.length) : null;
  const pixels = new Uint8Array(rows.length * features);
  rows.forEach((line, r) => {
    const fields = line.split(',');
    const first = labelled ? 1 : 0;
    if (labels) labels[r] = Number(fields[0]);
    for (let i = 0; i < features; i++) pixels[r * features + i] = Number(fields[first + i]);
  });
  return { rows: rows.length, features, labels, pixels };
}

/** The integers 0..n-1 in a seeded order (mulberry32 + Fisher-Yates): the same split on every run. */
export function permutation(n, seed) {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = new Uint32Array(n);
  for (let k = 0; k < n; k++) order[k] = k;
  for (let k = n - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1));
    const swap = order[k];
    order[k] = order[j];
    order[j] = swap;
  }
  return order;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A number with `digits` significant figures, without exponent notation for the sizes seen here. */
export function fixed(value, digits = 3) {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  if (value === 0) return '0';
  const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(value))));
  return value.toFixed(Math.min(decimals, 6));
}

/** Lines of the form `BENCH {json}` (the peers' machine-readable output) parsed, in order. */
export function benchLines(text) {
  return text
    .split('\n')
    .filter((line) => line.startsWith('BENCH '))
    .map((line) => JSON.parse(line.slice('BENCH '.length)));
}

/** JSON lines (digits --json) parsed, skipping anything that is not JSON. */
export function jsonLines(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // Not a JSON line: ignored.
    }
  }
  return out;
}

/** The markdown table of kernels.bench.mjs results (ms per pass over all rows). */
export function renderKernelTable(rows) {
  const lines = [
    '| Shape | sparseForward | denseForward | dense / sparse | sparseBackward | denseBackward | dense / sparse | max rel. difference |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.inputs}-${r.hidden}, ${r.rows} rows${r.order ? `, ${r.order}` : ''} | ${fixed(r.sparseForward)} ms | ${fixed(r.denseForward)} ms | ${fixed(r.denseForward / r.sparseForward)}x ` +
        `| ${fixed(r.sparseBackward)} ms | ${fixed(r.denseBackward)} ms | ${fixed(r.denseBackward / r.sparseBackward)}x ` +
        `| ${Math.max(r.forwardDifference, r.backwardDifference).toExponential(1)} |`,
    );
  }
  return lines.join('\n');
}
