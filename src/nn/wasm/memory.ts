/**
 * The memory the WebAssembly kernels work in: one shared WebAssembly.Memory (a SharedArrayBuffer underneath, so
 * worker threads can instantiate the kernels over the same bytes) and a bump allocator over it. Callers place
 * parameters, gradients, inputs and scratch here as ordinary Float64Array / Uint8Array / Uint16Array /
 * Uint32Array / Int32Array views, pass those views to the kernels, and the kernels get their byte offsets.
 * A view's subarray is in the memory too; map, slice and from make copies elsewhere, which the kernels refuse.
 *
 * Allocation only moves forward (nothing is freed: a training run allocates its buffers once); the next free
 * byte is kept in the memory itself and advanced with Atomics, so any thread holding the memory may allocate.
 * The memory grows by whole pages (64 KiB) as needed, up to its maximum; views made before it grew stay valid.
 */
import type { SparseRows } from '../../data/dataset.js';

/** The parts of the WebAssembly API used here (TypeScript's ES libraries leave it out; lib.dom would bring a browser's globals). */
export interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  readonly Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => SharedWasmMemory;
  readonly Module: new (bytes: Uint8Array) => CompiledModule;
  readonly Instance: new (module: CompiledModule, imports: object) => { readonly exports: object };
}

/** A WebAssembly.Memory created with shared: true. */
export interface SharedWasmMemory {
  readonly buffer: SharedArrayBuffer;
  grow(pages: number): number;
}

/** A compiled WebAssembly.Module: it can be posted to worker threads and instantiated there. */
export interface CompiledModule {
  readonly [Symbol.toStringTag]: string;
}

/** The global WebAssembly object, typed as far as used here. */
export function webAssembly(): WebAssemblyApi {
  return (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
}

/** A typed-array class: Float64Array, Uint8Array, Uint16Array, Uint32Array, Int32Array. */
export interface ViewType<View> {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): View;
  readonly BYTES_PER_ELEMENT: number;
}

export const pageBytes = 65536;
/** The largest memory a 32-bit WebAssembly module can address: 65,536 pages, 4 GiB. */
const maxPages = 65536;
/** Bytes at the start of the memory kept for the allocator (the next free byte), so no allocation is at 0. */
const headerBytes = 64;
/** Default alignment: a 128-bit vector's. */
const defaultAlignment = 16;

export interface WasmMemoryOptions {
  /** Bytes to reserve at first (rounded up to whole pages); default one page. */
  readonly initialBytes?: number;
  /** The most the memory may ever grow to; default 1 GiB. A shared memory must have one. */
  readonly maximumBytes?: number;
}

export class WasmMemory {
  readonly memory: SharedWasmMemory;
  /** The memory's buffers seen by this thread: it gets a new SharedArrayBuffer object each time it grows. */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private readonly next: Uint32Array;

  private constructor(memory: SharedWasmMemory) {
    this.memory = memory;
    this.buffers.add(memory.buffer);
    this.next = new Uint32Array(memory.buffer, 0, 1);
  }

  /** A new memory, with its allocator set up. */
  static create(options: WasmMemoryOptions = {}): WasmMemory {
    const maximum = Math.min(maxPages, Math.ceil((options.maximumBytes ?? 2 ** 30) / pageBytes));
    const initial = Math.min(maximum, Math.max(1, Math.ceil((options.initialBytes ?? pageBytes) / pageBytes)));
    const memory = new WasmMemory(new (webAssembly().Memory)({ initial, maximum, shared: true }));
    Atomics.store(memory.next, 0, headerBytes);
    return memory;
  }

  /** The same memory, created by another thread (which has set up its allocator) and posted to this one. */
  static attach(memory: SharedWasmMemory): WasmMemory {
    return new WasmMemory(memory);
  }

  /** Bytes allocated so far, the header included. */
  get usedBytes(): number {
    return Atomics.load(this.next, 0);
  }

  /** The byte offset of `bytes` fresh bytes aligned to `alignment` (a power of two); they hold zeros. */
  allocate(bytes: number, alignment = defaultAlignment): number {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`cannot allocate ${bytes} bytes`);
    for (;;) {
      const top = Atomics.load(this.next, 0);
      const start = Math.ceil(top / alignment) * alignment;
      const end = start + bytes;
      if (end > maxPages * pageBytes - 1) throw new RangeError(`WebAssembly memory full: ${end} bytes asked for`);
      if (Atomics.compareExchange(this.next, 0, top, end) !== top) continue;
      this.reach(end);
      return start;
    }
  }

  /** A fresh zeroed array of `length` elements of type `Type` (Float64Array, Uint8Array, ...), 16-byte aligned. */
  array<View>(Type: ViewType<View>, length: number): View {
    return this.at(Type, this.allocate(length * Type.BYTES_PER_ELEMENT), length);
  }

  /** The array of `length` elements at byte offset `pointer`: how a worker thread sees what another allocated. */
  at<View>(Type: ViewType<View>, pointer: number, length: number): View {
    return new Type(this.buffer(), pointer, length);
  }

  f64(length: number): Float64Array {
    return this.array(Float64Array, length);
  }

  u8(length: number): Uint8Array {
    return this.array(Uint8Array, length);
  }

  u16(length: number): Uint16Array {
    return this.array(Uint16Array, length);
  }

  u32(length: number): Uint32Array {
    return this.array(Uint32Array, length);
  }

  i32(length: number): Int32Array {
    return this.array(Int32Array, length);
  }

  /** A copy of `rows` in this memory, for the kernels to read. */
  sparseRows(rows: SparseRows): SparseRows {
    const offsets = this.u32(rows.offsets.length);
    const indices = this.u16(rows.indices.length);
    const values = this.u8(rows.values.length);
    offsets.set(rows.offsets);
    indices.set(rows.indices);
    values.set(rows.values);
    return { rows: rows.rows, features: rows.features, offsets, indices, values };
  }

  /**
   * The byte offset of `view`, which must lie in this memory and hold at least `length` elements: a kernel
   * given a short array would read or write past it, into whatever was allocated next.
   */
  pointer(view: ArrayBufferView & { readonly length: number }, length: number, name: string): number {
    if (!this.holds(view)) throw new RangeError(`${name} is not in the kernels' WebAssembly memory`);
    if (view.length < length) throw new RangeError(`${name} has ${view.length} elements, the kernel needs ${length}`);
    return view.byteOffset;
  }

  /** Whether `view` lies in this memory, as this thread sees it. */
  holds(view: ArrayBufferView): boolean {
    if (!this.buffers.has(view.buffer)) this.buffer();
    return this.buffers.has(view.buffer);
  }

  /** The memory's current buffer, remembered as one of this memory's. */
  private buffer(): SharedArrayBuffer {
    const buffer = this.memory.buffer;
    this.buffers.add(buffer);
    return buffer;
  }

  /** Grows the memory until it has at least `end` bytes (another thread may have grown it already). */
  private reach(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      try {
        this.memory.grow(Math.ceil((end - have) / pageBytes));
      } catch (error) {
        if (this.memory.buffer.byteLength < end) {
          throw new RangeError(`WebAssembly memory full: ${end} bytes asked for`, { cause: error });
        }
      }
    }
    this.buffer();
  }
}
