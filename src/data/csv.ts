/**
 * Reads a digit CSV (Kaggle's layout: a header, a `label` column anywhere, every other column a pixel) into a
 * Dataset, streaming through csv-parse. Every row is checked; problems are reported as `file:line:column`
 * with the header as line 1. csv-parse is the parser of record: quotes, a BOM, CRLF and blank lines are its job.
 */
import { CsvError, parse } from 'csv-parse';
import { invocation } from '../invocation.js';
import { pipeline } from 'node:stream/promises';
import { imageSide, type Dataset } from './dataset.js';
import { deskewRows } from './deskew.js';
import { readPlainRows } from './fastCsv.js';
import { openInput, type InputSource } from './source.js';
import { inputError } from '../errors.js';

export type LabelRequirement = 'required' | 'optional';

export interface ReadCsvOptions {
  /** `required` for train/eval (a missing label column is an error), `optional` for predict (ignored if present). */
  readonly labels: LabelRequirement;
  /** Stop after this many problems and report them all (default 1). */
  readonly maxErrors?: number;
  /** Called now and then while reading, with raw bytes read so far and the raw size if known. */
  readonly onProgress?: (progress: LoadProgress) => void;
  /**
   * Called with each batch of rows as soon as it is read, for work that can start before the end (predict
   * predicts them): rows first .. first + count - 1, as bytes (count x features), valid only during the call.
   */
  readonly onRows?: (pixels: Uint8Array, first: number, count: number, features: number) => void;
  /** Standard input, for `-` (tests pass their own stream). */
  readonly stdin?: NodeJS.ReadableStream;
  /** false: csv-parse reads every line, not only those the fast path (fastCsv.ts) is unsure about. */
  readonly fastPath?: boolean;
  /**
   * Deskew each image (deskew.ts) as soon as its row is read, before onRows sees it, in place: no second copy
   * of the pixels. Only square images are deskewed; the Dataset's `deskewed` says whether it was done.
   */
  readonly deskew?: boolean;
}

export interface LoadProgress {
  readonly rows: number;
  readonly bytesRead: number;
  readonly totalBytes: number | undefined;
}

/** The shape of a CSV once its header is read. */
export interface CsvLayout {
  readonly columnNames: readonly string[];
  /** Index of the label column, or -1. */
  readonly labelColumn: number;
  /** Pixel columns' indices, in order. */
  readonly pixelColumns: readonly number[];
}

const maxPixel = 255;
const maxLabel = 9;

/** Reads a whole CSV file (or stdin for `-`) into memory, one byte per pixel. */
export async function readDigitCsv(path: string, options: ReadCsvOptions): Promise<Dataset> {
  const source = openInput(path, options.stdin);
  const builder = new TableBuilder(source.name, options);
  let rowsPassedOn = 0;
  let rowsDeskewed = 0;
  /** Every 2,048 rows and at the end: new rows deskewed (if asked), to onRows, then the progress. */
  const progress = (): void => {
    const rows = builder.rowCount;
    if (options.deskew && rows > rowsDeskewed && imageSide(builder.features) !== null) {
      deskewRows(builder.rowPixels(rowsDeskewed, rows), rows - rowsDeskewed, builder.features);
      rowsDeskewed = rows;
    }
    if (options.onRows && rows > rowsPassedOn) {
      options.onRows(builder.rowPixels(rowsPassedOn, rows), rowsPassedOn, rows - rowsPassedOn, builder.features);
      rowsPassedOn = rows;
    }
    options.onProgress?.({ rows, bytesRead: source.bytesRead(), totalBytes: source.size });
  };
  const expectedBytes = (seen: number): number | undefined =>
    source.size === undefined ? undefined : (source.size * seen) / Math.max(1, source.bytesRead());
  try {
    // Plain numeric lines take the fast path; from the first line it is unsure about, csv-parse reads the rest.
    const handover =
      options.fastPath === false
        ? { line: 1, rest: source.chunks }
        : await readPlainRows(source.chunks, builder, { onProgress: progress, expectedBytes });
    if (handover) await parseWithCsvParse(handover.rest, builder, source.name, progress);
  } finally {
    source.close();
  }
  progress();
  return builder.finish(source, rowsDeskewed > 0 && rowsDeskewed === builder.rowCount);
}

/**
 * csv-parse over `chunks`, each record checked by the builder as soon as it is parsed (on_record), so that
 * problems are reported in file order: a bad row before a CSV syntax error is the one reported. pipeline()
 * handles back-pressure, and a failure on either side (a damaged gzip, a bad row) ends both.
 */
