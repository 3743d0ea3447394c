/**
 * Two tiny networks in float64 with hand-written forward, reverse-mode backward and a
 * forward-over-reverse tangent pass (exact Hessian-vector products for GraSP).
 *
 * This is the independent ground truth the tfjs proxies are tested against, so it uses no tfjs,
 * only loops over Float64Arrays, and every intermediate tensor of interest ("taps") is exposed:
 *
 * - `mlp`: fc1 (Linear din→h) → relu1 → fc2 (Linear h→h) → relu2 → fc3 (Linear h→k), with biases.
 *   Taps: fc1, relu1, fc2, relu2, fc3 (= logits).
 * - `conv`: NHWC input → conv1 (3×3, stride 1, 'same', no bias) → bn1 (BatchNorm in training mode:
 *   batch statistics over N·H·W, biased variance, ε = 1e-5 by default, affine γ, β) → relu1 →
 *   conv2 (3×3, stride 2, 'same', no bias) → relu2 → gap (global average pool) → fc (Linear with
 *   bias). Taps: conv1, bn1, relu1, conv2, relu2, gap, fc (= logits).
 *
 * Layouts follow the project's tfjs layers: linear weight [in, out] (y = xW + b), conv weight
 * [kh, kw, cin, cout], BN γ and β [C]. Parameter names are `layer/role`; BN γ has role "weight" and
 * β role "bias", both of kind "norm".
 *
 * 'same' padding is TensorFlow's by default (out = ⌈in/stride⌉, total padding
 * max((out−1)·stride + 3 − in, 0), the smaller half on top/left), so a stride-2 conv on an even
 * size pads only bottom/right. `padding: "symmetric"` pads 1 on every side instead (PyTorch's
 * `padding=1`, used by the project's layers), for comparisons with those.
 *
 * Losses: softmax cross-entropy, mean over the batch (labels are class indices), and sigmoid
 * binary cross-entropy with logits, mean over all N·k elements (PyTorch's `BCEWithLogitsLoss`).
 *
 * @module
 */
import type { Rng } from "../../rng.ts";

/** The layer kind a parameter belongs to. */
export type ParamKind = "linear" | "conv" | "norm";
/** The role of a parameter within its layer (BN γ is a "weight", β a "bias"). */
export type ParamRole = "weight" | "bias";

/** A named float64 parameter. */
export interface RefParam {
  /** `layer/role`, e.g. `fc1/weight` */
  name: string;
  layer: string;
  kind: ParamKind;
  role: ParamRole;
  shape: readonly number[];
  value: Float64Array;
}

/** Linear(din→h) + ReLU + Linear(h→h) + ReLU + Linear(h→k). */
export interface MlpSpec {
  arch: "mlp";
  inputs: number;
  hidden: number;
  outputs: number;
}

/** conv3×3 → BN → ReLU → conv3×3/2 → ReLU → GAP → Linear. */
export interface ConvNetSpec {
  arch: "conv";
  height: number;
  width: number;
  channels: number;
  /** output channels of conv1 (and BN) */
  filters1: number;
  /** output channels of conv2 */
  filters2: number;
  outputs: number;
  /** @default {"tf-same"} */
  padding?: "tf-same" | "symmetric";
  /** BN ε @default {1e-5} */
  eps?: number;
}

/** One of the two tiny networks. */
export type TinyNetSpec = MlpSpec | ConvNetSpec;

/** The training loss. */
export type LossKind = "softmax-ce" | "sigmoid-bce";

/**
 * A batch: `x` holds n examples (MLP: [n, inputs]; conv: [n, H, W, C]); `y` holds class indices
 * (length n) for softmax-ce, or targets in [0, 1] of shape [n, outputs] for sigmoid-bce.
 */
export interface RefBatch {
  n: number;
  x: Float64Array;
  y: Float64Array;
}

/** Options of a pass. */
export interface PassOptions {
  /** replace BatchNorm by the identity (synflow's `bn=False` copy) @default {false} */
  bnIdentity?: boolean;
}

