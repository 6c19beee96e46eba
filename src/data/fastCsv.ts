/**
 * The fast path for plain numeric CSV: reads lines of bytes straight into the dataset's Uint8Array, with no
 * string per field, while every line is one it is sure about; at the first line it is not sure about, it hands
 * the rest of the input, from the start of that line, back for csv-parse (the parser of record) to read.
 *
 * A line it is sure about: after a header of plain printable ASCII (no quotes), a data line made only of
 * unsigned integers (up to 6 digits, spaces around them allowed, as parseSmallInt in csv.ts allows), commas
 * between them, the header's field count, a label 0..9 and pixels 0..255, ending as the header ended (\n or
 * \r\n; a missing final newline is fine); or an empty line, which csv-parse skips. Anything else (quotes, a
 * value out of range, a wrong field count, a stray \r, non-ASCII bytes) goes to csv-parse, so that every
 * message about a bad row comes from one place, csv.ts's TableBuilder, whichever path read the good rows.
 *
 * Not here: checking rows for errors or wording messages (csv.ts does both), or CSV's quoting rules.
 */
import type { CsvLayout } from './csvHeader.js';

/** Where the fast path puts what it reads: csv.ts's TableBuilder. */
export interface PlainRowSink {
  /** The layout, once the header has been added. */
  readonly csvLayout: CsvLayout | undefined;
  /** Takes the header's fields (line 1), exactly as csv-parse would have split them. */
  addRecord(fields: readonly string[], line: number): void;
  /** The next row's pixel bytes (pixelColumns.length of them), to be filled in place, then committed. */
  nextRowPixels(): Uint8Array;
  /** Counts the row filled through nextRowPixels; `label` is -1 when there is no label column. */
  commitRow(label: number): void;
  /** Makes room for this many rows in all, to spare growing step by step. */
  reserveRows(rows: number): void;
}

export interface PlainRowOptions {
  /** Called after every `progressRows` rows (default 2048). */
  readonly onProgress?: () => void;
  readonly progressRows?: number;
  /**
   * The input's likely size once decompressed, given the decompressed bytes seen so far (the caller knows the
   * file's size and how much of it was read); the rows are then counted ahead from the first rows' length.
   */
  readonly expectedBytes?: (seen: number) => number | undefined;
}

/** What is left for csv-parse when the fast path stops before the end of the input. */
export interface Handover {
  /** The 1-based line of the file at which `rest` starts. */
  readonly line: number;
  /**
   * The input from the start of that line to the end, preceded by line - 1 empty lines in the file's own line
   * ending: csv-parse skips them (skip_empty_lines) but counts them, so its line numbers, in records and in its
   * own error messages, are those of the whole file, and it discovers the same record delimiter.
   */
  readonly rest: AsyncIterable<Buffer>;
}

const newline = 10;
const carriageReturn = 13;
const space = 32;
const comma = 44;
const digit0 = 48;
const digit9 = 57;
const doubleQuote = 34;
const utf8Bom = [0xef, 0xbb, 0xbf] as const;
/** Digits in one value at most: parseSmallInt refuses longer ones. */
const maxDigits = 6;
const maxPixel = 255;
const maxLabel = 9;
/** Rows read before the rest are counted ahead (for reserveRows). */
const rowsBeforeEstimate = 1024;
/** A line longer than this is left to csv-parse rather than gathered across ever more chunks. */
const maxPendingBytes = 1 << 24;

/** parseRow's answer for a line it is not sure about. */
const notSure = -2;

/**
 * Reads the plain numeric lines at the start of `chunks` (decompressed bytes, split anywhere) into `sink`.
 * Returns null when it read the whole input, else the handover for csv-parse.
 */
export async function readPlainRows(
  chunks: AsyncIterable<Buffer>,
  sink: PlainRowSink,
  options: PlainRowOptions = {},
): Promise<Handover | null> {
  const input = chunks[Symbol.asyncIterator]();
  try {
    return await readFrom(input, new LineReader(sink, options));
  } catch (error) {
    // A bad header, say: let go of the file before the error goes up.
    await input.return?.().catch(() => undefined);
    throw error;
  }
}