async function parseWithCsvParse(
  chunks: AsyncIterable<Buffer>,
  builder: TableBuilder,
  name: string,
  progress: () => void,
): Promise<void> {
  // Where the latest complete record ended, and how many blank lines csv-parse had skipped by then: a quote never
  // closed opened the record after it, past the blank lines skipped since (the blank lines csv-parse is handed
  // before the fast path's hand-over line count among them).
  let lastRecordEnd = 0;
  let blankLinesThen = 0;
  const parser = parse({
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    trim: false,
    on_record: (record: string[], context: { lines: number; empty_lines: number }) => {
      lastRecordEnd = context.lines;
      blankLinesThen = context.empty_lines;
      builder.addRecord(record, context.lines);
      if (builder.rowCount % 2048 === 0) progress();
      return null;
    },
  });
  try {
    // on_record returns null for every record, so nothing reaches this end; it only waits for the last one.
    await pipeline(chunks, parser, async (records: AsyncIterable<unknown>) => {
      for await (const record of records) void record;
    });
  } catch (error) {
    const blankLines = (error as { empty_lines?: unknown }).empty_lines;
    const recordStart = typeof blankLines === 'number' ? lastRecordEnd + 1 + blankLines - blankLinesThen : undefined;
    throw translateParseError(error, name, recordStart);
  }
}

/**
 * csv-parse's own errors (unbalanced quotes and the like), said in the user's terms with file and line.
 * `recordStart` is the line the record being parsed began on: csv-parse reports a quote never closed at the end
 * of the file, where the quoted field it swallowed stops, not where it opened.
 */
export function translateParseError(error: unknown, name: string, recordStart?: number): unknown {
  if (!(error instanceof CsvError)) return error;
  const context = error as CsvError & { lines?: number; index?: number; field?: string };
  const where = typeof context.lines === 'number' ? `${name}:${context.lines}` : name;
  const column = typeof context.index === 'number' ? `: column ${context.index + 1}` : '';
  const quoteHint = ['Quotes (") may only surround a whole field, and a quote inside a quoted field is written twice ("").'];
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED': {
      const opened = recordStart === undefined ? where : `${name}:${recordStart}`;
      return inputError(`${opened}: a quoted field starts in this row and is never closed (a " is missing)`, quoteHint);
    }
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return inputError(`${where}${column}: unexpected text after the closing quote of a field`, quoteHint);
    case 'INVALID_OPENING_QUOTE':
      return inputError(`${where}${column}: a quote (") in the middle of a field`, quoteHint);
    default:
      return inputError(`${where}: not valid CSV: ${error.message.replace(/^[\w ]+: /, '')}`);
  }
}

/** Works out the label and pixel columns from the header row (line 1). */
export function layoutFromHeader(name: string, header: readonly string[], labels: LabelRequirement): CsvLayout {
  if (header.some((field) => /[\u0000-\u0008\u000e-\u001f\ufffd]/.test(field))) {
    throw inputError(`${name}: looks like binary data, not CSV text`, [
      'digits reads comma-separated text: a header row (label,pixel0,...,pixel783), then one row per image.',
    ]);
  }
  const names = header.map((field) => field.trim());
  if (names.length === 1) {
    const separator = ([';', '\t', '|'] as const).find((s) => names[0]!.includes(s));
    if (separator) {
      const shown = separator === '\t' ? 'tabs' : `"${separator}"`;
      throw inputError(`${name}:1: the columns are separated by ${shown}, not commas`, [
        'digits reads comma-separated files; export the file again as CSV with commas.',
      ]);
    }
  }
  if (names.length > 1 && names.every((field) => field !== '' && Number.isFinite(Number(field)))) {
    throw inputError(`${name}:1: the first line is a row of numbers, not a header (it starts ${quote(header.slice(0, 4).join(','))})`, [
      'digits needs a header row naming the columns first, like Kaggle\'s: label,pixel0,pixel1,...,pixel783',
    ]);
  }
  const labelColumns = names.flatMap((field, c) => (field.toLowerCase() === 'label' ? [c] : []));
  if (labelColumns.length > 1) {
    throw inputError(`${name}:1: more than one "label" column (columns ${labelColumns.map((c) => c + 1).join(' and ')})`);
  }
  const labelColumn = labelColumns[0] ?? -1;
  if (labelColumn === -1 && labels === 'required') {
    throw inputError(`${name}:1: no "label" column in the header, so there is nothing to learn from or score against`, [
      `To predict the digits of an unlabelled file (like Kaggle's test.csv), use: ${invocation()} predict ${name === 'stdin' ? '-' : name}`,
    ]);
  }
  const pixelColumns: number[] = [];
  for (let c = 0; c < names.length; c++) if (c !== labelColumn) pixelColumns.push(c);
  if (pixelColumns.length === 0) throw inputError(`${name}:1: the header has no pixel columns, only "${names[labelColumn]}"`);
  return { columnNames: names, labelColumn, pixelColumns };
}

