/**
 * Choose, initialise and describe the tfjs backend.
 *
 * Order (docs/backends.md), unless `SIGEO_BACKEND` or the `backend` option names one:
 * 1. native TensorFlow — `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node` — only when the
 *    package's native binding file exists (it is fetched by an install script that cannot run
 *    offline). The file is checked *before* importing, because a failed import leaves kernels
 *    registered behind it (docs/backends.md);
 * 2. WebGPU on a hardware adapter (software adapters such as Mesa's llvmpipe/lavapipe are used only
 *    when `webgpu` is asked for by name: they are slower than wasm, but let every machine run and
 *    test the WebGPU path);
 * 3. WebAssembly with this library's training kernels on the system BLAS ({@link ./kernels/wasm.ts});
 * 4. the pure-JS `cpu` backend (slow; correct; the reference of the equivalence tests).
 *
 * Importing this module does nothing; {@linkcode initBackend} does the work once.
 *
 * @module
 */
import * as tf from "./tf.ts";
import { env } from "./env.ts";
import { loadBlas } from "./kernels/blas.ts";
import { loadNativeConv } from "./kernels/native_conv.ts";
import { registerCpuSegmentSum, registerWasmKernels, type WasmKernelReport } from "./kernels/wasm.ts";
import { registerWebGpuKernels, WEBGPU_KERNELS } from "./kernels/webgpu.ts";
import { useLeanBackprop } from "./kernels/backprop.ts";
import { guardWasmHeap, type WasmModule } from "./kernels/wasm_heap.ts";

/** The backends this library can run on. */
export type BackendName = "tensorflow" | "webgpu" | "wasm" | "cpu";

/** What a run manifest records of the compute engine. */
export interface BackendInfo {
  /** tfjs backend in use. */
  name: BackendName;
  /** What was asked for ("auto" or a name). */
  requested: BackendName | "auto";
  /** The npm package that provides the backend. */
  package: string;
  /** Matrix-multiply engine of the training kernels (wasm), e.g. "OpenBLAS 0.3.21", or null. */
  gemm: string | null;
  /** The system BLAS in use: file, self-description, threads and kernel family; null when none. */
  blas: { path: string; config: string; threads: number | null; core?: string | null } | null;
  /** Threads of the backend's own kernels (wasm: its pthreads; BLAS threads are in `blas`). */
  threads: number | null;
  /** WebAssembly SIMD in use (wasm only). */
  simd: boolean | null;
  /** Kernels this library registered over the stock ones. */
  kernels: string[];
  /** how the native convolution kernels were built (compiler and flags), or null */
  native?: string | null;
  /** GPU adapter description (webgpu) or null. */
  device: string | null;
  /** The WebGPU adapter (webgpu only): what it says of itself and the limits that bound tensor sizes. */
  adapter?: AdapterInfo | null;
  versions: { tfjs: string; deno: string; v8: string; typescript: string };
  /** One-line remarks, e.g. how to enable native TensorFlow. */
  notes: string[];
}

