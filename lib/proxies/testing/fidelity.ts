/**
 * Proxy fidelity on deep NAS-Bench-201 cells with real images: each registered proxy's tfjs value
 * (float32, the active backend's kernels) against its float64 definition on the same weights and
 * batches. The float64 definitions are those of `proxies_ref.ts` and `since_sigeo_ref.ts`, run on
 * the float64 NB201 network of `nb201_ref.ts` through `ref_passes.ts`, so the definition checked
 * by hand on the tiny nets is the one measured here; MeCo, AZ-NAS, VKDNW and TE-NAS are those of
 * `nb201_since_sigeo_ref.ts` (the tiny-net maths on the NB201 net's passes), zen that of
 * `nb201_zen_ref.ts` (zen.ts's seeded re-initialisation and Gaussian inputs, drawn again in float64).
 * Used by tools/fidelity_table.ts (the README table) and by fidelity_test.ts / grasp_fidelity_test.ts (CI).
 *
 * What a relative error here contains: float32 rounding through the whole net, and ReLU inputs
 * within float32 rounding of zero that take the other sign in float32 (each such unit moves every
 * gradient upstream of it; PyTorch float32 has the same kind of error). `reluFlips` counts the
 * latter on the first batch so that a row can be read with it.
 *
 * @module
 */
import * as tf from "../../tf.ts";
import type { Batch } from "../../nn/net.ts";
import { createRng } from "../../rng.ts";
import { readCifarBin } from "../../data/cifar.ts";
import { NB201_NORMALIZATION, normalizeImages } from "../../data/images.ts";
import { archOps, Nb201Network } from "../../spaces/nb201/network.ts";
import { PROXIES } from "../registry.ts";
import { SWAP_REG_PLACEHOLDER } from "../swap.ts";
import type { RefBatch, RefParam } from "./tiny_nets.ts";
import {
  type BnRunningStats,
  nb201LossAndGradients,
  type Nb201PassOptions,
  type Nb201RefSpec,
} from "./nb201_ref.ts";
import { refParamsOf, refRunningStatsOf } from "./tf_twins.ts";
import {
  azNasNb201Ref,
  gaussianInputRef,
  mecoNb201Ref,
  teNasLrNb201Ref,
  teNasNtkNb201Ref,
  vkdnwNb201Ref,
} from "./nb201_since_sigeo_ref.ts";
import {
  epeNasRef,
  fisherRef,
  gradNormRef,
  graspRef,
  jacovRef,
  l2NormRef,
  nwotRef,
  plainRef,
  sigeoCvRef,
  sigeoFisherRef,
  snipRef,
  synflowDirectRef,
  zicoRef,
} from "./proxies_ref.ts";
import { swapRef } from "./since_sigeo_ref.ts";
import { zenNb201Ref } from "./nb201_zen_ref.ts";

/** The four kinds of cells of issue 16, by role. */
export const FIDELITY_CELLS = {
  /** the project's reference arch (bench, tools/torch_reference.py) */
  reference:
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
  "pools+skips":
    "|avg_pool_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|nor_conv_3x3~0|avg_pool_3x3~1|skip_connect~2|",
  /** node 1 receives only `none`: its outgoing convs run on zeros */
  "dead node": "|none~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|",
  /** `none` edges, every node still reached */
  "none, no dead node": "|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|none~0|none~1|nor_conv_3x3~2|",
} as const;

/** The real CIFAR-10 sample (not in the repository; tests skip without it). */
export const CIFAR_SAMPLE = new URL(
  "../../../../shared/data/cifar10/cifar10_test_batch_first500.bin",
  import.meta.url,
);

/** Network and data size of a fidelity measurement. */
export interface FidelityConfig {
  C: number;
  N: number;
  /** images per batch */
  n: number;
  /** batches (SiGeo and ZiCo use all; the baselines the first) */
  batches: number;
  /** centre crop of the 32×32 images (32: the whole image) */
  px: number;
  /** seed of the network's initialisation @default {0} */
  seed?: number;
}