/** Shape and metadata of each parameter, in the order the functions here expect them. */
export function paramLayout(spec: TinyNetSpec): Omit<RefParam, "value">[] {
  const p = (layer: string, kind: ParamKind, role: ParamRole, shape: number[]) => ({
    name: `${layer}/${role}`,
    layer,
    kind,
    role,
    shape,
  });
  if (spec.arch === "mlp") {
    const { inputs: d, hidden: h, outputs: k } = spec;
    return [
      p("fc1", "linear", "weight", [d, h]),
      p("fc1", "linear", "bias", [h]),
      p("fc2", "linear", "weight", [h, h]),
      p("fc2", "linear", "bias", [h]),
      p("fc3", "linear", "weight", [h, k]),
      p("fc3", "linear", "bias", [k]),
    ];
  }
  const { channels: c, filters1: f1, filters2: f2, outputs: k } = spec;
  return [
    p("conv1", "conv", "weight", [3, 3, c, f1]),
    p("bn1", "norm", "weight", [f1]),
    p("bn1", "norm", "bias", [f1]),
    p("conv2", "conv", "weight", [3, 3, f1, f2]),
    p("fc", "linear", "weight", [f2, k]),
    p("fc", "linear", "bias", [k]),
  ];
}

/** Number of input values per example. */
export function inputSize(spec: TinyNetSpec): number {
  return spec.arch === "mlp" ? spec.inputs : spec.height * spec.width * spec.channels;
}

/** The taps in forward order; the last one is the logits. */
export function tapNames(spec: TinyNetSpec): string[] {
  return spec.arch === "mlp"
    ? ["fc1", "relu1", "fc2", "relu2", "fc3"]
    : ["conv1", "bn1", "relu1", "conv2", "relu2", "gap", "fc"];
}

/** Taps that feed a ReLU (their signs are NASWOT's binary codes). */
export function reluInputTaps(spec: TinyNetSpec): string[] {
  return spec.arch === "mlp" ? ["fc1", "fc2"] : ["bn1", "conv2"];
}

/** Conv/linear layer names, in order; each is also the tap of that layer's output. */
export function weightLayers(spec: TinyNetSpec): string[] {
  return spec.arch === "mlp" ? ["fc1", "fc2", "fc3"] : ["conv1", "conv2", "fc"];
}

/**
 * PyTorch's default initialisation: conv/linear weights and biases U(±1/√fanIn), BN γ = 1,
 * β = 0. Draws `rng.next()` in parameter order, element by element.
 */
export function initParams(spec: TinyNetSpec, rng: Rng): RefParam[] {
  return paramLayout(spec).map((meta) => {
    const size = meta.shape.reduce((a, b) => a * b, 1);
    const value = new Float64Array(size);
    if (meta.kind === "norm") {
      value.fill(meta.role === "weight" ? 1 : 0);
    } else {
      const w = paramLayout(spec).find((m) => m.layer === meta.layer && m.role === "weight")!;
      const fanIn = w.shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const bound = 1 / Math.sqrt(fanIn);
      for (let i = 0; i < size; i++) value[i] = (2 * rng.next() - 1) * bound;
    }
    return { ...meta, value };
  });
}

/** A deep copy (values copied). */
export function cloneParams(params: readonly RefParam[]): RefParam[] {
  return params.map((p) => ({ ...p, shape: [...p.shape], value: Float64Array.from(p.value) }));
}

/** Checks that `params` matches the spec's layout. */
export function checkParams(spec: TinyNetSpec, params: readonly RefParam[]): void {
  const layout = paramLayout(spec);
  if (params.length !== layout.length) {
    throw new TypeError(
      `Expected ${layout.length} parameters for the ${spec.arch} net, got ${params.length}`,
    );
  }
  layout.forEach((m, i) => {
    const size = m.shape.reduce((a, b) => a * b, 1);
    if (params[i].name !== m.name || params[i].value.length !== size) {
      throw new TypeError(
        `Expected parameter ${i} to be '${m.name}' with ${size} values, got '${params[i].name}' with ${
          params[i].value.length
        }`,
      );
    }
  });
}

