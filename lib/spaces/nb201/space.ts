/**
 * The NAS-Bench-201 cell space as plain data: encodings, enumeration, sampling and mutation.
 *
 * An architecture is a tuple of 6 op indices, one per edge, with ops in NB201's own order
 * ({@link NB201_OPS}) and edges in the order of the arch string
 * `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|` ({@link NB201_EDGES}). The arch string is the canonical key.
 *
 * NASLib (and NAS-Bench-Suite-Zero's `zc_nasbench201.json`) numbers both ops and edges
 * differently (docs/nb201.md §1): ops (skip, none, conv3, conv1, pool) and edges
 * (1,2),(1,3),(1,4),(2,3),(2,4),(3,4) on 1-based nodes, i.e. arch-string edges 0,1,3,2,4,5.
 * {@link toNaslib} / {@link fromNaslib} convert explicitly so the two orders are never mixed.
 *
 * @module
 */
import type { Rng } from "../../rng.ts";

/** The five NB201 operations, in NAS-Bench-201's order (index = op id in an {@link Nb201Arch}). */
export const NB201_OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"] as const;
/** An NB201 operation name. */
export type Nb201Op = typeof NB201_OPS[number];

/** NASLib's op order, as NB201 names (NASLib `OP_NAMES_NB201`). */
export const NASLIB_OPS: readonly Nb201Op[] = [
  "skip_connect",
  "none",
  "nor_conv_3x3",
  "nor_conv_1x1",
  "avg_pool_3x3",
];
/** NASLib's primitive class names in the same order (NASLib `OP_NAMES`). */
export const NASLIB_OP_CLASSES = [
  "Identity",
  "Zero",
  "ReLUConvBN3x3",
  "ReLUConvBN1x1",
  "AvgPool1x1",
] as const;

/** (target node, source node) of the 6 edges, in arch-string order (nodes 0..3, 0 = input). */
export const NB201_EDGES: ReadonlyArray<readonly [number, number]> = [
  [1, 0],
  [2, 0],
  [2, 1],
  [3, 0],
  [3, 1],
  [3, 2],
];

/** For NASLib edge position k, the arch-string edge it denotes. Self-inverse. */
export const NASLIB_EDGE_ORDER: readonly number[] = [0, 1, 3, 2, 4, 5];

/** Number of architectures in the space (5^6). */
export const NB201_SIZE = 15625;

/** Six op indices (NB201 op order), one per edge in arch-string order. */
export type Nb201Arch = readonly number[];

const OP_INDEX = new Map<string, number>(NB201_OPS.map((op, i) => [op, i]));
/** NB201 op index → NASLib op index, and back. */
const TO_NASLIB_OP = NB201_OPS.map((op) => NASLIB_OPS.indexOf(op));
const FROM_NASLIB_OP = NASLIB_OPS.map((op) => OP_INDEX.get(op)!);

/** Throws unless `arch` is 6 integers in [0, 5). */
export function checkArch(arch: Nb201Arch): void {
  if (!Array.isArray(arch) || arch.length !== 6) {
    throw new TypeError(`Expected an NB201 arch of 6 op indices: got ${JSON.stringify(arch)}`);
  }
  for (const v of arch) {
    if (!Number.isInteger(v) || v < 0 || v > 4) {
      throw new RangeError(`Expected NB201 op indices in 0..4: got ${JSON.stringify(arch)}`);
    }
  }
}

/**
 * Parse an arch string strictly: exactly 3 nodes, node j has edges `op~0..op~(j-1)` in order,
 * every op one of {@link NB201_OPS}, no whitespace.
 */
export function parseArch(text: string): number[] {
  const fail = (why: string): never => {
    throw new SyntaxError(`Cannot parse NB201 arch '${text}': ${why}`);
  };
  if (typeof text !== "string") throw new TypeError(`Expected an NB201 arch string: got ${typeof text}`);
  const nodes = text.split("+");
  if (nodes.length !== 3) fail(`expected 3 nodes separated by '+', found ${nodes.length}`);
  const ops: number[] = [];
  nodes.forEach((node, j) => {
    const parts = node.split("|");
    if (parts.length !== j + 3 || parts[0] !== "" || parts[parts.length - 1] !== "") {
      fail(`node ${j + 1} must look like '|op~0|…|op~${j}|' but is '${node}'`);
    }
    parts.slice(1, -1).forEach((edge, i) => {
      const tilde = edge.indexOf("~");
      if (tilde < 0) fail(`edge '${edge}' of node ${j + 1} has no '~source'`);
      const op = edge.slice(0, tilde), src = edge.slice(tilde + 1);
      const idx = OP_INDEX.get(op);
      if (idx === undefined) fail(`unknown op '${op}' (expected one of ${NB201_OPS.join(", ")})`);
      if (src !== String(i)) fail(`edge '${edge}' of node ${j + 1} must come from node ${i}`);
      ops.push(idx!);
    });
  });
  return ops;
}

/** The arch string of an op-index tuple (the canonical key). */
export function formatArch(arch: Nb201Arch): string {
  checkArch(arch);
  const name = (e: number) => `${NB201_OPS[arch[e]]}~${NB201_EDGES[e][1]}`;
  return `|${name(0)}|+|${name(1)}|${name(2)}|+|${name(3)}|${name(4)}|${name(5)}|`;
}

