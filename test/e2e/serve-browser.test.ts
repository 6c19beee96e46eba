// The callbacks given to page.evaluate run in Chromium and use its DOM; src/ is still built without it.
/// <reference lib="dom" />
/**
 * `digits serve` in a real browser: Debian's Chromium (/usr/bin/chromium), driven headless by playwright-core,
 * which never downloads a browser of its own. A model trained on the bundled sample is served; the test draws
 * digits with the mouse and with a finger (touch events), checks what the page shows against the same
 * preprocessing and network run here in Node, uses the keyboard, and saves the screenshot the README shows
 * (docs/serve.png). Where Chromium is not installed the tests are skipped with a message saying so.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadModel } from '../../src/model/read.js';
import { Classifier } from '../../src/serve/classifier.js';
import { inkFromRgba, preprocessDigit } from '../../src/serve/preprocess.js';
import { buildIfStale, root, startServe, trainTinyModel, type RunningServer } from '../serve/cli-process.js';

const chromiumPath = '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
if (!hasChromium) {
  console.warn(
    `SKIPPED test/e2e/serve-browser.test.ts: ${chromiumPath} not found. Install Debian's Chromium to run the ` +
      'browser test of `digits serve` (apt-get install -y chromium; .ci/run does).',
  );
}

/** Chromium's flags: headless, and nothing that reaches the network or touches a profile beyond a fresh one. */
const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let folder: string;
let profile: string;
let server: RunningServer;
let classifier: Classifier;
let browser: BrowserContext;
let page: Page;

/** A point on the pad, as fractions of its width and height, in page coordinates. */
type Point = readonly [number, number];

async function padPoint([fx, fy]: Point): Promise<[number, number]> {
  const box = (await page.locator('#pad').boundingBox())!;
  return [box.x + fx * box.width, box.y + fy * box.height];
}

async function mouseStroke(points: readonly Point[]): Promise<void> {
  await page.mouse.move(...(await padPoint(points[0]!)));
  await page.mouse.down();
  // Sparse corners get steps between them, as a hand moving; dense curves are followed point by point.
  const steps = points.length > 4 ? 2 : 10;
  for (const point of points.slice(1)) await page.mouse.move(...(await padPoint(point)), { steps });
  await page.mouse.up();
}

/** A finger: raw touch events through the DevTools protocol, which Chromium turns into pointer events. */
async function touchStroke(points: readonly Point[]): Promise<void> {
  const cdp = await browser.newCDPSession(page);
  const touch = async (type: string, point: Point | null): Promise<void> => {
    const touchPoints = point ? [{ x: (await padPoint(point))[0], y: (await padPoint(point))[1] }] : [];
    await cdp.send('Input.dispatchTouchEvent', { type, touchPoints } as never);
  };
  await touch('touchStart', points[0]!);
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1]!;
    const [x1, y1] = points[i]!;
    for (let step = 1; step <= 10; step++) await touch('touchMove', [x0 + ((x1 - x0) * step) / 10, y0 + ((y1 - y0) * step) / 10]);
  }
  await touch('touchEnd', null);
  await cdp.detach();
}

/** Waits until what the page shows is for the drawing as it is now. */
async function settled(): Promise<void> {
  await page.waitForSelector('.result-card[aria-busy="false"]');
}

interface Shown {
  digit: string;
  confidence: string;
  topBar: string | null;
  barPercents: number[];
  seen: number[];
  /** The pad's alpha channel, base64: the ink as the page reads it. */
  pad: { width: number; height: number; alpha: string };
}

async function shown(): Promise<Shown> {
  return page.evaluate(() => {
    const pad = document.getElementById('pad') as HTMLCanvasElement;
    const seen = document.getElementById('seen') as HTMLCanvasElement;
    const padPixels = pad.getContext('2d')!.getImageData(0, 0, pad.width, pad.height).data;
    let alpha = '';
    for (let p = 3; p < padPixels.length; p += 4) alpha += String.fromCharCode(padPixels[p]!);
    const seenPixels = seen.getContext('2d')!.getImageData(0, 0, 28, 28).data;
    return {
      digit: document.getElementById('digit')!.textContent!,
      confidence: document.getElementById('confidence')!.textContent!,
      topBar: document.querySelector('#bars li.top')?.getAttribute('data-digit') ?? null,
      barPercents: Array.from(document.querySelectorAll('#bars .bar-value'), (cell) => parseFloat(cell.textContent!) || 0),
      seen: Array.from({ length: 784 }, (_, p) => seenPixels[p * 4]!),
      pad: { width: pad.width, height: pad.height, alpha: btoa(alpha) },
    };
  });
}

/** Checks the page against Node: the pad's ink through the same preprocessing and the same network. */
function expectConsistentWithNode(view: Shown): void {
  const ink = Buffer.from(view.pad.alpha, 'base64');
  const rgba = new Uint8Array(ink.length * 4);
  ink.forEach((a, p) => (rgba[p * 4 + 3] = a));
  const image = preprocessDigit(inkFromRgba(rgba, view.pad.width, view.pad.height));
  expect(image).not.toBeNull();
  expect(view.seen).toEqual(Array.from(image!));
  const expected = classifier.classify(image!);
  expect(view.digit).toBe(String(expected.digit));
  expect(view.topBar).toBe(String(expected.digit));
  expect(view.barPercents.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 0);
}