// ---------------------------------------------------------------- kernels

/** y[n,o] = Σ_i x[n,i]·W[i,o] (+ b[o]). */
function linFwd(
  x: Float64Array,
  w: Float64Array,
  b: Float64Array | null,
  n: number,
  din: number,
  dout: number,
) {
  const y = new Float64Array(n * dout);
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < dout; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < din; i++) s += x[r * din + i] * w[i * dout + o];
      y[r * dout + o] = s;
    }
  }
  return y;
}

/** dx[n,i] = Σ_o dy[n,o]·W[i,o]. */
function linBwdX(dy: Float64Array, w: Float64Array, n: number, din: number, dout: number) {
  const dx = new Float64Array(n * din);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < din; i++) {
      let s = 0;
      for (let o = 0; o < dout; o++) s += dy[r * dout + o] * w[i * dout + o];
      dx[r * din + i] = s;
    }
  }
  return dx;
}

/** dW[i,o] = Σ_n x[n,i]·dy[n,o]. */
function linBwdW(x: Float64Array, dy: Float64Array, n: number, din: number, dout: number) {
  const dw = new Float64Array(din * dout);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < din; i++) {
      const xv = x[r * din + i];
      for (let o = 0; o < dout; o++) dw[i * dout + o] += xv * dy[r * dout + o];
    }
  }
  return dw;
}

/** db[o] = Σ_n dy[n,o]. */
function sumRows(dy: Float64Array, n: number, dout: number) {
  const db = new Float64Array(dout);
  for (let r = 0; r < n; r++) for (let o = 0; o < dout; o++) db[o] += dy[r * dout + o];
  return db;
}

function addInto(a: Float64Array, b: Float64Array): Float64Array {
  for (let i = 0; i < a.length; i++) a[i] += b[i];
  return a;
}

/** Geometry of a 3×3 convolution. */
export interface ConvGeom {
  n: number;
  h: number;
  w: number;
  c: number;
  oh: number;
  ow: number;
  co: number;
  stride: number;
  padTop: number;
  padLeft: number;
}

/** Output size and top/left padding of a 3×3 conv along one axis. */
export function samePadding(size: number, stride: number, mode: "tf-same" | "symmetric"): [number, number] {
  if (mode === "symmetric") return [Math.floor((size + 2 - 3) / stride) + 1, 1];
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + 3 - size, 0);
  return [out, Math.floor(total / 2)];
}

function convGeom(
  n: number,
  h: number,
  w: number,
  c: number,
  co: number,
  stride: number,
  mode: "tf-same" | "symmetric",
): ConvGeom {
  const [oh, padTop] = samePadding(h, stride, mode);
  const [ow, padLeft] = samePadding(w, stride, mode);
  return { n, h, w, c, oh, ow, co, stride, padTop, padLeft };
}

/** Calls f(xIndex, wIndex, yIndex) for every multiply of the convolution (padding skipped). */
function convEach(g: ConvGeom, f: (xi: number, wi: number, yi: number) => void): void {
  for (let b = 0; b < g.n; b++) {
    for (let p = 0; p < g.oh; p++) {
      for (let q = 0; q < g.ow; q++) {
        const yBase = ((b * g.oh + p) * g.ow + q) * g.co;
        for (let di = 0; di < 3; di++) {
          const ih = p * g.stride + di - g.padTop;
          if (ih < 0 || ih >= g.h) continue;
          for (let dj = 0; dj < 3; dj++) {
            const iw = q * g.stride + dj - g.padLeft;
            if (iw < 0 || iw >= g.w) continue;
            const xBase = ((b * g.h + ih) * g.w + iw) * g.c;
            for (let ci = 0; ci < g.c; ci++) {
              const wBase = ((di * 3 + dj) * g.c + ci) * g.co;
              for (let o = 0; o < g.co; o++) f(xBase + ci, wBase + o, yBase + o);
            }
          }
        }
      }
    }
  }
}

