/**
 * `deno task bench`: timings of the workloads of `tools/torch_reference.py`, same
 * shapes and batches, one JSON line each. Compare ratios against that script run in the same
 * minute (the machines are shared and noisy), not absolute times.
 *
 * Workloads: matmul-1024, mlp-step (1024→512→512→1, batch 256, BCE, Adam), nb201-step (the
 * NAS-Bench-201 net of the reference arch, C=16, N=5, batch 64, CE, SGD momentum 0.9 nesterov),
 * nb201-zico (4 batches of 64, forward+backward, every conv/linear weight gradient read back),
 * embedding-bag (table 100,000×16, ids 1024×26, sum-pooled, linear, BCE, Adam).
 * Beyond the reference script: `nasrec` (NASRec training steps: the best Criteo net standalone,
 * the NASRec-Small supernet's full and sampled paths, 10k-row vs Criteo-size tables; see
 * `lib/bench_nasrec.ts`) and `recsys-read` (Criteo-format text parsing vs the binary
 * cache, on a generated file), `proxies` (seconds per architecture of every registered proxy on the
 * reference arch, C=16, N=5, 4 batches of 64, each reading its default batches; one JSON line per
 * proxy, an `error` instead of `seconds` when it throws or runs past 600 s). `deno task bench nasrec`
 * runs one workload; `--backend NAME` (or `SIGEO_BACKEND`) picks the backend, e.g.
 * `deno task bench --backend webgpu` on a GPU.
 * `deno task bench --against-torch [--pairs 5] [--threads 2] [workload…]` runs the four shared workloads
 * and the PyTorch script in alternating processes and prints the median speed ratios
 * (`lib/bench_torch.ts`).
 *
 * @module
 */
import * as tf from "./tf.ts";
import { type BackendName, initBackend } from "./backend.ts";
import { readScalar, readValues } from "./train/inplace.ts";
import { createRng } from "./rng.ts";
import { Linear } from "./nn/layers.ts";
import { ParamStore } from "./nn/param.ts";
import { Nb201Network, Nb201Supernet } from "./spaces/nb201/network.ts";
import { sampleArch } from "./spaces/nb201/space.ts";
import { adam, type Optimizer, sgd } from "./train/optim.ts";
import { zicoProxy } from "./proxies/zico.ts";
import { sigeoProxy } from "./proxies/sigeo.ts";
import { PROXIES } from "./proxies/registry.ts";
import { benchNasrec } from "./bench_nasrec.ts";
import { writeCriteoFile } from "./data/gen_recsys.ts";
import { readCriteo } from "./data/criteo.ts";
import { readRecsysCached } from "./data/recsys_cache.ts";
import { benchAgainstTorch, ratioTable } from "./bench_torch.ts";

export const REFERENCE_ARCH =
  "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";

/** Seconds one proxy's process (set-up, an untimed call and the timed one) may take in `proxies`. */
const PROXY_TIME_LIMIT_S = 600;

/** Mean milliseconds of `fn` over `n` runs after `warm` untimed runs. */
export async function timeit(fn: () => void | Promise<void>, n: number, warm = 2): Promise<number> {
  for (let i = 0; i < warm; i++) await fn();
  const t = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return (performance.now() - t) / n;
}

/**
 * One training step: gradients of `loss` w.r.t. `vars`, an optimizer update, the loss read back
 * (so that a device backend's queued work is finished inside the timing).
 */
async function trainStep(vars: tf.Variable[], opt: Optimizer, loss: () => tf.Scalar): Promise<number> {
  const { value, grads } = tf.variableGrads(loss, vars);
  opt.step(grads);
  tf.dispose(Object.values(grads));
  const v = await readScalar(value);
  value.dispose();
  return v;
}

