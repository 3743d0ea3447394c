/**
 * The proxies by name, for the CLI, the experiments and user code.
 *
 * SiGeo's official variants are separate entries so a run's manifest names exactly which one was
 * used (research notes sigeo-paper.md §6): `sigeo-cv` (zero-shot λ), `sigeo-cv-warm` (λ = 1, 50, 1),
 * `sigeo-recsys` (NasRec-SiGeo, final layer), `sigeo-fisher` (textbook).
 *
 * @module
 */
import type { Batch, Net } from "../nn/net.ts";
import type { ProxyScore } from "./proxy.ts";
import { sigeoProxy } from "./sigeo.ts";
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
import { zenProxy } from "./zen.ts";
import { flopsProxy } from "./flops.ts";

/** A proxy function: network and batches to a score (higher = better). */
/** Async: on a device backend (WebGPU) scores are read back asynchronously. */
export type ProxyFn = (net: Net, batches: Batch[]) => Promise<ProxyScore>;

/** Every registered proxy, with the options each name stands for. */
export const PROXIES: Record<string, { fn: ProxyFn; options: Record<string, unknown>; description: string }> =
  {
    zico: { fn: (n, b) => zicoProxy(n, b), options: {}, description: "ZiCo (official code's definition)" },
    "sigeo-cv": {
      fn: (n, b) => sigeoProxy(n, b, { preset: "cv" }),
      options: { preset: "cv", lambdas: [1, 1, 0] },
      description: "SiGeo, NASLib-SiGeo variant, zero-shot λ",
    },
    "sigeo-cv-warm": {
      fn: (n, b) => sigeoProxy(n, b, { preset: "cv", warmedUp: true }),
      options: { preset: "cv", lambdas: [1, 50, 1] },
      description: "SiGeo, NASLib-SiGeo variant, warmed-up λ",
    },
    "sigeo-recsys": {
      fn: (n, b) => sigeoProxy(n, b, { preset: "recsys" }),
      options: { preset: "recsys", lambdas: [1, 1, 0], finalLayerOnly: true, firstNonzeroOnly: false },
      description: "SiGeo, NasRec-SiGeo variant (final layer, Adagrad steps)",
    },
    "sigeo-fisher": {
      fn: (n, b) => sigeoProxy(n, b, { preset: "fisher" }),
      options: { preset: "fisher", lambdas: [1, 1, 0] },
      description: "SiGeo with the textbook empirical Fisher–Rao norm",
    },
    grad_norm: {
      fn: gradNormProxy,
      options: { batches: 1 },
      description: "Σ of per-layer gradient norms (Samsung/NASLib)",
    },
    plain: { fn: plainProxy, options: { batches: 1 }, description: "Σ ∇W ⊙ W (Samsung/NASLib)" },
    snip: { fn: snipProxy, options: { batches: 1 }, description: "Σ |W ⊙ ∇W| (SNIP, Samsung/NASLib)" },
    grasp: {
      fn: graspProxy,
      options: { batches: 1, splits: "ceil(n/16)" },
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
      description:
        "log synflow: |θ|, BN bypassed, ones input, exact in float32 (data-free; needs bypassNorm)",
    },
    zen: {
      fn: (n, b) => zenProxy(n, b, { seed: 0 }),
      options: { seed: 0, mixupGamma: 0.01 },
      description: "Zen-score on a Gaussian re-initialisation (NASLib; data-free; needs taps)",
    },
    l2_norm: { fn: l2NormProxy, options: {}, description: "Σ of per-layer weight norms (data-free)" },
    params: { fn: paramsProxy, options: {}, description: "trainable parameters, millions (data-free)" },
    flops: {
      fn: flopsProxy,
      options: { batchSize: 1 },
      description: "MFLOPs per example, torchstat's counting (data-free; needs taps)",
    },
  };

/** The registered proxy called `name`; throws a clear error listing the names otherwise. */
export function getProxy(name: string): ProxyFn {
  const p = PROXIES[name];
  if (!p) throw new RangeError(`Unknown proxy '${name}': expected one of ${Object.keys(PROXIES).join(", ")}`);
  return p.fn;
}