function convFwd(x: Float64Array, w: Float64Array, g: ConvGeom) {
  const y = new Float64Array(g.n * g.oh * g.ow * g.co);
  convEach(g, (xi, wi, yi) => (y[yi] += x[xi] * w[wi]));
  return y;
}

function convBwdX(dy: Float64Array, w: Float64Array, g: ConvGeom) {
  const dx = new Float64Array(g.n * g.h * g.w * g.c);
  convEach(g, (xi, wi, yi) => (dx[xi] += dy[yi] * w[wi]));
  return dx;
}

function convBwdW(x: Float64Array, dy: Float64Array, g: ConvGeom) {
  const dw = new Float64Array(9 * g.c * g.co);
  convEach(g, (xi, wi, yi) => (dw[wi] += x[xi] * dy[yi]));
  return dw;
}

// ---------------------------------------------------------------- layers

/** Parameter values, their tangents, gradients and gradient tangents, indexed like the layout. */
interface Ctx {
  P: Float64Array[];
  T: Float64Array[] | null;
  G: Float64Array[];
  TG: Float64Array[] | null;
}

/** One layer: forward (with optional tangent) and backward (with optional tangent). */
interface Layer {
  name: string;
  forward(x: Float64Array, tx: Float64Array | null, ctx: Ctx): [Float64Array, Float64Array | null];
  backward(dy: Float64Array, tdy: Float64Array | null, ctx: Ctx): [Float64Array, Float64Array | null];
}

function linearLayer(name: string, wi: number, bi: number, n: number, din: number, dout: number): Layer {
  let xs: Float64Array, txs: Float64Array | null = null;
  return {
    name,
    forward(x, tx, { P, T }) {
      xs = x;
      txs = tx;
      const y = linFwd(x, P[wi], P[bi], n, din, dout);
      if (!T) return [y, null];
      const ty = linFwd(x, T[wi], T[bi], n, din, dout);
      if (tx) addInto(ty, linFwd(tx, P[wi], null, n, din, dout));
      return [y, ty];
    },
    backward(dy, tdy, { P, T, G, TG }) {
      addInto(G[wi], linBwdW(xs, dy, n, din, dout));
      addInto(G[bi], sumRows(dy, n, dout));
      const dx = linBwdX(dy, P[wi], n, din, dout);
      if (!T || !TG || !tdy) return [dx, null];
      addInto(TG[wi], linBwdW(xs, tdy, n, din, dout));
      if (txs) addInto(TG[wi], linBwdW(txs, dy, n, din, dout));
      addInto(TG[bi], sumRows(tdy, n, dout));
      const tdx = linBwdX(tdy, P[wi], n, din, dout);
      addInto(tdx, linBwdX(dy, T[wi], n, din, dout));
      return [dx, tdx];
    },
  };
}

function convLayer(name: string, wi: number, g: ConvGeom): Layer {
  let xs: Float64Array, txs: Float64Array | null = null;
  return {
    name,
    forward(x, tx, { P, T }) {
      xs = x;
      txs = tx;
      const y = convFwd(x, P[wi], g);
      if (!T) return [y, null];
      const ty = convFwd(x, T[wi], g);
      if (tx) addInto(ty, convFwd(tx, P[wi], g));
      return [y, ty];
    },
    backward(dy, tdy, { P, T, G, TG }) {
      addInto(G[wi], convBwdW(xs, dy, g));
      const dx = convBwdX(dy, P[wi], g);
      if (!T || !TG || !tdy) return [dx, null];
      addInto(TG[wi], convBwdW(xs, tdy, g));
      if (txs) addInto(TG[wi], convBwdW(txs, dy, g));
      const tdx = convBwdX(tdy, P[wi], g);
      addInto(tdx, convBwdX(dy, T[wi], g));
      return [dx, tdx];
    },
  };
}

function reluLayer(name: string): Layer {
  let mask: Uint8Array;
  const apply = (v: Float64Array) => v.map((e, i) => (mask[i] ? e : 0));
  return {
    name,
    forward(x, tx) {
      mask = Uint8Array.from(x, (v) => (v > 0 ? 1 : 0));
      return [apply(x), tx ? apply(tx) : null];
    },
    backward(dy, tdy) {
      return [apply(dy), tdy ? apply(tdy) : null];
    },
  };
}

