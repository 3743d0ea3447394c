/**
 * The native kernels in C (`native/conv.c`): direct stride-1 convolutions and fused batch norm,
 * compiled on first use and called through Deno FFI.
 *
 * Why: the BLAS path runs a stride-1 conv as KH·KW thin GEMMs with K = input channels, which are
 * memory-bound at NAS-Bench-201's 16–64 channels; the direct kernels keep a block of outputs in
 * vector registers and run near the FMA peak (≈3× faster there, see the C file).
 *
 * The library is built with the system C compiler (`cc`, then `gcc`, then `clang`) into a cache
 * folder (`$SIGEO_CACHE`, else `$XDG_CACHE_HOME/sigeo`, else `~/.cache/sigeo`) under a name keyed
 * by a SHA-256 of the source, the flags, the compiler's version and the CPU, written to a temporary name
 * and renamed. Everything that can fail — no compiler, a compile error, no run/FFI/read
 * permission, `SIGEO_NATIVE=none` — makes {@linkcode loadNativeConv} return null (the caller keeps
 * the BLAS path); it never throws.
 *
 * The kernels read and write the arrays they are given in place (zero-copy FFI buffers, views
 * into the wasm heap are fine) and allocate only small native scratch memory.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { ConvGeometry } from "./conv.ts";
import { env } from "../env.ts";

/** ABI version of `native/conv.c` this module speaks. */
const ABI_VERSION = 4;

const CONV_ARGS = ["buffer", "buffer", "buffer", ...new Array(13).fill("i32")] as const;
const SYMBOLS = {
  sgc_version: { parameters: [], result: "i32" },
  sgc_threads: { parameters: [], result: "i32" },
  sgc_openmp: { parameters: [], result: "i32" },
  sgc_vector_length: { parameters: [], result: "i32" },
  sgc_forward: { parameters: CONV_ARGS, result: "i32" },
  sgc_backprop_input: { parameters: CONV_ARGS, result: "i32" },
  sgc_backprop_filter: { parameters: CONV_ARGS, result: "i32" },
  sgc_bn_forward: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "i32", "i32", "f32"],
    result: "i32",
  },
  sgc_bn_backward: {
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
      "f32",
    ],
    result: "i32",
  },
  sgc_adam: {
    parameters: [
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "i32",
      "f64",
      "f64",
      "f64",
      "f64",
      "f64",
      "f64",
      "f64",
    ],
    result: "i32",
  },
  sgc_sgd: {
    parameters: ["buffer", "buffer", "buffer", "i32", "f64", "f64", "f64", "i32", "i32"],
    result: "i32",
  },
  sgc_relu_grad: { parameters: ["buffer", "buffer", "buffer", "i32"], result: "i32" },
  sgc_bias_act: { parameters: ["buffer", "buffer", "i32", "i32", "i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** Loaded native stride-1 convolution kernels (NHWC input, HWIO filter, float32). */
export interface NativeConv {
  /** the shared library that was loaded */
  path: string;
  /** compiler command that built it */
  compiler: string;
  flags: string[];
  /** built with OpenMP (else pthreads created and joined per call) */
  openmp: boolean;
  /** threads per call ($SIGEO_THREADS or the online CPUs) */
  threads: number;
  /** floats per vector register the kernels were compiled for (16 with AVX-512) */
  vectorLength: number;
  /**
   * y [batch,outH,outW,outC] = conv(x [batch,inH,inW,inC], w [kH,kW,inC,outC]). False (nothing
   * written) when the geometry is not stride 1 or native scratch memory cannot be had.
   */
  forward(x: Float32Array, w: Float32Array, y: Float32Array, g: ConvGeometry): boolean;
  /** dx [batch,inH,inW,inC] from dy [batch,outH,outW,outC] and w; false as for forward. */
  backpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, g: ConvGeometry): boolean;
  /** dw [kH,kW,inC,outC] from x and dy; false as for forward. */
  backpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, g: ConvGeometry): boolean;
  /**
   * Batch norm over the rows of x [rows, channels] with batch statistics: y, and the batch mean and
   * biased variance [channels]. False when channels > 1024.
   */
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
  /** dx, dγ, dβ of {@link NativeConv.bnForward} from dy and the forward's x, mean and variance. */
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
  /**
   * One Adam step in place on p (PyTorch's rule, as `adam` in lib/train/optim.ts, the same bits):
   * m, v are the moment slots, c1 = 1−β₁ᵗ and c2 = 1−β₂ᵗ the bias corrections.
   */
  adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, o: AdamStepArgs): void;
  /** One SGD step in place on p with momentum buffer `buf` (null: no momentum), as `sgd` in optim.ts. */
  sgd(p: Float32Array, g: Float32Array, buf: Float32Array | null, o: SgdStepArgs): void;
  /** dx = dy·step(x) (ReLU's gradient; NaN where x is NaN), the bits of tfjs' `mul(dy, step(x))`. */
  reluGrad(dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  /**
   * A dense layer's epilogue in place on y [rows, cols]: y = relu?(y + bias) (bias [cols] or
   * null), the bits of tfjs' broadcast Add then Relu; x < 0 becomes +0, NaN stays.
   */
  biasAct(y: Float32Array, bias: Float32Array | null, rows: number, cols: number, relu: boolean): void;
}

