/**
 * Native kernels (stride-1 convolutions, batch norm), compiled from `native/kernels.c` on first use.
 *
 * The BLAS path computes a stride-1 conv as KH·KW thin GEMMs (K = input channels), which is
 * memory-bound at NAS-Bench-201's 16–64 channels; a direct convolution with register blocking
 * (the C file) is ~2× faster there. The library is built with the system C compiler
 * (`cc`, `gcc` or `clang`; `-O3 -march=native -pthread`) into a cache folder keyed
 * by a hash of the source, flags and compiler, written to a temporary name and renamed. Anything
 * that fails — no compiler, no FFI permission, `SIGEO_NATIVE=none` — returns null, and the
 * BLAS path is used.
 *
 * @module
 */
import type { ConvGeometry } from "./conv.ts";

const SYMBOLS = {
  sg_version: { parameters: [], result: "i32" },
  sg_threads: { parameters: [], result: "i32" },
  sg_fast_filter16: { parameters: [], result: "i32" },
  sg_conv2d_s1_forward: {
    parameters: ["buffer", "buffer", "buffer", ...new Array(13).fill("i32")],
    result: "i32",
  },
  sg_conv2d_s1_backprop_input: {
    parameters: ["buffer", "buffer", "buffer", ...new Array(13).fill("i32")],
    result: "i32",
  },
  sg_conv2d_s1_backprop_filter: {
    parameters: ["buffer", "buffer", "buffer", ...new Array(13).fill("i32")],
    result: "i32",
  },
  sg_bn_forward: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "i32", "i32", "i32", "f32"],
    result: "i32",
  },
  sg_bn_backward: {
    parameters: [
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "i32",
      "i32",
      "i32",
      "f32",
    ],
    result: "i32",
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** Loaded native kernels. */
export interface NativeConv {
  path: string;
  compiler: string;
  flags: string[];
  threads: number;
  /** the 16-output-channel filter gradient has its vectorised (AVX-512) kernel */
  fastFilter16: boolean;
  /** y = conv(x, w); false when the kernel declined (caller falls back) */
  forward(x: Float32Array, w: Float32Array, y: Float32Array, g: ConvGeometry): boolean;
  backpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, g: ConvGeometry): boolean;
  backpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, g: ConvGeometry): boolean;
  /** Batch norm over the rows of x [rows, channels] with batch statistics (mean, biased var out). */
  bnForward(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    y: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    channels: number,
    eps: number,
  ): boolean;
  /** dx, dγ, dβ of {@link NativeConv.bnForward}. */
  bnBackward(
    dy: Float32Array,
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    gamma: Float32Array,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
    channels: number,
    eps: number,
  ): boolean;
}

/** Options of {@linkcode loadNativeConv} (for tests). */
export interface NativeOptions {
  /** C source to build @default {native/kernels.c beside this module} */
  source?: URL;
  /** cache folder @default {$SIGEO_CACHE, $XDG_CACHE_HOME/sigeo, ~/.cache/sigeo} */
  cacheDir?: string;
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

function defaultCacheDir(): string {
  const explicit = env("SIGEO_CACHE");
  if (explicit) return explicit;
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/sigeo`;
  const home = env("HOME") ?? Deno.cwd();
  return `${home}/.cache/sigeo`;
}

async function run(cmd: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return { ok: r.success, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
  } catch (e) {
    return { ok: false, out: String(e) };
  }
}

async function sha256(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

let cached: Promise<NativeConv | null> | null = null;

/** Build (once per machine) and load the native kernels, or null. Never throws. */
export function loadNativeConv(opts: NativeOptions = {}): Promise<NativeConv | null> {
  if (!opts.source && !opts.cacheDir && cached) return cached;
  const p = build(opts).catch(() => null);
  if (!opts.source && !opts.cacheDir) cached = p;
  return p;
}

async function build(opts: NativeOptions): Promise<NativeConv | null> {
  if (env("SIGEO_NATIVE") === "none") return null;
  const source = opts.source ?? new URL("./native/kernels.c", import.meta.url);
  const code = await Deno.readTextFile(source);
  const dir = opts.cacheDir ?? defaultCacheDir();
  const ext = Deno.build.os === "darwin" ? "dylib" : Deno.build.os === "windows" ? "dll" : "so";
  for (const compiler of ["cc", "gcc", "clang"]) {
    const version = await run(compiler, ["--version"]);
    if (!version.ok) continue;
    for (const arch of ["-march=native", "-O3"]) {
      const flags = [
        "-O3",
        arch,
        ...(arch === "-march=native" ? ["-mprefer-vector-width=512"] : []),
        "-fPIC",
        "-shared",
        "-std=gnu11",
        "-pthread",
      ];
      const key = (await sha256([code, flags.join(" "), version.out.split("\n")[0]].join("\n"))).slice(0, 16);
      const path = `${dir}/sigeo-conv-${key}.${ext}`;
      let exists = false;
      try {
        exists = Deno.statSync(path).isFile;
      } catch { /* not built yet */ }
      if (!exists) {
        await Deno.mkdir(dir, { recursive: true });
        const srcFile = `${dir}/sigeo-conv-${key}.c`;
        await Deno.writeTextFile(srcFile, code);
        const tmp = `${path}.tmp-${Deno.pid}`;
        const r = await run(compiler, [...flags, "-o", tmp, srcFile, "-lm"]);
        await Deno.remove(srcFile).catch(() => {});
        if (!r.ok) {
          await Deno.remove(tmp).catch(() => {});
          continue;
        }
        await Deno.rename(tmp, path);
      }
      const lib = openLibrary(path, compiler, flags);
      if (lib) return lib;
    }
  }
  return null;
}

function openLibrary(path: string, compiler: string, flags: string[]): NativeConv | null {
  let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    lib = Deno.dlopen(path, SYMBOLS);
  } catch {
    return null;
  }
  const s = lib.symbols;
  if (s.sg_version() !== 5) return null;
  type Fn = (...a: unknown[]) => number;
  const call = (fn: unknown, a: Float32Array, b: Float32Array, c: Float32Array, g: ConvGeometry): boolean => {
    if (g.strideH !== 1 || g.strideW !== 1) return false;
    return (fn as Fn)(
      a,
      b,
      c,
      g.batch,
      g.inH,
      g.inW,
      g.inC,
      g.outH,
      g.outW,
      g.outC,
      g.kH,
      g.kW,
      g.padTop,
      g.padLeft,
      g.dilH,
      g.dilW,
    ) === 0;
  };
  return {
    path,
    compiler,
    flags,
    threads: s.sg_threads(),
    fastFilter16: s.sg_fast_filter16() === 1,
    forward: (x, w, y, g) => call(s.sg_conv2d_s1_forward, x, w, y, g),
    backpropInput: (dy, w, dx, g) => call(s.sg_conv2d_s1_backprop_input, dy, w, dx, g),
    backpropFilter: (x, dy, dw, g) => call(s.sg_conv2d_s1_backprop_filter, x, dy, dw, g),
    bnForward: (x, gamma, beta, y, mean, variance, channels, eps) =>
      (s.sg_bn_forward as unknown as Fn)(
        x,
        gamma,
        beta,
        y,
        mean,
        variance,
        x.length / channels,
        channels,
        1,
        eps,
      ) === 0,
    bnBackward: (dy, x, mean, variance, gamma, dx, dgamma, dbeta, channels, eps) =>
      (s.sg_bn_backward as unknown as Fn)(
        dy,
        x,
        mean,
        variance,
        gamma,
        dx,
        dgamma,
        dbeta,
        x.length / channels,
        channels,
        1,
        eps,
      ) ===
        0,
  };
}