function identityLayer(name: string): Layer {
  return { name, forward: (x, tx) => [x, tx], backward: (dy, tdy) => [dy, tdy] };
}

/** Global average pool of [n, h·w, c] to [n, c]. */
function gapLayer(name: string, n: number, hw: number, c: number): Layer {
  return {
    name,
    forward(x, tx) {
      const pool = (v: Float64Array) => {
        const y = new Float64Array(n * c);
        for (let b = 0; b < n; b++) {
          for (let s = 0; s < hw; s++) {
            for (let ch = 0; ch < c; ch++) y[b * c + ch] += v[(b * hw + s) * c + ch];
          }
        }
        return y.map((e) => e / hw);
      };
      return [pool(x), tx ? pool(tx) : null];
    },
    backward(dy, tdy) {
      const spread = (v: Float64Array) => {
        const dx = new Float64Array(n * hw * c);
        for (let b = 0; b < n; b++) {
          for (let s = 0; s < hw; s++) {
            for (let ch = 0; ch < c; ch++) dx[(b * hw + s) * c + ch] = v[b * c + ch] / hw;
          }
        }
        return dx;
      };
      return [spread(dy), tdy ? spread(tdy) : null];
    },
  };
}

/**
 * Training-mode BatchNorm over the last axis: μ, σ² (biased) over the m = N·H·W rows,
 * x̂ = (x−μ)/√(σ²+ε), y = γx̂ + β. Backward: dx = r·(dx̂ − mean dx̂ − x̂·mean(dx̂·x̂)), r = 1/√(σ²+ε).
 * Tangents follow by the product rule.
 */
function batchNormLayer(name: string, gi: number, bi: number, m: number, c: number, eps: number): Layer {
  let xh: Float64Array, r: Float64Array, txh: Float64Array | null = null, tr: Float64Array | null = null;
  let centred: Float64Array;
  return {
    name,
    forward(x, tx, { P, T }) {
      const mean = new Float64Array(c), v = new Float64Array(c);
      for (let i = 0; i < m; i++) for (let ch = 0; ch < c; ch++) mean[ch] += x[i * c + ch];
      for (let ch = 0; ch < c; ch++) mean[ch] /= m;
      centred = x.map((e, i) => e - mean[i % c]);
      for (let i = 0; i < m * c; i++) v[i % c] += centred[i] * centred[i];
      r = v.map((e) => 1 / Math.sqrt(e / m + eps));
      xh = centred.map((e, i) => e * r[i % c]);
      const gamma = P[gi], beta = P[bi];
      const y = xh.map((e, i) => gamma[i % c] * e + beta[i % c]);
      if (!T) return [y, null];
      const tmean = new Float64Array(c), tvar = new Float64Array(c);
      if (tx) {
        for (let i = 0; i < m * c; i++) {
          tmean[i % c] += tx[i] / m;
          tvar[i % c] += (2 * centred[i] * tx[i]) / m;
        }
      }
      const trr = r.map((e, ch) => -0.5 * e * e * e * tvar[ch]);
      tr = trr;
      txh = centred.map((e, i) => (tx ? (tx[i] - tmean[i % c]) * r[i % c] : 0) + e * trr[i % c]);
      const t = txh;
      const ty = xh.map((e, i) => gamma[i % c] * t[i] + T[gi][i % c] * e + T[bi][i % c]);
      return [y, ty];
    },
    backward(dy, tdy, { P, T, G, TG }) {
      const gamma = P[gi];
      const dxh = dy.map((e, i) => e * gamma[i % c]);
      const a = new Float64Array(c), bm = new Float64Array(c);
      for (let i = 0; i < m * c; i++) {
        const ch = i % c;
        G[gi][ch] += dy[i] * xh[i];
        G[bi][ch] += dy[i];
        a[ch] += dxh[i] / m;
        bm[ch] += (dxh[i] * xh[i]) / m;
      }
      const dx = dxh.map((e, i) => r[i % c] * (e - a[i % c] - xh[i] * bm[i % c]));
      if (!T || !TG || !tdy || !txh || !tr) return [dx, null];
      const tx = txh, trr = tr;
      const tdxh = tdy.map((e, i) => e * gamma[i % c] + dy[i] * T[gi][i % c]);
      const ta = new Float64Array(c), tb = new Float64Array(c);
      for (let i = 0; i < m * c; i++) {
        const ch = i % c;
        TG[gi][ch] += tdy[i] * xh[i] + dy[i] * tx[i];
        TG[bi][ch] += tdy[i];
        ta[ch] += tdxh[i] / m;
        tb[ch] += (tdxh[i] * xh[i] + dxh[i] * tx[i]) / m;
      }
      const tdx = dxh.map((e, i) => {
        const ch = i % c;
        return trr[ch] * (e - a[ch] - xh[i] * bm[ch]) +
          r[ch] * (tdxh[i] - ta[ch] - tx[i] * bm[ch] - xh[i] * tb[ch]);
      });
      return [dx, tdx];
    },
  };
}

