/**
 * End to end, the parts people look at: the eval report and its pictures, `digits show`, `digits plot`,
 * `digits info`, help, colour rules, --json schemas (docs/json.md) and the separation of stdout (data) from
 * stderr (people). `node bin/digits.js` is spawned on the bundled sample of real Kaggle rows; training stays
 * tiny (--hidden 16, two epochs).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIfStale, collectOutput } from '../helpers/cli-process.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'digits.js');
const sampleTrain = join(root, 'data', 'sample', 'train.csv.gz');
const sampleTest = join(root, 'data', 'sample', 'test.csv.gz');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const escape = '\x1b';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A plain environment: not a terminal, no colour settings, 100 columns for layouts. */
function environment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, COLUMNS: '100' };
  delete env.FORCE_COLOR;
  delete env.NO_COLOR;
  delete env.DEBUG;
  return { ...env, ...extra };
}

function digits(args: string[], options: { env?: NodeJS.ProcessEnv; stdinFile?: string } = {}): Promise<Run> {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: work,
    env: environment(options.env),
    stdio: [options.stdinFile ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  if (options.stdinFile) createReadStream(options.stdinFile).pipe(child.stdin!);
  return collectOutput(child);
}

function describeRun(run: Run): string {
  return `exit ${run.code}\n--- stdout ---\n${run.stdout.slice(0, 3000)}\n--- stderr ---\n${run.stderr.slice(0, 3000)}`;
}

/** The bundled sample read with a plain split: the independent reference for labels and pixels. */
function sampleRows(path: string): { label: number | null; pixels: number[] }[] {
  const lines = gunzipSync(readFileSync(path)).toString('utf8').split('\n').filter((l) => l !== '');
  const labelled = lines[0]!.startsWith('label');
  return lines.slice(1).map((line) => {
    const cells = line.split(',').map(Number);
    return labelled ? { label: cells[0]!, pixels: cells.slice(1) } : { label: null, pixels: cells };
  });
}

/** A 28x28 image in 14 lines of half blocks, pixels of 96 or more being ink: what a log shows. */
function referencePicture(pixels: number[]): string[] {
  const lines: string[] = [];
  for (let y = 0; y < 28; y += 2) {
    let line = '';
    for (let x = 0; x < 28; x++) {
      const top = pixels[y * 28 + x]! >= 96;
      const bottom = pixels[(y + 1) * 28 + x]! >= 96;
      line += top && bottom ? '█' : top ? '▀' : bottom ? '▄' : ' ';
    }
    lines.push(line);
  }
  return lines;
}

/** Cuts the picture of tile `column` (28 wide, `gap` apart) out of 14 lines of a tiled layout. */
function pictureAt(lines: string[], column: number, gap = 3): string[] {
  const from = column * (28 + gap);
  return lines.map((line) => [...line].slice(from, from + 28).join('').padEnd(28));
}

let work: string;
let trained: Run;
let train: { label: number | null; pixels: number[] }[];

beforeAll(async () => {
  buildIfStale();
  work = mkdtempSync(join(tmpdir(), 'digits-ui-'));
  train = sampleRows(sampleTrain);
  trained = await digits(['train', '--hidden', '16', '--epochs', '2', '--plot', 'curve.svg']);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('digits train --plot', () => {
  it('writes the learning curves beside the model and says so on stderr', () => {
    expect(trained.code, describeRun(trained)).toBe(0);
    expect(trained.stdout).toBe('');
    expect(trained.stderr).toContain('Wrote learning curves (2 reports) to curve.svg.');
    const svg = readFileSync(join(work, 'curve.svg'), 'utf8');
    expect(svg.startsWith('<svg ')).toBe(true);
    const series = [...svg.matchAll(/<polyline class="series" data-name="([^"]+)" points="([^"]+)"/g)];
    expect(series.map((m) => m[1])).toEqual(['train', 'held-out', 'train', 'held-out']);
    for (const m of series) expect(m[2]!.split(' ')).toHaveLength(2);
  });
});

describe('digits eval (for people)', () => {
  let run: Run;
  beforeAll(async () => {
    run = await digits(['eval', '--mistakes', '3']);
  });

  it('prints accuracy with its row count, the matrix, per-digit scores and confused pairs on stderr only', () => {
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^Accuracy \d+\.\d\d% ± \d+\.\d\d% \([\d,]+ of 400 rows correct\) on the 400 held-out rows of\s/);
    for (const line of run.stderr.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
    expect(run.stderr).toMatch(/^Confusion matrix/m);
    expect(run.stderr).toMatch(/^ +0 +1 +2 +3 +4 +5 +6 +7 +8 +9 +rows$/m);
    expect(run.stderr.match(/^ {2}true \d( +(\d+|·)){10} +\d+$/gm)).toHaveLength(10);
    expect(run.stderr).toMatch(/^ {2}digit {2}precision {2}recall +f1 +rows$/m);
    expect(run.stderr).toMatch(/^Most confused$/m);
    expect(run.stderr).toMatch(/^ {2}\d read as \d {2}\d+ times? {2}\([\d.]+% of the \ds\)$/m);
    expect(run.stderr).not.toContain(escape);
  });

  it('draws the worst mistakes: the pictures are the rows their captions name, with the true label', () => {
    const lines = run.stderr.split('\n');
    const start = lines.findIndex((l) => l.startsWith('Worst mistakes'));
    expect(start).toBeGreaterThan(0);
    const block = lines.slice(start + 2, start + 2 + 16);
    const rows = [...block[14]!.matchAll(/row (\d+)/g)].map((m) => Number(m[1]));
    const captions = [...block[15]!.matchAll(/true (\d), read (\d) ([\d.]+)%/g)];
    expect(rows).toHaveLength(3); // --mistakes 3, and three fit in 100 columns
    expect(captions).toHaveLength(3);
    rows.forEach((row, k) => {
      expect(pictureAt(block.slice(0, 14), k)).toEqual(referencePicture(train[row - 1]!.pixels));
      expect(Number(captions[k]![1])).toBe(train[row - 1]!.label);
      expect(captions[k]![2]).not.toBe(captions[k]![1]);
    });
    const confidences = captions.map((c) => Number(c[3]));
    expect([...confidences].sort((a, b) => b - a)).toEqual(confidences);
    // Too long for 100 columns beside its label: under it, in lines that paste back as one command.
    expect(lines[start + 2 + 17]).toBe('Look closer:');
    const command = lines.slice(start + 2 + 18, -1).join('\n');
    expect(command.replace(/ \\\n +/g, ' ')).toBe(`  node ${bin} show ${sampleTrain} --rows ${rows.join(',')} --model models/model.json`);
  });

  it('--mistakes 0 draws none', async () => {
    const none = await digits(['eval', '--mistakes', '0']);
    expect(none.code, describeRun(none)).toBe(0);
    expect(none.stderr).not.toContain('Worst mistakes');
  });
});

interface EvalJson {
  model: string;
  data: string;
  heldOut: boolean;
  rows: number;
  correct: number;
  accuracy: number;
  standardError: number;
  classes: number[];
  confusion: number[][];
  precision: number[];
  recall: number[];
  f1: number[];
  confusedPairs: { label: number; predicted: number; count: number; shareOfLabel: number }[];
  mistakes: { row: number; label: number; predicted: number; confidence: number; labelProbability: number }[];
}

describe('digits eval --json', () => {
  let result: EvalJson;
  let run: Run;
  beforeAll(async () => {
    run = await digits(['eval', '--json']);
    result = JSON.parse(run.stdout) as EvalJson;
  });

  it('is one JSON object on stdout with the documented fields, and nothing on stderr', () => {
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(Object.keys(result)).toEqual([
      'model', 'data', 'heldOut', 'rows', 'correct', 'accuracy', 'standardError', 'classes', 'confusion', 'precision',
      'recall', 'f1', 'confusedPairs', 'mistakes',
    ]);
    expect(result).toMatchObject({ model: 'models/model.json', data: sampleTrain, heldOut: true, rows: 400 });
    expect(result.classes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(result.accuracy).toBeCloseTo(result.correct / result.rows, 12);
  });

  it('lists every mistake once, most confident first, with the label the file gives its row', () => {
    expect(result.mistakes).toHaveLength(result.rows - result.correct);
    const rows = new Set(result.mistakes.map((m) => m.row));
    expect(rows.size).toBe(result.mistakes.length);
    for (let k = 0; k < result.mistakes.length; k++) {
      const m = result.mistakes[k]!;
      expect(m.label).toBe(train[m.row - 1]!.label);
      expect(m.predicted).not.toBe(m.label);
      expect(m.confidence).toBeGreaterThanOrEqual(m.labelProbability);
      if (k > 0) expect(m.confidence).toBeLessThanOrEqual(result.mistakes[k - 1]!.confidence);
    }
  });

  it('gives the confused pairs of the confusion matrix, largest first, adding up to the mistakes', () => {
    const total = result.confusedPairs.reduce((sum, p) => sum + p.count, 0);
    expect(total).toBe(result.rows - result.correct);
    for (const p of result.confusedPairs) {
      expect(p.count).toBe(result.confusion[p.label]![p.predicted]);
      const rowTotal = result.confusion[p.label]!.reduce((a, b) => a + b, 0);
      expect(p.shareOfLabel).toBeCloseTo(p.count / rowTotal, 12);
    }
    const counts = result.confusedPairs.map((p) => p.count);
    expect([...counts].sort((a, b) => b - a)).toEqual(counts);
  });
});

describe('colour', () => {
  it('FORCE_COLOR colours stderr, never stdout', async () => {
    const human = await digits(['eval', '--mistakes', '0'], { env: { FORCE_COLOR: '3' } });
    expect(human.stderr).toContain(`${escape}[`);
    const json = await digits(['eval', '--json'], { env: { FORCE_COLOR: '3' } });
    expect(json.stdout).not.toContain(escape);
  });

  it('NO_COLOR=1 and --no-color turn it off, even with FORCE_COLOR', async () => {
    const noColor = await digits(['eval', '--mistakes', '1'], { env: { FORCE_COLOR: '3', NO_COLOR: '1' } });
    expect(noColor.code, describeRun(noColor)).toBe(0);
    expect(noColor.stderr).not.toContain(escape);
    const flag = await digits(['--no-color', 'info'], { env: { FORCE_COLOR: '3' } });
    expect(flag.code, describeRun(flag)).toBe(0);
    expect(flag.stderr).not.toContain(escape);
  });
});

interface ShowJson {
  file: string;
  model: string | null;
  classes: number[] | null;
  rows: { row: number; label: number | null; predicted: number | null; confidence: number | null; top: { digit: number; probability: number }[]; probabilities: number[] | null }[];
}

describe('digits show', () => {
  it('draws the first six rows with their labels, as the file has them', async () => {
    const run = await digits(['show', sampleTrain]);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toBe('');
    const lines = run.stderr.split('\n');
    // 100 columns: three tiles a row; each row of tiles is 14 picture lines and a caption, then a blank line.
    for (let band = 0; band < 2; band++) {
      const top = band * 16;
      const captions = [...lines[top + 14]!.matchAll(/row (\d+) · label (\d)/g)];
      expect(captions.map((c) => Number(c[1]))).toEqual([1, 2, 3].map((k) => k + band * 3));
      captions.forEach((caption, k) => {
        const row = Number(caption[1]);
        expect(Number(caption[2])).toBe(train[row - 1]!.label);
        expect(pictureAt(lines.slice(top, top + 14), k)).toEqual(referencePicture(train[row - 1]!.pixels));
      });
    }
  });

  it('--rows picks rows (1 is the first after the header), and reads standard input', async () => {
    const run = await digits(['show', '-', '--rows', '4000,7'], { stdinFile: sampleTrain });
    expect(run.code, describeRun(run)).toBe(0);
    const lines = run.stderr.split('\n');
    expect(lines[14]).toMatch(new RegExp(`^row 4000 · label ${train[3999]!.label} +row 7 · label ${train[6]!.label}$`));
    expect(pictureAt(lines.slice(0, 14), 0)).toEqual(referencePicture(train[3999]!.pixels));
  });

  it('says "no label" for an unlabelled file', async () => {
    const run = await digits(['show', sampleTest, '--rows', '1']);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stderr).toContain('row 1 · no label');
  });

  it('refuses a row past the end with exit 2 and says how many rows there are', async () => {
    const run = await digits(['show', sampleTest, '--rows', '1001']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`error: --rows 1001: ${sampleTest} has only 1,000 data rows`);
  });

  it('--model puts the prediction and the top 3 beside each digit', async () => {
    const run = await digits(['show', sampleTrain, '--rows', '1', '--model', 'models/model.json']);
    expect(run.code, describeRun(run)).toBe(0);
    const lines = run.stderr.split('\n');
    expect(lines[0]).toMatch(/^ {28} {2}row 1$/);
    expect(lines[1]).toMatch(new RegExp(`label ${train[0]!.label}$`));
    expect(lines[2]).toMatch(/predicted \d (✓ right|✗ wrong)$/);
    expect(lines.filter((l) => /\d +\d+\.\d% [█·]{10}$/.test(l))).toHaveLength(3);
  });

  it('--json gives labels, predictions and probabilities that agree with digits predict', async () => {
    const run = await digits(['show', sampleTest, '--rows', '3,1,2', '--model', 'models/model.json', '--json']);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stderr).toBe('');
    const shown = JSON.parse(run.stdout) as ShowJson;
    expect(shown).toMatchObject({ file: sampleTest, model: 'models/model.json', classes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] });
    expect(shown.rows.map((r) => r.row)).toEqual([3, 1, 2]);
    const predict = await digits(['predict', sampleTest]);
    const submitted = predict.stdout.trimEnd().split('\n').slice(1).map((line) => Number(line.split(',')[1]));
    for (const row of shown.rows) {
      expect(row.label).toBeNull();
      expect(row.predicted).toBe(submitted[row.row - 1]);
      expect(row.probabilities!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      expect(row.top).toHaveLength(3);
      expect(row.top[0]).toEqual({ digit: row.predicted, probability: row.confidence });
      expect(row.top.map((t) => t.probability)).toEqual([...row.top.map((t) => t.probability)].sort((a, b) => b - a));
      for (const t of row.top) expect(t.probability).toBe(row.probabilities![t.digit]);
    }
  });
});

describe('digits plot', () => {
  it('with no arguments draws models/model.json into models/model.svg, the same picture train --plot drew', async () => {
    const run = await digits(['plot']);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('Wrote learning curves (2 reports) to models/model.svg.\n');
    expect(readFileSync(join(work, 'models', 'model.svg'), 'utf8')).toBe(readFileSync(join(work, 'curve.svg'), 'utf8'));
  });

  const rsvg = spawnSync('rsvg-convert', ['--version']).status === 0;
  if (!rsvg) console.log('skipping the PNG rendering of digits plot: rsvg-convert is not installed (Debian: librsvg2-bin)');
  it.skipIf(!rsvg)('writes an SVG that rsvg-convert renders to a PNG', async () => {
    const run = await digits(['plot', 'models/model.json', 'out/curves.svg', '--quiet']);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stderr).toBe('');
    const render = spawnSync('rsvg-convert', [join(work, 'out', 'curves.svg'), '-o', join(work, 'out', 'curves.png')], { encoding: 'utf8' });
    expect(render.status, render.stderr).toBe(0);
    expect(readFileSync(join(work, 'out', 'curves.png')).subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('- writes the same picture to stdout, and no file named -', async () => {
    const run = await digits(['plot', 'models/model.json', '-']);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(readFileSync(join(work, 'models', 'model.svg'), 'utf8'));
    expect(existsSync(join(work, '-'))).toBe(false);
  });

  it('refuses a missing model with exit 2', async () => {
    const run = await digits(['plot', 'nowhere.json', 'x.svg']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: nowhere\.json: no such file/);
    expect(existsSync(join(work, 'x.svg'))).toBe(false);
  });
});

interface InfoJson {
  model: string;
  fileBytes: number;
  format: string;
  version: number;
  tool: { name: string; version: string };
  createdAt: string;
  architecture: { layers: number[]; inputSize: number; hiddenSize: number; classCount: number; hiddenActivation: string; output: string };
  parameters: number;
  classes: number[];
  preset: string;
  config: Record<string, unknown>;
  data: { path: string; rows: number; sha256: string; heldOutRows: number };
  training: { stopReason: string; iterations: number; totalIterations: number; epochs: number; elapsedSeconds: number; threads: number; restoredBest: unknown };
  metrics: { heldOut: { accuracy: number; standardError: number; rows: number } | null; last: Record<string, unknown> | null };
  reports: number;
}

describe('digits info', () => {
  const sha256 = (): string => createHash('sha256').update(readFileSync(sampleTrain)).digest('hex');

  it('prints the network, parameters, hyperparameters, data, metrics, version and date on stderr', async () => {
    const run = await digits(['info']);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toBe('');
    for (const section of ['Model', 'Preset default, with these hyperparameters', 'Training data', 'Run', 'Final metrics']) {
      expect(run.stderr).toMatch(new RegExp(`^${section}$`, 'm'));
    }
    expect(run.stderr).toMatch(/^ {2}network +784-16-10: 16 ReLU hidden units, softmax over 10 classes$/m);
    expect(run.stderr).toMatch(/^ {2}parameters +12,730$/m); // 784*16 + 16 + 16*10 + 10
    expect(run.stderr).toMatch(new RegExp(`written by digits ${version.replace(/\./g, '\\.')} on \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC`));
    expect(run.stderr).toMatch(/^ {2}hidden units +16$/m);
    expect(run.stderr).toMatch(/^ {2}epochs +2$/m);
    expect(run.stderr).toContain(sampleTrain);
    expect(run.stderr).toMatch(/^ {2}rows +4,000 \(400 held out\)$/m);
    expect(run.stderr).toContain(sha256());
    expect(run.stderr).toMatch(/^ {2}held-out accuracy +\d+\.\d\d% ± \d+\.\d\d% on 400 rows$/m);
  });

  it('--json gives the documented object, agreeing with the file and with eval', async () => {
    const run = await digits(['info', 'models/model.json', '--json']);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stderr).toBe('');
    const info = JSON.parse(run.stdout) as InfoJson;
    expect(Object.keys(info)).toEqual([
      'model', 'fileBytes', 'format', 'version', 'tool', 'createdAt', 'architecture', 'parameters', 'classes', 'preset',
      'config', 'data', 'training', 'metrics', 'reports',
    ]);
    expect(info).toMatchObject({
      model: 'models/model.json',
      fileBytes: statSync(join(work, 'models', 'model.json')).size,
      format: 'digits-model',
      version: 1,
      tool: { name: 'digits', version },
      architecture: { layers: [784, 16, 10], inputSize: 784, hiddenSize: 16, classCount: 10, hiddenActivation: 'relu', output: 'softmax' },
      parameters: 12730,
      preset: 'default',
      config: { preset: 'default', hiddenSize: 16, epochs: 2 },
      data: { path: sampleTrain, rows: 4000, sha256: sha256(), heldOutRows: 400 },
      training: { stopReason: 'completed', epochs: 2 },
      reports: 2,
    });
    expect(Date.parse(info.createdAt)).not.toBeNaN();
    const evaluated = JSON.parse((await digits(['eval', '--json'])).stdout) as EvalJson;
    expect(info.metrics.heldOut).toEqual({ accuracy: evaluated.accuracy, rows: 400, standardError: evaluated.standardError });
    expect(info.metrics.last).toMatchObject({ kind: 'epoch', epoch: 2, heldOutAccuracy: evaluated.accuracy });
  });
});

describe('help', () => {
  const commands = ['train', 'predict', 'eval', 'show', 'plot', 'info', 'serve'];

  it.each(commands)('digits %s --help has a purpose, options with defaults and examples', async (command) => {
    const run = await digits([command, '--help']);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stderr).toBe('');
    const text = run.stdout;
    expect(text).toMatch(new RegExp(`^Usage: digits ${command} `));
    expect(text.split('\n')[2]!.length).toBeGreaterThan(20); // the purpose, right under the usage line
    expect(text).toContain('Options:');
    const examples = text.slice(text.indexOf('Examples:'));
    expect(text).toContain('Examples:');
    // The examples name the program the way these tests start it: node and the path of bin/digits.js.
    expect(examples.split('\n').filter((line) => line.startsWith(`  node ${bin} `)).length).toBeGreaterThanOrEqual(2);
    if (command !== 'info') expect(text).toMatch(/\(default: [^)]+\)|\(default [^)]+\)/);
  });

  it('suggests the right option for a mistyped one, with exit 2', async () => {
    const run = await digits(['info', '--jsn']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Did you mean --json?');
    const command = await digits(['shwo']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('Did you mean show?');
  });
});

describe('the training bar, forced into a log (--progress bar) with COLUMNS set', () => {
  for (const columns of [60, 80]) {
    it(`fits every line in ${columns} columns, and keeps rows/s and ETA in the bar`, async () => {
      const run = await digits(['train', '--hidden', '16', '--epochs', '2', '--out', `models/bar-${columns}.json`, '--progress', 'bar'], {
        env: { COLUMNS: String(columns) },
      });
      expect(run.code, describeRun(run)).toBe(0);
      const lines = run.stderr.split('\n');
      for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(columns);
      const bars = lines.filter((line) => line.includes('█') || line.includes('░'));
      expect(bars.length, run.stderr).toBeGreaterThan(0);
      for (const bar of bars) expect(bar).toMatch(/ epoch \d\/2 \|.* [\d,]+ rows\/s \| ETA (-|\d+ s)$/);
      // The epoch lines are whole: each ends with its time, none is cut short or wrapped.
      const epochs = lines.filter((line) => /^epoch +\d /.test(line));
      expect(epochs).toHaveLength(2);
      for (const line of epochs) expect(line).toMatch(/^epoch +\d {2}loss [\d.]+ {2}train [\d.]+% {2}held-out [\d.]+%.* {2}\d+\.\d s$/);
      expect(run.stderr).toMatch(/Model written\s+to\s+models\/bar-\d+\.json/);
    });
  }
});

describe('streams', () => {
  it('digits predict | head ends quietly: exit 0, nothing on stderr', async () => {
    // 25 copies of the test sample (200 kB of submission): more than the pipe holds (64 kB) and head takes in its
    // one read (as much again), so head closes it mid-write; else the write completes and digits says so on stderr.
    const lines = gunzipSync(readFileSync(sampleTest)).toString('utf8').trimEnd().split('\n');
    const big = [lines[0]!, ...Array.from({ length: 25 }, () => lines.slice(1)).flat()].join('\n') + '\n';
    writeFileSync(join(work, 'big.csv'), big);
    const run = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${bin}" predict big.csv 2>stderr.txt | head -n 3`], {
      cwd: work,
      env: environment(),
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^ImageId,Label\n1,\d\n2,\d\n$/);
    expect(readFileSync(join(work, 'stderr.txt'), 'utf8')).toBe('');
  });

  const script = spawnSync('script', ['--version']).status === 0;
  if (!script) console.log('skipping the terminal test: util-linux "script" is not installed to give the CLI a terminal');
  it.skipIf(!script)('on a terminal the bar is drawn with the cursor hidden, and the cursor comes back', () => {
    const command = `"${process.execPath}" "${bin}" train --hidden 16 --epochs 2 --out models/tty.json`;
    const run = spawnSync('script', ['-qec', command, '/dev/null'], {
      cwd: work,
      env: environment({ TERM: 'xterm-256color' }),
      encoding: 'utf8',
    });
    expect(run.status, run.stdout).toBe(0);
    const text = run.stdout;
    const hide = text.indexOf(`${escape}[?25l`);
    expect(hide).toBeGreaterThanOrEqual(0);
    expect(text.lastIndexOf(`${escape}[?25h`)).toBeGreaterThan(hide);
    expect(text).toMatch(/training .*epoch \d\/2 \| loss/);
    expect(text).toContain('Model written to');
  });
});
