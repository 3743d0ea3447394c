/**
 * The proxies by name, for the CLI, the experiments and user code.
 *
 * This is the one registry: the proxy modules export only their functions. SiGeo's official variants
 * are separate entries so a run's manifest names exactly which one was used (docs/sigeo.md):
 * `sigeo-cv` (zero-shot λ), `sigeo-cv-warm` (λ = 1, 50, 1), `sigeo-recsys` (NasRec-SiGeo, final
 * layer; `-loss` with λ3 = 1, `-zico` the ZiCo baseline, `-official` with the code's first-non-zero
 * indexing), `sigeo-fisher` (textbook). Their recorded options are the settings `sigeoSettings` resolves
 * the presets to, so the presets are stated once, in sigeo.ts; zen's come from `ZEN_DEFAULTS`.
 *
 * @module
 */
import type { Batch, Net } from "../nn/net.ts";
import type { ProxyScore } from "./proxy.ts";
import { type SigeoOptions, sigeoProxy, sigeoSettings } from "./sigeo.ts";
import { zicoProxy } from "./zico.ts";
import { gradNormProxy } from "./grad_norm.ts";
import { plainProxy } from "./plain.ts";
import { snipProxy } from "./snip.ts";
import { l2NormProxy } from "./l2_norm.ts";
import { paramsProxy } from "./params.ts";
import { graspProxy } from "./grasp.ts";
import { fisherProxy } from "./fisher.ts";
import { jacovProxy } from "./jacov.ts";
import { epeNasProxy } from "./epe_nas.ts";
import { nwotProxy } from "./nwot.ts";
import { synflowProxy } from "./synflow.ts";
import { ZEN_DEFAULTS, zenProxy } from "./zen.ts";
import { flopsProxy } from "./flops.ts";
import { SWAP_REG_PLACEHOLDER, swapProxy } from "./swap.ts";
import { mecoProxy } from "./meco.ts";
import { azNasProxy } from "./az_nas.ts";
import { vkdnwProxy } from "./vkdnw.ts";
import { teNasLrProxy, teNasNtkProxy } from "./te_nas.ts";

/** A proxy function: network and batches to a score (higher = better). */
/** Async: on a device backend (WebGPU) scores are read back asynchronously. */
export type ProxyFn = (net: Net, batches: Batch[]) => Promise<ProxyScore>;

/** A registry entry: the function, the options it runs with (recorded in manifests) and a line for people. */
export interface ProxyEntry {
  fn: ProxyFn;
  options: Record<string, unknown>;
  description: string;
}

/** A SiGeo variant: it runs with `opts`, and records every setting they resolve to (from sigeo.ts). */
function sigeoEntry(opts: SigeoOptions, description: string): ProxyEntry {
  return { fn: (n, b) => sigeoProxy(n, b, opts), options: { ...sigeoSettings(opts) }, description };
}