function buildLayers(spec: TinyNetSpec, n: number, opts: PassOptions): Layer[] {
  if (spec.arch === "mlp") {
    const { inputs: d, hidden: h, outputs: k } = spec;
    return [
      linearLayer("fc1", 0, 1, n, d, h),
      reluLayer("relu1"),
      linearLayer("fc2", 2, 3, n, h, h),
      reluLayer("relu2"),
      linearLayer("fc3", 4, 5, n, h, k),
    ];
  }
  const mode = spec.padding ?? "tf-same";
  const g1 = convGeom(n, spec.height, spec.width, spec.channels, spec.filters1, 1, mode);
  const g2 = convGeom(n, g1.oh, g1.ow, spec.filters1, spec.filters2, 2, mode);
  return [
    convLayer("conv1", 0, g1),
    opts.bnIdentity
      ? identityLayer("bn1")
      : batchNormLayer("bn1", 1, 2, n * g1.oh * g1.ow, spec.filters1, spec.eps ?? 1e-5),
    reluLayer("relu1"),
    convLayer("conv2", 3, g2),
    reluLayer("relu2"),
    gapLayer("gap", n, g2.oh * g2.ow, spec.filters2),
    linearLayer("fc", 4, 5, n, spec.filters2, spec.outputs),
  ];
}

/** Shapes (per example, NHWC without N) of each tap. */
export function tapShapes(spec: TinyNetSpec): Record<string, number[]> {
  if (spec.arch === "mlp") {
    const { hidden: h, outputs: k } = spec;
    return { fc1: [h], relu1: [h], fc2: [h], relu2: [h], fc3: [k] };
  }
  const mode = spec.padding ?? "tf-same";
  const g1 = convGeom(1, spec.height, spec.width, spec.channels, spec.filters1, 1, mode);
  const g2 = convGeom(1, g1.oh, g1.ow, spec.filters1, spec.filters2, 2, mode);
  const s1 = [g1.oh, g1.ow, spec.filters1], s2 = [g2.oh, g2.ow, spec.filters2];
  return { conv1: s1, bn1: s1, relu1: s1, conv2: s2, relu2: s2, gap: [spec.filters2], fc: [spec.outputs] };
}

// ---------------------------------------------------------------- losses

/**
 * Loss value, its gradient wrt the logits and (given a logit tangent ż) the tangent of that
 * gradient. CE: L = mean_n [lse(z_n) − z_{n,y_n}], ∂L/∂z = (softmax − onehot)/n, tangent
 * p⊙(ż − ⟨p, ż⟩)/n. BCE: L = mean over n·k of max(z,0) − z·t + log(1+e^{−|z|}),
 * ∂L/∂z = (σ(z) − t)/(n·k), tangent σ(1−σ)ż/(n·k).
 */
