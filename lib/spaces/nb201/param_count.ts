/**
 * Parameter and FLOP counts of the NAS-Bench-201 macro network, by formula.
 *
 * Independent of the tfjs network so that it can check it (and be used as the `params` / `flops`
 * baseline proxies without building a net). The skeleton is AutoDL-Projects' `TinyNetwork`
 * (docs/nb201.md §2):
 *   stem conv3×3(3→C, no bias) + BN(C);
 *   3 stages of N cells at C, 2C, 4C channels, with a ResNet basic block between stages
 *   (ReLU-conv3×3 stride 2 + BN, ReLU-conv3×3 + BN, shortcut AvgPool2d(2,2) + conv1×1 no bias);
 *   BN + ReLU + global average pool + Linear(classes, with bias).
 * Cell ops: `nor_conv_k` = ReLU → conv k×k (no bias) → BN; skip, none and 3×3 average pooling
 * have no parameters.
 *
 * Every non-`none` op is counted, also on edges that cannot reach the output (NB201 builds and
 * runs them too, and so do its published costs).
 *
 * FLOPs follow NB201's `get_model_infos` convention: multiply-adds of conv and linear layers
 * (plus one add per output element for each bias), for one image; BN, ReLU, pooling and the
 * cell's sums are not counted.
 *
 * @module
 */
import { checkArch, type Nb201Arch, parseArch } from "./space.ts";

/** Shape options of the macro network. */
export interface Nb201CountOptions {
  /** channels of the first stage @default {16} */
  C?: number;
  /** cells per stage @default {5} */
  N?: number;
  /** output classes @default {10} */
  classes?: number;
  /** count BN γ and β (2 per channel) @default {true} */
  affine?: boolean;
  /**
   * give every cell-op conv a bias. NB201's search cells use `bias = not affine`; our networks
   * never do. @default {false}
   */
  cellConvBias?: boolean;
  /** input height = width, for FLOPs @default {32} */
  resolution?: number;
}

const OP_KERNEL: Record<number, number> = { 2: 1, 3: 3 }; // nor_conv_1x1, nor_conv_3x3

function resolve(opts: Nb201CountOptions) {
  const o = {
    C: opts.C ?? 16,
    N: opts.N ?? 5,
    classes: opts.classes ?? 10,
    affine: opts.affine ?? true,
    cellConvBias: opts.cellConvBias ?? false,
    resolution: opts.resolution ?? 32,
  };
  for (
    const [k, v] of [["C", o.C], ["N", o.N], ["classes", o.classes], ["resolution", o.resolution]] as const
  ) {
    if (!Number.isInteger(v) || v <= 0) {
      throw new RangeError(`Expected option ${k} to be a positive integer: got ${v}`);
    }
  }
  return o;
}

function toArch(arch: Nb201Arch | string): Nb201Arch {
  if (typeof arch === "string") return parseArch(arch);
  checkArch(arch);
  return arch;
}

/** Per-part breakdown; `total` is the sum. */
export interface Nb201Counts {
  stem: number;
  cells: number;
  reductions: number;
  head: number;
  total: number;
}

/** Number of trainable parameters of the standalone network of `arch`. */
export function nb201ParamCount(arch: Nb201Arch | string, opts: Nb201CountOptions = {}): Nb201Counts {
  const a = toArch(arch);
  const { C, N, classes, affine, cellConvBias } = resolve(opts);
  const bn = (c: number) => (affine ? 2 * c : 0);
  const conv = (cin: number, cout: number, k: number, bias: boolean) =>
    cin * cout * k * k + (bias ? cout : 0);
  const cellAt = (c: number) =>
    a.reduce((s, op) => s + (op in OP_KERNEL ? conv(c, c, OP_KERNEL[op], cellConvBias) + bn(c) : 0), 0);
  const resblock = (cin: number, cout: number) =>
    conv(cin, cout, 3, false) + bn(cout) + conv(cout, cout, 3, false) + bn(cout) + conv(cin, cout, 1, false);
  const stem = conv(3, C, 3, false) + bn(C);
  const cells = N * (cellAt(C) + cellAt(2 * C) + cellAt(4 * C));
  const reductions = resblock(C, 2 * C) + resblock(2 * C, 4 * C);
  const head = bn(4 * C) + 4 * C * classes + classes;
  return { stem, cells, reductions, head, total: stem + cells + reductions + head };
}

/** Multiply-adds of one forward pass of one image (NB201 convention, see module doc). */
export function nb201Flops(arch: Nb201Arch | string, opts: Nb201CountOptions = {}): Nb201Counts {
  const a = toArch(arch);
  const { C, N, classes, cellConvBias, resolution } = resolve(opts);
  const half = (r: number) => Math.floor((r - 1) / 2) + 1; // 3×3 s2 p1 conv and 2×2 s2 pool, even r
  const r1 = resolution, r2 = half(r1), r3 = half(r2);
  const conv = (cin: number, cout: number, k: number, hw: number, bias: boolean) =>
    hw * hw * cout * (cin * k * k + (bias ? 1 : 0));
  const cellAt = (c: number, hw: number) =>
    a.reduce((s, op) => s + (op in OP_KERNEL ? conv(c, c, OP_KERNEL[op], hw, cellConvBias) : 0), 0);
  const resblock = (cin: number, cout: number, hwOut: number) =>
    conv(cin, cout, 3, hwOut, false) + conv(cout, cout, 3, hwOut, false) + conv(cin, cout, 1, hwOut, false);
  const stem = conv(3, C, 3, r1, false);
  const cells = N * (cellAt(C, r1) + cellAt(2 * C, r2) + cellAt(4 * C, r3));
  const reductions = resblock(C, 2 * C, r2) + resblock(2 * C, 4 * C, r3);
  const head = 4 * C * classes + classes;
  return { stem, cells, reductions, head, total: stem + cells + reductions + head };
}