/** Every registered proxy, with the options each name stands for. */
export const PROXIES: Record<string, ProxyEntry> = {
  zico: { fn: (n, b) => zicoProxy(n, b), options: {}, description: "ZiCo (official code's definition)" },
  "sigeo-cv": sigeoEntry({ preset: "cv" }, "SiGeo, NASLib-SiGeo variant, zero-shot λ"),
  "sigeo-cv-warm": sigeoEntry({ preset: "cv", warmedUp: true }, "SiGeo, NASLib-SiGeo variant, warmed-up λ"),
  "sigeo-recsys": sigeoEntry(
    { preset: "recsys" },
    "SiGeo, NasRec-SiGeo variant (final layer, Adagrad steps), λ = (1, 1, 0): the Criteo script",
  ),
  "sigeo-recsys-loss": sigeoEntry(
    { preset: "recsys", lambdas: [1, 1, 1] },
    "SiGeo, NasRec-SiGeo variant with the loss term, λ = (1, 1, 1): the Avazu and KDD scripts",
  ),
  "sigeo-recsys-zico": sigeoEntry(
    { preset: "recsys", lambdas: [1, 0, 0] },
    "NasRec-SiGeo's ZiCo baseline: the recsys preset with λ = (1, 0, 0)",
  ),
  "sigeo-recsys-official": sigeoEntry(
    { preset: "recsys", firstNonzeroOnly: true },
    "NasRec-SiGeo as its code runs: final layer, torch.nonzero(std)[0] keeps one element per tensor",
  ),
  "sigeo-fisher": sigeoEntry({ preset: "fisher" }, "SiGeo with the textbook empirical Fisher–Rao norm"),
  grad_norm: {
    fn: gradNormProxy,
    options: { batches: 1 },
    description: "Σ of per-layer gradient norms (Samsung/NASLib)",
  },
  plain: { fn: plainProxy, options: { batches: 1 }, description: "Σ ∇W ⊙ W (Samsung/NASLib)" },
  snip: { fn: snipProxy, options: { batches: 1 }, description: "Σ |W ⊙ ∇W| (SNIP, Samsung/NASLib)" },
  grasp: {
    fn: graspProxy,
    options: { batches: 1, splits: 1 },
    description: "−Σ W ⊙ Hg, exact Hessian-gradient product (GraSP, Samsung/NASLib)",
  },
  fisher: {
    fn: fisherProxy,
    options: { batches: 1, mode: "channel" },
    description: "channel Fisher of conv/linear outputs × fan-in (Samsung/NASLib; needs taps)",
  },
  jacov: {
    fn: jacovProxy,
    options: { batches: 1 },
    description: "input-Jacobian correlation eigenvalues (NASWOT v1, Samsung/NASLib)",
  },
  epe_nas: {
    fn: epeNasProxy,
    options: { batches: 1 },
    description: "per-class input-Jacobian correlations (EPE-NAS, NASLib)",
  },
  nwot: {
    fn: nwotProxy,
    options: { batches: 1 },
    description: "log|det| of the ReLU-code agreement kernel (NASWOT, NASLib; needs taps)",
  },
  synflow: {
    fn: synflowProxy,
    options: { log: true, bypassNorm: true },
    description: "log synflow: |θ|, BN bypassed, ones input, exact in float32 (data-free; needs bypassNorm)",
  },
  zen: {
    fn: (n, b) => zenProxy(n, b, ZEN_DEFAULTS),
    options: { ...ZEN_DEFAULTS },
    description: "Zen-score on a Gaussian re-initialisation (NASLib; data-free; needs taps)",
  },
  l2_norm: { fn: l2NormProxy, options: {}, description: "Σ of per-layer weight norms (data-free)" },
  params: { fn: paramsProxy, options: {}, description: "trainable parameters, millions (data-free)" },
  flops: {
    fn: flopsProxy,
    options: { batchSize: 1 },
    description: "MFLOPs per example, torchstat's counting (data-free; needs taps)",
  },
  swap: {
    fn: (n, b) => swapProxy(n, b),
    options: {},
    description: "distinct sample-wise ReLU activation patterns (SWAP-NAS, ICLR 2024; needs taps)",
  },
  "swap-reg": {
    fn: (n, b) => swapProxy(n, b, { regularise: SWAP_REG_PLACEHOLDER }),
    options: { ...SWAP_REG_PLACEHOLDER },
    description: "SWAP × exp(−(P/1e3 − μ)²/σ); μ, σ are placeholders, not the paper's (needs taps)",
  },
  meco: {
    fn: (n, b) => mecoProxy(n, b),
    options: { kinds: ["layer-output"] },
    description: "Σ λ_min of per-layer channel correlations, one example (MeCo, NeurIPS 2023; needs taps)",
  },
  "az-nas": {
    fn: (n, b) => azNasProxy(n, b, { seed: 0 }),
    options: { seed: 0, input: "batch" },
    description:
      "AZ-NAS terms (CVPR 2024); value = expressivity+progressivity+trainability, rank with azAggregate (needs taps)",
  },
  vkdnw: {
    fn: (n, b) => vkdnwProxy(n, b),
    options: { maxTensors: 128, input: "gaussian", seed: 0 },
    description: "VKDNW_single: #param tensors + entropy of Fisher eigenvalue deciles (Tybl & Neumann 2025)",
  },
  te_nas_ntk: {
    fn: teNasNtkProxy,
    options: { batches: 1 },
    description: "TE-NAS: −(NTK condition number), BN train mode (lower κ is better, negated)",
  },
  te_nas_lr: {
    fn: (n, b) => teNasLrProxy(n, b),
    options: { input: "gaussian", seed: 0 },
    description:
      "TE-NAS: distinct ReLU activation patterns (linear regions) of a Gaussian batch (needs taps)",
  },
};

/** The registered proxy called `name`; throws a clear error listing the names otherwise. */
export function getProxy(name: string): ProxyFn {
  const p = PROXIES[name];
  if (!p) throw new RangeError(`Unknown proxy '${name}': expected one of ${Object.keys(PROXIES).join(", ")}`);
  return p.fn;
}