async function readFrom(input: AsyncIterator<Buffer>, reader: LineReader): Promise<Handover | null> {
  /** An incomplete line carried over from earlier chunks. */
  let pending: Buffer[] = [];
  let pendingBytes = 0;

  for (;;) {
    const next = await input.next();
    if (next.done) break;
    const chunk = next.value;
    reader.bytesSeen += chunk.length;
    let pos = 0;
    if (pendingBytes > 0) {
      const end = chunk.indexOf(newline);
      if (end === -1) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes > maxPendingBytes) return reader.handover(pending, input);
        continue;
      }
      const line = Buffer.concat([...pending, chunk.subarray(0, end + 1)]);
      pending = [];
      pendingBytes = 0;
      if (!reader.readLines(line, 0, true)) return reader.handover([line, chunk.subarray(end + 1)], input);
      pos = end + 1;
    }
    const stop = reader.readLines(chunk, pos, false);
    if (reader.stopped) return reader.handover([chunk.subarray(stop)], input);
    if (stop < chunk.length) {
      pending = [chunk.subarray(stop)];
      pendingBytes = chunk.length - stop;
    }
  }
  if (pendingBytes > 0 && !reader.readLastLine(Buffer.concat(pending))) return reader.handover(pending, input);
  return null;
}

/** The line-by-line state: which line comes next, the header's line ending, the layout. */
class LineReader {
  /** 1-based number of the next line to read. */
  line = 1;
  /** Set when a line was not one the fast path is sure about. */
  stopped = false;
  /** Decompressed bytes received so far. */
  bytesSeen = 0;
  /** The header's line ending, which csv-parse adopts as the record delimiter for the whole file. */
  private crlf = false;
  private layout: CsvLayout | undefined;
  private rowsSinceProgress = 0;
  private rows = 0;
  private rowBytes = 0;
  private readonly progressRows: number;

  constructor(
    private readonly sink: PlainRowSink,
    private readonly options: PlainRowOptions,
  ) {
    this.progressRows = options.progressRows ?? 2048;
  }

  /**
   * Reads the complete lines of buf from `start`. Returns where it stopped: the start of the first line it is
   * not sure about (and sets `stopped`), or of the incomplete line at the end of buf. With `whole`, buf is
   * exactly one complete line, and the result is true if it was read.
   */
  readLines(buf: Buffer, start: number, whole: true): boolean;
  readLines(buf: Buffer, start: number, whole: false): number;
  readLines(buf: Buffer, start: number, whole: boolean): number | boolean {
    let pos = start;
    for (;;) {
      const end = buf.indexOf(newline, pos);
      if (end === -1) break;
      if (!this.readLine(buf, pos, end)) {
        this.stopped = true;
        return whole ? false : pos;
      }
      pos = end + 1;
    }
    return whole ? true : pos;
  }

  /** The last line, which has no line ending: read as if it had the file's. */
  readLastLine(text: Buffer): boolean {
    const ending = this.crlf ? '\r\n' : '\n';
    const line = Buffer.concat([text, Buffer.from(ending)]);
    // A header with no line ending leaves the record delimiter undiscovered; csv-parse knows what that means.
    if (this.layout === undefined) return false;
    return this.readLine(line, 0, line.length - 1);
  }

  /** The rest for csv-parse: `first` (the unread part of the current chunk, from a line start), then `input`. */
  handover(first: Buffer[], input: AsyncIterator<Buffer>): Handover {
    const line = this.line;
    const blank = Buffer.from((this.crlf ? '\r\n' : '\n').repeat(line - 1));
    async function* rest(): AsyncGenerator<Buffer> {
      let finished = false;
      try {
        if (blank.length > 0) yield blank;
        for (const buf of first) if (buf.length > 0) yield buf;
        for (;;) {
          const next = await input.next();
          if (next.done) break;
          yield next.value;
        }
        finished = true;
      } finally {
        // csv-parse stopped early (an error): let go of the file.
        if (!finished) await input.return?.().catch(() => undefined);
      }
    }
    return { line, rest: rest() };
  }

  /** Reads the line buf[start..end), where buf[end] is \n. False if it is not sure about it. */
  private readLine(buf: Buffer, start: number, end: number): boolean {
    if (this.layout === undefined) return this.readHeader(buf, start, end);
    let contentEnd = end;
    if (this.crlf) {
      if (end === start || buf[end - 1] !== carriageReturn) return false;
      contentEnd = end - 1;
    }
    if (contentEnd === start) {
      this.line++;
      return true;
    }
    const layout = this.layout;
    const pixels = this.sink.nextRowPixels();
    const columns = layout.columnNames.length;
    let label = parsePlainRow(buf, start, contentEnd, pixels, columns, layout.labelColumn);
    if (label === notSure) label = parseRow(buf, start, contentEnd, pixels, columns, layout.labelColumn);
    if (label === notSure) return false;
    this.sink.commitRow(label);
    this.line++;
    this.rowBytes += end + 1 - start;
    if (++this.rows === rowsBeforeEstimate) this.reserveRows();
    if (++this.rowsSinceProgress === this.progressRows) {
      this.rowsSinceProgress = 0;
      this.options.onProgress?.();
    }
    return true;
  }

