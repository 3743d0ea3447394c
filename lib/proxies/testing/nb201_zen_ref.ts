/**
 * Zen-score in float64 on the NAS-Bench-201 net of `nb201_ref.ts`, drawn as lib/proxies/zen.ts draws
 * it (docs/proxies.md "zen"), so tools/fidelity_table.ts can measure the tfjs zen on deep cells: the
 * tiny-net definition (`zenFromDraws` in `proxies_ref.ts`) on the NB201 net's forward passes.
 *
 * @module
 */
import { createRng } from "../../rng.ts";
import type { RefParam } from "./tiny_nets.ts";
import { nb201BackwardFrom, type Nb201RefSpec } from "./nb201_ref.ts";

/** Options of {@linkcode zenNb201Ref}: the registry's zen options, and the BN momentum. */
export interface ZenNb201Options {
  /** seed of the re-initialisation and of x, ε @default {0} */
  seed?: number;
  /** the perturbation scale γ @default {0.01} */
  mixupGamma?: number;
  /** momentum of the running-variance update: `BatchNorm`'s default (lib/nn/layers.ts) @default {0.1} */
  momentum?: number;
}

/** Zen's value and terms, as the tfjs proxy reports them, and each BN layer's mean_c(running_var). */
export interface ZenNb201 {
  value: number;
  /** log Δ */
  delta: number;
  /** Σ_BN log √mean_c(running_var) */
  bn: number;
  bnLayers: number;
  runningVar: Map<string, number>;
}

/**
 * The tap holding a BN layer's input: `X.bn` normalises the output of conv `X.conv` (stem, the ResNet
 * blocks' convs, the cell convs); `lastact.bn` the last block's output.
 */
function bnInputTap(spec: Nb201RefSpec, layer: string): string {
  if (layer === "lastact.bn") return `cells.${3 * spec.N + 1}`;
  if (layer.endsWith(".bn")) return `${layer.slice(0, -3)}.conv`;
  throw new TypeError(`Expected an NB201 BN layer named '<conv>.bn' or 'lastact.bn', got '${layer}'`);
}

/** The unbiased variance per channel of an NHWC map (rows / max(1, rows − 1), as `BatchNorm` updates it). */
function unbiasedVariance(t: Float64Array, c: number): Float64Array {
  const rows = t.length / c, mean = new Float64Array(c), v = new Float64Array(c);
  for (let i = 0; i < t.length; i++) mean[i % c] += t[i];
  for (let ch = 0; ch < c; ch++) mean[ch] /= rows;
  for (let i = 0; i < t.length; i++) v[i % c] += (t[i] - mean[i % c]) ** 2;
  return v.map((e) => e / Math.max(1, rows - 1));
}

/**
 * Zen on NB201 with n examples of the spec's input size. `layout` gives the parameters' names, kinds
 * and order (a tfjs net's, `refParamsOf`); their values are not read: as zen.ts, one N(0,1) draw of
 * `createRng(seed)` per element of each conv/linear weight in layout order (biases 0, BN γ 1, β 0
 * take none), then x, then ε (n·h·w·3 each, NHWC). The draws are rounded to float32 where the tfjs
 * proxy holds them in float32 (the weights, x, x + γ·ε), so both score the same net and inputs.
 * Both forwards in training mode; f = the `lastact` map (fed to global pooling),
 * Δ = Σ|f(x) − f(x + γ·ε)| / n; each BN's running variance starts at 1 and is updated by the two
 * forwards with its unbiased batch variance: rv = (1 − m)·((1 − m) + m·v(x)) + m·v(x + γ·ε);
 * score = log Δ + Σ_BN log √mean_c rv, over the BN layers of the layout (every one keeps running
 * statistics in the benchmark `Nb201Network`). A conv on a dead node's zeros gives v = 0, rv = (1 − m)².
 */
export function zenNb201Ref(
  spec: Nb201RefSpec,
  layout: readonly RefParam[],
  n: number,
  opts: ZenNb201Options = {},
): ZenNb201 {
  const rng = createRng(opts.seed ?? 0);
  const gamma = opts.mixupGamma ?? 0.01, m = opts.momentum ?? 0.1;
  const params = layout.map((p) => {
    const value = new Float64Array(p.value.length);
    if ((p.kind === "conv" || p.kind === "linear") && p.role === "weight") {
      for (let i = 0; i < value.length; i++) value[i] = Math.fround(rng.normal());
    } else if (p.kind === "norm" && p.role === "weight") value.fill(1);
    return { ...p, value };
  });
  const size = n * spec.height * spec.width * 3;
  const clean = Float64Array.from({ length: size }, () => rng.normal());
  const x = clean.map((v) => Math.fround(v));
  const mixed = clean.map((v) => Math.fround(v + gamma * rng.normal()));
  const zeros = new Float64Array(n * spec.classes);
  const [a, b] = [x, mixed].map((input) => nb201BackwardFrom(spec, params, input, n, zeros).taps);
  const fa = a.get("lastact"), fb = b.get("lastact");
  if (!fa || !fb) throw new TypeError("Expected the 'lastact' tap (the map fed to global pooling)");
  let d = 0;
  for (let i = 0; i < fa.length; i++) d += Math.abs(fa[i] - fb[i]);
  const runningVar = new Map<string, number>();
  for (const p of params) {
    if (p.kind !== "norm" || p.role !== "weight") continue;
    const tap = bnInputTap(spec, p.layer), c = p.value.length;
    const ta = a.get(tap), tb = b.get(tap);
    if (!ta || !tb || ta.length % c !== 0) {
      throw new TypeError(`Expected the input of BN layer '${p.layer}' (${c} channels) at tap '${tap}'`);
    }
    const va = unbiasedVariance(ta, c), vb = unbiasedVariance(tb, c);
    let mean = 0;
    for (let ch = 0; ch < c; ch++) mean += ((1 - m) * ((1 - m) + m * va[ch]) + m * vb[ch]) / c;
    runningVar.set(p.layer, mean);
  }
  const delta = Math.log(d / n);
  let bn = 0;
  for (const v of runningVar.values()) bn += Math.log(Math.sqrt(v));
  return { value: delta + bn, delta, bn, bnLayers: runningVar.size, runningVar };
}
