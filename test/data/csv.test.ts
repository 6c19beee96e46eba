/**
 * Reading digit CSVs: every rule of the contract, with the exact message a user sees for each kind of bad
 * input, and awkward-but-valid files (CRLF, BOM, quotes, no final newline, blank lines, gzip, stdin) read
 * exactly as their plain equivalents.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { readDigitCsv, type ReadCsvOptions } from '../../src/data/csv.js';
import { DigitsError } from '../../src/errors.js';
import { sampleText, sampleTrain, scratchFolder } from '../errors/cli.js';

const scratch = scratchFolder('csv');
afterAll(() => scratch.remove());

let counter = 0;
/** Writes `content` to a fresh file named `name` and returns its path. */
function fileWith(content: string | Buffer, name = `case${++counter}.csv`): string {
  const path = join(scratch.path, name);
  writeFileSync(path, content);
  return path;
}

async function failureOf(path: string, options: Partial<ReadCsvOptions> = {}): Promise<DigitsError> {
  try {
    await readDigitCsv(path, { labels: 'required', ...options });
  } catch (error) {
    if (error instanceof DigitsError) return error;
    throw error;
  }
  throw new Error(`${path} was read without an error`);
}

const header = 'label,p0,p1,p2,p3';
const wholeNumbers = 'Values must be written as whole numbers: raw pixels 0..255 (not scaled to 0..1, and not "0.0").';
const binaryHint = 'digits reads comma-separated text: a header row (label,pixel0,...,pixel783), then one row per image.';
const quoteHint = 'Quotes (") may only surround a whole field, and a quote inside a quoted field is written twice ("").';
const imageHint = "digits reads a CSV of pixel values (Kaggle's train.csv / test.csv), not image files.";

interface BadCase {
  readonly name: string;
  readonly content: string | Buffer;
  readonly fileName?: string;
  readonly labels?: 'required' | 'optional';
  readonly maxErrors?: number;
  /** F stands for the file's path. */
  readonly message: string;
  readonly details?: readonly string[];
}

const pngBytes = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(40, 7)]);
const zipBytes = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(60, 1)]);
// Bytes that are not text in any encoding, deterministic so that the message (offset of the zero byte) is too.
const binaryBytes = Buffer.from(Array.from({ length: 2048 }, (_, k) => (k * 151 + 7) % 256));
const validGzip = gzipSync(`${header}\n1,0,0,0,0\n2,3,4,5,6\n`.repeat(200));
const truncatedGzip = validGzip.subarray(0, Math.floor(validGzip.length / 2));
const corruptedGzip = Buffer.from(validGzip);
corruptedGzip[20] = corruptedGzip[20]! ^ 0xff;

