/**
 * The page `digits serve` shows: markup, styles and the script that lets people draw, kept here as strings so
 * that the compiled program carries them (no files to copy, no build step beyond tsc). The preprocessing the
 * script runs is not here: it is ./preprocess.ts, compiled by tsc and sent to the browser as /preprocess.js,
 * the same module the tests check against Kaggle's rows. Everything is served locally: the page works offline.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface PageAssets {
  readonly html: string;
  readonly css: string;
  /** The page's script, an ES module importing /preprocess.js. */
  readonly app: string;
  /** The compiled preprocessing module. */
  readonly preprocess: string;
}

const digitRows = Array.from(
  { length: 10 },
  (_, d) =>
    `<li data-digit="${d}"><span class="bar-digit">${d}</span>` +
    `<span class="bar-track"><span class="bar-fill"></span></span><span class="bar-value">&nbsp;</span></li>`,
).join('\n          ');

export const pageHtml = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>digits: draw a digit</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/style.css">
  <script type="module" src="/app.js"></script>
</head>
<body>
  <header>
    <h1>digits</h1>
    <p>Draw a digit from 0 to 9 with a mouse, pen or finger; the model reads it as you draw.</p>
  </header>
  <main>
    <section class="card pad-card" aria-label="Drawing">
      <div class="pad-wrap">
        <canvas id="pad" aria-label="Drawing area: draw one digit here" role="img"></canvas>
        <p id="pad-hint" class="pad-hint" aria-hidden="true">Draw here</p>
      </div>
      <div class="buttons">
        <button id="clear" type="button" title="Clear the drawing (Esc or Delete)">Clear <kbd>Esc</kbd></button>
        <button id="undo" type="button" title="Take back the last stroke (Ctrl+Z, U or Backspace)">Undo <kbd>Ctrl+Z</kbd></button>
      </div>
    </section>
    <section class="card result-card" aria-label="What the model reads">
      <div class="top">
        <div class="prediction">
          <span class="caption">Prediction</span>
          <output id="digit" aria-live="polite">&ndash;</output>
          <span id="confidence" class="confidence">draw a digit</span>
        </div>
        <figure class="seen">
          <canvas id="seen" width="28" height="28" aria-label="The 28 by 28 image the model reads" role="img"></canvas>
          <figcaption>what the model sees, 28&times;28</figcaption>
        </figure>
      </div>
      <ol id="bars" class="bars" aria-label="Probability of each digit">
          ${digitRows}
      </ol>
    </section>
  </main>
  <footer>
    <p id="status" role="status"></p>
    <p id="model" class="model"></p>
  </footer>
  <noscript><p class="card">This page needs JavaScript to draw and classify digits.</p></noscript>
</body>
</html>
`;

export const pageCss = `:root {
  color-scheme: light;
  --ink: #17202a;
  --muted: #5d6b7a;
  --paper: #ffffff;
  --page: #eef1f5;
  --line: #d5dbe3;
  --accent: #2f6fde;
  --accent-soft: #dbe6fb;
  --bar: #b9c6d8;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink);
  background: var(--page);
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 60rem; padding: 1.25rem 1rem 2rem; }
header h1 { margin: 0; font-size: 1.6rem; letter-spacing: 0.02em; }
header p { margin: 0.25rem 0 1rem; color: var(--muted); }
main { display: flex; flex-wrap: wrap; gap: 1rem; align-items: stretch; }
.card { background: var(--paper); border: 1px solid var(--line); border-radius: 14px; padding: 1rem;
  box-shadow: 0 1px 3px rgba(23, 32, 42, 0.08); }
.pad-card { flex: 0 1 auto; display: flex; flex-direction: column; gap: 0.75rem; }
.pad-wrap { position: relative; }
#pad { display: block; width: min(calc(100vw - 4.5rem), 22rem); aspect-ratio: 1; border-radius: 10px;
  background: var(--paper); border: 2px dashed var(--line); touch-action: none; cursor: crosshair; }
