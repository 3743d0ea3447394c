/**
 * The system BLAS through Deno's FFI: `cblas_sgemm` on `Float32Array` memory, zero-copy.
 *
 * A native sgemm (OpenBLAS on Linux, Accelerate on macOS) runs ~4× faster than the threaded
 * WebAssembly matmul on this project's 2-core reference machine (docs/backends.md), and it
 * reads views into the wasm heap directly, so the wasm backend's tensors need no copy. Everything
 * here is optional: {@linkcode loadBlas} returns `null` when no library is found (or FFI is not
 * permitted) and the kernels fall back to the wasm backend's own matmul.
 *
 * @module
 */
import type { Sgemm } from "./gemm.ts";
import { env } from "../env.ts";

/** Row-major, no-transpose and transpose codes of the CBLAS interface. */
const CBLAS_ROW_MAJOR = 101;
const CBLAS_NO_TRANS = 111;
const CBLAS_TRANS = 112;

/** A loaded BLAS library. */
export interface Blas {
  /** The file that was opened. */
  path: string;
  /** What the library says of itself (OpenBLAS: `openblas_get_config()`), or the file name. */
  config: string;
  /** Threads the library will use, when it can tell (OpenBLAS), else null. */
  threads: number | null;
  /**
   * The kernel family OpenBLAS chose (`openblas_get_corename()`, e.g. `Haswell` for AVX2, `SkylakeX`
   * or `Cooperlake` for AVX-512; `OPENBLAS_CORETYPE` forces one), else null. It sets the sgemm speed:
   * on AMD Zen 5, AVX2 `Haswell` ran at about half the AVX-512 kernels' rate (docs/backends.md).
   */
  core: string | null;
  /**
   * C = alpha·op(A)·op(B) + beta·C in row-major order; op(X) = Xᵀ when its flag is set.
   * A is M×K (or K×M when transposed), B is K×N (or N×K), C is M×N; `ld*` are row strides.
   */
  sgemm: Sgemm;
  /** Release the library. */
  close(): void;
}

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
      "i32",
      "buffer",
      "i32",
      "f32",
      "buffer",
      "i32",
    ],
    result: "void",
  },
  openblas_get_num_threads: { parameters: [], result: "i32", optional: true },
  openblas_get_config: { parameters: [], result: "pointer", optional: true },
  openblas_get_corename: { parameters: [], result: "pointer", optional: true },
} as const;

/** Where we look for a CBLAS, best first. `SIGEO_BLAS` (a path) goes in front. */
export function blasCandidates(os: string = Deno.build.os): string[] {
  if (os === "darwin") return ["/System/Library/Frameworks/Accelerate.framework/Accelerate"];
  if (os === "windows") return ["libopenblas.dll", "openblas.dll"];
  return [
    "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
    "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
    "libopenblas.so.0",
    "libopenblas.so",
  ];
}

/**
 * Open the first CBLAS that loads, or return null (no library, no FFI permission, or
 * `SIGEO_BLAS=none`). Never throws.
 */
export function loadBlas(candidates: string[] = blasCandidates()): Blas | null {
  const forced = env("SIGEO_BLAS");
  if (forced === "none") return null;
  const paths = forced ? [forced, ...candidates] : candidates;
  for (const path of paths) {
    let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
    try {
      lib = Deno.dlopen(path, SYMBOLS);
    } catch {
      continue;
    }
    const sym = lib.symbols;
    let config = path.split("/").pop() ?? path;
    if (sym.openblas_get_config) {
      const p = sym.openblas_get_config();
      if (p) config = new Deno.UnsafePointerView(p).getCString();
    }
    const threads = sym.openblas_get_num_threads ? sym.openblas_get_num_threads() : null;
    const corePtr = sym.openblas_get_corename ? sym.openblas_get_corename() : null;
    const core = corePtr ? new Deno.UnsafePointerView(corePtr).getCString() : null;
    const raw = sym.cblas_sgemm;
    return {
      path,
      config,
      threads,
      core,
      sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
        if (m === 0 || n === 0) return;
        raw(
          CBLAS_ROW_MAJOR,
          transA ? CBLAS_TRANS : CBLAS_NO_TRANS,
          transB ? CBLAS_TRANS : CBLAS_NO_TRANS,
          m,
          n,
          k,
          alpha,
          a as Float32Array<ArrayBuffer>,
          lda,
          b as Float32Array<ArrayBuffer>,
          ldb,
          beta,
          c as Float32Array<ArrayBuffer>,
          ldc,
        );
      },
      close() {
        lib.close();
      },
    };
  }
  return null;
}