/** Workload names and `--backend NAME` / `--backend=NAME` from the command line. */
export function parseBenchArgs(
  args: string[],
): { backend: BackendName | "auto" | undefined; only: string[] } {
  const only: string[] = [];
  let backend: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--backend") {
      backend = args[++i];
      if (backend === undefined) throw new RangeError("Expected a backend name after --backend");
    } else if (a.startsWith("--backend=")) backend = a.slice("--backend=".length);
    else if (a.startsWith("--")) throw new RangeError(`Unknown option '${a}': expected --backend NAME`);
    else only.push(a);
  }
  const names = ["auto", "tensorflow", "webgpu", "wasm", "cpu"];
  if (backend !== undefined && !names.includes(backend)) {
    throw new RangeError(`Cannot use backend '${backend}': expected one of ${names.join(", ")}`);
  }
  return { backend: backend as BackendName | "auto" | undefined, only };
}

async function main() {
  const args = parseBenchArgs(Deno.args);
  const info = await initBackend({ quiet: true, backend: args.backend });
  const base = {
    backend: info.name,
    gemm: info.gemm,
    blasThreads: info.blas?.threads ?? null,
    blasCore: info.blas?.core ?? null,
    ...(info.device ? { device: info.device } : {}),
  };
  const print = (o: Record<string, unknown>) => console.log(JSON.stringify({ ...base, ...o }));
  const rng = createRng(0);
  const only = args.only.length ? new Set(args.only) : null;
  const want = (name: string) => !only || only.has(name);

  if (want("matmul-1024")) {
    const a = tf.randomNormal([1024, 1024], 0, 1, "float32", 1);
    const ms = await timeit(
      async () => {
        const c = tf.matMul(a, a);
        await readValues(c);
        c.dispose();
      },
      20,
      3,
    );
    print({ workload: "matmul-1024", ms: +ms.toFixed(3), gflops: +(2 * 1024 ** 3 / ms / 1e6).toFixed(2) });
    a.dispose();
  }

  if (want("mlp-step")) {
    const store = new ParamStore(rng.fork());
    const l1 = new Linear(store, "l1", 1024, 512),
      l2 = new Linear(store, "l2", 512, 512),
      l3 = new Linear(store, "l3", 512, 1);
    const x = tf.randomNormal([256, 1024], 0, 1, "float32", 2);
    const y = tf.cast(tf.greater(tf.randomUniform([256, 1], 0, 1, "float32", 3), 0.5), "float32");
    const vars = store.params().map((p) => p.variable);
    const opt = adam(vars, { lr: 1e-3 });
    const loss = () =>
      tf.losses.sigmoidCrossEntropy(y, l3.apply(l2.apply(l1.apply(x, "relu"), "relu"))) as tf.Scalar;
    const ms = await timeit(async () => void await trainStep(vars, opt, loss), 30, 3);
    print({ workload: "mlp-step", ms: +ms.toFixed(3) });
    store.dispose();
    tf.dispose([x, y]);
  }

  if (want("nb201-step") || want("nb201-zico") || want("nb201-sigeo")) {
    const net = new Nb201Network(REFERENCE_ARCH, { C: 16, N: 5, classes: 10 }, rng.fork());
    const params = net.params().reduce((s, p) => s + p.variable.size, 0);
    const x = tf.randomNormal([64, 32, 32, 3], 0, 1, "float32", 4) as tf.Tensor4D;
    const y = tf.tensor1d(Array.from({ length: 64 }, () => rng.int(10)), "int32");
    if (want("nb201-step")) {
      const vars = net.params().map((p) => p.variable);
      const opt = sgd(vars, { lr: 0.1, momentum: 0.9, nesterov: true });
      const loss = () => net.loss(net.forward(x, { training: true }), y);
      const ms = await timeit(async () => void await trainStep(vars, opt, loss), 10, 2);
      print({ workload: "nb201-step", arch: REFERENCE_ARCH, params, ms: +ms.toFixed(3) });
    }
    if (want("nb201-zico")) {
      const batches = [0, 1, 2, 3].map((i) => ({
        x: tf.randomNormal([64, 32, 32, 3], 0, 1, "float32", 10 + i) as tf.Tensor4D,
        y: tf.tensor1d(Array.from({ length: 64 }, () => rng.int(10)), "int32"),
      }));
      let score = 0;
      const ms = await timeit(async () => void (score = (await zicoProxy(net, batches)).value), 5, 1);
      print({ workload: "nb201-zico", ms: +ms.toFixed(3), score: +score.toFixed(4) });
      tf.dispose(batches.flatMap((b) => [b.x, b.y]));
    }
    if (want("nb201-sigeo")) {
      // Beyond the PyTorch script: SiGeo's CV preset on the same batches (4 SGD steps on a copy,
      // weights restored), to compare with nb201-zico's reference time.
      const batches = [0, 1, 2, 3].map((i) => ({
        x: tf.randomNormal([64, 32, 32, 3], 0, 1, "float32", 10 + i) as tf.Tensor4D,
        y: tf.tensor1d(Array.from({ length: 64 }, () => rng.int(10)), "int32"),
      }));
      for (const warmedUp of [false, true]) {
        let score = 0;
        const ms = await timeit(
          async () => void (score = (await sigeoProxy(net, batches, { preset: "cv", warmedUp })).value),
          3,
          1,
        );
        print({
          workload: warmedUp ? "nb201-sigeo-warm" : "nb201-sigeo",
          ms: +ms.toFixed(3),
          score: +score.toFixed(4),
        });
      }
      tf.dispose(batches.flatMap((b) => [b.x, b.y]));
    }
    net.dispose();
    tf.dispose([x, y]);
  }

  if (want("proxies")) {
    // Seconds per architecture of every registered proxy on the reference arch (C=16, N=5), 4
    // batches of 64 N(0,1) images, each proxy reading its default batches. One process per proxy
    // (lib/proxies/time_proxies.ts): a proxy that exhausts the wasm heap aborts the backend, and
    // must not take the later ones with it.
    const script = new URL("./proxies/time_proxies.ts", import.meta.url).pathname;
    for (const proxy of Object.keys(PROXIES)) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", "--frozen", script, proxy],
        env: { SIGEO_BACKEND: info.name },
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(PROXY_TIME_LIMIT_S * 1000),
      }).output();
      const line = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
      let timing: Record<string, unknown>;
      try {
        const { backend: _, ...rest } = JSON.parse(line);
        timing = rest;
      } catch {
        const err = new TextDecoder().decode(out.stderr).trim().split("\n").filter((l) => l).pop();
        timing = {
          proxy,
          error: out.signal
            ? `killed after ${PROXY_TIME_LIMIT_S} s`
            : `exit ${out.code}: ${err ?? "no output"}`,
        };
      }
      print({ workload: "proxies", arch: REFERENCE_ARCH, ...timing });
    }
  }

  // Beyond the PyTorch script: NB201 supernet warm-up steps (a uniformly sampled connected path
  // per step, SGD) and standalone steps at the `small` scale's size (C=8, N=1).
  for (
    const [name, C, N] of [["nb201-supernet-step", 16, 5], ["nb201-small-step", 8, 1], [
      "nb201-small-supernet-step",
      8,
      1,
    ]] as const
  ) {
    if (!want(name)) continue;
    const x = tf.randomNormal([64, 32, 32, 3], 0, 1, "float32", 6) as tf.Tensor4D;
    const y = tf.tensor1d(Array.from({ length: 64 }, () => rng.int(10)), "int32");
    const sampler = rng.fork();
    if (name.includes("supernet")) {
      const supernet = new Nb201Supernet({ C, N, classes: 10 }, rng.fork());
      const vars = supernet.allParams().map((p) => p.variable);
      const opt = sgd(vars, { lr: 0.025, momentum: 0.9, nesterov: true });
      const ms = await timeit(
        async () => {
          const path = supernet.path(sampleArch(sampler, { connectedOnly: true }));
          const pv = path.params().map((p) => p.variable);
          await trainStep(pv, opt, () => path.loss(path.forward(x, { training: true }), y));
        },
        10,
        2,
      );
      print({
        workload: name,
        C,
        N,
        batch: 64,
        ms: +ms.toFixed(3),
        samplesPerSecond: +(64000 / ms).toFixed(1),
      });
      supernet.dispose();
    } else {
      const net = new Nb201Network(REFERENCE_ARCH, { C, N, classes: 10 }, rng.fork());
      const vars = net.params().map((p) => p.variable);
      const opt = sgd(vars, { lr: 0.1, momentum: 0.9, nesterov: true });
      const ms = await timeit(
        async () => void await trainStep(vars, opt, () => net.loss(net.forward(x, { training: true }), y)),
        10,
        2,
      );
      print({
        workload: name,
        arch: REFERENCE_ARCH,
        C,
        N,
        batch: 64,
        ms: +ms.toFixed(3),
        samplesPerSecond: +(64000 / ms).toFixed(1),
      });
      net.dispose();
    }
    tf.dispose([x, y]);
  }

  if (want("embedding-bag")) {
    const store = new ParamStore(rng.fork());
    const table = store.add("emb", "embedding", "embedding", [100_000, 16], { kind: "normal", std: 0.01 });
    const head = new Linear(store, "head", 16, 1);
    const ids = tf.tensor2d(
      Int32Array.from({ length: 1024 * 26 }, () => rng.int(100_000)),
      [1024, 26],
      "int32",
    );
    const y = tf.cast(tf.greater(tf.randomUniform([1024, 1], 0, 1, "float32", 5), 0.5), "float32");
    const vars = store.params().map((p) => p.variable);
    const opt = adam(vars, { lr: 1e-3 });
    const loss = () =>
      tf.losses.sigmoidCrossEntropy(y, head.apply(tf.sum(tf.gather(table, ids), 1))) as tf.Scalar;
    const ms = await timeit(async () => void await trainStep(vars, opt, loss), 20, 3);
    print({
      workload: "embedding-bag",
      table: [100_000, 16],
      ids: [1024, 26],
      optimizer: "adam (dense table gradient)",
      ms: +ms.toFixed(3),
    });
    store.dispose();
    tf.dispose([ids, y]);
  }

  if (want("recsys-read")) {
    const dir = await Deno.makeTempDir({ prefix: "sigeo-bench-" });
    try {
      const rows = 300_000, path = `${dir}/train.txt`;
      await writeCriteoFile(path, { rows, seed: 1 });
      const bytes = (await Deno.stat(path)).size;
      const parsed = await readCriteo(path, { maxRows: 500_000 });
      const built = await readRecsysCached({ dataset: "criteo", path }, { maxRows: 500_000, cacheDir: dir });
      const hit = await readRecsysCached({ dataset: "criteo", path }, { maxRows: 500_000, cacheDir: dir });
      print({
        workload: "recsys-read",
        rows,
        megabytes: +(bytes / 2 ** 20).toFixed(1),
        parseRowsPerSecond: Math.round(parsed.rate),
        parseMBPerSecond: +(bytes / 2 ** 20 / parsed.seconds).toFixed(1),
        cacheBuildSeconds: +built.seconds.toFixed(2),
        cacheLoadRowsPerSecond: Math.round(hit.loadRate),
        speedup: +(hit.loadRate / parsed.rate).toFixed(1),
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }

  if (want("nasrec")) await benchNasrec({ steps: 6, print });
}

/** `--against-torch [--pairs N] [--threads N] [workload…]`: the flags, or null without the flag. */
export function againstTorchArgs(
  args: string[],
): { pairs: number; threads: number; workloads: string[] } | null {
  if (!args.includes("--against-torch")) return null;
  let pairs = 5, threads = 2;
  const workloads: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--against-torch") continue;
    if (a === "--pairs" || a === "--threads") {
      const v = Number(args[++i]);
      if (!Number.isInteger(v) || v < 1) {
        throw new Error(`bench: ${a} expects a positive integer, got '${args[i]}'`);
      }
      if (a === "--pairs") pairs = v;
      else threads = v;
    } else if (a.startsWith("--")) throw new Error(`bench: unknown flag '${a}'`);
    else workloads.push(a);
  }
  return { pairs, threads, workloads };
}

if (import.meta.main) {
  const vs = againstTorchArgs(Deno.args);
  if (vs) {
    const rows = await benchAgainstTorch(vs);
    console.log(
      `\n${new Date().toISOString().slice(0, 10)}, ${vs.threads} threads, ${vs.pairs} interleaved pairs:`,
    );
    console.log(ratioTable(rows));
  } else await main();
}
