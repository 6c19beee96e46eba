/** The rule that says how the user started digits, which every hint uses to name a command that works. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { invocationOf, shellWord } from '../src/invocation.js';

const cwd = '/home/ada/digits';

describe('invocationOf', () => {
  it('says npx digits when npm exec ran the bin link', () => {
    const script = '/home/ada/.npm/_npx/5f98bb1c/node_modules/.bin/digits';
    expect(invocationOf({ script, env: { npm_command: 'exec', npm_lifecycle_event: 'npx' }, cwd })).toBe('npx digits');
    expect(invocationOf({ script, env: { npm_lifecycle_event: 'npx' }, cwd })).toBe('npx digits');
    expect(invocationOf({ script: `${cwd}/node_modules/.bin/digits`, env: { npm_command: 'exec' }, cwd })).toBe('npx digits');
  });

  it('says digits when a bin link named digits in a folder on PATH ran it', () => {
    const env = { PATH: '/usr/bin:/usr/local/bin:/bin' };
    expect(invocationOf({ script: '/usr/local/bin/digits', env, cwd })).toBe('digits');
    // Under npm run, node_modules/.bin is on PATH too.
    expect(invocationOf({ script: `${cwd}/node_modules/.bin/digits`, env: { PATH: `${cwd}/node_modules/.bin:/usr/bin`, npm_command: 'run-script' }, cwd })).toBe('digits');
  });

  it('says node and the script, relative to the working folder when inside it, when node was given the script', () => {
    const env = { PATH: '/usr/bin' };
    expect(invocationOf({ script: `${cwd}/bin/digits.js`, env, cwd })).toBe('node bin/digits.js');
    expect(invocationOf({ script: `${cwd}/bin/digits.js`, env, cwd: '/tmp/work' })).toBe(`node ${cwd}/bin/digits.js`);
    expect(invocationOf({ script: '/opt/my tools/digits/bin/digits.js', env, cwd })).toBe("node '/opt/my tools/digits/bin/digits.js'");
    // A bin link that is not on PATH is run as node was asked to run it.
    expect(invocationOf({ script: `${cwd}/node_modules/.bin/digits`, env, cwd })).toBe('node node_modules/.bin/digits');
  });

  it('does not take an npx that started something else for its own: a test runner under npx spawning bin/digits.js', () => {
    expect(invocationOf({ script: `${cwd}/bin/digits.js`, env: { npm_command: 'exec', npm_lifecycle_event: 'npx' }, cwd })).toBe('node bin/digits.js');
  });

  it('says digits when something other than its bin file started the program', () => {
    expect(invocationOf({ script: `${cwd}/node_modules/vitest/vitest.mjs`, env: { npm_command: 'exec' }, cwd })).toBe('digits');
    expect(invocationOf({ script: undefined, env: {}, cwd })).toBe('digits');
  });
});

describe('shellWord', () => {
  it('leaves plain paths alone and single-quotes the rest so a shell reads them back unchanged', () => {
    expect(shellWord('data/train.csv.gz')).toBe('data/train.csv.gz');
    for (const word of ["it's here", 'a b', '$HOME', 'x;y', '']) {
      const echoed = spawnSync('sh', ['-c', `printf %s ${shellWord(word)}`], { encoding: 'utf8' }).stdout;
      expect(echoed).toBe(word);
    }
  });
});