#pad.has-ink { border-style: solid; }
.pad-hint { position: absolute; inset: 0; margin: 0; display: flex; align-items: center; justify-content: center;
  color: var(--line); font-size: 1.5rem; pointer-events: none; user-select: none; }
.pad-hint[hidden] { display: none; }
.buttons { display: flex; gap: 0.5rem; }
button { font: inherit; min-height: 2.75rem; padding: 0.4rem 1rem; border-radius: 8px; border: 1px solid var(--line);
  background: var(--page); color: var(--ink); cursor: pointer; }
button:hover { background: var(--accent-soft); }
button:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
button:disabled { opacity: 0.5; cursor: default; background: var(--page); }
kbd { font: 0.75rem ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: var(--muted);
  border: 1px solid var(--line); border-radius: 4px; padding: 0 0.3rem; margin-left: 0.35rem; }
.result-card { flex: 1 1 20rem; display: flex; flex-direction: column; gap: 1rem; }
.top { display: flex; justify-content: space-between; align-items: flex-start; gap: 1rem; }
.prediction { display: flex; flex-direction: column; }
.caption { color: var(--muted); font-size: 0.85rem; text-transform: uppercase; letter-spacing: 0.08em; }
#digit { font-size: 5.5rem; line-height: 1; font-weight: 700; color: var(--accent); min-width: 1ch;
  font-variant-numeric: tabular-nums; }
#digit.empty { color: var(--line); }
.confidence { color: var(--muted); }
.seen { margin: 0; display: flex; flex-direction: column; align-items: center; gap: 0.35rem; }
#seen { width: 7rem; height: 7rem; image-rendering: pixelated; background: #000; border-radius: 6px; }
.seen figcaption { font-size: 0.8rem; color: var(--muted); }
.bars { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 0.3rem; }
.bars li { display: grid; grid-template-columns: 1.5rem 1fr 3.5rem; align-items: center; gap: 0.5rem; }
.bar-digit { font-weight: 600; text-align: center; font-variant-numeric: tabular-nums; }
.bar-track { height: 1.1rem; background: var(--page); border-radius: 5px; overflow: hidden; }
.bar-fill { display: block; height: 100%; width: 0; background: var(--bar); border-radius: 5px;
  transition: width 120ms ease-out; }
.bars li.top .bar-fill { background: var(--accent); }
.bars li.top .bar-digit { color: var(--accent); }
.bar-value { text-align: right; font-variant-numeric: tabular-nums; color: var(--muted); font-size: 0.9rem; }
footer { margin-top: 1rem; color: var(--muted); font-size: 0.85rem; }
footer p { margin: 0.2rem 0; }
#status:empty { display: none; }
#status { color: #b3261e; }
@media (max-width: 40rem) { .pad-card { flex-basis: 100%; align-items: center; } }
@media (prefers-reduced-motion: reduce) { .bar-fill { transition: none; } }
`;

/**
 * The page's script. Strokes are kept as points (fractions of the pad's size) so the pad can be redrawn at any
 * size and the last stroke taken back. After each change, on the next animation frame: redraw, preprocess the
 * pad's alpha channel, show the 28x28 image, and ask the server, one request at a time (a change made while a
 * request is out is sent when it returns).
 */
export const pageScript = `import { preprocessDigit, inkFromRgba, imageSide } from '/preprocess.js';

const pad = document.getElementById('pad');
const padHint = document.getElementById('pad-hint');
const seen = document.getElementById('seen');
const digitOut = document.getElementById('digit');
const confidenceOut = document.getElementById('confidence');
const statusOut = document.getElementById('status');
const modelOut = document.getElementById('model');
const clearButton = document.getElementById('clear');
const undoButton = document.getElementById('undo');
const bars = Array.from(document.querySelectorAll('#bars li'));
const resultCard = document.querySelector('.result-card');
const padContext = pad.getContext('2d', { willReadFrequently: true });
const seenContext = seen.getContext('2d');

/**
 * Stroke width as a share of the pad: a digit drawn over about two thirds of the pad then has about as much ink
 * as Kaggle's digits (measured in Chromium for a 1, a 3 and a 7: within 15% of the mean ink of each).
 */