/** Scalars of one {@link NativeConv.adam} step. */
export interface AdamStepArgs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  c1: number;
  c2: number;
}

/** Scalars of one {@link NativeConv.sgd} step; `first`: the buffer starts as the gradient. */
export interface SgdStepArgs {
  lr: number;
  momentum: number;
  weightDecay: number;
  first: boolean;
  nesterov: boolean;
}

/** Options of {@linkcode loadNativeConv}; the defaults are what the kernels use (tests override). */
export interface NativeConvOptions {
  /** C source to build @default {native/conv.c beside this module} */
  source?: URL;
  /** cache folder @default {$SIGEO_CACHE, $XDG_CACHE_HOME/sigeo or ~/.cache/sigeo} */
  cacheDir?: string;
  /** compilers tried in order @default {["cc", "gcc", "clang"]} */
  compilers?: string[];
  /** try -fopenmp first @default {false: pthreads; see OPENMP_DEFAULT} */
  openmp?: boolean;
}

/**
 * OpenMP is off by default: libgomp's thread pool outlives the call, and Deno unloading the
 * library at exit then crashes the process (segfault at exit, reproduced every time). The
 * pthreads build has its own small pool that the library's destructor stops, and is as fast.
 */
const OPENMP_DEFAULT = false;

// -fno-math-errno: sqrt without the errno branch, so the optimizer loops vectorize
const BASE_FLAGS = ["-O3", "-march=native", "-ffp-contract=fast", "-fno-math-errno", "-fPIC", "-shared"];

/** Flag sets tried in order: OpenMP when asked for, then pthreads, then without -march=native. */
function flagVariants(openmp: boolean): string[][] {
  const variants = [[...BASE_FLAGS, "-pthread"]];
  if (openmp) variants.unshift([...BASE_FLAGS, "-fopenmp"]);
  variants.push(variants.at(-1)!.filter((f) => f !== "-march=native"));
  return variants;
}

/** The cache folder: $SIGEO_CACHE, else $XDG_CACHE_HOME/sigeo, else ~/.cache/sigeo. */
export function nativeCacheDir(): string {
  const explicit = env("SIGEO_CACHE");
  if (explicit) return explicit;
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/sigeo`;
  return `${env("HOME") ?? Deno.cwd()}/.cache/sigeo`;
}

function run(cmd: string, args: string[]): { ok: boolean; out: string } {
  try {
    const r = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", stdin: "null" }).outputSync();
    const dec = new TextDecoder();
    return { ok: r.success, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
  } catch (e) {
    return { ok: false, out: String(e) };
  }
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * What -march=native depends on, for the cache key: a cache folder shared by machines with
 * different CPUs (a network home) must not hand one machine's library to another.
 */
function cpuTag(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    return info.split("\n").filter((l) => /^(model name|flags|Features)\s*:/.test(l)).slice(0, 2).join("\n");
  } catch {
    return "";
  }
}

function libExtension(): string {
  return Deno.build.os === "darwin" ? "dylib" : Deno.build.os === "windows" ? "dll" : "so";
}

let defaultLoad: { value: NativeConv | null } | null = null;

/**
 * Build (once per machine and source version) and load the native convolution kernels, or null.
 * Never throws. Without options the result is memoised for the process.
 */
export function loadNativeConv(opts: NativeConvOptions = {}): NativeConv | null {
  const isDefault = Object.keys(opts).length === 0;
  if (isDefault && defaultLoad) return defaultLoad.value;
  let value: NativeConv | null = null;
  try {
    value = build(opts);
  } catch {
    value = null;
  }
  if (isDefault) defaultLoad = { value };
  return value;
}

function build(opts: NativeConvOptions): NativeConv | null {
  if (env("SIGEO_NATIVE") === "none") return null;
  const source = opts.source ?? new URL("./native/conv.c", import.meta.url);
  const code = Deno.readTextFileSync(source);
  const dir = opts.cacheDir ?? nativeCacheDir();
  const variants = flagVariants(opts.openmp ?? OPENMP_DEFAULT);
  const cpu = `${Deno.build.target}\n${cpuTag()}`;
  for (const compiler of opts.compilers ?? ["cc", "gcc", "clang"]) {
    const version = run(compiler, ["--version"]);
    if (!version.ok) continue;
    for (const flags of variants) {
      const key = createHash("sha256")
        .update([code, flags.join(" "), compiler, version.out.trim(), cpu].join("\n"))
        .digest("hex")
        .slice(0, 24);
      const path = `${dir}/sigeo-conv-${key}.${libExtension()}`;
      if (!exists(path) && !compile(compiler, flags, code, dir, path)) continue;
      const lib = open(path, compiler, flags);
      if (lib) return lib;
    }
  }
  return null;
}

/** Compile `code` to `path` via a temporary file and a rename; false on any failure. */
function compile(compiler: string, flags: string[], code: string, dir: string, path: string): boolean {
  const tag = `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const src = `${path}.${tag}.c`, tmp = `${path}.${tag}.tmp`;
  try {
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(src, code);
    const r = run(compiler, [
      ...flags,
      "-o",
      tmp,
      src,
      "-lm",
      ...(flags.includes("-fopenmp") ? [] : ["-pthread"]),
    ]);
    if (!r.ok) return false;
    Deno.renameSync(tmp, path);
    return true;
  } catch {
    return false;
  } finally {
    for (const f of [src, tmp]) {
      try {
        Deno.removeSync(f);
      } catch { /* already gone */ }
    }
  }
}

