/**
 * Scoring time of every registered proxy on the workload of tools/torch_reference.py:
 * the NB201 network of its reference arch (C = 16, N = 5, 10 classes, PyTorch init from seed 0)
 * and random N(0,1) batches of 64 32×32×3 images with random labels (4 batches; the baselines use
 * the first). One warm-up call, then one timed call per proxy; one JSON line each:
 * `{"proxy", "value", "ms", "backend"}`. Not a test: `deno run -A lib/proxies/time_proxies.ts [names…]`.
 *
 * @module
 */
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { createRng } from "../rng.ts";
import { Nb201Network } from "../spaces/nb201/network.ts";
import { PROXIES } from "./registry.ts";

const REFERENCE_ARCH =
  "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";

/** Times each named proxy (all registered ones by default) and prints one JSON line per proxy. */
export async function timeProxies(names: string[] = Object.keys(PROXIES)): Promise<void> {
  const info = await initBackend({ quiet: true });
  const rng = createRng(0);
  const net = new Nb201Network(REFERENCE_ARCH, { C: 16, N: 5, classes: 10 }, rng.fork());
  const batches = [0, 1, 2, 3].map(() => ({
    x: tf.tensor4d(Float32Array.from({ length: 64 * 32 * 32 * 3 }, () => rng.normal()), [64, 32, 32, 3]),
    y: tf.tensor1d(Array.from({ length: 64 }, () => rng.int(10)), "int32"),
  }));
  for (const name of names) {
    const p = PROXIES[name];
    if (!p) {
      throw new RangeError(`Unknown proxy '${name}': expected one of ${Object.keys(PROXIES).join(", ")}`);
    }
    await p.fn(net, batches);
    const t = performance.now();
    const value = (await p.fn(net, batches)).value;
    const ms = +(performance.now() - t).toFixed(1);
    console.log(JSON.stringify({ proxy: name, value, ms, backend: info.name }));
  }
  tf.dispose(batches.flatMap((b) => [b.x, b.y]));
  net.dispose();
}

if (import.meta.main) await timeProxies(Deno.args.length ? Deno.args : undefined);