const badCases: readonly BadCase[] = [
  {
    name: 'an empty file',
    content: '',
    message: 'F: the file is empty; expected a header row (label,pixel0,...,pixel783), then one row per image',
  },
  {
    name: 'a file of blank lines',
    content: '\n\r\n\n',
    message: 'F: the file is empty; expected a header row (label,pixel0,...,pixel783), then one row per image',
  },
  { name: 'a header and no rows', content: `${header}\n`, message: 'F: the file has a header but no data rows' },
  { name: 'a header and blank lines only', content: `${header}\n\n  \n`, message: 'F: the file has a header but no data rows' },
  {
    name: 'no label column when labels are needed (train, eval)',
    content: 'p0,p1,p2\n1,2,3\n',
    fileName: 'test.csv',
    message: 'F:1: no "label" column in the header, so there is nothing to learn from or score against',
    details: ["To predict the digits of an unlabelled file (like Kaggle's test.csv), use: digits predict F"],
  },
  {
    name: 'a word where a pixel should be',
    content: `${header}\n1,0,0,0,0\n2,0,abc,0,0\n`,
    message: 'F:3: column 3 (p1): expected a whole number 0..255, got "abc"',
  },
  {
    name: 'a pixel above 255',
    content: `${header}\n1,0,0,0,256\n`,
    message: 'F:2: column 5 (p3): expected a whole number 0..255, got "256"',
  },
  {
    name: 'a negative pixel',
    content: `${header}\n1,-1,0,0,0\n`,
    message: 'F:2: column 2 (p0): expected a whole number 0..255, got "-1"',
  },
  {
    name: 'a pixel scaled to 0..1',
    content: `${header}\n1,0,0.5,0,0\n`,
    message: 'F:2: column 3 (p1): expected a whole number 0..255, got "0.5"',
    details: [wholeNumbers],
  },
  {
    name: 'pixels written as decimals, several in a row',
    content: `${header}\n1,0.0,0.0,0.0,0\n`,
    message: 'F:2: column 2 (p0): expected a whole number 0..255, got "0.0" (and 2 more bad fields in this row)',
    details: [wholeNumbers],
  },
  {
    name: 'a number too large for a double',
    content: `${header}\n1,0,0,1e400,0\n`,
    message: 'F:2: column 4 (p2): expected a whole number 0..255, got "1e400"',
  },
  {
    name: 'an empty pixel',
    content: `${header}\n1,0,,0,0\n`,
    message: 'F:2: column 3 (p1): expected a whole number 0..255, got an empty field',
  },
  {
    name: 'a very long value (shortened in the message)',
    content: `${header}\n1,0,${'9'.repeat(40)},0,0\n`,
    message: 'F:2: column 3 (p1): expected a whole number 0..255, got "999999999999999999999999..."',
  },
  {
    name: 'a label of 10',
    content: `${header}\n10,0,0,0,0\n`,
    message: 'F:2: column 1 (label): expected a digit label 0..9, got "10"',
  },
  {
    name: 'a label that is not a whole number',
    content: `${header}\n1.5,0,0,0,0\n`,
    message: 'F:2: column 1 (label): expected a digit label 0..9, got "1.5"',
  },
  {
    name: 'a word as a label, in a label column that is not the first',
    content: 'p0,p1,label\n0,0,seven\n',
    message: 'F:2: column 3 (label): expected a digit label 0..9, got "seven"',
  },
  {
    name: 'an empty label',
    content: `${header}\n,0,0,0,0\n`,
    message: 'F:2: column 1 (label): expected a digit label 0..9, got an empty field',
  },
  {
    name: 'too few fields',
    content: `${header}\n1,0,0,0,0\n2,0,0,0\n`,
    message: 'F:3: too few fields: 4, but the header has 5',
  },
  {
    name: 'too many fields',
    content: `${header}\n1,0,0,0,0,0\n`,
    message: 'F:2: too many fields: 6, but the header has 5',
  },
  {
    name: 'line numbers count blank lines and CRLF line ends',
    content: `${header}\r\n1,0,0,0,0\r\n\r\n\r\n2,0,0,x,0\r\n`,
    message: 'F:5: column 4 (p2): expected a whole number 0..255, got "x"',
  },
  {
    name: 'zero bytes (binary data)',
    content: Buffer.from('label,p0\n1,\0\0\0\n'),
    message: 'F: looks like binary data, not CSV text (a zero byte at offset 11)',
    details: [binaryHint],
  },
  {
    name: 'random binary bytes',
    content: binaryBytes,
    message: 'F: looks like binary data, not CSV text (a zero byte at offset 239)',
    details: [binaryHint],
  },
  {
    name: 'gzip of binary bytes',
    content: gzipSync(binaryBytes),
    message: 'F: looks like binary data (inside the gzip), not CSV text (a zero byte at offset 239)',
    details: [binaryHint],
  },
  {
    name: 'a PNG image',
    content: pngBytes,
    fileName: 'digit.png',
    message: 'F: is a PNG image, not a CSV file',
    details: [imageHint],
  },
  {
    name: "Kaggle's zip download",
    content: zipBytes,
    fileName: 'digit-recognizer.zip',
    message: 'F: is a zip archive, not a CSV file',
    details: ['Unzip it first and give the CSV inside (for Kaggle: unzip digit-recognizer.zip, then digits train train.csv).'],
  },
  {
    name: 'an Excel workbook',
    content: zipBytes,
    fileName: 'digits.xlsx',
    message: 'F: is an Excel workbook, not a CSV file',
    details: ['Save it as "CSV UTF-8 (comma delimited)" first.'],
  },
  {
    name: 'UTF-16 text',
    content: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${header}\n1,0,0,0,0\n`, 'utf16le')]),
    message: 'F: is UTF-16 text; digits reads UTF-8 (or ASCII) CSV',
    details: ['Save it again as "CSV UTF-8" (in Excel), or convert it: iconv -f UTF-16 -t UTF-8 in.csv > out.csv'],
  },
  {
    name: 'a truncated gzip',
    content: truncatedGzip,
    fileName: 'train.csv.gz',
    message: 'F: the gzip data ends early; the file is truncated (an interrupted download or copy?)',
    details: ['Download or copy the file again.'],
  },
  {
    name: 'a damaged gzip',
    content: corruptedGzip,
    fileName: 'train.csv.gz',
    message: 'F: the gzip data is damaged (invalid bit length repeat)',
    details: ['Download or copy the file again.'],
  },
  {
    name: 'a quote that is never closed',
    content: `${header}\n1,0,"0,0,0\n2,0,0,0,0\n`,
    message: 'F:2: a quoted field starts in this row and is never closed (a " is missing)',
    details: [quoteHint],
  },
  {
    name: 'a quote never closed, further in: the row it opened in, not the end of the file',
    content: `${header}\n1,0,0,0,0\n2,0,0,0,0\n3,0,"0,0,0\n4,0,0,0,0\n5,0,0,0,0\n`,
    message: 'F:4: a quoted field starts in this row and is never closed (a " is missing)',
    details: [quoteHint],
  },
  {
    name: 'a quote in the middle of a field',
    content: `${header}\n1,0,1"2,0,0\n`,
    message: 'F:2: column 3: a quote (") in the middle of a field',
    details: [quoteHint],
  },
  {
    name: 'text after a closing quote',
    content: `${header}\n1,0,"12"3,0,0\n`,
    message: 'F:2: column 3: unexpected text after the closing quote of a field',
    details: [quoteHint],
  },
  {
    name: 'no header (the first line is data)',
    content: '1,0,0,0,0\n2,0,0,0,0\n',
    labels: 'optional',
    message: 'F:1: the first line is a row of numbers, not a header (it starts "1,0,0,0")',
    details: ["digits needs a header row naming the columns first, like Kaggle's: label,pixel0,pixel1,...,pixel783"],
  },
  {
    name: 'semicolons instead of commas',
    content: 'label;p0;p1\n1;0;0\n',
    message: 'F:1: the columns are separated by ";", not commas',
    details: ['digits reads comma-separated files; export the file again as CSV with commas.'],
  },
  {
    name: 'tabs instead of commas',
    content: 'label\tp0\tp1\n1\t0\t0\n',
    message: 'F:1: the columns are separated by tabs, not commas',
    details: ['digits reads comma-separated files; export the file again as CSV with commas.'],
  },
  {
    name: 'two label columns',
    content: 'label,p0,Label\n1,0,1\n',
    message: 'F:1: more than one "label" column (columns 1 and 3)',
  },
  { name: 'a label column and no pixels', content: 'label\n1\n', message: 'F:1: the header has no pixel columns, only "label"' },
  {
    name: 'several problems listed with --max-errors',
    content: `${header}\n1,0,0,0,0\n2,x,0,0,0\n12,0,0,0,0\n3,0,0\n4,0,0,0,0\n`,
    maxErrors: 10,
    message: 'F: 3 bad rows:',
    details: [
      '  F:3: column 2 (p0): expected a whole number 0..255, got "x"',
      '  F:4: column 1 (label): expected a digit label 0..9, got "12"',
      '  F:5: too few fields: 3, but the header has 5',
    ],
  },
  {
    name: 'stopping at --max-errors',
    content: `${header}\n1,0,0,0,0\n2,x,0,0,0\n12,0,0,0,0\n3,0,0\n4,0,0,0,0\n`,
    maxErrors: 2,
    message: 'F: 2 bad rows (stopped at --max-errors 2; there may be more):',
    details: [
      '  F:3: column 2 (p0): expected a whole number 0..255, got "x"',
      '  F:4: column 1 (label): expected a digit label 0..9, got "12"',
    ],
  },
];

