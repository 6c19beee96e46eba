/**
 * Interrupts and crashes, end to end: Ctrl-C (SIGINT) and SIGTERM during training stop after the current step
 * and save a complete model that `--resume` continues; a second Ctrl-C quits at once without writing; Ctrl-C
 * while reading quits at once; and `kill -9` at random moments while a large model is being saved over a good
 * one always leaves a model file that loads (the old one or the new one).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../src/model/read.js';
import { finished, runCli, sampleTrain as sample, scratchFolder, sleep, startCli, waitForStderr } from '../errors/cli.js';

const scratch = scratchFolder('e2e-interrupt');
const cwd = scratch.path;
afterAll(() => scratch.remove());

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // renamed or removed meanwhile
  }
}

function temporaryFiles(): string[] {
  return readdirSync(cwd).filter((name) => name.endsWith('.tmp'));
}

describe('Ctrl-C and SIGTERM during training', () => {
  // Full batch with a report every iteration: each "iteration k/40" line marks the end of a step.
  const steps = ['--hidden', '16', '--batch-size', 'full', '--iterations', '40', '--log-every', '1', '--progress', 'lines'];

  it('SIGINT stops after the step, saves a model that loads, exits 130; --resume finishes the run', async () => {
    const child = startCli(['train', sample, ...steps, '--out', 'interrupted.json'], { cwd });
    const result = finished(child);
    await waitForStderr(child, /iteration\s+2\/40/);
    child.kill('SIGINT');
    const { code, stderr } = await result;
    expect(code).toBe(130);
    expect(stderr).toContain('Stopping after this step to save the model (SIGINT); press Ctrl-C again to quit at once without saving.');
    const stoppedAt = Number(/Interrupted at iteration (\d+) of 40; continue with --resume interrupted\.json\./.exec(stderr)?.[1]);
    expect(stoppedAt).toBeGreaterThanOrEqual(2);
    expect(stoppedAt).toBeLessThan(40);

    const saved = loadModel(join(cwd, 'interrupted.json'));
    expect(saved.training.stopReason).toBe('interrupted');
    expect(saved.training.iterations).toBe(stoppedAt);
    expect(saved.history.at(-1)!.iteration).toBe(stoppedAt);

    // Asking for fewer steps than were taken is refused before anything is read or written, even over the file.
    const before = readFileSync(join(cwd, 'interrupted.json'));
    const fewer = await runCli(['train', '--resume', 'interrupted.json', '--iterations', '1', '--out', 'interrupted.json'], { cwd });
    expect(fewer.stderr).toBe(
      `error: --iterations 1 asks for 1 iteration in all, fewer than the ${stoppedAt} iterations the resumed run has already trained\n` +
        `  --epochs and --iterations count from the start of the run, not from where it stopped: ask for --iterations ${stoppedAt + 1} or more, ` +
        "or leave --iterations out to finish the run's plan of 40 iterations.\n",
    );
    expect(fewer.code).toBe(2);
    expect(readFileSync(join(cwd, 'interrupted.json')).equals(before)).toBe(true);

    const resumed = await runCli(['train', '--resume', 'interrupted.json', '--out', 'resumed.json', '--progress', 'lines'], { cwd });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`resuming at iteration ${stoppedAt}`);
    const done = loadModel(join(cwd, 'resumed.json'));
    expect(done.training.stopReason).toBe('completed');
    expect(done.training.iterations).toBe(40);
    expect(temporaryFiles()).toEqual([]);
  });

  it('SIGINT in the second network of a committee saves what exists, joined; --resume finishes that network', async () => {
    const child = startCli(['train', sample, ...steps, '--members', '2', '--out', 'committee.json'], { cwd });
    const result = finished(child);
    await waitForStderr(child, /network 2 of 2\s+iteration\s+2\/40/);
    child.kill('SIGINT');
    const { code, stderr } = await result;
    expect(code).toBe(130);
    expect(stderr).toMatch(/^Network 1 of 2: held-out accuracy [\d.]+%\.$/m);
    expect(stderr).toMatch(/^Network 2 of 2: held-out accuracy [\d.]+% \(interrupted at iteration \d+ of 40\)\.$/m);
    expect(stderr).toMatch(/\(2 networks joined: 784-32-10\)/);
    const stoppedAt = Number(/Interrupted in network 2 of 2 at iteration (\d+) of 40; continue with --resume committee\.json\./.exec(stderr)?.[1]);
    expect(stoppedAt).toBeGreaterThanOrEqual(2);
    expect(stoppedAt).toBeLessThan(40);

    const saved = loadModel(join(cwd, 'committee.json'));
    expect(saved.params.shape.hiddenSize).toBe(32);
    expect(saved.committee).toMatchObject({ done: 1, current: { iteration: stoppedAt } });

    const resumed = await runCli(['train', '--resume', 'committee.json', '--out', 'committee-done.json', '--progress', 'lines'], { cwd });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`^Network 2 of 2 \\(seed \\d+\\), resuming at iteration ${stoppedAt} of 40:$`, 'm'));
    expect(resumed.stderr).not.toMatch(/^Network 1 of 2 \(seed/m);
    const done = loadModel(join(cwd, 'committee-done.json'));
    expect(done.training.stopReason).toBe('completed');
    expect(done.training.iterations).toBe(80);
    expect(done.committee).toBeNull();
    expect(temporaryFiles()).toEqual([]);
  });

  it('SIGTERM does the same and exits 143', async () => {
    const child = startCli(['train', sample, ...steps, '--out', 'terminated.json'], { cwd });
    const result = finished(child);
    await waitForStderr(child, /iteration\s+2\/40/);
    child.kill('SIGTERM');
    const { code, stderr } = await result;
    expect(code).toBe(143);
    expect(stderr).toContain('Stopping after this step to save the model (SIGTERM)');
    expect(loadModel(join(cwd, 'terminated.json')).training.stopReason).toBe('interrupted');
  });

  it('a second Ctrl-C quits at once, exit 130, writing nothing and keeping the old model', async () => {
    // Steps of about a second, so that both signals arrive during the same step.
    copyFileSync(join(cwd, 'resumed.json'), join(cwd, 'twice.json'));
    const before = readFileSync(join(cwd, 'twice.json'));
    const slow = ['--hidden', '256', '--batch-size', 'full', '--iterations', '5', '--log-every', '1', '--progress', 'lines'];
    const child = startCli(['train', sample, ...slow, '--out', 'twice.json'], { cwd });
    const result = finished(child);
    await waitForStderr(child, /iteration 1\/5/);
    child.kill('SIGINT');
    await sleep(100);
    child.kill('SIGINT');
    const { code, stderr } = await result;
    expect(code).toBe(130);
    expect(stderr).toContain('Stopped at once; the model was not saved.');
    expect(stderr).not.toContain('Model written');
    expect(readFileSync(join(cwd, 'twice.json')).equals(before)).toBe(true);
    expect(temporaryFiles()).toEqual([]);
  });

  it('Ctrl-C while the data is still being read quits at once, writing nothing', async () => {
    // Standard input is left open, so the run is still reading when the signal comes.
    const child = startCli(['train', '-', '--out', 'never.json', '--progress', 'lines'], { cwd, keepStdinOpen: true });
    const result = finished(child);
    child.stdin!.write('label,pixel0,pixel1\n1,0,0\n');
    await sleep(1500);
    child.kill('SIGINT');
    const { code, stderr } = await result;
    expect(code).toBe(130);
    expect(stderr).toBe('\nInterrupted (SIGINT).\n');
    expect(existsSync(join(cwd, 'never.json'))).toBe(false);
  });
});

describe('kill -9 while a model is being saved', () => {
  // A large model (256 hidden units with Adam's two moment vectors: about 12 MB of JSON), so that writing it
  // takes long enough to be hit; one short mini-batch step, so that the run reaches the save quickly.
  const big = ['train', sample, '--hidden', '256', '--optimizer', 'adam', '--iterations', '1', '--batch-size', '64', '--quiet', '--progress', 'none'];
  const target = 'big.json';

  beforeAll(async () => {
    const first = await runCli([...big, '--out', target], { cwd });
    expect(first.code, first.stderr).toBe(0);
  });

  it('always leaves the old model or the new one, never a broken file', async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 8; round++) {
      const before = readFileSync(join(cwd, target));
      // Each round runs with a different seed, so a new model differs from the old one byte for byte.
      const child = startCli([...big, '--seed', String(100 + round), '--out', target], { cwd });
      const result = finished(child);
      // Half the rounds kill as soon as the temporary file appears plus a random delay (inside the write), the
      // others at a random moment of the whole run.
      const delay = Math.floor(Math.random() * (round % 2 === 0 ? 40 : 2500));
      if (round % 2 === 0) {
        // Saving has begun when a temporary file has content (an empty one is the start-up check that the folder
        // is writable), or, were the write not atomic, when the target itself changes.
        const targetBefore = statSync(join(cwd, target)).mtimeMs;
        const writing = (): boolean =>
          temporaryFiles().some((name) => name.startsWith(`.${target}.${child.pid}.`) && sizeOf(join(cwd, name)) > 0) ||
          statSync(join(cwd, target)).mtimeMs !== targetBefore;
        while (child.exitCode === null && !writing()) await sleep(1);
      }
      await sleep(delay);
      child.kill('SIGKILL');
      const { signal, code } = await result;
      const model = loadModel(join(cwd, target)); // throws (fails the test) on a broken file
      const after = readFileSync(join(cwd, target));
      const which = after.equals(before) ? 'old' : 'new';
      if (which === 'new') expect(model.training.config.seed).toBe(100 + round);
      outcomes.push(`${round % 2 === 0 ? 'temp+' : ''}${delay}ms:${signal ?? `exit ${code}`}:${which}`);
    }
    console.info(`kill -9 rounds (delay:how it ended:file kept): ${outcomes.join(', ')}`);
    expect(outcomes.filter((o) => o.includes('SIGKILL')).length).toBeGreaterThan(0);

    // The next write clears the temporary files the killed runs left.
    const clean = await runCli([...big, '--out', target], { cwd });
    expect(clean.code, clean.stderr).toBe(0);
    expect(temporaryFiles()).toEqual([]);
  });
});
