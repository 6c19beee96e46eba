/**
 * End to end: the built program, spawned as users run it, on bad CSVs, bad model files, bad options, a diverging
 * run, a closed pipe, a full disk and a read-only folder. Each case checks the exit code and the exact text on
 * stderr, and that no stack trace is ever shown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { binPath, finished, repoRoot, runCli, sampleText, scratchFolder, stackTraceLine } from '../errors/cli.js';

const scratch = scratchFolder('e2e-errors');
const cwd = scratch.path;
const model = 'model.json';
const tiny = ['--hidden', '8', '--epochs', '1', '--progress', 'none'];
/** How hints name the program: the way these tests start it, node and the path of bin/digits.js. */
const run = `node ${binPath}`;

beforeAll(async () => {
  const trained = await runCli(['train', 'data/sample/train.csv.gz', ...tiny, '--out', join(cwd, model), '--quiet'], { cwd: repoRoot });
  expect(trained.code, trained.stderr).toBe(0);
  const header = sampleText('train', 0).trimEnd();
  const rows = sampleText('train', 6).trimEnd().split('\n').slice(1);
  const files: Record<string, string | Buffer> = {
    'empty.csv': '',
    'header-only.csv': `${header}\n`,
    'test.csv': sampleText('test', 5),
    'bad-pixel.csv': [header, rows[0], rows[1]!.replace(/,0,0,0$/, ',0,abc,0')].join('\n') + '\n',
    'huge.csv': [header, rows[0]!.replace(/^(\d),0,/, '$1,1e400,')].join('\n') + '\n',
    'bad-label.csv': [header, rows[0], rows[1], rows[2]!.replace(/^\d,/, '12,')].join('\n') + '\n',
    'short-row.csv': [header, rows[0], rows[1]!.replace(/,0$/, '')].join('\n') + '\n',
    'many-bad.csv': [header, rows[0]!.replace(/^\d,/, 'x,'), rows[1]!.replace(/,0$/, ',300'), rows[2], rows[3]!.replace(/,0$/, '')].join('\n') + '\n',
    'picture.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
    'cut.csv.gz': gzipSync(sampleText('train', 200)).subarray(0, 5000),
    'awkward.csv': '\ufeff' + sampleText('test', 3).trimEnd().split('\n').map((line, k) => (k === 2 ? line.split(',').map((f) => `"${f}"`).join(',') : line)).join('\r\n'),
    'labelled.csv': sampleText('train', 3),
    'narrow-labelled.csv': sampleText('train', 3).split('\n').map((line) => line.split(',').slice(0, 701).join(',')).join('\n'),
    'narrow.csv': sampleText('test', 2).split('\n').map((line) => line.split(',').slice(0, 700).join(',')).join('\n'),
  };
  for (const [name, content] of Object.entries(files)) writeFileSync(join(cwd, name), content);
  mkdirSync(join(cwd, 'folder.csv'));
  const good = readFileSync(join(cwd, model), 'utf8');
  const json = JSON.parse(good) as { version: number; parameters: { w1: { shape: number[] } } };
  writeFileSync(join(cwd, 'truncated.json'), good.slice(0, 5000));
  writeFileSync(join(cwd, 'v2.json'), JSON.stringify({ ...json, version: 2 }));
  writeFileSync(join(cwd, 'shape.json'), JSON.stringify({ ...json, parameters: { ...json.parameters, w1: { ...json.parameters.w1, shape: [784, 9] } } }));
  // JSON has no NaN or infinity; a huge literal is how an infinity gets into a file.
  writeFileSync(join(cwd, 'infinite.json'), good.replace(/("b2":\{"shape":\[10\],"data":\[)[^,]+/, '$11e400'));
  writeFileSync(join(cwd, 'not-digits.json'), JSON.stringify({ weights: [1, 2, 3] }));
});
afterAll(() => scratch.remove());

interface Case {
  readonly name: string;
  readonly args: readonly string[];
  readonly code: number;
  readonly stderr: string;
  readonly input?: string | Buffer;
}

/** Where Kaggle's files come from, under the message for a missing training or test file. */
const kaggleHint =
  "  Kaggle's digit files (train.csv, test.csv) come from the competition page,\n" +
  '  https://www.kaggle.com/competitions/digit-recognizer/data, or with its CLI:\n' +
  '  kaggle competitions download -c digit-recognizer && unzip digit-recognizer.zip\n';

const wrongCsv: readonly Case[] = [
  {
    name: 'an empty file',
    args: ['train', 'empty.csv'],
    code: 2,
    stderr: 'error: empty.csv: the file is empty; expected a header row (label,pixel0,...,pixel783), then one row per image\n',
  },
  { name: 'a header only', args: ['train', 'header-only.csv'], code: 2, stderr: 'error: header-only.csv: the file has a header but no data rows\n' },
  {
    name: "Kaggle's test.csv given to train",
    args: ['train', 'test.csv'],
    code: 2,
    stderr:
      'error: test.csv:1: no "label" column in the header, so there is nothing to learn from or score against\n' +
      `  To predict the digits of an unlabelled file (like Kaggle's test.csv), use: ${run} predict test.csv\n`,
  },
  {
    name: 'a word for a pixel',
    args: ['train', 'bad-pixel.csv'],
    code: 2,
    stderr: 'error: bad-pixel.csv:3: column 784 (pixel782): expected a whole number 0..255, got "abc"\n',
  },
  {
    name: '1e400 for a pixel',
    args: ['train', 'huge.csv'],
    code: 2,
    stderr: 'error: huge.csv:2: column 2 (pixel0): expected a whole number 0..255, got "1e400"\n',
  },
  {
    name: 'a label of 12',
    args: ['eval', 'bad-label.csv', '--model', model],
    code: 2,
    stderr: 'error: bad-label.csv:4: column 1 (label): expected a digit label 0..9, got "12"\n',
  },
  {
    name: 'a row with a field missing',
    args: ['train', 'short-row.csv'],
    code: 2,
    stderr: 'error: short-row.csv:3: too few fields: 784, but the header has 785\n',
  },
  {
    name: 'several problems with --max-errors',
    args: ['train', 'many-bad.csv', '--max-errors', '5'],
    code: 2,
    stderr:
      'error: many-bad.csv: 3 bad rows:\n' +
      '    many-bad.csv:2: column 1 (label): expected a digit label 0..9, got "x"\n' +
      '    many-bad.csv:3: column 785 (pixel783): expected a whole number 0..255, got "300"\n' +
      '    many-bad.csv:5: too few fields: 784, but the header has 785\n',
  },
  {
    name: 'a picture',
    args: ['predict', 'picture.png', '--model', model],
    code: 2,
    stderr: "error: picture.png: is a PNG image, not a CSV file\n  digits reads a CSV of pixel values (Kaggle's train.csv / test.csv), not image files.\n",
  },
  { name: 'a directory', args: ['train', 'folder.csv'], code: 2, stderr: 'error: folder.csv: is a directory, not a CSV file\n' },
  { name: 'a missing file', args: ['predict', 'nowhere.csv', '--model', model], code: 2, stderr: `error: nowhere.csv: no such file\n${kaggleHint}` },
  { name: 'a missing training file', args: ['train', 'train.csv'], code: 2, stderr: `error: train.csv: no such file\n${kaggleHint}` },
  { name: 'a missing labelled file', args: ['eval', 'train.csv', '--model', model], code: 2, stderr: `error: train.csv: no such file\n${kaggleHint}` },
  // show draws any CSV, not only Kaggle's; and a file beside the missing one is the better hint.
  { name: 'a missing file to show', args: ['show', 'nowhere.csv'], code: 2, stderr: 'error: nowhere.csv: no such file\n' },
  { name: 'a missing file beside a .gz', args: ['train', 'cut.csv'], code: 2, stderr: 'error: cut.csv: no such file\n  Did you mean cut.csv.gz?\n' },
  {
    name: 'a truncated gzip',
    args: ['train', 'cut.csv.gz'],
    code: 2,
    stderr: 'error: cut.csv.gz: the gzip data ends early; the file is truncated (an interrupted download or copy?)\n  Download or copy the file again.\n',
  },
  {
    name: 'binary data on standard input',
    args: ['predict', '-', '--model', model],
    input: Buffer.from([0x00, 0x01, 0x02, 0xff, 0x00]),
    code: 2,
    stderr:
      'error: stdin: looks like binary data, not CSV text (a zero byte at offset 0)\n' +
      '  digits reads comma-separated text: a header row (label,pixel0,...,pixel783), then one row per image.\n',
  },
  {
    name: 'training with augmentation on images that are not square',
    args: ['train', 'narrow-labelled.csv', '--hidden', '8', '--epochs', '1', '--out', 'never.json', '--quiet'],
    code: 2,
    stderr:
      'error: narrow-labelled.csv: 700 pixels a row is not a square image, so it cannot be deskewed, shifted or rotated\n' +
      '  Train with --no-augment --no-deskew, or on square images (784 pixels for 28 x 28).\n',
  },
];

const damaged = `  The model file is damaged or was not written by digits; train again with "${run} train".\n`;
const wrongModel: readonly Case[] = [
  {
    name: 'a missing model',
    args: ['predict', 'test.csv', '--model', 'missing.json'],
    code: 2,
    stderr: `error: missing.json: no such file\n  Train one first with "${run} train", or pass --model <path>.\n`,
  },
  {
    name: 'a truncated model',
    args: ['predict', 'test.csv', '--model', 'truncated.json'],
    code: 2,
    stderr:
      'error: truncated.json: the model file is truncated: its JSON stops after 5,000 bytes\n' +
      `  It was probably cut short while being copied or downloaded; copy it again, or train a new one with "${run} train".\n`,
  },
  {
    name: 'a CSV given as the model',
    args: ['eval', '--model', 'test.csv'],
    code: 2,
    stderr:
      'error: test.csv: is a CSV file, not a digits model (it starts "pixel0,pixel1,pixel2")\n' +
      `  --model takes a model written by "${run} train"; the CSV is the file argument: ${run} predict test.csv --model models/model.json\n`,
  },
  {
    name: 'JSON that is not a digits model',
    args: ['predict', 'test.csv', '--model', 'not-digits.json'],
    code: 2,
    stderr: 'error: not-digits.json: not a digits model: the JSON has no "format" field, expected "digits-model"\n',
  },
  {
    name: 'another format version',
    args: ['predict', 'test.csv', '--model', 'v2.json'],
    code: 2,
    stderr:
      'error: v2.json: model format version 2 (written by digits 0.1.0) is not supported; this digits (0.1.0) reads version 1\n' +
      '  Update digits to read it, or train a new model with this version.\n',
  },
  {
    name: 'a weight matrix of the wrong shape',
    args: ['predict', 'test.csv', '--model', 'shape.json'],
    code: 2,
    stderr: `error: shape.json: parameters.w1.shape is [784,9], expected [784,8] from the architecture\n${damaged}`,
  },
  {
    name: 'an infinite weight',
    args: ['predict', 'test.csv', '--model', 'infinite.json'],
    code: 2,
    stderr: `error: infinite.json: parameters.b2.data[0] is Infinity (a number too large for a double), expected a finite number\n${damaged}`,
  },
  {
    name: 'a CSV with fewer pixels than the model reads',
    args: ['predict', 'narrow.csv', '--model', model],
    code: 2,
    stderr: 'error: narrow.csv: has 700 pixel columns, but the model model.json reads 784\n  Use a model trained on images of this size.\n',
  },
];

const wrongOptions: readonly Case[] = [
  {
    name: '--hidden 0',
    args: ['train', '--hidden', '0'],
    code: 2,
    stderr: `error: option '--hidden <n>' argument '0' is invalid. Expected a whole number from 1 to 4096, like 256.\n(see: ${run} train --help)\n`,
  },
  {
    name: '--lr abc',
    args: ['train', '--lr', 'abc'],
    code: 2,
    stderr: `error: option '--lr <x>' argument 'abc' is invalid. Expected a number greater than 0, like 0.05.\n(see: ${run} train --help)\n`,
  },
  {
    name: '--epochs -1 (a negative number, not an option)',
    args: ['train', '--epochs', '-1'],
    code: 2,
    stderr: `error: option '--epochs <n>' argument '-1' is invalid. Expected a whole number of at least 1.\n(see: ${run} train --help)\n`,
  },
  {
    name: '--holdout 2.5',
    args: ['train', '--holdout', '2.5'],
    code: 2,
    stderr:
      "error: option '--holdout <n>' argument '2.5' is invalid. Expected a row count (like 1000, or 0 for none) or a fraction between 0 and 1 (like 0.1).\n" +
      `(see: ${run} train --help)\n`,
  },
  {
    name: 'a mistyped option',
    args: ['train', '--hiden', '8'],
    code: 2,
    stderr: `error: unknown option '--hiden'\n(Did you mean --hidden?)\n(see: ${run} train --help)\n`,
  },
  {
    name: 'an unknown option',
    args: ['predict', 'test.csv', '--fast'],
    code: 2,
    stderr: `error: unknown option '--fast'\n(see: ${run} predict --help)\n`,
  },
  {
    name: '--max-errors 0',
    args: ['eval', '--max-errors', '0'],
    code: 2,
    stderr: `error: option '--max-errors <n>' argument '0' is invalid. Expected a whole number of at least 1.\n(see: ${run} eval --help)\n`,
  },
  {
    name: 'an unknown preset',
    args: ['train', '--preset', 'fast'],
    code: 2,
    stderr: `error: option '--preset <name>' argument 'fast' is invalid. Allowed choices are seed, default, best.\n(see: ${run} train --help)\n`,
  },
  {
    name: 'a missing file argument',
    args: ['predict'],
    code: 2,
    stderr: `error: missing required argument 'file'\n(see: ${run} predict --help)\n`,
  },
  // --threads above the limit is refused as the option is read, before any thread starts. Each case would also
  // fail at once without the limit (a missing file, model or argument), so that losing the limit shows as a wrong
  // message, not as 1,000 threads (prediction threads start before the model and file are read).
  {
    name: 'train --threads 1000',
    args: ['train', 'nowhere.csv', '--threads', '1000'],
    code: 2,
    stderr: `error: option '--threads <n>' argument '1000' is invalid. Expected a whole number from 1 to 64, like 2.\n(see: ${run} train --help)\n`,
  },
  {
    name: 'eval --threads 1000',
    args: ['eval', 'nowhere.csv', '--model', 'missing.json', '--threads', '1000'],
    code: 2,
    stderr: `error: option '--threads <n>' argument '1000' is invalid. Expected a whole number from 1 to 64, like 2.\n(see: ${run} eval --help)\n`,
  },
  {
    name: 'predict --threads 1000',
    args: ['predict', '--threads', '1000'],
    code: 2,
    stderr: `error: option '--threads <n>' argument '1000' is invalid. Expected a whole number from 1 to 64, like 2.\n(see: ${run} predict --help)\n`,
  },
  {
    name: '--resume of a finished run without asking for more: refused before the data is read',
    args: ['train', 'nowhere.csv', '--resume', model],
    code: 2,
    stderr:
      'error: the resumed run has already trained all 57 iterations (1 epoch) it planned: nothing is left to train\n' +
      '  --epochs and --iterations count from the start of the run, not from where it stopped: ask for --epochs 2 or more.\n',
  },
  {
    name: '--out a directory',
    args: ['train', 'labelled.csv', '--out', 'folder.csv'],
    code: 2,
    stderr: 'error: cannot write folder.csv: it is a directory\n  Give a file name for the model, like folder.csv/model.json\n',
  },
];

describe.each([
  ['a bad CSV', wrongCsv],
  ['a bad model file', wrongModel],
  ['a bad option', wrongOptions],
])('%s', (_, cases) => {
  it.each(cases)('$name', async ({ args, code, stderr, input }) => {
    const result = await runCli(args, { cwd, ...(input !== undefined ? { input } : {}) });
    expect(result.stderr).toBe(stderr);
    expect(result.code).toBe(code);
    expect(result.stdout).toBe('');
  });
});

describe('--resume with options that would change the recorded run', () => {
  const hint = '  --resume continues a run as it was started: leave out what differs (or give the recorded value), or train a new model without --resume.\n';

  it.each([
    [['--seed', '7'], '--seed 7 differs from the resumed run (--seed 42)'],
    [['--holdout', '0.2'], '--holdout 0.2 differs from the resumed run (--holdout 0.1)'],
    [['--preset', 'best'], '--preset best differs from the resumed run (--preset default)'],
    [['--optimizer', 'adam', '--hidden', '16'], '--hidden 16 and --optimizer adam differ from the resumed run (--hidden 8, --optimizer nesterov)'],
  ])('%j is refused with exit 2, before the data is read', async (options, message) => {
    const result = await runCli(['train', 'nowhere.csv', '--resume', model, ...options, '--epochs', '2', '--out', 'never.json'], { cwd });
    expect(result.stderr).toBe(`error: ${message}\n${hint}`);
    expect(result.code).toBe(2);
    expect(existsSync(join(cwd, 'never.json'))).toBe(false);
  });

  it('the recorded values, more epochs, and threads, reports and output are accepted', async () => {
    const same = ['--seed', '42', '--holdout', '0.1', '--preset', 'default', '--hidden', '8', '--optimizer', 'nesterov'];
    const free = ['--epochs', '2', '--threads', '1', '--log-every', '5', '--json', '--quiet', '--progress', 'none'];
    const result = await runCli(['train', '--resume', model, ...same, ...free, '--out', 'resumed.json'], { cwd });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const recorded = JSON.parse(readFileSync(join(cwd, model), 'utf8')) as { data: { heldOutRows: number[] } };
    const resumed = JSON.parse(readFileSync(join(cwd, 'resumed.json'), 'utf8')) as typeof recorded & { training: { iterations: number } };
    expect(resumed.training.iterations).toBe(114);
    expect(resumed.data.heldOutRows).toEqual(recorded.data.heldOutRows);
  });
});

describe('valid but awkward input, end to end', () => {
  it('predicts a BOM, CRLF, quoted file given on standard input', async () => {
    const result = await runCli(['predict', '-', '--model', model], { cwd, input: readFileSync(join(cwd, 'awkward.csv')) });
    expect(result.stderr).toMatch(/^Predicted 3 rows with model\.json in \d+\.\d s\.\nwarning: model\.json was trained on the bundled sample, /);
    expect(result.code).toBe(0);
    const plain = await runCli(['predict', 'test.csv', '--model', model], { cwd });
    expect(result.stdout).toBe(plain.stdout.split('\n').slice(0, 4).join('\n') + '\n');
  });

  it('predicts a labelled file, ignoring the labels', async () => {
    const result = await runCli(['predict', 'labelled.csv', '--model', model], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ImageId,Label\n1,\d\n2,\d\n3,\d\n$/);
  });
});

describe('a diverging run', () => {
  const diverge = ['train', 'labelled.csv', '--lr', '1e6', '--hidden', '8', '--batch-size', '1', '--holdout', '0', '--progress', 'none'];

  it('stops with exit 1 and leaves an existing model untouched', async () => {
    const target = join(cwd, 'kept.json');
    writeFileSync(target, readFileSync(join(cwd, model)));
    const before = readFileSync(target);
    const result = await runCli([...diverge, '--out', 'kept.json'], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: training diverged at iteration \d+: the loss became (\d\.\d\de\+\d+|NaN|Infinity)\n  No model was written\. Try a lower learning rate than --lr 1000000\.\n$/m);
    expect(readFileSync(target).equals(before)).toBe(true);
    expect(readdirSync(cwd).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('writes no model where there was none', async () => {
    const result = await runCli([...diverge, '--out', 'never.json'], { cwd });
    expect(result.code).toBe(1);
    expect(existsSync(join(cwd, 'never.json'))).toBe(false);
  });
});

describe('a closed pipe', () => {
  // Enough rows that the write really fails: a submission longer than the pipe's buffer (64 kB) and what head
  // takes in its one read (up to as much again), or the write completes and digits says so on stderr. Images of
  // four pixels, and a model for them, keep the run short.
  beforeAll(async () => {
    const row = (k: number, label: boolean): string => `${label ? `${k % 10},` : ''}${k % 256},${(k * 7) % 256},${(k * 13) % 256},${(k * 17) % 256}`;
    writeFileSync(join(cwd, 'small-train.csv'), ['label,a,b,c,d', ...Array.from({ length: 50 }, (_, k) => row(k, true))].join('\n') + '\n');
    writeFileSync(join(cwd, 'many.csv'), ['a,b,c,d', ...Array.from({ length: 30000 }, (_, k) => row(k, false))].join('\n') + '\n');
    const trained = await runCli(['train', 'small-train.csv', '--hidden', '4', '--epochs', '1', '--quiet', '--out', 'small.json'], { cwd });
    expect(trained.code, trained.stderr).toBe(0);
  });

  function pipeline(command: string): { status: string; head: string; stderr: string } {
    const script = `node ${JSON.stringify(binPath)} ${command} 2>err.txt | head -1; echo "\${PIPESTATUS[0]}" > status.txt`;
    const head = execFileSync('bash', ['-c', script], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    return { head, status: readFileSync(join(cwd, 'status.txt'), 'utf8').trim(), stderr: readFileSync(join(cwd, 'err.txt'), 'utf8') };
  }

  it('digits predict many.csv | head -1 exits 0 with nothing on stderr', () => {
    expect(pipeline('predict many.csv --model small.json')).toEqual({ head: 'ImageId,Label\n', status: '0', stderr: '' });
  });

  it('digits train --json | head -1 exits 0 with nothing on stderr', () => {
    const result = pipeline('train labelled.csv --json --quiet --hidden 8 --epochs 400 --batch-size 1 --log-every 1 --holdout 0 --out piped.json');
    expect(result.head).toMatch(/^\{"event":"start"/);
    expect([result.status, result.stderr]).toEqual(['0', '']);
  });
});

describe('no stack traces', () => {
  it('none in any of the messages above (checked again here on a few), but one with DEBUG=digits', async () => {
    for (const args of [['train', 'bad-pixel.csv'], ['predict', 'test.csv', '--model', 'truncated.json'], ['train', '--lr', 'x']]) {
      const result = await runCli(args, { cwd });
      expect(result.stderr).not.toMatch(stackTraceLine);
    }
    const debug = await runCli(['train', 'bad-pixel.csv'], { cwd, env: { DEBUG: 'digits' } });
    expect(debug.stderr).toMatch(/^error: bad-pixel\.csv:3: /);
    expect(debug.stderr).toMatch(stackTraceLine);
  });

  it('an uncaught exception or unhandled rejection still ends in a short message and exit 1', async () => {
    for (const fault of ['setTimeout(() => { throw new Error("boom") }, 100)', 'setTimeout(() => Promise.reject(new Error("boom")), 100)']) {
      // A run that waits on standard input (left open), and a fault from elsewhere in the program meanwhile.
      const script = `import(${JSON.stringify(join(repoRoot, 'dist/cli.js'))}).then((cli) => { ${fault}; return cli.main(['node', 'digits', 'train', '-']); })`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd, env: { ...process.env, NO_COLOR: '1', DEBUG: '' } });
      const result = await finished(child);
      expect(result.stderr).toBe('error: boom\n  This is a bug in digits; run again with DEBUG=digits for the details, and please report it.\n');
      expect(result.code).toBe(1);
    }
  });
});

/**
 * A full disk and a read-only folder, for real: a 1 MB tmpfs and a read-only bind mount. This needs root (or
 * CAP_SYS_ADMIN); without it these tests are skipped with the reason printed, and test/errors/atomic.test.ts
 * still covers the same failures by injecting them into node:fs.
 */
describe('a full disk and a read-only folder', () => {
  const full = join(cwd, 'full');
  const readOnly = join(cwd, 'read-only');
  let mounted: string | null = null;

  beforeAll(() => {
    mkdirSync(full);
    mkdirSync(readOnly);
    writeFileSync(join(readOnly, model), readFileSync(join(cwd, model)));
    const steps = [
      ['mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', full],
      ['mount', '--bind', readOnly, readOnly],
      ['mount', '-o', 'remount,bind,ro', readOnly],
    ];
    try {
      for (const step of steps) execFileSync(step[0]!, step.slice(1), { stdio: 'pipe' });
      mounted = 'yes';
      writeFileSync(join(full, model), readFileSync(join(cwd, model)));
    } catch (error) {
      const reason = (error as { stderr?: Buffer }).stderr?.toString().trim() || String(error);
      console.warn(`Skipping the full-disk and read-only tests: cannot mount here (${reason}). atomic.test.ts injects the same failures.`);
    }
  });
  afterAll(() => {
    for (const folder of [readOnly, full]) spawnSync('umount', [folder]);
  });

  it('a model that does not fit: exit 1, a clear message, the old model kept, no temporary file left', async (context) => {
    if (!mounted) context.skip();
    const before = readFileSync(join(full, model));
    const result = await runCli(['train', 'labelled.csv', '--hidden', '512', '--epochs', '1', '--holdout', '0', '--optimizer', 'adam', '--quiet', '--out', `full/${model}`], { cwd });
    expect(result.stderr).toMatch(/^error: cannot write full\/model\.json: no space left on the device \(\d+\.\d MB needed\)\n  Nothing was changed: any previous file there is as it was\.\n$/);
    expect(result.code).toBe(1);
    expect(readFileSync(join(full, model)).equals(before)).toBe(true);
    expect(readdirSync(full)).toEqual([model]);
  });

  it('a submission redirected to a full disk fails instead of being cut short silently', async (context) => {
    if (!mounted) context.skip();
    // Leave about 4 kB free: less than the 1,000-row submission (about 8 kB).
    const free = (): number => {
      const stats = statfsSync(full);
      return stats.bavail * stats.bsize;
    };
    const filler = join(full, 'filler');
    writeFileSync(filler, Buffer.alloc(Math.max(0, free() - 4096)));
    try {
      const script = `node ${JSON.stringify(binPath)} predict data/sample/test.csv.gz --model ${JSON.stringify(join(cwd, model))} > ${JSON.stringify(join(full, 'submission.csv'))}`;
      const result = spawnSync('bash', ['-c', script], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      expect(result.stderr).toBe('error: cannot write to standard output: no space left on the device\n  The output is incomplete; do not use it.\n');
      expect(result.status).toBe(1);
    } finally {
      unlinkSync(filler);
    }
  });

  it('a read-only folder is found before training starts, and the old model is kept', async (context) => {
    if (!mounted) context.skip();
    const before = readFileSync(join(readOnly, model));
    const result = await runCli(['train', 'labelled.csv', '--hidden', '8', '--epochs', '1', '--out', `read-only/${model}`], { cwd });
    expect(result.stderr).toBe(
      'error: cannot write read-only/model.json: the file system is read-only\n  Nothing was changed: any previous file there is as it was.\n',
    );
    expect(result.code).toBe(1);
    expect(readFileSync(join(readOnly, model)).equals(before)).toBe(true);
  });

  it('predict --out into a read-only folder fails clearly', async (context) => {
    if (!mounted) context.skip();
    const result = await runCli(['predict', 'test.csv', '--model', model, '--out', 'read-only/submission.csv'], { cwd });
    expect(result.stderr).toBe(
      'error: cannot write read-only/submission.csv: the file system is read-only\n  Nothing was changed: any previous file there is as it was.\n',
    );
    expect(result.code).toBe(1);
  });
});