/**
 * Parses a non-negative decimal integer, or returns -1 for anything else (signs, decimals, exponents, empty).
 * Surrounding spaces are allowed, as spreadsheets sometimes write them.
 */
export function parseSmallInt(text: string): number {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) === 32) start++;
  while (end > start && text.charCodeAt(end - 1) === 32) end--;
  if (start === end || end - start > 6) return -1;
  let value = 0;
  for (let k = start; k < end; k++) {
    const digit = text.charCodeAt(k) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** The first `length` bytes: a view when the buffer is at most a sixteenth longer, else a copy to free the rest. */
function tight(bytes: Uint8Array, length: number): Uint8Array {
  return bytes.length - length <= bytes.length / 16 ? bytes.subarray(0, length) : bytes.slice(0, length);
}

/** A field's value as shown in a message: quoted, shortened, and "an empty field" for nothing. */
function quote(value: string): string {
  if (value.trim() === '') return value === '' ? 'an empty field' : `only spaces (${JSON.stringify(value)})`;
  const shown = value.length > 24 ? `${value.slice(0, 24)}...` : value;
  return JSON.stringify(shown);
}

/** "column 3 (pixel1)": the 1-based column number and, when the header names it, its name. */
function columnName(layout: CsvLayout, column: number): string {
  const named = layout.columnNames[column];
  return named ? `column ${column + 1} (${named})` : `column ${column + 1}`;
}

/** Accumulates checked rows into growing byte buffers. */
export class TableBuilder {
  private layout: CsvLayout | undefined;
  private pixels = new Uint8Array(0);
  private labels = new Uint8Array(0);
  private rows = 0;
  private readonly problems: string[] = [];
  /** Advice shown once under the problems, for mistakes with a common cause. */
  private readonly hints = new Set<string>();
  private readonly maxErrors: number;

  constructor(
    private readonly name: string,
    private readonly options: Pick<ReadCsvOptions, 'labels' | 'maxErrors'>,
  ) {
    this.maxErrors = Math.max(1, options.maxErrors ?? 1);
  }

  get rowCount(): number {
    return this.rows;
  }

  /** The layout once the header has been seen. */
  get csvLayout(): CsvLayout | undefined {
    return this.layout;
  }

  /** Takes one parsed record: the header first, then data rows. `line` is its 1-based line in the file. */
  addRecord(fields: readonly string[], line: number): void {
    // A line of nothing but spaces (or a stray CR) is as blank as an empty one, which csv-parse skips.
    if (fields.length === 1 && fields[0]!.trim() === '') return;
    if (!this.layout) {
      this.layout = layoutFromHeader(this.name, fields, this.options.labels);
      this.grow(4096);
      return;
    }
    const layout = this.layout;
    if (fields.length !== layout.columnNames.length) {
      const what = fields.length < layout.columnNames.length ? 'too few' : 'too many';
      this.problem(`${this.name}:${line}: ${what} fields: ${fields.length}, but the header has ${layout.columnNames.length}`);
      return;
    }
    if (this.rows === this.labels.length) this.grow(this.rows * 2);
    const features = layout.pixelColumns.length;
    const base = this.rows * features;
    // One problem per row: the first bad field, and how many more the row has.
    let firstBad = -1;
    let firstExpected = '';
    let badFields = 0;
    if (layout.labelColumn >= 0 && this.options.labels === 'required') {
      const label = parseSmallInt(fields[layout.labelColumn]!);
      if (label < 0 || label > maxLabel) {
        firstBad = layout.labelColumn;
        firstExpected = 'a digit label 0..9';
        badFields++;
      } else {
        this.labels[this.rows] = label;
      }
    }
    const pixelColumns = layout.pixelColumns;
    for (let k = 0; k < features; k++) {
      const column = pixelColumns[k]!;
      const value = parseSmallInt(fields[column]!);
      if (value < 0 || value > maxPixel) {
        if (badFields === 0 || column < firstBad) {
          firstBad = column;
          firstExpected = 'a whole number 0..255';
        }
        badFields++;
      } else {
        this.pixels[base + k] = value;
      }
    }
    if (badFields === 0) {
      this.rows++;
      return;
    }
    const text = fields[firstBad]!;
    if (firstBad !== layout.labelColumn && /^\s*-?\d*\.\d+\s*$/.test(text)) {
      this.hints.add('Values must be written as whole numbers: raw pixels 0..255 (not scaled to 0..1, and not "0.0").');
    }
    const more = badFields > 1 ? ` (and ${badFields - 1} more bad field${badFields > 2 ? 's' : ''} in this row)` : '';
    this.problem(
      `${this.name}:${line}: ${columnName(layout, firstBad)}: expected ${firstExpected}, got ${quote(text)}${more}`,
    );
  }

  /** Pixels per row (0 before the header). */
  get features(): number {
    return this.layout?.pixelColumns.length ?? 0;
  }

  /** The bytes of rows first .. end - 1 read so far: a view, valid until the next row is added. */
  rowPixels(first: number, end: number): Uint8Array {
    return this.pixels.subarray(first * this.features, end * this.features);
  }

  /** The fast path's way in (fastCsv.ts): the next row's pixels, filled in place, then counted by commitRow. */
  nextRowPixels(): Uint8Array {
    if (this.rows === this.labels.length) this.grow(this.rows * 2);
    const features = this.layout!.pixelColumns.length;
    return this.pixels.subarray(this.rows * features, (this.rows + 1) * features);
  }

  /** Counts a row the fast path filled and checked; `label` is -1 when there is no label column. */
  commitRow(label: number): void {
    if (label >= 0) this.labels[this.rows] = label;
    this.rows++;
  }

  /** Room for `rows` rows in all, when the reader can tell how many are coming. */
  reserveRows(rows: number): void {
    if (this.layout && rows > this.labels.length) this.grow(rows);
  }

  /** Checks that anything was read and hands over the dataset (trimmed to size). */
  finish(source: Pick<InputSource, 'name' | 'sha256'> & { path?: string }, deskewed = false): Dataset {
    if (this.problems.length > 0) this.throwProblems(false);
    const what = this.name === 'stdin' ? 'the input' : 'the file';
    if (!this.layout) {
      throw inputError(`${this.name}: ${what} is empty; expected a header row (label,pixel0,...,pixel783), then one row per image`);
    }
    if (this.rows === 0) throw inputError(`${this.name}: ${what} has a header but no data rows`);
    const features = this.layout.pixelColumns.length;
    const hasLabels = this.layout.labelColumn >= 0 && this.options.labels === 'required';
    return {
      rows: this.rows,
      features,
      // Trimmed by a copy, unless little would be left over (rows were counted ahead): then no copy.
      pixels: tight(this.pixels, this.rows * features),
      labels: hasLabels ? this.labels.slice(0, this.rows) : null,
      deskewed,
      source: {
        path: source.path ?? (source.name === 'stdin' ? '-' : source.name),
        sha256: source.sha256(),
        pixelColumns: this.layout.pixelColumns.map((c) => this.layout!.columnNames[c]!),
      },
    };
  }

  private grow(capacity: number): void {
    const features = this.layout?.pixelColumns.length ?? 0;
    const pixels = new Uint8Array(capacity * features);
    pixels.set(this.pixels);
    const labels = new Uint8Array(capacity);
    labels.set(this.labels);
    this.pixels = pixels;
    this.labels = labels;
  }

  private problem(message: string): void {
    this.problems.push(message);
    if (this.problems.length >= this.maxErrors) this.throwProblems(true);
  }

  /**
   * One problem is one line. Several (with --max-errors) are a count, then one indented line each; `atLimit`
   * says the reading stopped at the limit, so there may be more.
   */
  private throwProblems(atLimit: boolean): never {
    const hints = [...this.hints];
    if (this.problems.length === 1) {
      throw inputError(this.problems[0]!, hints);
    }
    const count = this.problems.length;
    const headline = atLimit
      ? `${this.name}: ${count} bad rows (stopped at --max-errors ${this.maxErrors}; there may be more):`
      : `${this.name}: ${count} bad rows:`;
    throw inputError(headline, [...this.problems.map((p) => `  ${p}`), ...hints]);
  }
}
