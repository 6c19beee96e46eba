/**
 * End to end: `node bin/digits.js` spawned in a temporary folder on the bundled sample of real Kaggle rows, as a
 * user or a script would run it. Checks exit codes, what goes to stdout (data only) and stderr (people), and
 * the files written. Training is kept tiny (--hidden 16, one epoch) so that the whole file takes seconds.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIfStale, collectOutput } from '../helpers/cli-process.js';
import { readSampleRows, sampleTestPath, sampleText, sampleTrainPath } from '../helpers/sample-rows.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'digits.js');
const packageVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of a plain log: no forced colour, no debug output. */
const env: NodeJS.ProcessEnv = { ...process.env };
delete env.FORCE_COLOR;
delete env.NO_COLOR;
delete env.DEBUG;

function digits(args: string[], cwd: string): Promise<Run> {
  return collectOutput(spawn(process.execPath, [bin, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Shows a failed run's output in the assertion message. */
function describeRun(run: Run): string {
  return `exit ${run.code}\n--- stdout ---\n${run.stdout.slice(0, 2000)}\n--- stderr ---\n${run.stderr.slice(0, 2000)}`;
}

const escapeCode = '\x1b';

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

let work: string;
/** `digits train --hidden 16 --epochs 1` with no file, run once; predict and eval use its model. */
let trained: Run;

beforeAll(async () => {
  buildIfStale();
  work = mkdtempSync(join(tmpdir(), 'digits-e2e-'));
  trained = await digits(['train', '--hidden', '16', '--epochs', '1'], work);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('digits train', () => {
  it('with no file trains on the bundled sample and says where the model went', () => {
    expect(trained.code, describeRun(trained)).toBe(0);
    expect(trained.stdout).toBe('');
    expect(trained.stderr).toContain('bundled sample');
    expect(trained.stderr).toMatch(/^epoch +1 .*loss [\d.]+ .*held-out [\d.]+%/m);
    expect(trained.stderr).toMatch(/Model written to models\/model\.json/);
    expect(statSync(join(work, 'models', 'model.json')).isFile()).toBe(true);
    expect(trained.stderr).not.toContain(escapeCode);
  });

  it('--json writes JSON lines on stdout (start, reports, summary) and none on stderr', async () => {
    const run = await digits(['train', '--hidden', '16', '--epochs', '1', '--json', '--out', 'json-model.json'], work);
    expect(run.code, describeRun(run)).toBe(0);
    const events = run.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events[0]).toMatchObject({ event: 'start', trainRows: 3600, heldOutRows: 400, kernels: 'wasm' });
    expect(events.at(-1)).toMatchObject({ event: 'summary', stopReason: 'completed', heldOutRows: 400 });
    expect(events.at(-1)!.model).toBe(join(work, 'json-model.json'));

    const reports = events.slice(1, -1);
    expect(reports.map((r) => r.event)).toEqual([...new Array(reports.length - 1).fill('iteration'), 'epoch']);
    // 3,600 training rows in batches of 64: 57 steps, a report every 10 and one at the end of the epoch.
    expect(reports.map((r) => r.iteration)).toEqual([10, 20, 30, 40, 50, 57]);
    for (const report of reports) {
      // The contract: iteration/epoch, training loss and accuracy, held-out accuracy, elapsed time.
      expect(report).toEqual(
        expect.objectContaining({
          iteration: expect.any(Number),
          epoch: expect.any(Number),
          trainLoss: expect.any(Number),
          trainAccuracy: expect.any(Number),
          elapsedSeconds: expect.any(Number),
        }),
      );
      expect(report).toHaveProperty('heldOutAccuracy');
    }
    const epoch = reports.at(-1)!;
    expect(epoch.epoch).toBe(1);
    expect(epoch.heldOutAccuracy).toEqual(expect.any(Number));
    expect(epoch.heldOutAccuracy as number).toBeGreaterThan(0.3);

    expect(run.stderr.split('\n').filter((line) => line.trimStart().startsWith('{'))).toEqual([]);
    expect(run.stderr).toMatch(/^epoch +1 /m);
  });

  it('--preset seed --iterations 30 logs a line every 10 iterations, with no escape codes in a log', async () => {
    const run = await digits(['train', '--preset', 'seed', '--iterations', '30', '--out', 'seed.json'], work);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toBe('');
    const lines = run.stderr.split('\n').filter((line) => /^iteration /.test(line));
    expect(lines.map((line) => /^iteration (\d+)\/30 /.exec(line)?.[1])).toEqual(['10', '20', '30']);
    // The seed holds out 1,000 rows and reports held-out accuracy on each line.
    for (const line of lines) expect(line).toMatch(/loss [\d.]+ .*train [\d.]+%.*held-out [\d.]+% \(1000 rows\)/);
    expect(run.stderr).toContain('784-10-10');
    expect(run.stderr).not.toContain(escapeCode);
  });

  it.each([
    ['stdout', '--json', ''],
    ['stderr', '', '2>&1'],
  ])('goes on and saves its model when the reader of its %s goes away (| head -1), exit 0', async (_stream, json, merge) => {
    // head takes the first line and exits; the next write finds the pipe closed. It used to end the run there.
    const script = `{ "$0" "$1" train "$2" --hidden 16 --epochs 3 ${json} --out "$3" ${merge}; echo "digits exit $?" >&2; } | head -1`;
    const out = `closed-reader${json}.json`;
    const run = await collectOutput(
      spawn('sh', ['-c', script, process.execPath, bin, sampleTrainPath, out], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    expect(run.stdout.split('\n').filter((line) => line !== '')).toHaveLength(1);
    expect(run.stderr, describeRun(run)).toMatch(/digits exit 0\n$/);
    const info = await digits(['info', out, '--json'], work);
    expect(info.code, describeRun(info)).toBe(0);
    expect((JSON.parse(info.stdout) as { training: { epochs: number } }).training.epochs).toBe(3);
  });
});

describe('digits train --members (a committee)', () => {
  let run: Run;
  beforeAll(async () => {
    run = await digits(['train', sampleTrainPath, '--members', '2', '--hidden', '16', '--epochs', '1', '--out', 'committee.json'], work);
  }, 120_000);

  it('trains two networks one after the other and says which is training', () => {
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      'Training 2 networks of 784-16-10 (preset default), to be joined into one of 784-32-10, on 3,600 rows, holding out 400: 1 epoch each of mini-batches of 64',
    );
    expect(run.stderr).toMatch(/^Network 1 of 2 \(seed 42\):$/m);
    expect(run.stderr).toMatch(/^Network 2 of 2 \(seed \d+\):$/m);
    expect(run.stderr).toMatch(/^network 1 of 2 {2}epoch +1 {2}loss [\d.]+ .*held-out [\d.]+% \(400 rows\)/m);
    expect(run.stderr).toMatch(/^network 2 of 2 {2}epoch +1 {2}loss [\d.]+ .*held-out [\d.]+% \(400 rows\)/m);
    expect(run.stderr.indexOf('Network 2 of 2 (seed')).toBeGreaterThan(run.stderr.search(/^network 1 of 2 {2}epoch/m));
    expect(run.stderr).not.toContain(escapeCode);
  });

  it("prints each network's held-out accuracy and the joined network's, which eval then measures", async () => {
    expect(run.stderr).toMatch(/^Network 1 of 2: held-out accuracy \d+\.\d\d%\.$/m);
    expect(run.stderr).toMatch(/^Network 2 of 2: held-out accuracy \d+\.\d\d%\.$/m);
    const joined = /^Held-out accuracy (\d+\.\d\d)% ± [\d.]+% on 400 rows \(2 networks joined: 784-32-10\)\. Model written to committee\.json/m.exec(run.stderr);
    expect(joined, describeRun(run)).not.toBeNull();

    const evaluated = await digits(['eval', '--model', 'committee.json', '--json'], work);
    expect(evaluated.code, describeRun(evaluated)).toBe(0);
    const scores = JSON.parse(evaluated.stdout) as { accuracy: number; rows: number };
    expect(scores.rows).toBe(400);
    expect((scores.accuracy * 100).toFixed(2)).toBe(joined![1]);
  });

  it('saves an ordinary 784-32-10 model that info, predict and eval read as any other', async () => {
    const info = await digits(['info', 'committee.json', '--json'], work);
    expect(info.code, describeRun(info)).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({
      architecture: { layers: [784, 32, 10], hiddenSize: 32 },
      config: { hiddenSize: 16, members: 2, cleanEpochs: 0 },
      training: { stopReason: 'completed', memberResults: [{ seed: 42, stopReason: 'completed' }, { stopReason: 'completed' }] },
    });
    const predicted = await digits(['predict', sampleTestPath, '--model', 'committee.json'], work);
    expect(predicted.code, describeRun(predicted)).toBe(0);
    expect(predicted.stdout.split('\n')).toHaveLength(1002);
  });

  it('refuses a committee wider than one model can hold, before reading any data', async () => {
    const wide = await digits(['train', sampleTrainPath, '--members', '3', '--hidden', '2000'], work);
    expect(wide.code).toBe(2);
    expect(wide.stderr).toContain('error: --members 3 networks of 2000 hidden units would join into 6000, more than 4096');
    expect(wide.stderr).not.toContain('Read ');
  });
});

describe('hints name the program the way it was started', () => {
  /** `train --hidden 0`, a usage error whose hint names the command, run as `node <script>` from `cwd`. */
  async function usageHint(script: string, cwd: string, extraEnv: NodeJS.ProcessEnv): Promise<string> {
    const childEnv: NodeJS.ProcessEnv = { ...env, ...extraEnv };
    for (const name of ['npm_command', 'npm_lifecycle_event']) if (!(name in extraEnv)) delete childEnv[name];
    const run = await collectOutput(spawn(process.execPath, [script, 'train', '--hidden', '0'], { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(run.code).toBe(2);
    return run.stderr.split('\n').at(-2)!;
  }

  it('node bin/digits.js from the project folder, npx digits through npm exec, digits through a link on PATH', async () => {
    const links = mkdtempSync(join(tmpdir(), 'digits-bin-'));
    try {
      symlinkSync(bin, join(links, 'digits'));
      expect(await usageHint(bin, root, {})).toBe('(see: node bin/digits.js train --help)');
      expect(await usageHint(bin, work, {})).toBe(`(see: node ${bin} train --help)`);
      expect(await usageHint(join(links, 'digits'), work, { npm_command: 'exec', npm_lifecycle_event: 'npx' })).toBe('(see: npx digits train --help)');
      expect(await usageHint(join(links, 'digits'), work, { PATH: `${links}${delimiter}${process.env.PATH ?? ''}` })).toBe('(see: digits train --help)');
    } finally {
      rmSync(links, { recursive: true, force: true });
    }
  });
});

describe('digits predict', () => {
  /** The ImageId,Label rows of a submission, checked for shape; returns the labels. */
  function submissionLabels(text: string, rows: number): number[] {
    const lines = text.split('\n');
    expect(lines[0]).toBe('ImageId,Label');
    expect(lines.at(-1)).toBe(''); // one final newline, nothing after it
    const body = lines.slice(1, -1);
    expect(body).toHaveLength(rows);
    return body.map((line, k) => {
      const match = /^(\d+),(\d)$/.exec(line);
      expect(match, `line ${k + 2}: ${line}`).not.toBeNull();
      expect(Number(match![1])).toBe(k + 1);
      return Number(match![2]);
    });
  }

  let submission: Run;
  beforeAll(async () => {
    submission = await digits(['predict', sampleTestPath], work);
  });

  it('writes exactly ImageId,Label and one row per image to stdout, ImageId from 1', () => {
    expect(submission.code, describeRun(submission)).toBe(0);
    const labels = submissionLabels(submission.stdout, 1000);
    expect(labels.every((label) => label >= 0 && label <= 9)).toBe(true);
    // A trained model predicts every digit somewhere in 1,000 real images.
    expect(new Set(labels).size).toBe(10);
  });

  it('ends with one line on stderr (rows, model, time), and a warning for a model of the bundled sample', () => {
    expect(submission.stderr).toMatch(
      new RegExp(
        '^Predicted 1,000 rows with models/model\\.json in \\d+\\.\\d s\\.\\n' +
          escapeRegExp(`warning: models/model.json was trained on the bundled sample, ${sampleTrainPath}\n`) +
          escapeRegExp("  A real submission needs a model trained on Kaggle's train.csv:\n") +
          escapeRegExp(`  node ${bin} train train.csv\n`) +
          '$',
      ),
    );
  });

  it('--quiet says nothing on stderr, the warning included', async () => {
    const run = await digits(['predict', sampleTestPath, '--quiet'], work);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toBe(submission.stdout);
    expect(run.stderr).toBe('');
  });

  it('--out writes the same submission to a file (atomically) and nothing to stdout', async () => {
    const run = await digits(['predict', sampleTestPath, '--out', 'submission.csv'], work);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toBe('');
    expect(readFileSync(join(work, 'submission.csv'), 'utf8')).toBe(submission.stdout);
    expect(readdirSync(work).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(run.stderr).toContain('submission.csv');
  });

  it('accepts a labelled file and ignores its labels', async () => {
    // The first 25 sample rows as plain CSV, once with the label column and once without.
    const [header, ...rows] = sampleText(sampleTrainPath).split('\n').slice(0, 26);
    const dropLabel = (line: string): string => line.slice(line.indexOf(',') + 1);
    writeFileSync(join(work, 'labelled.csv'), [header, ...rows].join('\n') + '\n');
    writeFileSync(join(work, 'unlabelled.csv'), [header!, ...rows].map(dropLabel).join('\n') + '\n');
    const [labelled, unlabelled] = await Promise.all([
      digits(['predict', 'labelled.csv'], work),
      digits(['predict', 'unlabelled.csv'], work),
    ]);
    expect(labelled.code, describeRun(labelled)).toBe(0);
    expect(unlabelled.code, describeRun(unlabelled)).toBe(0);
    submissionLabels(labelled.stdout, 25);
    expect(labelled.stdout).toBe(unlabelled.stdout);
  });
});

describe('digits eval', () => {
  interface EvalJson {
    accuracy: number;
    rows: number;
    correct: number;
    confusion: number[][];
    precision: number[];
    recall: number[];
    f1: number[];
  }

  it('with no file scores the held-out rows recorded in the model', async () => {
    const run = await digits(['eval'], work);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/Accuracy [\d.]+%/);
    expect(run.stderr).toContain('400 held-out rows');
    expect(run.stderr).toMatch(/precision/);
  });

  it('--json gives accuracy, rows, a 10x10 confusion matrix and per-class precision, recall, f1', async () => {
    const run = await digits(['eval', '--json'], work);
    expect(run.code, describeRun(run)).toBe(0);
    const result = JSON.parse(run.stdout) as EvalJson;

    // The held-out rows the model recorded, and their true labels, read independently of digits.
    const model = JSON.parse(readFileSync(join(work, 'models', 'model.json'), 'utf8')) as {
      data: { heldOutRows: number[] };
      training: { heldOut: { accuracy: number } };
    };
    const labels = readSampleRows(sampleTrainPath).labels!;
    const perClass = new Array<number>(10).fill(0);
    for (const row of model.data.heldOutRows) perClass[labels[row]!]!++;

    expect(result.rows).toBe(400);
    expect(result.confusion).toHaveLength(10);
    for (const row of result.confusion) expect(row).toHaveLength(10);
    expect(result.confusion.map((row) => row.reduce((s, v) => s + v, 0))).toEqual(perClass);
    const diagonal = result.confusion.map((row, c) => row[c]!);
    expect(result.correct).toBe(diagonal.reduce((s, v) => s + v, 0));
    expect(result.accuracy).toBeCloseTo(result.correct / 400, 15);
    // The same weights on the same rows: what training reported for the held-out set.
    expect(result.accuracy).toBe(model.training.heldOut.accuracy);

    for (let c = 0; c < 10; c++) {
      const predictedAsC = result.confusion.reduce((s, row) => s + row[c]!, 0);
      const precision = predictedAsC === 0 ? 0 : diagonal[c]! / predictedAsC;
      const recall = diagonal[c]! / perClass[c]!;
      expect(result.precision[c]).toBeCloseTo(precision, 12);
      expect(result.recall[c]).toBeCloseTo(recall, 12);
      expect(result.f1[c]).toBeCloseTo(precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall), 12);
    }
  });

  it.each(['1', '2'])(
    'scores a whole labelled file (--threads %s), and all of its --json reaches a reader slower than digits',
    async (threads) => {
      // The reader takes nothing for 2 s, long after digits has scored 4,000 rows: the pipe's 64 kB fill and the
      // rest waits in digits, which must not exit before it is out. (It did, cutting the JSON off at 64 kB.)
      const script = '{ "$0" "$1" eval "$2" --json --threads "$3"; echo "digits exit $?" >&2; } | { sleep 2; cat; }';
      const run = await collectOutput(
        spawn('sh', ['-c', script, process.execPath, bin, sampleTrainPath, threads], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] }),
      );
      expect(run.stderr, describeRun(run)).toBe('digits exit 0\n');
      expect(run.stdout.length).toBeGreaterThan(65536);
      const result = JSON.parse(run.stdout) as EvalJson & { mistakes: unknown[] };
      expect(result.rows).toBe(4000);
      expect(result.mistakes.length).toBe(4000 - result.correct);
    },
    30_000,
  );

  it('refuses (exit 2) when the training file recorded in the model has changed', async () => {
    // Train on a plain copy of 500 sample rows, then change one pixel of the copy.
    const copy = join(work, 'train-copy.csv');
    const lines = sampleText(sampleTrainPath).split('\n').slice(0, 501);
    writeFileSync(copy, lines.join('\n') + '\n');
    const train = await digits(['train', copy, '--hidden', '16', '--epochs', '1', '--out', 'copy-model.json'], work);
    expect(train.code, describeRun(train)).toBe(0);
    const before = await digits(['eval', '--model', 'copy-model.json'], work);
    expect(before.code, describeRun(before)).toBe(0);

    const last = lines[500]!;
    lines[500] = last.slice(0, last.lastIndexOf(',') + 1) + (last.endsWith(',7') ? '8' : '7');
    writeFileSync(copy, lines.join('\n') + '\n');
    const after = await digits(['eval', '--model', 'copy-model.json'], work);
    expect(after.code, describeRun(after)).toBe(2);
    expect(after.stdout).toBe('');
    expect(after.stderr).toContain(copy);
    expect(after.stderr).toContain('has changed since the model was trained');
    expect(after.stderr).not.toMatch(/^\s+at /m); // no stack trace
    expect(after.stderr.trimEnd().split('\n').length).toBeLessThanOrEqual(3);
  });
});

describe('the program', () => {
  it('--version prints the package version', async () => {
    const run = await digits(['--version'], work);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${packageVersion}\n`);
  });

  it('suggests the right command for a mistyped one, with exit 2', async () => {
    const runs = await Promise.all([
      digits(['trian'], work),
      digits(['predcit', 'x.csv'], work),
      digits(['evl'], work),
    ]);
    const suggestions = ['train', 'predict', 'eval'];
    runs.forEach((run, k) => {
      expect(run.code, describeRun(run)).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`Did you mean ${suggestions[k]}?`);
    });
  });
});
