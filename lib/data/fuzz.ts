/**
 * Seeded mutation fuzzing of the file readers: take real (or generated) records, damage them the
 * ways files get damaged — truncation, inserted or deleted separators, random bytes, huge fields,
 * very long lines, duplicated or dropped pieces, flipped bits — and check that every reader ends
 * each case in its own error (a message naming the file) or a valid result, in bounded time.
 * Anything else (a TypeError from deep inside, an error without the file's name, a hang) is a
 * crash. Used by `fuzz_test.ts`; the long run is `SIGEO_FUZZ=long` (see data/README.md).
 *
 * @module
 */
import type { Rng } from "../rng.ts";

/** How a case was damaged. */
export type MutationKind =
  | "truncate"
  | "insert-separator"
  | "delete-separator"
  | "random-bytes"
  | "huge-field"
  | "long-line"
  | "duplicate"
  | "drop"
  | "flip-bits"
  | "append-garbage";

const KINDS: readonly MutationKind[] = [
  "truncate",
  "insert-separator",
  "delete-separator",
  "random-bytes",
  "huge-field",
  "long-line",
  "duplicate",
  "drop",
  "flip-bits",
  "append-garbage",
];

/** Options of {@link mutate}. */
export interface MutateOptions {
  /** the format's separators (e.g. tab, comma, newline); random bytes for binary formats */
  separators: readonly number[];
  /** upper size of huge fields and long lines @default {200_000} */
  bigBytes?: number;
}

function splice(b: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length - remove + insert.length);
  out.set(b.subarray(0, at));
  out.set(insert, at);
  out.set(b.subarray(at + remove), at + insert.length);
  return out;
}

/** One seeded mutation of `base` (1–3 damages stacked, drawn from every kind). */
export function mutate(
  base: Uint8Array,
  rng: Rng,
  opts: MutateOptions,
): { bytes: Uint8Array; kinds: MutationKind[] } {
  const big = opts.bigBytes ?? 200_000;
  const seps = opts.separators.length ? opts.separators : [0];
  let b = base;
  const kinds: MutationKind[] = [];
  const steps = 1 + rng.int(3);
  for (let s = 0; s < steps; s++) {
    const kind = KINDS[rng.int(KINDS.length)];
    kinds.push(kind);
    const at = rng.int(b.length + 1);
    switch (kind) {
      case "truncate":
        b = b.subarray(0, at);
        break;
      case "insert-separator": {
        const n = 1 + rng.int(3);
        b = splice(b, at, 0, Uint8Array.from({ length: n }, () => seps[rng.int(seps.length)]));
        break;
      }
      case "delete-separator": {
        const sep = seps[rng.int(seps.length)];
        let k = b.indexOf(sep, at);
        if (k < 0) k = b.indexOf(sep);
        if (k >= 0) b = splice(b, k, 1, new Uint8Array(0));
        break;
      }
      case "random-bytes": {
        const n = Math.min(1 + rng.int(16), b.length - Math.min(at, b.length));
        const copy = b.slice();
        for (let i = 0; i < n; i++) copy[at + i] = rng.int(256);
        b = copy;
        break;
      }
      case "huge-field": {
        const n = 1000 + rng.int(big);
        const alphabet = rng.next() < 0.5 ? "0123456789" : "0123456789abcdef";
        const a = alphabet.charCodeAt(rng.int(alphabet.length));
        b = splice(b, at, 0, new Uint8Array(n).fill(a));
        break;
      }
      case "long-line": {
        // a long run without line ends: text bytes, or the line ends of a region removed
        const n = big + rng.int(big);
        const run = new Uint8Array(n);
        for (let i = 0; i < n; i++) run[i] = 32 + ((i * 7 + at) % 95);
        b = splice(b, at, 0, run);
        break;
      }
      case "duplicate": {
        const n = rng.int(Math.min(b.length - Math.min(at, b.length), 4096) + 1);
        b = splice(b, at, 0, b.slice(at, at + n));
        break;
      }
      case "drop": {
        const n = rng.int(Math.min(b.length - Math.min(at, b.length), 4096) + 1);
        b = splice(b, at, n, new Uint8Array(0));
        break;
      }
      case "flip-bits": {
        const copy = b.slice();
        for (let i = 0, n = 1 + rng.int(8); i < n && copy.length > 0; i++) {
          copy[rng.int(copy.length)] ^= 1 << rng.int(8);
        }
        b = copy;
        break;
      }
      case "append-garbage":
        b = splice(b, b.length, 0, Uint8Array.from({ length: 1 + rng.int(64) }, () => rng.int(256)));
        break;
    }
  }
  return { bytes: b === base ? base.slice() : b, kinds };
}

