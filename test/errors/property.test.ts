/**
 * Property: whatever bytes arrive (random text, random bytes, a valid file mutated at random, cut into random
 * chunks), readDigitCsv either returns a consistent dataset or rejects with a DigitsError (exit code 2), never
 * anything else and never hangs; and whatever JSON arrives, modelFromJson either returns a model that
 * round-trips or throws a DigitsError.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { readDigitCsv } from '../../src/data/csv.js';
import { DigitsError } from '../../src/errors.js';
import { modelFromJson, parseModelText } from '../../src/model/read.js';
import { toJson } from '../../src/model/write.js';
import { smallModelJson } from './fixtures.js';
import { sampleText } from './cli.js';

/** Reads `bytes` as standard input delivered in the given chunk sizes; returns 'ok' or the DigitsError's code. */
async function readOutcome(bytes: Uint8Array, cuts: number[], labels: 'required' | 'optional'): Promise<string> {
  const chunks: Buffer[] = [];
  let at = 0;
  for (const cut of cuts) {
    if (at >= bytes.length) break;
    chunks.push(Buffer.from(bytes.subarray(at, at + cut)));
    at += cut;
  }
  if (at < bytes.length) chunks.push(Buffer.from(bytes.subarray(at)));
  try {
    const data = await readDigitCsv('-', { labels, stdin: Readable.from(chunks), maxErrors: 3 });
    expect(data.rows).toBeGreaterThan(0);
    expect(data.pixels.length).toBe(data.rows * data.features);
    if (data.labels) expect(data.labels.every((label) => label <= 9)).toBe(true);
    return 'ok';
  } catch (error) {
    if (error instanceof DigitsError && error.exitCode === 2 && error.message.startsWith('stdin')) return 'refused';
    throw error;
  }
}

const csvCharacters = fc.constantFrom(
  ...'0123456789,,,,\n\n\r"  -.eE+abclLpx'.split(''),
  '\ufeff',
  '\0',
  '\t',
  ';',
  '\u00e9',
  '\ud83d\ude00',
  'label',
  'pixel0',
  '255',
  '256',
  '1e400',
);
const chunkSizes = fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 8 });
const labelsWanted = fc.constantFrom('required' as const, 'optional' as const);

const base = sampleText('train', 3);
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ unit: csvCharacters, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('crlf' as const) }),
  fc.record({ kind: fc.constant('bom' as const) }),
  fc.record({ kind: fc.constant('duplicate-line' as const), at: fc.nat() }),
);

function mutate(text: string, mutations: ReadonlyArray<Record<string, unknown>>): string {
  let out = text;
  for (const m of mutations) {
    const at = typeof m.at === 'number' ? m.at % (out.length + 1) : 0;
    switch (m.kind) {
      case 'insert':
        out = out.slice(0, at) + String(m.text) + out.slice(at);
        break;
      case 'delete':
        out = out.slice(0, at) + out.slice(at + Number(m.length));
        break;
      case 'truncate':
        out = out.slice(0, at);
        break;
      case 'crlf':
        out = out.replaceAll('\n', '\r\n');
        break;
      case 'bom':
        out = '\ufeff' + out;
        break;
      case 'duplicate-line': {
        const lines = out.split('\n');
        const k = at % lines.length;
        lines.splice(k, 0, lines[k]!);
        out = lines.join('\n');
        break;
      }
    }
  }
  return out;
}

