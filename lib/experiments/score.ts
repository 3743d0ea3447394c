/**
 * Score NAS-Bench-201 architectures with any registered proxies: the function behind
 * `deno task score`.
 *
 * Batches come from CIFAR-10 (a folder in the official layout) or from generated images; each
 * architecture is built with the same seed, so scores are comparable and reproducible.
 *
 * @module
 */
import * as tf from "../tf.ts";
import { type BackendInfo, initBackend } from "../backend.ts";
import { createRng } from "../rng.ts";
import { generateImages } from "../data/gen_images.ts";
import { loadCifar } from "../data/cifar.ts";
import { imageBatches, NB201_NORMALIZATION } from "../data/images.ts";
import { Nb201Network } from "../spaces/nb201/network.ts";
import { formatArch, parseArch } from "../spaces/nb201/space.ts";
import { getProxy, PROXIES } from "../proxies/registry.ts";
import { writeAuditBundle } from "../proxies/audit.ts";
import type { Batch } from "../nn/net.ts";

/** Options of {@linkcode scoreNb201}. */
export interface ScoreOptions {
  archs: string[];
  proxies: string[];
  /** CIFAR-10 folder; generated images when absent */
  data?: string;
  /** @default {4} */
  batches?: number;
  /** @default {64} */
  batchSize?: number;
  /** @default {16} */
  C?: number;
  /** @default {5} */
  N?: number;
  /** @default {0} */
  seed?: number;
  /** write an audit bundle per (arch, proxy) under this folder */
  record?: string;
}

/** One score. */
export interface ScoreRow {
  arch: string;
  proxy: string;
  value: number;
  terms: Record<string, number>;
  seconds: number;
}

/** Score every arch with every proxy. */
export async function scoreNb201(opts: ScoreOptions): Promise<{ rows: ScoreRow[]; backend: BackendInfo }> {
  const backend = await initBackend();
  const { batches: nb = 4, batchSize = 64, C = 16, N = 5, seed = 0 } = opts;
  for (const p of opts.proxies) getProxy(p); // fail early on unknown names
  const archs = opts.archs.map((a) => formatArch(parseArch(a)));
  const images = opts.data
    ? await loadCifar(opts.data, { dataset: "cifar10", split: "train" })
    : generateImages({ n: nb * batchSize, classes: 10, seed });
  const rng = createRng(seed);
  const batches: Batch[] = [];
  for (
    const b of imageBatches(images, {
      batchSize,
      norm: NB201_NORMALIZATION.cifar10,
      rng,
      shuffle: true,
      dropLast: true,
    })
  ) {
    if (batches.length === nb) break;
    batches.push({ x: tf.tensor4d(b.x, b.shape), y: tf.tensor1d(b.y, "int32") });
  }
  if (batches.length < nb) {
    throw new RangeError(`Cannot make ${nb} batches of ${batchSize} from ${images.n} images`);
  }
  const rows: ScoreRow[] = [];
  try {
    for (const arch of archs) {
      const net = new Nb201Network(arch, { C, N, classes: 10 }, createRng(seed, 1));
      try {
        for (const proxy of opts.proxies) {
          const s = getProxy(proxy)(net, batches);
          rows.push({ arch, proxy, value: s.value, terms: s.terms ?? {}, seconds: s.seconds });
          if (opts.record) {
            const dir = `${opts.record}/${rows.length - 1}_${proxy}`;
            await writeAuditBundle(dir, net, batches, {
              proxy,
              options: PROXIES[proxy].options,
              score: s,
              extra: { arch, C, N, seed, backend: backend.name, gemm: backend.gemm },
            });
          }
        }
      } finally {
        net.dispose();
      }
    }
  } finally {
    tf.dispose(batches.flatMap((b) => [b.x, b.y]));
  }
  return { rows, backend };
}

/** A fixed-width text table of the rows. */
export function formatScoreTable(rows: ScoreRow[]): string {
  const lines = rows.map((r) => [
    r.proxy,
    Number.isFinite(r.value) ? r.value.toFixed(4) : String(r.value),
    Object.entries(r.terms).map(([k, v]) => `${k}=${v.toFixed(4)}`).join(" "),
    r.seconds.toFixed(2),
    r.arch,
  ]);
  const head = ["proxy", "score", "terms", "s", "arch"];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (l: string[]) => l.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [fmt(head), ...lines.map(fmt)].join("\n");
}
