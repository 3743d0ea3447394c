import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { guardWasmHeap, resetWasmHeapPeak, wasmHeapStats, type WasmModule } from "./wasm_heap.ts";

await initBackend({ quiet: true });

Deno.test("wasm heap guard: a failed malloc throws naming the size and the heap, and is not counted", () => {
  // a stand-in module whose allocator hands out 64 bytes and then fails, as malloc does past 4 GB
  let next = 16;
  const freed: number[] = [];
  const module: WasmModule = {
    _malloc: (n: number) => {
      if (next + n > 16 + 64) return 0;
      const p = next;
      next += n;
      return p;
    },
    _free: (p: number) => void freed.push(p),
    HEAPU8: { length: 3 * 2 ** 30 },
  };
  const before = wasmHeapStats();
  try {
    guardWasmHeap(module);
    assert.equal(module._malloc(48), 16);
    assert.throws(
      () => module._malloc(32 * 2 ** 20),
      /WASM heap exhausted: cannot allocate 32 MiB with 0 MiB of tensors live \(heap 3072 MiB of the 4096 MiB/,
    );
    assert.deepEqual(wasmHeapStats(), { heapBytes: 3 * 2 ** 30, liveBytes: 48, peakBytes: 48 });
    assert.equal(module._malloc(16), 64);
    module._free(16);
    assert.deepEqual(freed, [16]);
    assert.deepEqual(wasmHeapStats(), { heapBytes: 3 * 2 ** 30, liveBytes: 16, peakBytes: 64 });
    resetWasmHeapPeak();
    assert.equal(wasmHeapStats()!.peakBytes, 16);
  } finally {
    // guard the real module again (initBackend's), so later tests see its counts
    // deno-lint-ignore no-explicit-any
    if (tf.getBackend() === "wasm") guardWasmHeap((tf.backend() as any).wasm);
  }
  if (before) assert.ok(before.heapBytes >= before.liveBytes);
});

Deno.test({
  name: "wasm heap guard: the backend's tensors are counted while they live",
  ignore: tf.getBackend() !== "wasm",
  fn() {
    resetWasmHeapPeak();
    const s0 = wasmHeapStats()!;
    const t = tf.zeros([1000, 250]); // 1,000,000 bytes
    const s1 = wasmHeapStats()!;
    t.dispose();
    const s2 = wasmHeapStats()!;
    assert.equal(s1.liveBytes - s0.liveBytes, 1_000_000);
    assert.equal(s2.liveBytes, s0.liveBytes);
    assert.equal(s2.peakBytes, s0.liveBytes + 1_000_000);
  },
});