const strokeShare = 1 / 10;
const strokes = [];
let activePointer = null;
let frameRequested = false;
let requestOut = false;
let unsent = null;
let shownFor = 0;
let changes = 0;

/** aria-busy while the prediction on show is not yet the drawing's: a frame or a request to come. */
function markBusy() {
  resultCard.setAttribute('aria-busy', String(frameRequested || requestOut || unsent !== null));
}

function resizePad() {
  const ratio = window.devicePixelRatio || 1;
  const size = Math.round(pad.clientWidth * ratio);
  if (size > 0 && (pad.width !== size || pad.height !== size)) {
    pad.width = size;
    pad.height = size;
    changed();
  }
}

/** Where a pointer is, as fractions of the drawing surface (inside the pad's border). */
function pointOf(event) {
  const box = pad.getBoundingClientRect();
  return [
    (event.clientX - box.left - pad.clientLeft) / pad.clientWidth,
    (event.clientY - box.top - pad.clientTop) / pad.clientHeight,
  ];
}

function drawStrokes() {
  const size = pad.width;
  padContext.clearRect(0, 0, size, size);
  padContext.strokeStyle = '#17202a';
  padContext.fillStyle = '#17202a';
  padContext.lineWidth = size * strokeShare;
  padContext.lineCap = 'round';
  padContext.lineJoin = 'round';
  for (const stroke of strokes) {
    const points = stroke.map(([x, y]) => [x * size, y * size]);
    if (points.length === 1) {
      padContext.beginPath();
      padContext.arc(points[0][0], points[0][1], padContext.lineWidth / 2, 0, 2 * Math.PI);
      padContext.fill();
      continue;
    }
    // Quadratic curves through the midpoints: smooth lines from the pointer's samples.
    padContext.beginPath();
    padContext.moveTo(points[0][0], points[0][1]);
    for (let i = 1; i < points.length - 1; i++) {
      const mx = (points[i][0] + points[i + 1][0]) / 2;
      const my = (points[i][1] + points[i + 1][1]) / 2;
      padContext.quadraticCurveTo(points[i][0], points[i][1], mx, my);
    }
    const last = points[points.length - 1];
    padContext.lineTo(last[0], last[1]);
    padContext.stroke();
  }
}

function showImage(pixels) {
  const image = seenContext.createImageData(imageSide, imageSide);
  for (let p = 0; p < pixels.length; p++) {
    image.data[p * 4] = pixels[p];
    image.data[p * 4 + 1] = pixels[p];
    image.data[p * 4 + 2] = pixels[p];
    image.data[p * 4 + 3] = 255;
  }
  seenContext.putImageData(image, 0, 0);
}

function showPrediction(result) {
  let best = 0;
  result.probabilities.forEach((p, k) => { if (p > result.probabilities[best]) best = k; });
  digitOut.textContent = String(result.digit);
  digitOut.classList.remove('empty');
  confidenceOut.textContent = (100 * result.probabilities[best]).toFixed(1) + '% sure';
  bars.forEach((row, k) => {
    const p = result.probabilities[k] ?? 0;
    row.querySelector('.bar-fill').style.width = (100 * p).toFixed(1) + '%';
    row.querySelector('.bar-value').textContent = (100 * p).toFixed(1) + '%';
    row.classList.toggle('top', k === best);
    row.setAttribute('aria-label', 'digit ' + result.classes[k] + ': ' + (100 * p).toFixed(1) + ' percent');
  });
}

function showEmpty() {
  digitOut.textContent = '\\u2013';
  digitOut.classList.add('empty');
  confidenceOut.textContent = 'draw a digit';
  seenContext.fillStyle = '#000';
  seenContext.fillRect(0, 0, imageSide, imageSide);
  bars.forEach((row) => {
    row.querySelector('.bar-fill').style.width = '0';
    row.querySelector('.bar-value').textContent = '\\u00a0';
    row.classList.remove('top');
  });
}