/** A WebGPU adapter as a run manifest records it. */
export interface AdapterInfo {
  description: string;
  vendor: string;
  architecture: string;
  /** a software rasteriser (llvmpipe, lavapipe, SwiftShader, WARP) or the fallback adapter */
  software: boolean;
  /** largest storage buffer one tensor can occupy, bytes */
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

/** Options of {@linkcode initBackend}. */
export interface InitOptions {
  /** Backend to use. @default {Deno.env SIGEO_BACKEND, else "auto"} */
  backend?: BackendName | "auto";
  /** Use the system BLAS on wasm when found. @default {true, unless SIGEO_BLAS=none} */
  blas?: boolean;
  /** Print nothing (the one-line hint on native TensorFlow is printed otherwise). @default {false} */
  quiet?: boolean;
}

const NATIVE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;

/** How a user with internet access gets the native (GPU) backend; printed once when absent. */
export const NATIVE_HINT =
  "sigeo: native TensorFlow is not installed; for an NVIDIA GPU run `deno install --allow-scripts=npm:@tensorflow/tfjs-node-gpu` (needs internet, Linux x86_64, CUDA 11.2 + cuDNN 8.1)";

let current: BackendInfo | null = null;
let pending: Promise<BackendInfo> | null = null;

/** True when the package's native binding exists next to its entry point. */
export function hasNativeBinding(pkg: string): boolean {
  try {
    const main = new URL(import.meta.resolve(pkg));
    if (main.protocol !== "file:") return false;
    return Deno.statSync(new URL("../lib/napi-v8/tfjs_binding.node", main)).isFile;
  } catch {
    return false;
  }
}

function versions(): BackendInfo["versions"] {
  return {
    tfjs: tf.version_core,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
  };
}

const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|software|microsoft basic render|warp/i;

/** Describe a WebGPU adapter for manifests; `software` for fallback adapters and CPU rasterisers. */
export function describeAdapter(adapter: GPUAdapter): AdapterInfo {
  // deno-lint-ignore no-explicit-any
  const a = adapter as any;
  const info = a.info ?? {};
  const description = String(info.description ?? "");
  const vendor = String(info.vendor ?? "");
  const fallback = a.isFallbackAdapter === true || info.isFallbackAdapter === true;
  return {
    description: description || vendor || "webgpu",
    vendor,
    architecture: String(info.architecture ?? ""),
    software: fallback || SOFTWARE_ADAPTER.test(description),
    maxStorageBufferBindingSize: Number(adapter.limits.maxStorageBufferBindingSize),
    maxBufferSize: Number(adapter.limits.maxBufferSize),
  };
}

/**
 * Run `fn` with `XDG_RUNTIME_DIR` set when it is not: Mesa's Vulkan drivers print
 * "error: XDG_RUNTIME_DIR is invalid or not set" (twice, on stderr, from native code) while the
 * adapter is enumerated on headless machines; any value silences them and no display is needed.
 */
export async function withRuntimeDir<T>(fn: () => Promise<T>): Promise<T> {
  let set = false;
  try {
    if (!Deno.env.get("XDG_RUNTIME_DIR")) {
      Deno.env.set("XDG_RUNTIME_DIR", Deno.makeTempDirSync({ prefix: "sigeo-xdg-" }));
      set = true;
    }
  } catch {
    // no env permission: the probe still works, only the driver's lines may show
  }
  const dir = set ? Deno.env.get("XDG_RUNTIME_DIR")! : null;
  try {
    return await fn();
  } finally {
    if (dir) {
      Deno.env.delete("XDG_RUNTIME_DIR");
      try {
        Deno.removeSync(dir);
      } catch { /* already gone */ }
    }
  }
}

/** The WebGPU adapter tfjs will get (it asks for high-performance too), or null. */
function gpuAdapter(): Promise<GPUAdapter | null> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return Promise.resolve(null);
  return withRuntimeDir(async () => {
    try {
      return await Promise.race([
        gpu.requestAdapter({ powerPreference: "high-performance" }),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), 5000)),
      ]);
    } catch {
      return null;
    }
  });
}

