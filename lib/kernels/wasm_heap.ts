/**
 * The WASM backend's heap: a clear error when it is exhausted, and its use for budgets
 * (docs/backends.md#backprop-memory).
 *
 * tfjs-backend-wasm 4.22 allocates every tensor with the module's `malloc` and never checks the
 * result: past the 4 GB a 32-bit WebAssembly memory can address, `malloc` returns 0 and the tensor
 * is written over the heap's start, so the run fails later and elsewhere ("memory access out of
 * bounds" in a `free`, or `Aborted()`). {@link guardWasmHeap} wraps the allocator the backend calls
 * so a failed allocation throws at once, naming its size and the heap, and counts the bytes live so
 * a tool can report a phase's peak ({@link wasmHeapStats}).
 *
 * @module
 */

/** The part of the Emscripten module the guard wraps. */
export interface WasmModule {
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  HEAPU8: { length: number };
  /** the raw exports (Emscripten's `_malloc` is a stub that rebinds itself to `asm.malloc`) */
  asm?: { malloc?: (bytes: number) => number; free?: (ptr: number) => void };
}

/** Bytes the backend's tensors hold now and at most since the last reset, and the heap's size. */
export interface WasmHeapStats {
  /** the WebAssembly memory's current size (it only grows) */
  heapBytes: number;
  /** bytes allocated by tfjs (tensors) and not yet freed */
  liveBytes: number;
  /** the most `liveBytes` has been since {@linkcode resetWasmHeapPeak} (or the guard) */
  peakBytes: number;
}

/** The largest memory a wasm32 module can address. */
export const WASM_MAX_HEAP_BYTES = 2 ** 32;

const MiB = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

let guarded: { module: WasmModule; sizes: Map<number, number>; live: number; peak: number } | null = null;

/**
 * Make `module`'s allocator (the one `BackendWasm` calls for every tensor) throw a RangeError
 * instead of returning 0, and count live bytes. Idempotent per module.
 */
export function guardWasmHeap(module: WasmModule): void {
  if (guarded?.module === module) return;
  const malloc = module.asm?.malloc ?? module._malloc.bind(module);
  const free = module.asm?.free ?? module._free.bind(module);
  const state = { module, sizes: new Map<number, number>(), live: 0, peak: 0 };
  module._malloc = (bytes: number): number => {
    const ptr = malloc(bytes) >>> 0;
    if (ptr === 0 && bytes > 0) {
      throw new RangeError(
        `WASM heap exhausted: cannot allocate ${MiB(bytes)} with ${MiB(state.live)} of tensors live ` +
          `(heap ${MiB(module.HEAPU8.length)} of the ${MiB(WASM_MAX_HEAP_BYTES)} wasm32 can address); ` +
          `use a smaller batch or smaller tables, or a GPU backend`,
      );
    }
    state.sizes.set(ptr, bytes);
    state.live += bytes;
    if (state.live > state.peak) state.peak = state.live;
    return ptr;
  };
  module._free = (ptr: number): void => {
    const p = ptr >>> 0, bytes = state.sizes.get(p);
    if (bytes !== undefined) {
      state.live -= bytes;
      state.sizes.delete(p);
    }
    free(ptr);
  };
  guarded = state;
}

/** The guarded heap's use, or null when no WASM module is guarded. */
export function wasmHeapStats(): WasmHeapStats | null {
  if (!guarded) return null;
  return { heapBytes: guarded.module.HEAPU8.length, liveBytes: guarded.live, peakBytes: guarded.peak };
}

/** Start a new peak from the bytes live now. */
export function resetWasmHeapPeak(): void {
  if (guarded) guarded.peak = guarded.live;
}