/**
 * Saves the README's screenshot unless the one there already shows the same picture: Chromium's software
 * rasteriser now and then changes a pixel or two between runs, and a test run should not leave a changed file.
 */
async function saveScreenshot(path: string): Promise<void> {
  const fresh = await page.screenshot();
  if (existsSync(path)) {
    const viewer = await browser.newPage();
    try {
      const differing = await viewer.evaluate(
        async ([before, after]) => {
          const pixels = async (base64: string): Promise<ImageData> => {
            const image = new Image();
            image.src = `data:image/png;base64,${base64}`;
            await image.decode();
            const canvas = new OffscreenCanvas(image.width, image.height);
            const context = canvas.getContext('2d')!;
            context.drawImage(image, 0, 0);
            return context.getImageData(0, 0, image.width, image.height);
          };
          const [a, b] = [await pixels(before), await pixels(after)];
          if (a.width !== b.width || a.height !== b.height) return Infinity;
          let count = 0;
          for (let i = 0; i < a.data.length; i += 4) {
            if (a.data[i] !== b.data[i] || a.data[i + 1] !== b.data[i + 1] || a.data[i + 2] !== b.data[i + 2]) count++;
          }
          return count;
        },
        [readFileSync(path).toString('base64'), fresh.toString('base64')] as const,
      );
      if (differing <= 20) return;
    } finally {
      await viewer.close();
    }
  }
  writeFileSync(path, fresh);
}

/** Points along an elliptical arc from `from` to `to` degrees (clockwise on the screen). */
function arc(cx: number, cy: number, rx: number, ry: number, from: number, to: number, n = 16): Point[] {
  return Array.from({ length: n + 1 }, (_, i): Point => {
    const angle = ((from + ((to - from) * i) / n) * Math.PI) / 180;
    return [cx + rx * Math.cos(angle), cy + ry * Math.sin(angle)];
  });
}

/** A 3 in one stroke: two bowls. */
const three: Point[] = [...arc(0.49, 0.34, 0.15, 0.14, -160, 90), ...arc(0.49, 0.63, 0.18, 0.16, -90, 150)];
const one: Point[] = [
  [0.52, 0.18],
  [0.49, 0.82],
];

describe.skipIf(!hasChromium)('digits serve in Chromium', () => {
  beforeAll(async () => {
    buildIfStale();
    folder = mkdtempSync(join(tmpdir(), 'digits-serve-browser-'));
    profile = mkdtempSync(join(tmpdir(), 'digits-chromium-profile-'));
    const modelPath = await trainTinyModel(folder, 'models/model.json', ['--hidden', '64', '--epochs', '3']);
    classifier = new Classifier(loadModel(modelPath));
    server = await startServe(['--port', '0'], folder);
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: chromiumFlags,
      viewport: { width: 900, height: 590 },
      hasTouch: true,
      reducedMotion: 'reduce',
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    await page.goto(server.url);
    await settled();
  });

  afterAll(async () => {
    await browser?.close();
    const run = await server?.stop();
    if (run) expect(run.code).toBe(130);
    for (const path of [folder, profile]) if (path) rmSync(path, { recursive: true, force: true });
  });

  test('starts empty: a dash, no bars, a black 28x28 view', async () => {
    const view = await shown();
    expect(view.digit).toBe('\u2013');
    expect(view.confidence).toBe('draw a digit');
    expect(view.topBar).toBeNull();
    expect(view.seen.every((v) => v === 0)).toBe(true);
    expect(await page.locator('#clear').isDisabled()).toBe(true);
  });

  test('a 3 drawn with the mouse is read as a 3; the page shows what Node computes', async () => {
    await mouseStroke(three);
    await settled();
    const view = await shown();
    expect(view.digit).toBe('3');
    expect(view.confidence).toMatch(/^\d+\.\d% sure$/);
    expectConsistentWithNode(view);
    mkdirSync(join(root, 'docs'), { recursive: true });
    await saveScreenshot(join(root, 'docs', 'serve.png'));
  });

  test('Escape clears the pad and the prediction', async () => {
    await page.keyboard.press('Escape');
    await settled();
    const view = await shown();
    expect(view.digit).toBe('\u2013');
    expect(Buffer.from(view.pad.alpha, 'base64').every((v) => v === 0)).toBe(true);
    expect(view.seen.every((v) => v === 0)).toBe(true);
  });

  test('a 1 drawn with a finger is read as a 1', async () => {
    await touchStroke(one);
    await settled();
    const view = await shown();
    expect(view.digit).toBe('1');
    expectConsistentWithNode(view);
  });

  test('Ctrl+Z takes back the last stroke; the Clear button works from the keyboard', async () => {
    await mouseStroke([
      [0.3, 0.5],
      [0.7, 0.5],
    ]);
    await settled();
    const withBar = await shown();
    await page.keyboard.press('Control+z');
    await settled();
    const undone = await shown();
    expect(undone.seen).not.toEqual(withBar.seen);
    expect(undone.digit).toBe('1');
    expectConsistentWithNode(undone);

    await page.locator('#clear').focus();
    await page.keyboard.press('Enter');
    await settled();
    expect((await shown()).digit).toBe('\u2013');
  });
});
