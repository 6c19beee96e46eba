/**
 * The fast path for plain numeric CSV (src/data/fastCsv.ts) must give exactly what csv-parse gives: the same
 * dataset (rows, pixels, labels, SHA-256, column names) on awkward but valid input, and the same error message
 * on bad input, wherever the chunks of the input happen to split. Each comparison reads the same bytes twice
 * through readDigitCsv: once as shipped (fast path, csv-parse from the first line it is unsure about) and once
 * with `fastPath: false` (csv-parse for every line).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readDigitCsv, TableBuilder } from '../../src/data/csv.js';
import type { LabelRequirement } from '../../src/data/csvHeader.js';
import { readPlainRows } from '../../src/data/fastCsv.js';
import { DigitsError } from '../../src/errors.js';

const sampleTrain = fileURLToPath(new URL('../../data/sample/train.csv.gz', import.meta.url));
const sampleTest = fileURLToPath(new URL('../../data/sample/test.csv.gz', import.meta.url));

type Outcome =
  | {
      ok: true;
      rows: number;
      features: number;
      pixels: string;
      labels: number[] | null;
      sha256: string;
      pixelColumns: readonly string[];
    }
  | { ok: false; message: string; details: readonly string[]; exitCode: number };

interface ReadSettings {
  labels?: LabelRequirement;
  maxErrors?: number;
  /** Chunk sizes to cut the input into, repeated cyclically (default: one chunk). */
  chunkSizes?: readonly number[];
}

function cut(bytes: Buffer, sizes: readonly number[] | undefined): Buffer[] {
  if (!sizes || sizes.length === 0) return [bytes];
  const parts: Buffer[] = [];
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const size = Math.max(1, sizes[k % sizes.length]!);
    parts.push(bytes.subarray(at, at + size));
    at += size;
  }
  return parts;
}

async function read(bytes: Buffer, fastPath: boolean, settings: ReadSettings = {}): Promise<Outcome> {
  try {
    const data = await readDigitCsv('-', {
      labels: settings.labels ?? 'required',
      maxErrors: settings.maxErrors ?? 1,
      stdin: Readable.from(cut(bytes, settings.chunkSizes)),
      fastPath,
    });
    return {
      ok: true,
      rows: data.rows,
      features: data.features,
      pixels: createHash('sha256').update(data.pixels).digest('hex'),
      labels: data.labels ? Array.from(data.labels) : null,
      sha256: data.source.sha256,
      pixelColumns: data.source.pixelColumns,
    };
  } catch (error) {
    if (error instanceof DigitsError) {
      return { ok: false, message: error.message, details: error.details, exitCode: error.exitCode };
    }
    // Any other error would be a bug; even then, both paths must fail alike.
    if (error instanceof Error) return { ok: false, message: error.message, details: [], exitCode: -1 };
    throw error;
  }
}

/** Reads `text` both ways and expects the same outcome; returns it for further checks. */
async function bothWays(text: string | Buffer, settings: ReadSettings = {}): Promise<Outcome> {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const reference = await read(bytes, false, settings);
  const fast = await read(bytes, true, settings);
  expect(fast).toEqual(reference);
  return fast;
}

/** The line at which the fast path hands over to csv-parse (null: it read everything itself). */
async function handoverLine(text: string, labels: LabelRequirement = 'required'): Promise<number | null> {
  const builder = new TableBuilder('test.csv', { labels });
  const handover = await readPlainRows(Readable.from([Buffer.from(text)]), builder);
  return handover?.line ?? null;
}

const plain = 'label,p0,p1,p2\n1,0,255,7\n0,12,0,0\n9,1,2,3\n';

describe('the fast path reads plain numeric rows itself', () => {
  it('reads a plain LF file, a CRLF file and a file without a final newline to the end', async () => {
    expect(await handoverLine(plain)).toBeNull();
    expect(await handoverLine(plain.replaceAll('\n', '\r\n'))).toBeNull();
    expect(await handoverLine(plain.slice(0, -1))).toBeNull();
    expect(await handoverLine('\ufeff' + plain + '\n\n')).toBeNull();
    expect(await handoverLine('label , a\n 1 ,2  \n')).toBeNull();
  });

  it('hands over at the first line it is unsure about, counting lines as the file does', async () => {
    expect(await handoverLine('label,a\n1,2\n\n1,"3"\n1,4\n')).toBe(4);
    expect(await handoverLine('label,a\n1,2\n1,256\n')).toBe(3);
    expect(await handoverLine('label,a\n1,2\n1\n')).toBe(3);
    expect(await handoverLine('label,a\r\n1,2\n1,3\r\n')).toBe(2); // a bare \n in a CRLF file
    expect(await handoverLine('"label",a\n1,2\n')).toBe(1); // a quoted header goes to csv-parse whole
    expect(await handoverLine('\n\nlabel,a\n1,2\n')).toBe(1);
  });

  it('gives the dataset csv-parse gives, values and all', async () => {
    const outcome = await bothWays(plain);
    expect(outcome).toMatchObject({ ok: true, rows: 3, features: 3, labels: [1, 0, 9], pixelColumns: ['p0', 'p1', 'p2'] });
    const expected = Buffer.from([0, 255, 7, 12, 0, 0, 1, 2, 3]);
    expect(outcome.ok && outcome.pixels).toBe(createHash('sha256').update(expected).digest('hex'));
  });
});