/** `batches` × `n` consecutive images of the sample, NB201-normalised, centre-cropped; null if absent. */
export async function cifarBatches(
  cfg: FidelityConfig,
  file: URL | string = CIFAR_SAMPLE,
): Promise<{ x: Float32Array; y: Int32Array }[] | null> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  const set = readCifarBin(bytes, { dataset: "cifar10" });
  const total = cfg.n * cfg.batches, px = cfg.px, o = (32 - px) >> 1;
  if (total > set.labels.length) {
    throw new RangeError(`Cannot take ${total} images from ${file}: it holds ${set.labels.length}`);
  }
  if (!(Number.isInteger(px) && px >= 4 && px <= 32)) {
    throw new RangeError(`Expected a crop of 4…32 px, got ${px}`);
  }
  const full = normalizeImages(set.images.subarray(0, total * 32 * 32 * 3), NB201_NORMALIZATION.cifar10);
  return Array.from({ length: cfg.batches }, (_, k) => {
    const x = new Float32Array(cfg.n * px * px * 3);
    for (let b = 0; b < cfg.n; b++) {
      const src = k * cfg.n + b;
      for (let i = 0; i < px; i++) {
        for (let j = 0; j < px; j++) {
          for (let c = 0; c < 3; c++) {
            x[((b * px + i) * px + j) * 3 + c] = full[((src * 32 + i + o) * 32 + j + o) * 3 + c];
          }
        }
      }
    }
    return { x, y: set.labels.slice(k * cfg.n, (k + 1) * cfg.n) };
  });
}

/**
 * A float64 definition: the value and, where the proxy has them, its terms. `pass` reaches the
 * definitions that score one batch by gradients (they can be taken along given ReLU masks);
 * `running` holds the tfjs net's BN running statistics when the proxy runs (VKDNW's eval mode).
 */
type RefFn = (
  spec: Nb201RefSpec,
  params: readonly RefParam[],
  batches: readonly RefBatch[],
  pass: Nb201PassOptions | undefined,
  running: ReadonlyMap<string, BnRunningStats>,
) => { value: number; terms?: Record<string, number> };

const sigeoCv = (warmedUp: boolean): RefFn => (spec, params, batches) =>
  sigeoCvRef(spec, params, batches, { warmedUp });

/** The proxies whose float64 definition can follow the first batch's float32 ReLU masks. */
export const MASKABLE: ReadonlySet<string> = new Set(["grad_norm", "plain", "snip", "grasp", "fisher"]);

/** The first batch's N(0, 1) stand-in, as vkdnw and te_nas_lr draw it (seed 0, the registry's). */
const gaussian = (b: RefBatch) => gaussianInputRef(b.x.length, 0);

/**
 * The float64 definition of each registered proxy that has one on NB201, by registry name, with the
 * registry's options. Not here: flops (a count; checked against NASLib's values in flops_test.ts)
 * and sigeo-recsys (a recommender preset). AZ-NAS's complexity term is the flops count, so it is not
 * compared either.
 */