async function classify(pixels, change) {
  if (requestOut) {
    unsent = { pixels, change };
    return;
  }
  requestOut = true;
  try {
    const response = await fetch('/api/predict', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pixels: Array.from(pixels) }),
    });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || 'the server answered ' + response.status);
    // A clear or an undo since this was sent makes the answer stale.
    if (change >= shownFor && strokes.length > 0) {
      shownFor = change;
      showPrediction(body);
    }
    statusOut.textContent = '';
  } catch (error) {
    statusOut.textContent = 'Could not reach the digits server (' + error.message + '). Is it still running?';
  } finally {
    requestOut = false;
    if (unsent) {
      const next = unsent;
      unsent = null;
      classify(next.pixels, next.change);
    }
    markBusy();
  }
}

function update() {
  frameRequested = false;
  drawStrokes();
  const empty = strokes.length === 0;
  pad.classList.toggle('has-ink', !empty);
  padHint.hidden = !empty;
  clearButton.disabled = empty;
  undoButton.disabled = empty;
  const pixels = empty ? null : preprocessDigit(inkFromRgba(padContext.getImageData(0, 0, pad.width, pad.height).data, pad.width, pad.height));
  if (!pixels) {
    unsent = null;
    shownFor = changes;
    showEmpty();
  } else {
    showImage(pixels);
    classify(pixels, changes);
  }
  markBusy();
}

function changed() {
  changes++;
  if (!frameRequested) {
    frameRequested = true;
    requestAnimationFrame(update);
  }
  markBusy();
}

function clearPad() {
  strokes.length = 0;
  changed();
}

function undoStroke() {
  strokes.pop();
  changed();
}

pad.addEventListener('pointerdown', (event) => {
  if (activePointer !== null || (event.pointerType === 'mouse' && event.button !== 0)) return;
  event.preventDefault();
  activePointer = event.pointerId;
  pad.setPointerCapture(event.pointerId);
  strokes.push([pointOf(event)]);
  changed();
});
pad.addEventListener('pointermove', (event) => {
  if (event.pointerId !== activePointer) return;
  const stroke = strokes[strokes.length - 1];
  const samples = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
  for (const sample of samples.length > 0 ? samples : [event]) stroke.push(pointOf(sample));
  changed();
});
function endStroke(event) {
  if (event.pointerId !== activePointer) return;
  activePointer = null;
  changed();
}
pad.addEventListener('pointerup', endStroke);
pad.addEventListener('pointercancel', endStroke);

clearButton.addEventListener('click', clearPad);
undoButton.addEventListener('click', undoStroke);
document.addEventListener('keydown', (event) => {
  if (event.altKey || event.defaultPrevented) return;
  const command = event.ctrlKey || event.metaKey;
  if (!command && (event.key === 'Escape' || event.key === 'Delete')) {
    event.preventDefault();
    clearPad();
  } else if ((command && event.key.toLowerCase() === 'z') || (!command && (event.key.toLowerCase() === 'u' || event.key === 'Backspace'))) {
    event.preventDefault();
    undoStroke();
  }
});
new ResizeObserver(resizePad).observe(pad);

async function showModel() {
  try {
    const response = await fetch('/api/model');
    const model = await response.json();
    const parts = ['Model ' + model.path, model.inputSize + '\\u2013' + model.hiddenSize + '\\u2013' + model.classCount + ' network'];
    if (model.heldOutAccuracy !== null) {
      parts.push((100 * model.heldOutAccuracy).toFixed(1) + '% on ' + model.heldOutRows.toLocaleString('en-US') + ' held-out rows');
    }
    parts.push('trained on ' + model.trainingRows.toLocaleString('en-US') + ' rows (' + model.preset + ' preset)');
    modelOut.textContent = parts.join(' \\u00b7 ');
  } catch (error) {
    modelOut.textContent = '';
  }
}

resizePad();
showEmpty();
update();
showModel();
`;

/** The page with the compiled preprocessing module beside this file (dist/serve/preprocess.js). */
export function loadPageAssets(): PageAssets {
  const preprocess = readFileSync(fileURLToPath(new URL('./preprocess.js', import.meta.url)), 'utf8');
  return { html: pageHtml, css: pageCss, app: pageScript, preprocess };
}