export function lossWithGradient(
  kind: LossKind,
  logits: Float64Array,
  y: Float64Array,
  n: number,
  k: number,
  tLogits: Float64Array | null = null,
): { loss: number; dLogits: Float64Array; tdLogits: Float64Array | null } {
  const d = new Float64Array(n * k);
  const td = tLogits ? new Float64Array(n * k) : null;
  let loss = 0;
  if (kind === "softmax-ce") {
    if (y.length !== n) throw new TypeError(`Expected ${n} class labels for softmax-ce, got ${y.length}`);
    for (let r = 0; r < n; r++) {
      const label = y[r];
      if (!Number.isInteger(label) || label < 0 || label >= k) {
        throw new RangeError(`Expected label ${r} to be an integer class in [0, ${k}), got ${label}`);
      }
      let mx = -Infinity;
      for (let o = 0; o < k; o++) mx = Math.max(mx, logits[r * k + o]);
      let se = 0;
      for (let o = 0; o < k; o++) se += Math.exp(logits[r * k + o] - mx);
      loss += mx + Math.log(se) - logits[r * k + label];
      let dot = 0;
      for (let o = 0; o < k; o++) {
        const p = Math.exp(logits[r * k + o] - mx) / se;
        d[r * k + o] = (p - (o === label ? 1 : 0)) / n;
        if (tLogits) dot += p * tLogits[r * k + o];
      }
      if (td && tLogits) {
        for (let o = 0; o < k; o++) {
          const p = d[r * k + o] * n + (o === label ? 1 : 0);
          td[r * k + o] = (p * (tLogits[r * k + o] - dot)) / n;
        }
      }
    }
    return { loss: loss / n, dLogits: d, tdLogits: td };
  }
  if (y.length !== n * k) throw new TypeError(`Expected ${n}×${k} targets for sigmoid-bce, got ${y.length}`);
  const m = n * k;
  for (let i = 0; i < m; i++) {
    const z = logits[i], t = y[i];
    if (!(t >= 0 && t <= 1)) throw new RangeError(`Expected target ${i} in [0, 1], got ${t}`);
    loss += Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)));
    const s = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    d[i] = (s - t) / m;
    if (td && tLogits) td[i] = (s * (1 - s) * tLogits[i]) / m;
  }
  return { loss: loss / m, dLogits: d, tdLogits: td };
}

// ---------------------------------------------------------------- passes

/** What the head of a pass is: a loss on labels, or a given gradient of the logits. */
type Head = { loss: LossKind; y: Float64Array } | { dLogits: Float64Array };

/** Everything one pass computes. */
export interface PassResult {
  logits: Float64Array;
  /** the loss (NaN when the pass was started from given logit gradients) */
  loss: number;
  /** gradients in parameter order */
  grads: Float64Array[];
  /** gradient wrt the input */
  dx: Float64Array;
  /** forward values of every tap */
  taps: Map<string, Float64Array>;
  /** gradients wrt every tap */
  dTaps: Map<string, Float64Array>;
  /** Hessian-vector products in parameter order (only with a tangent) */
  hv: Float64Array[] | null;
}