  /** Room for all the rows, counted ahead from the length of those read so far. */
  private reserveRows(): void {
    const expected = this.options.expectedBytes?.(this.bytesSeen);
    if (expected === undefined || !(expected > 0)) return;
    const margin = 1.02;
    this.sink.reserveRows(Math.ceil(((expected / this.rowBytes) * this.rows * margin) + 16));
  }

  /** The first line: a BOM, then plain printable ASCII without quotes, ending in \n or \r\n. */
  private readHeader(buf: Buffer, start: number, end: number): boolean {
    let from = start;
    if (buf[from] === utf8Bom[0] && buf[from + 1] === utf8Bom[1] && buf[from + 2] === utf8Bom[2]) from += 3;
    let to = end;
    if (to > from && buf[to - 1] === carriageReturn) to--;
    if (to === from) return false;
    for (let p = from; p < to; p++) {
      const byte = buf[p]!;
      if (byte < space || byte > 126 || byte === doubleQuote) return false;
    }
    this.crlf = to < end;
    // The sink may throw (no label column, say): the same error csv-parse's reading of this line would give.
    this.sink.addRecord(buf.toString('latin1', from, to).split(','), 1);
    this.layout = this.sink.csvLayout;
    this.line++;
    return this.layout !== undefined;
  }
}

/**
 * parseRow for the usual line, with no spaces: the hot loop of reading a CSV, kept to the fewest tests a byte.
 */
function parsePlainRow(
  buf: Buffer,
  start: number,
  end: number,
  pixels: Uint8Array,
  columns: number,
  labelColumn: number,
): number {
  let p = start;
  let label = -1;
  let k = 0;
  const last = columns - 1;
  for (let column = 0; column <= last; column++) {
    // Most pixels are 0: "0," is taken in one step.
    if (buf[p] === digit0 && buf[p + 1] === comma && column < last && column !== labelColumn) {
      pixels[k++] = 0;
      p += 2;
      continue;
    }
    const first = p;
    let value = buf[p]! - digit0;
    if (value < 0 || value > 9) return notSure;
    let digit = buf[++p]! - digit0;
    while (digit >= 0 && digit <= 9) {
      value = value * 10 + digit;
      digit = buf[++p]! - digit0;
    }
    if (p - first > maxDigits) return notSure;
    if (column < last) {
      if (digit !== comma - digit0) return notSure;
      p++;
    } else if (p !== end) {
      return notSure;
    }
    if (column === labelColumn) {
      if (value > maxLabel) return notSure;
      label = value;
    } else {
      if (value > maxPixel) return notSure;
      pixels[k++] = value;
    }
  }
  return label;
}

/**
 * Parses one data line buf[start..end) of `columns` comma-separated values into `pixels` (every column but
 * `labelColumn`, in order). Returns the label (-1 without a label column) or notSure.
 * buf[end] must be a byte that is neither a digit, a space nor a comma (the line's \r or \n).
 */
function parseRow(
  buf: Buffer,
  start: number,
  end: number,
  pixels: Uint8Array,
  columns: number,
  labelColumn: number,
): number {
  let p = start;
  let label = -1;
  let k = 0;
  const last = columns - 1;
  for (let column = 0; column <= last; column++) {
    let byte = buf[p]!;
    while (byte === space) byte = buf[++p]!;
    const first = p;
    let value = 0;
    while (byte >= digit0 && byte <= digit9) {
      value = value * 10 + (byte - digit0);
      byte = buf[++p]!;
    }
    const digits = p - first;
    if (digits === 0 || digits > maxDigits) return notSure;
    while (byte === space) byte = buf[++p]!;
    if (column < last) {
      if (byte !== comma) return notSure;
      p++;
    } else if (p !== end) {
      return notSure;
    }
    if (column === labelColumn) {
      if (value > maxLabel) return notSure;
      label = value;
    } else {
      if (value > maxPixel) return notSure;
      pixels[k++] = value;
    }
  }
  return label;
}
