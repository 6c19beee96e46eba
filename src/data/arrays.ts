/**
 * Where the arrays the kernels read and write come from. The WebAssembly kernels need theirs inside one
 * WebAssembly.Memory (nn/wasm/memory.ts's WasmMemory has this shape); worker threads need theirs in
 * SharedArrayBuffers; the TypeScript kernels on one thread take any array. Code that builds such arrays (the
 * sparse rows, the augmented batch, the engines' buffers) takes an allocator and stays the same for all three.
 */

/** Fresh zeroed arrays of `length` elements. */
export interface ArrayAllocator {
  f64(length: number): Float64Array;
  u8(length: number): Uint8Array;
  u16(length: number): Uint16Array;
  u32(length: number): Uint32Array;
  i32(length: number): Int32Array;
}

/** Ordinary arrays, each over its own ArrayBuffer. */
export const plainArrays: ArrayAllocator = {
  f64: (length) => new Float64Array(length),
  u8: (length) => new Uint8Array(length),
  u16: (length) => new Uint16Array(length),
  u32: (length) => new Uint32Array(length),
  i32: (length) => new Int32Array(length),
};

/** A SharedArrayBuffer of at least `bytes` (never empty: a zero-length view still needs a buffer to share). */
export function sharedBuffer(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(8, bytes));
}

/** Arrays over SharedArrayBuffers, which worker threads can be given. */
export const sharedArrays: ArrayAllocator = {
  f64: (length) => new Float64Array(sharedBuffer(length * 8), 0, length),
  u8: (length) => new Uint8Array(sharedBuffer(length), 0, length),
  u16: (length) => new Uint16Array(sharedBuffer(length * 2), 0, length),
  u32: (length) => new Uint32Array(sharedBuffer(length * 4), 0, length),
  i32: (length) => new Int32Array(sharedBuffer(length * 4), 0, length),
};