describe('awkward but valid CSV: the fast path and csv-parse agree', () => {
  const cases: Array<[string, string]> = [
    ['CRLF line endings', plain.replaceAll('\n', '\r\n')],
    ['a UTF-8 BOM', '\ufeff' + plain],
    ['a BOM and CRLF', '\ufeff' + plain.replaceAll('\n', '\r\n')],
    ['quoted fields mid-file', 'label,p0,p1\n1,2,3\n4,"5",6\n"7",8,9\n1,2,3\n'],
    ['a quoted field holding a line break', 'label,p0,p1\n1,2,3\n4,"5\n",6\n7,8,9\n'],
    ['blank lines in the middle and at the end', 'label,p0,p1\n1,2,3\n\n\n4,5,6\n\n'],
    ['blank CRLF lines', 'label,p0,p1\r\n1,2,3\r\n\r\n4,5,6\r\n\r\n'],
    ['no final newline', 'label,p0,p1\n1,2,3\n4,5,6'],
    ['no final newline, CRLF', 'label,p0,p1\r\n1,2,3\r\n4,5,6'],
    ['a label column in the middle', 'p0,label,p1\n1,2,3\n4,5,6\n'],
    ['a label column last', 'p0,p1,LABEL\n1,2,3\n4,5,6\n'],
    ['spaces around values and names', 'label , p0,p1\n 1,2 ,  3\n4, 5 ,6\n'],
    ['leading zeros and six-digit values', 'label,p0,p1\n01,000255,0\n0000009,1,2\n'],
    ['a mixed-ending file (LF header, CRLF row)', 'label,p0,p1\n1,2,3\r\n4,5,6\n'],
    ['a lone carriage return ending the header', 'label,p0,p1\r1,2,3\r4,5,6\r'],
    ['a trailing comma in every row (an empty last column)', 'label,p0,\n1,2,\n'],
    ['non-ASCII column names', 'label,pixél0,p1\n1,2,3\n'],
    ['a line of spaces (blank, as TableBuilder sees it)', 'label,p0,p1\n1,2,3\n   \n4,5,6\n'],
  ];
  for (const [what, text] of cases) {
    it(`${what}`, async () => {
      await bothWays(text);
      await bothWays(text, { labels: 'optional' });
    });
  }

  it('an unlabelled file for predict', async () => {
    const outcome = await bothWays('p0,p1\n1,2\n3,4\n', { labels: 'optional' });
    expect(outcome).toMatchObject({ ok: true, rows: 2, labels: null });
  });

  it('a bad label is ignored for predict on both paths', async () => {
    const outcome = await bothWays('label,p0\n1,2\nx,3\n12,4\n', { labels: 'optional' });
    expect(outcome).toMatchObject({ ok: true, rows: 3 });
  });

  it('chunks of one byte, and every split of a small file into two and three chunks', async () => {
    const texts = [
      '\ufefflabel,p0,p1\r\n1,2,3\r\n\r\n4,"5",6\r\n7,8,9',
      'p0,label,p1\n1,2,3\n\n4,5,6\n7,8,9\n\n',
      'label,p0\n1,2\n1,300\n',
    ];
    for (const text of texts) {
      const bytes = Buffer.from(text);
      const whole = await read(bytes, false);
      expect(await read(bytes, true, { chunkSizes: [1] })).toEqual(whole);
      for (let a = 1; a < bytes.length; a++) {
        expect(await read(bytes, true, { chunkSizes: [a, bytes.length] })).toEqual(whole);
        for (let b = 1; a + b < bytes.length; b += 3) {
          expect(await read(bytes, true, { chunkSizes: [a, b, bytes.length] })).toEqual(whole);
        }
      }
    }
  });

  it('random splits of gzip-compressed input', async () => {
    const text = 'label,p0,p1,p2\n' + Array.from({ length: 300 }, (_, r) => `${r % 10},${r % 256},0,${(r * 7) % 256}`).join('\n');
    const gz = gzipSync(Buffer.from(text));
    const reference = await read(gz, false);
    expect(reference).toMatchObject({ ok: true, rows: 300 });
    await fc.assert(
      // The first chunk holds at least the two magic bytes: source.ts looks for them in the first chunk only.
      fc.asyncProperty(fc.array(fc.integer({ min: 2, max: 200 }), { minLength: 1, maxLength: 8 }), async (sizes) => {
        expect(await read(gz, true, { chunkSizes: sizes })).toEqual(reference);
        expect(await read(gz, true, { chunkSizes: [sizes[0]!, 1] })).toEqual(reference);
      }),
      { numRuns: 30 },
    );
  });

  it('the bundled samples of real Kaggle rows, read from their files', async () => {
    for (const [path, labels, rows] of [
      [sampleTrain, 'required', 4000],
      [sampleTest, 'optional', 1000],
    ] as const) {
      const fast = await readDigitCsv(path, { labels });
      const reference = await readDigitCsv(path, { labels, fastPath: false });
      expect(fast.rows).toBe(rows);
      expect(fast.features).toBe(784);
      expect(Buffer.compare(Buffer.from(fast.pixels), Buffer.from(reference.pixels))).toBe(0);
      expect(fast.labels).toEqual(reference.labels);
      expect(fast.source).toEqual(reference.source);
    }
  });

  it('the bundled training sample with CRLF endings and a BOM, in odd-sized chunks', async () => {
    const { gunzipSync } = await import('node:zlib');
    const text = gunzipSync(readFileSync(sampleTrain)).toString('latin1').split('\n').slice(0, 400).join('\r\n');
    await bothWays(Buffer.from('\ufeff' + text, 'latin1'), { chunkSizes: [4093, 17, 65536] });
  });
});