export const FLOAT64_DEFINITIONS: Readonly<Record<string, RefFn>> = {
  zico: (s, p, b) => ({ value: zicoRef(s, p, b) }),
  "sigeo-cv": sigeoCv(false),
  "sigeo-cv-warm": sigeoCv(true),
  "sigeo-fisher": (s, p, b) => sigeoFisherRef(s, p, b),
  grad_norm: (s, p, b, pass) => ({ value: gradNormRef(s, p, b[0], { pass }) }),
  plain: (s, p, b, pass) => ({ value: plainRef(s, p, b[0], { pass }) }),
  snip: (s, p, b, pass) => ({ value: snipRef(s, p, b[0], { pass }) }),
  grasp: (s, p, b, pass) => ({ value: graspRef(s, p, b[0], { pass }) }),
  fisher: (s, p, b, pass) => ({ value: fisherRef(s, p, b[0], { pass }) }),
  jacov: (s, p, b) => ({ value: jacovRef(s, p, b[0]) }),
  epe_nas: (s, p, b) => ({ value: epeNasRef(s, p, b[0]) }),
  nwot: (s, p, b) => ({ value: nwotRef(s, p, b[0]) }),
  synflow: (s, p) => ({ value: Math.log(synflowDirectRef(s, p)) }),
  l2_norm: (_s, p) => ({ value: l2NormRef(p) }),
  params: (_s, p) => ({ value: p.reduce((a, q) => a + q.value.length, 0) / 1e6 }),
  swap: (s, p, b) => ({ value: swapRef(s, p, b[0]) }),
  "swap-reg": (s, p, b) => ({ value: swapRef(s, p, b[0], SWAP_REG_PLACEHOLDER) }),
  meco: (s, p, b) => ({ value: mecoNb201Ref(s, p, b[0]) }),
  "az-nas": (s, p, b) => {
    const { value, ...terms } = azNasNb201Ref(s, p, b[0], 0);
    return { value, terms };
  },
  // the top decile (the Fisher's scale) and the entropy; the lower deciles can be rounding-level
  // zeros of F (parameters whose index-0 columns of J coincide), whose relative error says nothing
  vkdnw: (s, p, b, _pass, running) => {
    const r = vkdnwNb201Ref(s, p, gaussian(b[0]), b[0].n, running);
    return { value: r.value, terms: { entropy: r.entropy, lambda_9: r.deciles[8] } };
  },
  te_nas_ntk: (s, p, b) => {
    const kappa = teNasNtkNb201Ref(s, p, b[0]);
    return { value: -kappa, terms: { condition: kappa } };
  },
  te_nas_lr: (s, p, b) => {
    const r = teNasLrNb201Ref(s, p, gaussian(b[0]), b[0].n);
    return { value: r.regions, terms: { units: r.units } };
  },
  // data-free: the net's weights and the images are replaced by seeded draws (seed 0, the registry's);
  // the batch gives only the shape
  zen: (s, p, b) => {
    const r = zenNb201Ref(s, p, b[0].n, { seed: 0, mixupGamma: 0.01 });
    return { value: r.value, terms: { delta: r.delta, bn: r.bn, bnLayers: r.bnLayers } };
  },
};

/** One proxy (or one of its terms, `name:term`) on one cell. */
export interface FidelityRow {
  proxy: string;
  tfjs: number;
  float64: number;
  /** |tfjs − float64| / |float64| (|tfjs − float64| where float64 is 0) */
  relErr: number;
  /** the same against float64 along the float32 pass's ReLU masks (MASKABLE proxies, with `aligned`) */
  alignedRelErr?: number;
}

/** |a − b| / |b|, or |a − b| when b = 0; equal infinities count as 0. */
export function relativeError(a: number, b: number): number {
  if (a === b) return 0;
  const d = Math.abs(a - b);
  return b === 0 ? d : d / Math.abs(b);
}

/** The ReLU decisions of the tfjs net's training-mode pass of `x`, by tap name (BN state restored by the caller). */
function float32Masks(net: Nb201Network, x: tf.Tensor4D): Map<string, Uint8Array> {
  const masks = new Map<string, Uint8Array>();
  tf.tidy(() => {
    net.forward(x, {
      training: true,
      tap: (p, t) => {
        if (p.kind === "relu-input") masks.set(p.name, Uint8Array.from(t.dataSync(), (v) => (v > 0 ? 1 : 0)));
        return t;
      },
    });
  });
  return masks;
}

/** Options of {@linkcode measureCell}. */
export interface MeasureOptions {
  /** the proxies (registry names with a float64 definition) @default {every one} */
  names?: readonly string[];
  /** also compare the MASKABLE proxies with float64 along the float32 ReLU masks @default {false} */
  aligned?: boolean;
}