function pass(
  spec: TinyNetSpec,
  params: readonly RefParam[],
  x: Float64Array,
  n: number,
  head: Head,
  tangent: readonly Float64Array[] | null,
  opts: PassOptions,
): PassResult {
  checkParams(spec, params);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Expected a positive batch size, got ${n}`);
  if (x.length !== n * inputSize(spec)) {
    throw new TypeError(`Expected ${n}×${inputSize(spec)} input values, got ${x.length}`);
  }
  if (tangent) {
    tangent.forEach((t, i) => {
      if (t.length !== params[i].value.length) {
        throw new TypeError(
          `Expected tangent ${i} ('${params[i].name}') to have ${params[i].value.length} values`,
        );
      }
    });
  }
  const ctx: Ctx = {
    P: params.map((p) => p.value),
    T: tangent ? [...tangent] : null,
    G: params.map((p) => new Float64Array(p.value.length)),
    TG: tangent ? params.map((p) => new Float64Array(p.value.length)) : null,
  };
  const layers = buildLayers(spec, n, opts);
  const taps = new Map<string, Float64Array>();
  let h = x, th: Float64Array | null = null;
  for (const layer of layers) {
    [h, th] = layer.forward(h, th, ctx);
    taps.set(layer.name, h);
  }
  const k = spec.outputs;
  let loss = NaN, d: Float64Array, td: Float64Array | null = null;
  if ("dLogits" in head) {
    if (head.dLogits.length !== n * k) throw new TypeError(`Expected ${n}×${k} logit gradients`);
    d = Float64Array.from(head.dLogits);
  } else {
    const r = lossWithGradient(head.loss, h, head.y, n, k, th);
    loss = r.loss;
    d = r.dLogits;
    td = r.tdLogits;
  }
  if (tangent && !td) td = new Float64Array(n * k);
  const dTaps = new Map<string, Float64Array>();
  for (let i = layers.length - 1; i >= 0; i--) {
    dTaps.set(layers[i].name, d);
    [d, td] = layers[i].backward(d, td, ctx);
  }
  return { logits: h, loss, grads: ctx.G, dx: d, taps, dTaps, hv: ctx.TG };
}

/** Logits and every tap's value. */
export function forward(
  spec: TinyNetSpec,
  params: readonly RefParam[],
  x: Float64Array,
  n: number,
  opts: PassOptions = {},
): { logits: Float64Array; taps: Map<string, Float64Array> } {
  const { logits, taps } = pass(
    spec,
    params,
    x,
    n,
    { dLogits: new Float64Array(n * spec.outputs) },
    null,
    opts,
  );
  return { logits, taps };
}

/** Loss, parameter gradients, input gradient and per-tap values/gradients on one batch. */
export function lossAndGradients(
  spec: TinyNetSpec,
  params: readonly RefParam[],
  batch: RefBatch,
  loss: LossKind,
  opts: PassOptions = {},
): PassResult {
  return pass(spec, params, batch.x, batch.n, { loss, y: batch.y }, null, opts);
}

/**
 * Backward from a given gradient of the logits, e.g. all ones for the input Jacobian of
 * Σ outputs (jacov, EPE-NAS) or for synflow's R = Σ outputs.
 */
export function backwardFrom(
  spec: TinyNetSpec,
  params: readonly RefParam[],
  x: Float64Array,
  n: number,
  dLogits: Float64Array,
  opts: PassOptions = {},
): PassResult {
  return pass(spec, params, x, n, { dLogits }, null, opts);
}

/** The loss alone (for finite differences). */
export function lossValue(
  spec: TinyNetSpec,
  params: readonly RefParam[],
  batch: RefBatch,
  loss: LossKind,
  opts: PassOptions = {},
): number {
  return lossAndGradients(spec, params, batch, loss, opts).loss;
}

/**
 * H·v, the Hessian of the batch loss wrt all parameters times `v` (same layout as the params),
 * exact by forward-mode differentiation of the backward pass (ReLU's second derivative is 0).
 */
export function hessianVectorProduct(
  spec: TinyNetSpec,
  params: readonly RefParam[],
  batch: RefBatch,
  loss: LossKind,
  v: readonly Float64Array[],
  opts: PassOptions = {},
): { loss: number; grads: Float64Array[]; hv: Float64Array[] } {
  const r = pass(spec, params, batch.x, batch.n, { loss, y: batch.y }, v, opts);
  return { loss: r.loss, grads: r.grads, hv: r.hv! };
}

/** Concatenate batches into one (NASLib's `get_some_data` does this for n batches). */
export function concatBatches(batches: readonly RefBatch[]): RefBatch {
  if (batches.length === 0) throw new RangeError("Cannot concatenate zero batches");
  const n = batches.reduce((s, b) => s + b.n, 0);
  const x = new Float64Array(batches.reduce((s, b) => s + b.x.length, 0));
  const y = new Float64Array(batches.reduce((s, b) => s + b.y.length, 0));
  let ox = 0, oy = 0;
  for (const b of batches) {
    x.set(b.x, ox);
    y.set(b.y, oy);
    ox += b.x.length;
    oy += b.y.length;
  }
  return { n, x, y };
}