/** Canonical key of an architecture: its arch string. */
export function archKey(arch: Nb201Arch): string {
  return formatArch(arch);
}

/**
 * Position of an arch in our enumeration order (base-5 number, edge 0 most significant).
 * This is NOT the index of NAS-Bench-201's `meta_archs` list.
 */
export function archIndex(arch: Nb201Arch): number {
  checkArch(arch);
  let idx = 0;
  for (const v of arch) idx = idx * 5 + v;
  return idx;
}

/** Inverse of {@link archIndex}. */
export function archFromIndex(index: number): number[] {
  if (!Number.isInteger(index) || index < 0 || index >= NB201_SIZE) {
    throw new RangeError(`Expected an NB201 arch index in [0, ${NB201_SIZE}): got ${index}`);
  }
  const out = new Array<number>(6);
  for (let e = 5; e >= 0; e--) {
    out[e] = index % 5;
    index = Math.floor(index / 5);
  }
  return out;
}

/** All 15,625 architectures in {@link archIndex} order. */
export function allArchs(): number[][] {
  const out: number[][] = new Array(NB201_SIZE);
  for (let i = 0; i < NB201_SIZE; i++) out[i] = archFromIndex(i);
  return out;
}

/** NB201 tuple → NASLib op-index tuple (NASLib op order and edge order). */
export function toNaslib(arch: Nb201Arch): number[] {
  checkArch(arch);
  return NASLIB_EDGE_ORDER.map((e) => TO_NASLIB_OP[arch[e]]);
}

/** NASLib op-index tuple → NB201 tuple. */
export function fromNaslib(naslib: readonly number[]): number[] {
  checkArch(naslib);
  const out = new Array<number>(6);
  NASLIB_EDGE_ORDER.forEach((e, k) => (out[e] = FROM_NASLIB_OP[naslib[k]]));
  return out;
}

/** NASLib / NAS-Bench-Suite-Zero key: Python's `str(tuple)`, e.g. `(1, 0, 2, 3, 4, 0)`. */
export function naslibKey(arch: Nb201Arch): string {
  return `(${toNaslib(arch).join(", ")})`;
}

/** Parse a NASLib key `(a, b, c, d, e, f)` (brackets and spacing tolerated) into an NB201 tuple. */
export function parseNaslibKey(key: string): number[] {
  const m =
    /^\s*[([]\s*([0-4])\s*,\s*([0-4])\s*,\s*([0-4])\s*,\s*([0-4])\s*,\s*([0-4])\s*,\s*([0-4])\s*,?\s*[)\]]\s*$/
      .exec(key);
  if (!m) {
    throw new SyntaxError(
      `Cannot parse NASLib NB201 key '${key}': expected '(i, i, i, i, i, i)' with i in 0..4`,
    );
  }
  return fromNaslib(m.slice(1, 7).map(Number));
}

/** Nodes reachable from the input over non-`none` edges. */
function forwardReach(arch: Nb201Arch): boolean[] {
  const r = [true, false, false, false];
  NB201_EDGES.forEach(([to, from], e) => {
    if (arch[e] !== 0 && r[from]) r[to] = true;
  });
  return r;
}

/** Nodes from which the output (node 3) is reachable over non-`none` edges. */
function backwardReach(arch: Nb201Arch): boolean[] {
  const r = [false, false, false, true];
  for (let e = 5; e >= 0; e--) {
    const [to, from] = NB201_EDGES[e];
    if (arch[e] !== 0 && r[to]) r[from] = true;
  }
  return r;
}

/** True when every input→output path contains `none`: the cell output is constant zero. */
export function isDisconnected(arch: Nb201Arch): boolean {
  checkArch(arch);
  return !forwardReach(arch)[3];
}

/**
 * Edges (arch-string positions) that lie on some input→output path of non-`none` ops, i.e. the
 * edges that influence the cell output. Ops on other edges run on zeros or feed nothing.
 */
export function activeEdges(arch: Nb201Arch): number[] {
  checkArch(arch);
  const fw = forwardReach(arch), bw = backwardReach(arch);
  const out: number[] = [];
  NB201_EDGES.forEach(([to, from], e) => {
    if (arch[e] !== 0 && fw[from] && bw[to]) out.push(e);
  });
  return out;
}

/** Options for {@link sampleArch}. */
export interface SampleOptions {
  /** redraw disconnected archs (uniform over the connected ones) @default {false} */
  connectedOnly?: boolean;
}

/** A uniformly random architecture. */
export function sampleArch(rng: Rng, opts: SampleOptions = {}): number[] {
  for (;;) {
    const a = [0, 0, 0, 0, 0, 0].map(() => rng.int(5));
    if (!opts.connectedOnly || forwardReach(a)[3]) return a;
  }
}

/** A copy of `arch` in which one uniformly chosen edge takes a uniformly chosen different op. */
export function mutateArch(arch: Nb201Arch, rng: Rng): number[] {
  checkArch(arch);
  const out = arch.slice();
  const e = rng.int(6);
  const r = rng.int(4);
  out[e] = r >= arch[e] ? r + 1 : r;
  return out;
}

/** The space as a value, for code generic over search spaces. */
export const nb201Space = {
  name: "nb201",
  size: NB201_SIZE,
  sample: sampleArch,
  mutate: mutateArch,
  key: archKey,
  parse: parseArch,
} as const;
