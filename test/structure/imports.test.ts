/**
 * The shape of src/: imports run one way, from the ground up, and no two files or folders import each other.
 *
 *   ground (errors.ts, version.ts, debug.ts, invocation.ts)
 *     -> io (reading sources, atomic writes) -> data (CSV, dataset, deskew, augmentation, split)
 *     -> nn (kernels, network, threads, optimisers, prediction) -> train (the loop, presets, settings)
 *     -> model (the file format) -> ui and serve (rendering: terminal, web page) -> commands -> cli.ts
 *
 * A file may import files of its own folder and of any lower layer, never of a higher one or of another folder on
 * its own layer. Within a folder, files must not import each other in a circle either. Every import counts,
 * `import type` too: a type's owner is where the type lives, and a type imported upwards ties the layers as
 * tightly as a function does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const srcRoot = fileURLToPath(new URL('../../src/', import.meta.url));

/** Layers from the ground up; a name is a folder of src/ or a file at its top. */
const layers: readonly (readonly string[])[] = [
  ['errors.ts', 'version.ts', 'debug.ts', 'invocation.ts'],
  ['io'],
  ['data'],
  ['nn'],
  ['train'],
  ['model'],
  ['ui', 'serve'],
  ['commands'],
  ['cli.ts'],
];

/** Every .ts file under src/, as paths relative to src/ with forward slashes. */
export function sourceFiles(folder = srcRoot): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [relative(srcRoot, path).split('\\').join('/')] : [];
  });
}

/** The src/ files a source text imports (static, `export ... from`, and dynamic `import('...')`), relative to src/. */
export function importsOf(file: string, text: string): string[] {
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\s[^'";]*?from\s*'([^']+)'/gm),
    ...text.matchAll(/^\s*import\s*'([^']+)'/gm),
    ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
  ].map((match) => match[1]!);
  return specifiers
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => normalize(join(dirname(file), specifier)).split('\\').join('/').replace(/\.js$/, '.ts'));
}

/** The unit a file belongs to for layering: its top folder, or the file itself at the top of src/. */
function unitOf(file: string): string {
  return file.includes('/') ? file.slice(0, file.indexOf('/')) : file;
}

function layerOf(unit: string): number {
  return layers.findIndex((layer) => layer.includes(unit));
}

export interface ImportGraph {
  readonly files: readonly string[];
  readonly edges: ReadonlyMap<string, readonly string[]>;
}

export function readGraph(): ImportGraph {
  const files = sourceFiles();
  const edges = new Map(files.map((file) => [file, importsOf(file, readFileSync(join(srcRoot, file), 'utf8'))]));
  return { files, edges };
}

/** Imports against the layer order, as "from -> to" lines. */
export function layerViolations(graph: ImportGraph): string[] {
  const found: string[] = [];
  for (const [from, targets] of graph.edges) {
    for (const to of targets) {
      const [fromUnit, toUnit] = [unitOf(from), unitOf(to)];
      if (fromUnit === toUnit) continue;
      const [fromLayer, toLayer] = [layerOf(fromUnit), layerOf(toUnit)];
      if (fromLayer === -1 || toLayer === -1 || toLayer >= fromLayer) {
        found.push(`${from} -> ${to}`);
      }
    }
  }
  return found;
}

/** Circles of files that import each other, each as "a -> b -> ... -> a" (Tarjan's strongly connected components). */
export function importCycles(graph: ImportGraph): string[] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[] = [];
  const visit = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter++);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.edges.get(file) ?? []) {
      if (!graph.edges.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file)!, index.get(next)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const members: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      members.push(member);
    } while (member !== file);
    const selfImport = graph.edges.get(file)?.includes(file) ?? false;
    if (members.length > 1 || selfImport) cycles.push([...members.reverse(), members[0]!].join(' -> '));
  };
  for (const file of graph.files) if (!index.has(file)) visit(file);
  return cycles;
}

describe('the import graph of src/', () => {
  const graph = readGraph();

  it('reads the source tree and its imports', () => {
    expect(graph.files).toContain('cli.ts');
    expect(graph.edges.get('cli.ts')!.length).toBeGreaterThan(3);
  });

  it('places every folder and top-level file of src/ on a layer', () => {
    const units = [...new Set(graph.files.map(unitOf))];
    expect(units.filter((unit) => layerOf(unit) === -1)).toEqual([]);
  });

  it('has no import against the layer order', () => {
    expect(layerViolations(graph)).toEqual([]);
  });

  it('has no circle of files importing each other', () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it('finds a circle and an upward import when there is one', () => {
    const planted: ImportGraph = {
      files: ['data/a.ts', 'data/b.ts', 'nn/c.ts'],
      edges: new Map([
        ['data/a.ts', ['data/b.ts']],
        ['data/b.ts', ['data/a.ts', 'nn/c.ts']],
        ['nn/c.ts', []],
      ]),
    };
    expect(importCycles(planted)).toEqual(['data/a.ts -> data/b.ts -> data/a.ts']);
    expect(layerViolations(planted)).toEqual(['data/b.ts -> nn/c.ts']);
  });

  it('reads every form of import', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../data/b.js';",
      "export { c } from './c.js';",
      "import './d.js';",
      "const e = await import('../nn/e.js');",
      "import { readFileSync } from 'node:fs';",
    ].join('\n');
    expect(importsOf('train/x.ts', text)).toEqual(['train/a.ts', 'data/b.ts', 'train/c.ts', 'train/d.ts', 'nn/e.ts']);
  });
});