describe('readDigitCsv succeeds or fails with a DigitsError, whatever it is given', () => {
  it('random CSV-like text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: csvCharacters, maxLength: 200 }), chunkSizes, labelsWanted, async (text, cuts, labels) => {
        await readOutcome(Buffer.from(text), cuts, labels);
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes, plain or gzipped, whole or cut short', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 600 }),
        fc.boolean(),
        fc.nat(),
        chunkSizes,
        labelsWanted,
        async (bytes, zipped, cut, cuts, labels) => {
          const content = zipped ? gzipSync(bytes) : bytes;
          await readOutcome(zipped ? content.subarray(0, (cut % content.length) + 1) : content, cuts, labels);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a real file mutated at random (inserted and deleted text, truncation, CRLF, BOM, repeated lines), maybe gzipped', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), chunkSizes, labelsWanted, async (mutations, zipped, cuts, labels) => {
        const text = mutate(base, mutations as Array<Record<string, unknown>>);
        const bytes = zipped ? gzipSync(text) : Buffer.from(text);
        if ((await readOutcome(bytes, cuts, labels)) === 'ok') accepted++;
      }),
      { numRuns: 200 },
    );
    // The mutations must leave some files valid, or this would only test refusals.
    expect(accepted).toBeGreaterThan(10);
  });
});

function modelOutcome(json: unknown): 'ok' | 'refused' {
  try {
    const model = modelFromJson(json, 'm.json');
    expect(model.params.data.every(Number.isFinite)).toBe(true);
    // What was accepted must save and load again unchanged.
    const again = modelFromJson(JSON.parse(JSON.stringify(toJson(model))), 'm.json');
    // (=== rather than toEqual: JSON writes -0 as 0, which is the same weight.)
    expect(again.params.data.every((v, k) => v === model.params.data[k])).toBe(true);
    return 'ok';
  } catch (error) {
    if (error instanceof DigitsError && error.exitCode === 2 && error.message.startsWith('m.json: ')) return 'refused';
    throw error;
  }
}

/** Every path into a JSON document, as lists of keys and indices. */
function pathsOf(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const paths: Array<Array<string | number>> = [prefix];
  if (Array.isArray(value)) value.forEach((item, k) => paths.push(...pathsOf(item, [...prefix, k])));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, [...prefix, key]));
  }
  return paths;
}

const strangeValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(Infinity, -Infinity, NaN, -0, 1e308, -1, 0, 2.5, 1e9, '', 'NaN', null, [], {}),
);

describe('modelFromJson succeeds or fails with a DigitsError, whatever JSON it is given', () => {
  it('random JSON', () => {
    fc.assert(fc.property(fc.jsonValue(), (json) => void modelOutcome(json)), { numRuns: 300 });
  });

  it('a valid model with values replaced, removed or arrays cut short, at random places', () => {
    const paths = pathsOf(smallModelJson()).filter((path) => path.length > 0);
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.array(fc.record({ path: fc.nat(paths.length - 1), action: fc.constantFrom('replace', 'delete', 'shorten'), value: strangeValue }), {
          minLength: 1,
          maxLength: 3,
        }),
        (mutations) => {
          const json = smallModelJson() as unknown as Record<string | number, unknown>;
          for (const { path: index, action, value } of mutations) {
            const path = paths[index]!;
            let parent: Record<string | number, unknown> | undefined = json;
            for (const key of path.slice(0, -1)) {
              const next: unknown = parent?.[key];
              parent = typeof next === 'object' && next !== null ? (next as Record<string | number, unknown>) : undefined;
            }
            const key = path.at(-1)!;
            if (!parent) continue;
            if (action === 'delete') delete parent[key];
            else if (action === 'shorten' && Array.isArray(parent[key])) (parent[key] as unknown[]).pop();
            else parent[key] = value;
          }
          if (modelOutcome(json) === 'ok') accepted++;
        },
      ),
      { numRuns: 500 },
    );
    // Some changes are harmless (a learning rate in the history, say); they must be accepted, not refused.
    expect(accepted).toBeGreaterThan(0);
  });

  it('random bytes and cut-off model text as a model file', () => {
    const text = JSON.stringify(toJson(modelFromJson(smallModelJson(), 'm.json')));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.nat(text.length).map((n) => Buffer.from(text.slice(0, n)))), (bytes) => {
        let parsed: unknown;
        try {
          parsed = parseModelText(bytes, 'm.json');
        } catch (error) {
          if (error instanceof DigitsError && error.message.startsWith('m.json: ')) return;
          throw error;
        }
        modelOutcome(parsed);
      }),
      { numRuns: 300 },
    );
  });
});