describe('a bad CSV is refused with a message naming the file, line, column and value', () => {
  it.each(badCases)('$name', async (bad) => {
    const path = fileWith(bad.content, bad.fileName ?? `case${++counter}.csv`);
    const error = await failureOf(path, { labels: bad.labels ?? 'required', maxErrors: bad.maxErrors ?? 1 });
    // F stands for the path; only a lone F followed by ":", a space or the end is replaced.
    const expand = (text: string): string => text.replace(/\bF(?=[: ]|$)/g, path);
    expect(error.message).toBe(expand(bad.message));
    expect(error.details).toEqual((bad.details ?? []).map(expand));
    expect(error.exitCode).toBe(2);
  });

  it('refuses a directory', async () => {
    const folder = join(scratch.path, 'a-folder.csv');
    mkdirSync(folder);
    const error = await failureOf(folder);
    expect(error.message).toBe(`${folder}: is a directory, not a CSV file`);
  });

  it('refuses a missing file, suggesting the gzip beside it', async () => {
    const missing = join(scratch.path, 'nothing-here.csv');
    expect((await failureOf(missing)).message).toBe(`${missing}: no such file`);
    const zipped = fileWith(validGzip, 'only-zipped.csv.gz');
    const plain = zipped.slice(0, -3);
    const error = await failureOf(plain);
    expect(error.message).toBe(`${plain}: no such file`);
    expect(error.details).toEqual([`Did you mean ${zipped}?`]);
  });

  it('names standard input "stdin"', async () => {
    const stdin = Readable.from([Buffer.from(`${header}\n1,0,0,999,0\n`)]);
    await expect(readDigitCsv('-', { labels: 'required', stdin })).rejects.toThrow(
      'stdin:2: column 4 (p2): expected a whole number 0..255, got "999"',
    );
    await expect(readDigitCsv('-', { labels: 'required', stdin: Readable.from([]) })).rejects.toThrow(
      'stdin: the input is empty; expected a header row (label,pixel0,...,pixel783), then one row per image',
    );
  });
});