describe('rows passed on while reading (onRows)', () => {
  it('are every row, in order, once, on both paths', async () => {
    const { gunzipSync } = await import('node:zlib');
    const lines = gunzipSync(readFileSync(sampleTrain)).toString('latin1').split('\n');
    // The csv-parse path takes over at a quoted field a third of the way in.
    lines[1400] = lines[1400]!.replace(/^(\d),/, '"$1",');
    const bytes = Buffer.from(lines.join('\n'), 'latin1');
    for (const fastPath of [true, false]) {
      const seen: Buffer[] = [];
      let next = 0;
      const data = await readDigitCsv('-', {
        labels: 'required',
        fastPath,
        stdin: Readable.from(cut(bytes, [65536, 333])),
        onRows: (pixels, first, count, features) => {
          expect(first).toBe(next);
          expect(pixels.length).toBe(count * features);
          next += count;
          seen.push(Buffer.from(pixels));
        },
      });
      expect(next).toBe(data.rows);
      expect(Buffer.concat(seen).equals(Buffer.from(data.pixels))).toBe(true);
      expect(seen.length).toBeGreaterThan(1);
    }
  });
});

describe('bad input: the same message whichever path reads it', () => {
  const cases: Array<[string, string]> = [
    ['a pixel above 255', 'label,p0,p1\n1,2,3\n1,256,3\n'],
    ['a label above 9', 'label,p0,p1\n1,2,3\n10,2,3\n'],
    ['a negative pixel', 'label,p0,p1\n1,2,3\n1,-2,3\n'],
    ['a decimal', 'label,p0,p1\n1,2,3\n1,2.5,3\n'],
    ['a word', 'label,p0,p1\n1,2,3\n1,two,3\n'],
    ['an empty field', 'label,p0,p1\n1,2,3\n1,,3\n'],
    ['a seven-digit value', 'label,p0,p1\n1,2,3\n1,0000002,3\n'],
    ['too few fields', 'label,p0,p1\n1,2,3\n1,2\n'],
    ['too many fields', 'label,p0,p1\n1,2,3\n1,2,3,4\n'],
    ['a quote never closed', 'label,p0,p1\n1,2,3\n1,"2,3\n4,5,6\n'],
    ['a quote never closed, rows and a blank line in', 'label,p0,p1\n1,2,3\n\n1,2,3\n1,2,3\n1,"2,3\n4,5,6\n7,8,9\n'],
    ['a quote never closed after blank lines', 'label,pixel1\n\n\r\n",0'],
    ['a bad row, then a quote never closed', 'label,p0,p1\n1,2,3\n1,999,3\n1,"2,3\n'],
    ['a quote inside a field', 'label,p0,p1\n1,2,3\n1,2"2,3\n'],
    ['a bad row, then a quote inside a field', 'label,p0,p1\n1,2,300\n1,2"2,3\n'],
    ['a carriage return inside an LF file', 'label,p0,p1\n1,2,3\n1,2\r,3\n'],
    ['no label column for training', 'p0,p1\n1,2\n'],
    ['a header with no pixel columns', 'label\n1\n'],
    ['a header and no rows', 'label,p0\n'],
    ['a header and only blank lines', 'label,p0\n\n\n'],
    ['an empty file', ''],
    ['only blank lines', '\n\n\r\n'],
    ['only a BOM', '\ufeff'],
    ['binary data', '\u0001\u0002,\u0003\n1,2\n'],
    ['a NUL byte in a row', 'label,p0\n1,2\n1,\u0000\n'],
  ];
  for (const [what, text] of cases) {
    it(`${what}`, async () => {
      const outcome = await bothWays(text);
      expect(outcome.ok).toBe(false);
      await bothWays(text, { labels: 'optional' });
      await bothWays(text.replaceAll('\n', '\r\n'));
      await bothWays(text, { chunkSizes: [1] });
    });
  }

  it('names the file, line and column, counting lines the fast path read', async () => {
    const outcome = await bothWays('label,p0,p1\r\n1,2,3\r\n\r\n4,5,6\r\n7,8,256\r\n');
    expect(outcome).toMatchObject({
      ok: false,
      message: 'stdin:5: column 3 (p1): expected a whole number 0..255, got "256"',
      exitCode: 2,
    });
  });

  it('lists several problems in file order with --max-errors', async () => {
    const text = 'label,p0,p1\n1,2,3\n1,2,300\n\n12,2,3\n1,"2",3\n1,2\n1,2,-3\n';
    const outcome = await bothWays(text, { maxErrors: 10 });
    expect(outcome).toMatchObject({
      ok: false,
      message: 'stdin: 4 bad rows:',
      details: [
        '  stdin:3: column 3 (p1): expected a whole number 0..255, got "300"',
        '  stdin:5: column 1 (label): expected a digit label 0..9, got "12"',
        '  stdin:7: too few fields: 2, but the header has 3',
        '  stdin:8: column 3 (p1): expected a whole number 0..255, got "-3"',
      ],
    });
    await bothWays(text, { maxErrors: 2 });
    await bothWays(text, { maxErrors: 10, chunkSizes: [1] });
  });

  it('a gzip file cut short', async () => {
    const gz = gzipSync(Buffer.from(plain.repeat(50)));
    await bothWays(gz.subarray(0, gz.length - 30));
  });
});

