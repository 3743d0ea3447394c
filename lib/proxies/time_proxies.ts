/**
 * Seconds per architecture of registered proxies: one call of each on a given net and batches,
 * after one untimed call of the first (so kernel set-up is not charged to it). Each proxy reads the
 * batches it reads by default (the baselines the first, ZiCo and SiGeo all of them); `batches` is
 * the proxy's `batches` option, else the number given (data-free proxies read only their shape). A
 * proxy that throws gets its error instead of a time, and the others still run — but a wasm abort
 * (out of memory) leaves the backend unusable, so `deno task bench proxies` runs
 * `deno run -A lib/proxies/time_proxies.ts NAME` once per proxy, on the reference arch (C = 16,
 * N = 5, 4 batches of 64 N(0,1) images with random labels).
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Batch, Net } from "../nn/net.ts";
import { initBackend } from "../backend.ts";
import { createRng } from "../rng.ts";
import { Nb201Network } from "../spaces/nb201/network.ts";
import { PROXIES } from "./registry.ts";

/** The reference arch of the bench and tools/torch_reference.py. */
export const REFERENCE_ARCH =
  "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";

/** One proxy's time, or why it has none. */
export type ProxyTiming =
  | { proxy: string; batches: number; seconds: number; value: number }
  | { proxy: string; batches: number; error: string };

/** Times each named proxy once on `net` and `batches` (all registered ones by default). */
export async function timeProxies(
  net: Net,
  batches: Batch[],
  names: readonly string[] = Object.keys(PROXIES),
  onTiming: (t: ProxyTiming) => void = () => {},
): Promise<ProxyTiming[]> {
  const out: ProxyTiming[] = [];
  const entries = names.map((name) => {
    const p = PROXIES[name];
    if (!p) {
      throw new RangeError(`Unknown proxy '${name}': expected one of ${Object.keys(PROXIES).join(", ")}`);
    }
    return [name, p] as const;
  });
  if (entries.length) await entries[0][1].fn(net, batches).catch(() => undefined);
  for (const [proxy, p] of entries) {
    const used = typeof p.options.batches === "number"
      ? Math.min(p.options.batches, batches.length)
      : batches.length;
    let t: ProxyTiming;
    try {
      const t0 = performance.now();
      const value = (await p.fn(net, batches)).value;
      t = { proxy, batches: used, seconds: +((performance.now() - t0) / 1000).toFixed(3), value };
    } catch (e) {
      t = { proxy, batches: used, error: (e as Error).message.split("\n")[0] };
    }
    out.push(t);
    onTiming(t);
  }
  return out;
}

/** The reference arch's net (C = 16, N = 5) and 4 batches of 64 N(0,1) images, from seed 0. */
export function referenceWorkload(arch: string): { net: Nb201Network; batches: Batch[]; dispose(): void } {
  const rng = createRng(0);
  const net = new Nb201Network(arch, { C: 16, N: 5, classes: 10 }, rng.fork());
  const batches = [0, 1, 2, 3].map(() => ({
    x: tf.tensor4d(Float32Array.from({ length: 64 * 32 * 32 * 3 }, () => rng.normal()), [64, 32, 32, 3]),
    y: tf.tensor1d(Array.from({ length: 64 }, () => rng.int(10)), "int32"),
  }));
  return { net, batches, dispose: () => (tf.dispose(batches.flatMap((b) => [b.x, b.y])), net.dispose()) };
}

if (import.meta.main) {
  const info = await initBackend({ quiet: true });
  const w = referenceWorkload(REFERENCE_ARCH);
  await timeProxies(
    w.net,
    w.batches,
    Deno.args.length ? Deno.args : undefined,
    (t) => console.log(JSON.stringify({ backend: info.name, ...t })),
  );
  w.dispose();
}