describe('awkward but valid CSV is read exactly as the plain file', () => {
  const plain = `${header}\n3,0,12,255,0\n7,1,2,3,4\n0,0,0,0,9\n`;
  const expectedPixels = [0, 12, 255, 0, 1, 2, 3, 4, 0, 0, 0, 9];
  const expectedLabels = [3, 7, 0];
  const variants: ReadonlyArray<{ name: string; content: string | Buffer }> = [
    { name: 'plain', content: plain },
    { name: 'CRLF line ends', content: plain.replaceAll('\n', '\r\n') },
    { name: 'a UTF-8 byte order mark', content: `\ufeff${plain}` },
    { name: 'BOM and CRLF together', content: `\ufeff${plain}`.replaceAll('\n', '\r\n') },
    { name: 'quoted fields and header', content: '"label","p0",p1,"p2","p3"\n"3","0",12,"255",0\n7,"1","2",3,4\n"0",0,0,0,"9"\n' },
    { name: 'no final newline', content: plain.trimEnd() },
    { name: 'blank lines at the end', content: `${plain}\n\n\r\n` },
    { name: 'a line of spaces at the end', content: `${plain}   \n` },
    { name: 'blank lines in the middle', content: plain.replace('\n7', '\n\n\n7') },
    { name: 'spaces around values', content: `${header}\n 3 ,0,12, 255,0\n7,1,2,3,4 \n0,0,0,0,9\n` },
    { name: 'a capitalised, padded label column name', content: plain.replace('label', ' Label ') },
    { name: 'gzip', content: gzipSync(plain) },
    { name: 'gzip of a BOM and CRLF file', content: gzipSync(`\ufeff${plain}`.replaceAll('\n', '\r\n')) },
  ];

  it.each(variants)('$name', async ({ content }) => {
    const data = await readDigitCsv(fileWith(content), { labels: 'required' });
    expect(data.rows).toBe(3);
    expect(data.features).toBe(4);
    expect(Array.from(data.pixels)).toEqual(expectedPixels);
    expect(Array.from(data.labels ?? [])).toEqual(expectedLabels);
    expect(data.source.pixelColumns).toEqual(['p0', 'p1', 'p2', 'p3']);
  });

  it('finds the label column anywhere and keeps the other columns in order as pixels', async () => {
    const data = await readDigitCsv(fileWith('p0,p1,label,p2\n5,6,8,7\n'), { labels: 'required' });
    expect(Array.from(data.pixels)).toEqual([5, 6, 7]);
    expect(Array.from(data.labels!)).toEqual([8]);
  });

  it('reads standard input for "-"', async () => {
    const chunks = [plain.slice(0, 7), plain.slice(7, 30), plain.slice(30)].map((part) => Buffer.from(part));
    const data = await readDigitCsv('-', { labels: 'required', stdin: Readable.from(chunks) });
    expect(Array.from(data.pixels)).toEqual(expectedPixels);
    expect(data.source.path).toBe('-');
  });

  it('recognises gzip on standard input even when it arrives a byte at a time', async () => {
    const bytes = gzipSync(`\ufeff${plain}`);
    const chunks = Array.from(bytes, (byte) => Buffer.from([byte]));
    const data = await readDigitCsv('-', { labels: 'required', stdin: Readable.from(chunks) });
    expect(Array.from(data.pixels)).toEqual(expectedPixels);
  });

  it('ignores the label column of a file given to predict, even a bad label', async () => {
    const data = await readDigitCsv(fileWith(`${header}\n3,0,12,255,0\nx,1,2,3,4\n`), { labels: 'optional' });
    expect(data.labels).toBeNull();
    expect(data.features).toBe(4);
    expect(Array.from(data.pixels)).toEqual([0, 12, 255, 0, 1, 2, 3, 4]);
  });

  it('reads an unlabelled file for predict', async () => {
    const data = await readDigitCsv(fileWith('p0,p1\n1,2\n'), { labels: 'optional' });
    expect(data.labels).toBeNull();
    expect(Array.from(data.pixels)).toEqual([1, 2]);
  });

  it('reads the real sample the same whether gzip, or plain text rewritten with BOM, CRLF and quotes', async () => {
    const reference = await readDigitCsv(sampleTrain, { labels: 'required' });
    expect(reference.rows).toBe(4000);
    expect(reference.features).toBe(784);
    const lines = sampleText('train').trimEnd().split('\n');
    const awkward =
      '\ufeff' +
      lines.map((line, k) => (k % 3 === 1 ? line.split(',').map((f) => `"${f}"`).join(',') : line)).join('\r\n');
    const data = await readDigitCsv(fileWith(awkward, 'awkward-sample.csv'), { labels: 'required' });
    expect(data.rows).toBe(reference.rows);
    expect(Buffer.from(data.pixels).equals(Buffer.from(reference.pixels))).toBe(true);
    expect(Buffer.from(data.labels!).equals(Buffer.from(reference.labels!))).toBe(true);
  });
});

beforeAll(() => {
  mkdirSync(scratch.path, { recursive: true });
});