describe('random small CSVs: the fast path and csv-parse agree', () => {
  const values = fc.oneof(
    { weight: 12, arbitrary: fc.integer({ min: 0, max: 9 }).map(String) },
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 300 }).map(String) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', ' 5', '7 ', '"3"', '"1,2"', '"4\n"', 'x', '-1', '2.0', '1e2', '0007') },
    { weight: 1, arbitrary: fc.constantFrom('\r', '"', '""', '\ufeff1', 'é', '\u0000', '255', '256', '1000000') },
  );
  const row = (columns: number): fc.Arbitrary<string[]> =>
    fc.oneof(
      { weight: 8, arbitrary: fc.array(values, { minLength: columns, maxLength: columns }) },
      { weight: 1, arbitrary: fc.array(values, { minLength: 0, maxLength: columns + 1 }) },
    );
  const csv = fc.integer({ min: 1, max: 4 }).chain((columns) =>
    fc
      .record({
        labelAt: fc.integer({ min: -1, max: columns - 1 }),
        rows: fc.array(row(columns), { maxLength: 6 }),
        crlf: fc.boolean(),
        /** Line endings that differ from the header's, by row. */
        strayEndings: fc.array(fc.option(fc.constantFrom('\n', '\r\n', '\r', '', '\n\n'), { freq: 4 }), { maxLength: 6 }),
        bom: fc.boolean(),
        finalNewline: fc.boolean(),
        headerQuoted: fc.integer({ min: 0, max: 5 }),
      })
      .map((spec) => {
        const names = Array.from({ length: columns }, (_, c) => (c === spec.labelAt ? 'label' : `pixel${c}`));
        const header = spec.headerQuoted === 0 ? names.map((n) => `"${n}"`).join(',') : names.join(',');
        const ending = spec.crlf ? '\r\n' : '\n';
        let text = (spec.bom ? '\ufeff' : '') + header;
        spec.rows.forEach((fields, r) => {
          text += spec.strayEndings[r] ?? ending;
          text += fields.join(',');
        });
        if (spec.finalNewline) text += ending;
        return text;
      }),
  );

  it('give the same dataset or the same error, in any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        csv,
        fc.constantFrom<LabelRequirement>('required', 'optional'),
        fc.constantFrom(1, 3),
        fc.array(fc.integer({ min: 1, max: 12 }), { maxLength: 4 }),
        async (text, labels, maxErrors, chunkSizes) => {
          const bytes = Buffer.from(text);
          const reference = await read(bytes, false, { labels, maxErrors });
          expect(await read(bytes, true, { labels, maxErrors })).toEqual(reference);
          expect(await read(bytes, true, { labels, maxErrors, chunkSizes })).toEqual(reference);
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 400) },
    );
  });
});
