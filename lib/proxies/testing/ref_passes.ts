/**
 * The passes of a float64 reference network, whichever it is: a tiny net of `tiny_nets.ts` or an
 * NAS-Bench-201 network of `nb201_ref.ts`. The proxy definitions of `proxies_ref.ts` that only need
 * losses, gradients, taps and Hessian-vector products take either kind through these, so the same
 * definition is checked on the tiny nets (against hand-computed values) and measured on deep NB201
 * cells (tools/fidelity_table.ts).
 *
 * @module
 */
import {
  backwardFrom,
  forward,
  hessianVectorProduct,
  inputSize,
  lossAndGradients,
  type LossKind,
  type PassOptions,
  type PassResult,
  type RefBatch,
  type RefParam,
  reluInputTaps,
  type TinyNetSpec,
} from "./tiny_nets.ts";
import {
  nb201BackwardFrom,
  nb201HessianVectorProduct,
  nb201LossAndGradients,
  type Nb201PassOptions,
  type Nb201RefSpec,
  nb201ReluInputTaps,
} from "./nb201_ref.ts";

/** A float64 reference network. */
export type RefSpec = TinyNetSpec | Nb201RefSpec;

/** Pass options; `reluMasks` exists on NB201 only. */
export type RefPassOptions = Nb201PassOptions;

function tinyOptions(opts: RefPassOptions): PassOptions {
  if (opts.reluMasks) throw new TypeError("Cannot force ReLU masks on a tiny net: NB201 only");
  return opts;
}

function nb201Loss(loss: LossKind): void {
  if (loss !== "softmax-ce") {
    throw new TypeError(`Cannot use loss '${loss}' on the float64 NB201 net: it has softmax-ce only`);
  }
}

/** Values per example of the input. */
export function refInputSize(spec: RefSpec): number {
  return spec.arch === "nb201" ? spec.height * spec.width * 3 : inputSize(spec);
}

/** The width of the output (classes). */
export function refOutputs(spec: RefSpec): number {
  return spec.arch === "nb201" ? spec.classes : spec.outputs;
}

/** Loss, gradients, input gradient and taps on one batch. */
export function refLossAndGradients(
  spec: RefSpec,
  params: readonly RefParam[],
  batch: RefBatch,
  loss: LossKind,
  opts: RefPassOptions = {},
): PassResult {
  if (spec.arch !== "nb201") return lossAndGradients(spec, params, batch, loss, tinyOptions(opts));
  nb201Loss(loss);
  return nb201LossAndGradients(spec, params, batch, opts);
}

/** The backward pass from given logit gradients. */
export function refBackwardFrom(
  spec: RefSpec,
  params: readonly RefParam[],
  x: Float64Array,
  n: number,
  dLogits: Float64Array,
  opts: RefPassOptions = {},
): PassResult {
  return spec.arch === "nb201"
    ? nb201BackwardFrom(spec, params, x, n, dLogits, opts)
    : backwardFrom(spec, params, x, n, dLogits, tinyOptions(opts));
}

/**
 * H·v of the batch loss in all parameters: exact (forward mode) on the tiny nets, a central
 * difference that crosses no ReLU kink on NB201 (`nb201HessianVectorProduct`).
 */
export function refHessianVectorProduct(
  spec: RefSpec,
  params: readonly RefParam[],
  batch: RefBatch,
  loss: LossKind,
  v: readonly Float64Array[],
  opts: RefPassOptions = {},
): { loss: number; grads: Float64Array[]; hv: Float64Array[] } {
  if (spec.arch !== "nb201") return hessianVectorProduct(spec, params, batch, loss, v, tinyOptions(opts));
  nb201Loss(loss);
  return nb201HessianVectorProduct(spec, params, batch, v, opts);
}

/** Every tap's forward value (BN in training mode) and the names of the ReLU-input taps. */
export function refForwardTaps(
  spec: RefSpec,
  params: readonly RefParam[],
  batch: RefBatch,
): { taps: Map<string, Float64Array>; reluInputs: string[] } {
  if (spec.arch !== "nb201") {
    return { taps: forward(spec, params, batch.x, batch.n).taps, reluInputs: reluInputTaps(spec) };
  }
  const { taps } = nb201BackwardFrom(
    spec,
    params,
    batch.x,
    batch.n,
    new Float64Array(batch.n * spec.classes),
  );
  return { taps, reluInputs: nb201ReluInputTaps(taps) };
}
