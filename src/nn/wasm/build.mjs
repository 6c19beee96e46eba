/**
 * Assembles the WebAssembly kernels (src/nn/wasm/kernels.wat) into dist/nn/wasm/kernels.wasm with wabt, the
 * WebAssembly Binary Toolkit compiled to JavaScript (a devDependency): the build needs nothing but npm packages,
 * and the binary is never committed. Part of `npm run build`.
 *
 * Features: SIMD (f64x2), threads (the shared memory the kernels import), multi-value (a step returns its loss
 * and its count of correct rows), bulk memory (memory.copy). Relaxed SIMD is left off: its fused multiply-add
 * would round differently from the TypeScript kernels.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import initWabt from 'wabt';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const source = join(root, 'src', 'nn', 'wasm', 'kernels.wat');
const target = join(root, 'dist', 'nn', 'wasm', 'kernels.wasm');

const wabt = await initWabt();
const features = { simd: true, threads: true, multi_value: true, bulk_memory: true, relaxed_simd: false };
let module;
try {
  module = wabt.parseWat(relative(root, source), readFileSync(source, 'utf8'), features);
  module.validate(features);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
const { buffer } = module.toBinary({ log: false, write_debug_names: true });
module.destroy();
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, buffer);