async function tryNative(requested: BackendInfo["requested"], notes: string[]): Promise<BackendInfo | null> {
  for (const pkg of NATIVE_PACKAGES) {
    if (!hasNativeBinding(pkg)) continue;
    try {
      await import(pkg);
      if (await tf.setBackend("tensorflow")) {
        await tf.ready();
        return {
          name: "tensorflow",
          requested,
          package: pkg,
          gemm: null,
          blas: null,
          threads: null,
          simd: null,
          kernels: [],
          device: pkg.endsWith("-gpu") ? "cuda" : "cpu",
          versions: versions(),
          notes,
        };
      }
    } catch (e) {
      notes.push(`${pkg} failed to load: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  return null;
}

/**
 * WebGPU: on auto only a hardware adapter; asked for by name, a software one too (recorded as
 * such, so manifests give no GPU days for it).
 */
async function tryWebGpu(requested: BackendInfo["requested"], notes: string[]): Promise<BackendInfo | null> {
  const adapter = await gpuAdapter();
  if (!adapter) return null;
  const described = describeAdapter(adapter);
  if (described.software && requested !== "webgpu") {
    notes.push(`software WebGPU adapter (${described.description}) skipped: SIGEO_BACKEND=webgpu uses it`);
    return null;
  }
  try {
    await import("@tensorflow/tfjs-backend-webgpu");
    // tfjs asks for its own adapter and device: the same driver lines would print again
    if (!(await withRuntimeDir(() => tf.setBackend("webgpu")))) return null;
    await tf.ready();
    registerWebGpuKernels();
    return {
      name: "webgpu",
      requested,
      package: "@tensorflow/tfjs-backend-webgpu",
      gemm: null,
      blas: null,
      threads: null,
      simd: null,
      kernels: [...WEBGPU_KERNELS],
      device: described.software ? `${described.description} (software)` : described.description,
      adapter: described,
      versions: versions(),
      notes,
    };
  } catch (e) {
    notes.push(`webgpu failed to initialise: ${(e as Error).message.split("\n")[0]}`);
    return null;
  }
}

async function initWasm(
  requested: BackendInfo["requested"],
  useBlas: boolean,
  notes: string[],
): Promise<BackendInfo> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  if (!(await tf.setBackend("wasm"))) throw new Error("Cannot initialise the wasm backend");
  await tf.ready();
  // a failed allocation throws at once instead of corrupting the heap (tfjs does not check it)
  guardWasmHeap((tf.backend() as unknown as { wasm: WasmModule }).wasm);
  const blas = useBlas ? loadBlas() : null;
  if (useBlas && !blas) {
    notes.push("no system BLAS found (Debian: apt-get install libopenblas0-pthread); using the wasm matmul");
  }
  const native = loadNativeConv();
  if (!native) notes.push("no C compiler found (or SIGEO_NATIVE=none): convolutions run on sgemm only");
  const report: WasmKernelReport = registerWasmKernels(blas, native);
  return {
    name: "wasm",
    requested,
    package: "@tensorflow/tfjs-backend-wasm",
    gemm: report.gemm,
    blas: blas ? { path: blas.path, config: blas.config, threads: blas.threads, core: blas.core } : null,
    threads: wasm.getThreadsCount(),
    simd: await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT") as boolean,
    kernels: report.kernels,
    native: report.native,
    device: null,
    versions: versions(),
    notes,
  };
}

async function initCpu(requested: BackendInfo["requested"], notes: string[]): Promise<BackendInfo> {
  await import("@tensorflow/tfjs-backend-cpu");
  if (!(await tf.setBackend("cpu"))) throw new Error("Cannot initialise the cpu backend");
  await tf.ready();
  registerCpuSegmentSum();
  return {
    name: "cpu",
    requested,
    package: "@tensorflow/tfjs-backend-cpu",
    gemm: null,
    blas: null,
    threads: 1,
    simd: false,
    kernels: ["UnsortedSegmentSum"],
    device: null,
    versions: versions(),
    notes,
  };
}

function parseBackend(v: string | undefined): BackendName | "auto" {
  if (v === undefined || v === "" || v === "auto") return "auto";
  if (v === "tensorflow" || v === "webgpu" || v === "wasm" || v === "cpu") return v;
  throw new RangeError(`Cannot use backend '${v}': expected one of auto, tensorflow, webgpu, wasm, cpu`);
}

async function choose(opts: InitOptions): Promise<BackendInfo> {
  // Production mode: no debug-mode checks, and no "install the node backend" banner from tfjs.
  tf.enableProdMode();
  const requested = opts.backend ?? parseBackend(env("SIGEO_BACKEND"));
  const useBlas = opts.blas ?? env("SIGEO_BLAS") !== "none";
  const notes: string[] = [];
  if (requested === "auto" || requested === "tensorflow") {
    const native = await tryNative(requested, notes);
    if (native) return native;
    if (requested === "tensorflow") {
      throw new Error(`Cannot use backend 'tensorflow': ${NATIVE_HINT.replace("sigeo: ", "")}`);
    }
    notes.push(NATIVE_HINT.replace("sigeo: ", ""));
    if (!opts.quiet && !env("SIGEO_QUIET")) console.error(NATIVE_HINT);
  }
  if (requested === "auto" || requested === "webgpu") {
    const gpu = await tryWebGpu(requested, notes);
    if (gpu) return gpu;
    if (requested === "webgpu") {
      const why = notes.find((n) => n.startsWith("webgpu failed")) ??
        "no WebGPU adapter (Debian/Ubuntu without a GPU: apt-get install mesa-vulkan-drivers)";
      throw new Error(`Cannot use backend 'webgpu': ${why}`);
    }
  }
  if (requested === "auto" || requested === "wasm") {
    try {
      return await initWasm(requested, useBlas, notes);
    } catch (e) {
      if (requested === "wasm") throw e;
      notes.push(`wasm failed: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  return await initCpu(requested, notes);
}

/**
 * Initialise the best available backend (or the requested one) and return its description.
 * Idempotent: later calls return the same description unless another backend is requested.
 */
export function initBackend(opts: InitOptions = {}): Promise<BackendInfo> {
  const want = opts.backend ?? parseBackend(env("SIGEO_BACKEND"));
  if (current && (want === "auto" || want === current.name)) return Promise.resolve(current);
  if (pending && want === "auto") return pending;
  pending = choose({ ...opts, backend: want }).then((info) => {
    // first-order gradients free saved tensors as the backward pass goes (the same bits)
    useLeanBackprop(true);
    current = info;
    return info;
  }).finally(() => {
    pending = null;
  });
  return pending;
}

/** The description of the initialised backend; throws before {@linkcode initBackend}. */
export function backendInfo(): BackendInfo {
  if (!current) throw new Error("Cannot describe the backend before initBackend() has resolved");
  return current;
}