function open(path: string, compiler: string, flags: string[]): NativeConv | null {
  let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    lib = Deno.dlopen(path, SYMBOLS);
  } catch {
    return null;
  }
  const s = lib.symbols;
  if (s.sgc_version() !== ABI_VERSION) {
    lib.close();
    return null;
  }
  type ConvFn = (a: Float32Array, b: Float32Array, c: Float32Array, ...dims: number[]) => number;
  const call = (
    name: string,
    fn: ConvFn,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    sizes: [number, number, number],
    g: ConvGeometry,
  ): boolean => {
    if (g.strideH !== 1 || g.strideW !== 1) return false;
    const arrays = [a, b, c];
    for (let i = 0; i < 3; i++) {
      if (arrays[i].length < sizes[i]) {
        throw new RangeError(
          `Native ${name}: argument ${i + 1} has ${arrays[i].length} floats, expected at least ${sizes[i]}`,
        );
      }
    }
    return fn(
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
  const nx = (g: ConvGeometry) => g.batch * g.inH * g.inW * g.inC;
  const ny = (g: ConvGeometry) => g.batch * g.outH * g.outW * g.outC;
  const nw = (g: ConvGeometry) => g.kH * g.kW * g.inC * g.outC;
  const fwd = s.sgc_forward as unknown as ConvFn;
  const bpi = s.sgc_backprop_input as unknown as ConvFn;
  const bpf = s.sgc_backprop_filter as unknown as ConvFn;
  return {
    path,
    compiler,
    flags,
    openmp: s.sgc_openmp() === 1,
    threads: s.sgc_threads(),
    vectorLength: s.sgc_vector_length(),
    forward: (x, w, y, g) => call("forward", fwd, x, w, y, [nx(g), nw(g), ny(g)], g),
    backpropInput: (dy, w, dx, g) => call("backpropInput", bpi, dy, w, dx, [ny(g), nw(g), nx(g)], g),
    backpropFilter: (x, dy, dw, g) => call("backpropFilter", bpf, x, dy, dw, [nx(g), ny(g), nw(g)], g),
    bnForward: (x, gamma, beta, y, mean, variance, channels, eps) =>
      s.sgc_bn_forward(x, gamma, beta, y, mean, variance, x.length / channels, channels, eps) === 0,
    bnBackward: (dy, x, mean, variance, gamma, dx, dgamma, dbeta, channels, eps) =>
      s.sgc_bn_backward(
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
        eps,
      ) === 0,
    adam(p, g, m, v, o) {
      sameLength("adam", p, g, m, v);
      s.sgc_adam(p, g, m, v, p.length, o.lr, o.beta1, o.beta2, o.eps, o.weightDecay, o.c1, o.c2);
    },
    reluGrad(dy, x, dx) {
      sameLength("reluGrad", dx, dy, x);
      s.sgc_relu_grad(dy, x, dx, dx.length);
    },
    biasAct(y, bias, rows, cols, relu) {
      if (y.length < rows * cols || (bias && bias.length < cols)) {
        throw new RangeError(
          `Native biasAct: y has ${y.length} floats and bias ${
            bias?.length ?? 0
          }, expected ${rows}×${cols} and ${cols}`,
        );
      }
      s.sgc_bias_act(y, bias, rows, cols, relu ? 1 : 0);
    },
    sgd(p, g, buf, o) {
      sameLength("sgd", p, g, ...(buf ? [buf] : []));
      s.sgc_sgd(p, g, buf, p.length, o.lr, o.momentum, o.weightDecay, o.first ? 1 : 0, o.nesterov ? 1 : 0);
    },
  };
}

function sameLength(name: string, p: Float32Array, ...rest: Float32Array[]): void {
  for (const a of rest) {
    if (a.length !== p.length) {
      throw new RangeError(`Native ${name}: an argument has ${a.length} floats, the parameters ${p.length}`);
    }
  }
}