/** One reader under test. */
export interface FuzzTarget {
  name: string;
  /** the undamaged file's bytes (real records where available) */
  base: Uint8Array;
  separators: readonly number[];
  /** file name suffix (some readers dispatch on it, e.g. `.csv`) */
  suffix?: string;
  /** read the file at `path`; resolves to anything on success */
  read(path: string, caseNo: number): Promise<unknown>;
  /** turn the damaged bytes into the file's content (e.g. compress them) @default {identity} */
  encode?: (bytes: Uint8Array) => Promise<Uint8Array>;
  /** after each case: throw if the case left something it must not (e.g. a partial cache) */
  after?: (path: string, ok: boolean) => Promise<void>;
}

/** What a fuzz run saw for one reader. */
export interface FuzzReport {
  name: string;
  cases: number;
  valid: number;
  errors: number;
  /** errors by class name */
  errorTypes: Record<string, number>;
  /** slowest case, milliseconds */
  maxMs: number;
  /** cases that crashed: not the reader's own error */
  crashes: { caseNo: number; kinds: MutationKind[]; error: string }[];
}

/** The reader's own errors: the standard classes it throws, with a message naming the file. */
export function isReaderError(e: unknown, path: string): boolean {
  return e instanceof Error && ["SyntaxError", "RangeError", "TypeError"].includes(e.name) &&
    e.message.includes(path) &&
    !/\bundefined\b|is not a function|Maximum call stack|Invalid typed array length/
      .test(e.message);
}

/**
 * Run `cases` seeded mutations of the target's base through its reader. A case longer than
 * `timeoutMs` counts as a crash (a hang); the run goes on with the next case.
 */
export async function fuzzReader(
  target: FuzzTarget,
  opts: { cases: number; rng: Rng; dir: string; timeoutMs?: number; bigBytes?: number },
): Promise<FuzzReport> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const report: FuzzReport = {
    name: target.name,
    cases: opts.cases,
    valid: 0,
    errors: 0,
    errorTypes: {},
    maxMs: 0,
    crashes: [],
  };
  for (let c = 0; c < opts.cases; c++) {
    const { bytes, kinds } = mutate(target.base, opts.rng, {
      separators: target.separators,
      bigBytes: opts.bigBytes,
    });
    const path = `${opts.dir}/${target.name}-case${c}${target.suffix ?? ""}`;
    await Deno.writeFile(path, target.encode ? await target.encode(bytes) : bytes);
    const t0 = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let ok = false;
    try {
      await Promise.race([
        target.read(path, c),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`hang: no result after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      ok = true;
      report.valid++;
    } catch (e) {
      if (isReaderError(e, path)) {
        report.errors++;
        const name = (e as Error).name;
        report.errorTypes[name] = (report.errorTypes[name] ?? 0) + 1;
      } else {
        report.crashes.push({
          caseNo: c,
          kinds,
          error: e instanceof Error ? `${e.name}: ${e.message}`.slice(0, 300) : String(e),
        });
      }
    } finally {
      clearTimeout(timer);
    }
    report.maxMs = Math.max(report.maxMs, performance.now() - t0);
    try {
      await target.after?.(path, ok);
    } catch (e) {
      report.crashes.push({ caseNo: c, kinds, error: `after: ${(e as Error).message}` });
    }
    await Deno.remove(path).catch(() => {});
  }
  return report;
}
