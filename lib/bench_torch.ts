/**
 * `deno task bench --against-torch [--pairs 5] [--threads 2] [workload…]`: this project's bench and
 * `tools/torch_reference.py` (PyTorch, CPU) run in alternation, each in its own process with the same
 * thread count, and the median of the per-pair speed ratios printed per workload. Alternating pairs make
 * the ratios comparable on a shared, loaded machine where absolute times drift minute to minute.
 *
 * The speed ratio of a pair is PyTorch's milliseconds over ours (>1: we are faster).
 *
 * @module
 */

/** The workloads both scripts time with the same shapes. */
export const TORCH_WORKLOADS = ["matmul-1024", "mlp-step", "nb201-step", "nb201-zico"] as const;

/** Options of {@linkcode benchAgainstTorch}. */
export interface AgainstTorchOptions {
  /** alternating (ours, PyTorch) pairs; the order flips every pair. @default {5} */
  pairs?: number;
  /** threads for both (OpenBLAS, native kernels, torch.set_num_threads). @default {2} */
  threads?: number;
  /** subset of {@link TORCH_WORKLOADS}. @default {all four} */
  workloads?: string[];
  /** Python interpreter with torch. @default {"python3"} */
  python?: string;
  /** called with each line of progress and the final table */
  print?: (line: string) => void;
}

/** One workload's result over the pairs. */
export interface RatioRow {
  workload: string;
  oursMs: number[];
  torchMs: number[];
  /** per pair: torch ms / our ms */
  ratios: number[];
  /** median of `ratios` */
  median: number;
}

/** Median of a non-empty list (mean of the middle two for even lengths). */
export function median(xs: number[]): number {
  if (!xs.length) throw new Error("median of an empty list");
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** workload → ms from the JSON lines either script prints (other lines are ignored). */
export function parseTimings(stdout: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    let o: { workload?: unknown; ms?: unknown };
    try {
      o = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof o.workload === "string" && typeof o.ms === "number") out.set(o.workload, o.ms);
  }
  return out;
}

/** The per-workload ratio rows of paired timings (pair k: ours[k], torch[k]). */
export function ratioRows(
  workloads: readonly string[],
  ours: Map<string, number>[],
  torch: Map<string, number>[],
): RatioRow[] {
  return workloads.map((w) => {
    const oursMs: number[] = [], torchMs: number[] = [], ratios: number[] = [];
    for (let k = 0; k < Math.min(ours.length, torch.length); k++) {
      const a = ours[k].get(w), b = torch[k].get(w);
      if (a === undefined || b === undefined) continue;
      oursMs.push(a), torchMs.push(b), ratios.push(b / a);
    }
    if (!ratios.length) throw new Error(`bench --against-torch: no paired timing of '${w}' was printed`);
    return { workload: w, oursMs, torchMs, ratios, median: median(ratios) };
  });
}

/** Markdown table of the rows (the README's speed table is this output). */
export function ratioTable(rows: RatioRow[]): string {
  const f = (x: number) => x.toFixed(x >= 100 ? 0 : 1);
  const lines = [
    "| workload | ours (ms, median) | PyTorch (ms, median) | ours/PyTorch speed, median (range) |",
    "| --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    lines.push(
      `| \`${r.workload}\` | ${f(median(r.oursMs))} | ${f(median(r.torchMs))} | ${r.median.toFixed(2)}× (${
        Math.min(...r.ratios).toFixed(2)
      }–${Math.max(...r.ratios).toFixed(2)}) |`,
    );
  }
  return lines.join("\n");
}

async function runChild(cmd: string, args: string[], env: Record<string, string>): Promise<string> {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `bench --against-torch: '${cmd} ${args.join(" ")}' exited with ${out.code}:\n${
        new TextDecoder().decode(out.stderr).slice(-2000)
      }`,
    );
  }
  return text;
}

/** True when `python -c "import torch"` succeeds. */
export async function torchAvailable(python = "python3"): Promise<boolean> {
  try {
    const r = await new Deno.Command(python, { args: ["-c", "import torch"], stdout: "null", stderr: "null" })
      .output();
    return r.success;
  } catch {
    return false;
  }
}

/**
 * Run the pairs and return the rows; throws a clear error when PyTorch cannot be imported.
 * Pair k runs ours first when k is even, PyTorch first when odd, so neither always gets the warmer minute.
 */
export async function benchAgainstTorch(opts: AgainstTorchOptions = {}): Promise<RatioRow[]> {
  const pairs = opts.pairs ?? 5, threads = opts.threads ?? 2, python = opts.python ?? "python3";
  const print = opts.print ?? ((l: string) => console.log(l));
  const workloads = opts.workloads?.length ? opts.workloads : [...TORCH_WORKLOADS];
  for (const w of workloads) {
    if (!(TORCH_WORKLOADS as readonly string[]).includes(w)) {
      throw new Error(
        `bench --against-torch: unknown workload '${w}' (expected ${TORCH_WORKLOADS.join(", ")})`,
      );
    }
  }
  if (!(await torchAvailable(python))) {
    throw new Error(
      `bench --against-torch: '${python} -c "import torch"' fails; install PyTorch (CPU) first`,
    );
  }
  const env = {
    OPENBLAS_NUM_THREADS: String(threads),
    SIGEO_THREADS: String(threads),
    OMP_NUM_THREADS: String(threads),
  };
  const bench = new URL("./bench.ts", import.meta.url).pathname;
  const script = new URL("../tools/torch_reference.py", import.meta.url).pathname;
  const ours: Map<string, number>[] = [], torch: Map<string, number>[] = [];
  const runOurs = async () =>
    parseTimings(
      await runChild(Deno.execPath(), ["run", "--allow-all", "--frozen", bench, ...workloads], env),
    );
  const runTorch = async () =>
    parseTimings(await runChild(python, [script, String(threads), ...workloads], env));
  for (let k = 0; k < pairs; k++) {
    let a: Map<string, number>, b: Map<string, number>;
    if (k % 2 === 0) {
      a = await runOurs();
      b = await runTorch();
    } else {
      b = await runTorch();
      a = await runOurs();
    }
    ours.push(a), torch.push(b);
    print(JSON.stringify({ pair: k + 1, ours: Object.fromEntries(a), torch: Object.fromEntries(b) }));
  }
  return ratioRows(workloads, ours, torch);
}