/**
 * The tfjs and float64 values of the proxies on one cell (the tfjs net initialised from
 * `createRng(cfg.seed ?? 0)`), and the ReLU signs of batch 0 that differ between float32 and
 * float64: `reluFlips` of `reluUnits`, `nearZero` the largest |float64 input| of a differing
 * unit relative to its layer's largest |input|.
 */
export async function measureCell(
  arch: string,
  cfg: FidelityConfig,
  data: { x: Float32Array; y: Int32Array }[],
  opts: MeasureOptions = {},
): Promise<{ rows: FidelityRow[]; reluFlips: number; reluUnits: number; nearZero: number }> {
  const names = opts.names ?? Object.keys(FLOAT64_DEFINITIONS);
  const net = new Nb201Network(arch, { C: cfg.C, N: cfg.N, classes: 10 }, createRng(cfg.seed ?? 0));
  const spec: Nb201RefSpec = {
    arch: "nb201",
    ops: archOps(arch),
    C: cfg.C,
    N: cfg.N,
    classes: 10,
    height: cfg.px,
    width: cfg.px,
  };
  const params = refParamsOf(net);
  const refBatches = data.map((d) => ({ n: cfg.n, x: Float64Array.from(d.x), y: Float64Array.from(d.y) }));
  const batches: Batch[] = data.map((d) => ({
    x: tf.tensor4d(d.x, [cfg.n, cfg.px, cfg.px, 3]),
    y: tf.tensor1d(d.y, "int32"),
  }));
  try {
    // ReLU decisions of batch 0, float32 against float64 (the running statistics the training-mode
    // forward moves are put back: VKDNW's eval mode reads them)
    const state = net.state().map((v) => v.clone());
    const masks = float32Masks(net, batches[0].x as tf.Tensor4D);
    net.state().forEach((v, i) => v.assign(state[i]));
    tf.dispose(state);
    const ref = nb201LossAndGradients(spec, params, refBatches[0]).taps;
    let reluFlips = 0, reluUnits = 0, nearZero = 0;
    for (const [name, m] of masks) {
      const r = ref.get(name);
      if (!r || r.length !== m.length) throw new TypeError(`Expected a float64 ReLU tap '${name}'`);
      const scale = r.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      m.forEach((v, i) => {
        if (v === (r[i] > 0 ? 1 : 0)) return;
        reluFlips++;
        nearZero = Math.max(nearZero, Math.abs(r[i]) / scale);
      });
      reluUnits += m.length;
    }
    const rows: FidelityRow[] = [];
    for (const name of names) {
      const def = FLOAT64_DEFINITIONS[name], entry = PROXIES[name];
      if (!def || !entry) {
        throw new RangeError(
          `Cannot measure '${name}': expected one of ${Object.keys(FLOAT64_DEFINITIONS).join(", ")}`,
        );
      }
      const running = refRunningStatsOf(net);
      const got = await entry.fn(net, batches);
      const want = def(spec, params, refBatches, undefined, running);
      const row: FidelityRow = {
        proxy: name,
        tfjs: got.value,
        float64: want.value,
        relErr: relativeError(got.value, want.value),
      };
      if (opts.aligned && MASKABLE.has(name)) {
        row.alignedRelErr = reluFlips === 0
          ? row.relErr
          : relativeError(got.value, def(spec, params, refBatches, { reluMasks: masks }, running).value);
      }
      rows.push(row);
      for (const [term, v] of Object.entries(want.terms ?? {})) {
        const t = got.terms?.[term];
        if (typeof t !== "number") {
          throw new TypeError(`Expected the tfjs '${name}' to report term '${term}'`);
        }
        rows.push({ proxy: `${name}:${term}`, tfjs: t, float64: v, relErr: relativeError(t, v) });
      }
    }
    return { rows, reluFlips, reluUnits, nearZero };
  } finally {
    tf.dispose(batches.flatMap((b) => [b.x, b.y]));
    net.dispose();
  }
}
