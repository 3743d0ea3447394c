/**
 * Does scoring scale with cores by processes? Scores one list of NB201 candidates twice with
 * `deno task score`: once in one process with T threads (native kernels and BLAS), once as T worker
 * processes of one thread each, the list split k mod T as `--workers T` splits a study. Prints both
 * wall times, their ratio, and whether every score (value and terms) is identical bit for bit;
 * exits 1 when they are not, naming the first differences.
 *
 *   deno run --allow-all tools/cores_check.ts [--archs 16] [--threads 2] [--proxies zico,sigeo-cv]
 *       [--C 16] [--N 5] [--batches 4] [--batch-size 64] [--seed 0] [--blas-threads T] [--data DIR]
 *
 * Each architecture is built and scored with the same seed whichever list it is in (score.ts), so
 * the split cannot change a score; only the thread count can (a parallel sum whose split depends on
 * it). `--blas-threads` sets the one-process run's BLAS threads apart from the kernels'.
 *
 * @module
 */
import { FlagError, parseFlags } from "../lib/cli_flags.ts";
import { sampleArchs } from "../lib/experiments/pipelines/nb201.ts";
import { PROXIES } from "../lib/proxies/registry.ts";

const CLI = new URL("../lib/cli.ts", import.meta.url).pathname;
const USAGE =
  "usage: deno run --allow-all tools/cores_check.ts [--archs 16] [--threads 2] [--proxies zico,sigeo-cv] " +
  "[--C 16] [--N 5] [--batches 4] [--batch-size 64] [--seed 0] [--blas-threads T] [--data DIR]";

interface Row {
  arch: string;
  proxy: string;
  value: number;
  terms?: Record<string, number>;
  seconds: number;
}

/** One `deno task score` process on `archs` with `threads` kernel and `blas` BLAS threads. */
async function score(
  archs: string[],
  flags: string[],
  threads: number,
  blas: number,
  out: string,
): Promise<{ rows: Row[]; wall: number }> {
  const args = [
    "run",
    "--allow-all",
    "--frozen",
    CLI,
    "score",
    ...archs.flatMap((a) => ["--arch", a]),
    ...flags,
  ];
  const env = {
    SIGEO_THREADS: String(threads),
    OPENBLAS_NUM_THREADS: String(blas),
    OMP_NUM_THREADS: String(blas),
  };
  const t0 = performance.now();
  const r = await new Deno.Command(Deno.execPath(), {
    args: [...args, "--json", out],
    env,
    stdout: "null",
    stderr: "piped",
  })
    .output();
  const wall = (performance.now() - t0) / 1000;
  if (!r.success) throw new Error(`score failed:\n${new TextDecoder().decode(r.stderr).slice(-2000)}`);
  return { rows: JSON.parse(await Deno.readTextFile(out)).rows, wall };
}

/** Exact comparison of two rows (value and every term, NaN equal to NaN). */
function same(a: Row, b: Row): boolean {
  const eq = (x: number, y: number) => Object.is(x, y) || x === y;
  const ta = a.terms ?? {}, tb = b.terms ?? {};
  return eq(a.value, b.value) && Object.keys(ta).length === Object.keys(tb).length &&
    Object.keys(ta).every((k) => eq(ta[k], tb[k]));
}

if (import.meta.main) {
  const int = { type: "integer", min: 1 } as const;
  let a;
  try {
    a = parseFlags(Deno.args, {
      archs: int,
      threads: int,
      "blas-threads": int,
      proxies: { type: "list", values: Object.keys(PROXIES) },
      C: int,
      N: int,
      batches: int,
      "batch-size": int,
      seed: { type: "integer", min: 0 },
      data: { type: "path", exists: "dir" },
    }).values as Record<string, string | number | undefined>;
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    console.error(`${e.message}\n${USAGE}`);
    Deno.exit(2);
  }
  const n = Number(a.archs ?? 16), t = Number(a.threads ?? 2), blas = Number(a["blas-threads"] ?? t);
  const opt = (k: string, d: string | number) => String(a[k] ?? d);
  const archs = sampleArchs(n, Number(opt("seed", 0)));
  const flags = [
    ["--proxies", opt("proxies", "zico,sigeo-cv")],
    ["--C", opt("C", 16)],
    ["--N", opt("N", 5)],
    ["--batches", opt("batches", 4)],
    ["--batch-size", opt("batch-size", 64)],
    ["--seed", opt("seed", 0)],
    ...(a.data ? [["--data", String(a.data)]] : []),
  ].flat();
  const tmp = await Deno.makeTempDir();
  try {
    console.log(
      `${n} candidates, C = ${opt("C", 16)}, N = ${opt("N", 5)}, ${opt("batches", 4)} × ${
        opt("batch-size", 64)
      }, ` +
        `proxies ${opt("proxies", "zico,sigeo-cv")}; ${navigator.hardwareConcurrency} CPUs`,
    );
    const one = await score(archs, flags, t, blas, `${tmp}/one.json`);
    console.log(`1 process × ${t} threads (BLAS ${blas}): ${one.wall.toFixed(1)} s`);
    const parts = Array.from({ length: t }, (_, i) => archs.filter((_, k) => k % t === i));
    const t0 = performance.now();
    const ws = await Promise.all(parts.map((p, i) => score(p, flags, 1, 1, `${tmp}/w${i}.json`)));
    const wall = (performance.now() - t0) / 1000;
    console.log(`${t} processes × 1 thread: ${wall.toFixed(1)} s`);
    console.log(
      `speed-up of ${t} worker processes over 1 process × ${t} threads: ${(one.wall / wall).toFixed(2)}×`,
    );
    const byKey = new Map(ws.flatMap((w) => w.rows).map((r) => [`${r.arch} ${r.proxy}`, r]));
    const diffs = one.rows.filter((r) => {
      const w = byKey.get(`${r.arch} ${r.proxy}`);
      return !w || !same(r, w);
    });
    if (diffs.length === 0 && byKey.size === one.rows.length) {
      console.log(`results identical: all ${one.rows.length} scores (values and terms) bit for bit`);
    } else {
      console.log(`results NOT identical: ${diffs.length} of ${one.rows.length} scores differ, e.g.`);
      for (const r of diffs.slice(0, 5)) {
        const w = byKey.get(`${r.arch} ${r.proxy}`);
        console.log(`  ${r.proxy} ${r.arch}: ${r.value} (1 process) vs ${w?.value} (workers)`);
      }
      Deno.exit(1);
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}
