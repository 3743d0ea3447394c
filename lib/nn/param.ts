/**
 * Parameters with the metadata proxies need: which layer they belong to, what kind of layer it
 * is, and their role in it.
 *
 * Zero-cost proxies are defined over *subsets* of parameters (ZiCo and SiGeo: weights of conv and
 * linear layers only; synflow: everything but BN), so every variable carries its layer kind and
 * role. Initial values are drawn with the library's seeded {@link Rng}, so the same seed gives
 * the same network on every backend.
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Rng } from "../rng.ts";

/** What a parameter is within its layer. */
export type Role = "weight" | "bias" | "norm" | "embedding";
/** The kind of layer a parameter belongs to. */
export type LayerKind = "conv" | "linear" | "embedding" | "norm" | "attention";

/** A trainable tensor and where it sits. */
export interface Param {
  /** unique name, `layer/role` by convention, e.g. `cells.0.edge3.nor_conv_3x3.conv/weight` */
  name: string;
  layer: string;
  kind: LayerKind;
  role: Role;
  variable: tf.Variable;
}

/** How a tensor is initialised. */
export type Init =
  | { kind: "uniform"; bound: number }
  | { kind: "normal"; std: number }
  | { kind: "constant"; value: number };

/** PyTorch's default for Conv2d/Linear weights and biases: U(−1/√fanIn, 1/√fanIn). */
export function torchDefaultInit(fanIn: number): Init {
  return { kind: "uniform", bound: 1 / Math.sqrt(fanIn) };
}

/** Glorot/Xavier uniform: U(−√(6/(fanIn+fanOut)), +). */
export function xavierUniformInit(fanIn: number, fanOut: number): Init {
  return { kind: "uniform", bound: Math.sqrt(6 / (fanIn + fanOut)) };
}

/** Values for an init, drawn from `rng`. */
export function initValues(init: Init, size: number, rng: Rng): Float32Array {
  const out = new Float32Array(size);
  if (init.kind === "constant") return out.fill(init.value);
  for (let i = 0; i < size; i++) {
    out[i] = init.kind === "uniform" ? (2 * rng.next() - 1) * init.bound : rng.normal() * init.std;
  }
  return out;
}

/**
 * Owns the variables of one network (or supernet): trainable parameters with metadata, and
 * non-trainable buffers (BN running statistics). Dispose it to free them all.
 */
export class ParamStore {
  readonly #rng: Rng;
  readonly #params = new Map<string, Param>();
  readonly #buffers = new Map<string, tf.Variable>();

  constructor(rng: Rng) {
    this.#rng = rng;
  }

  /** Create a trainable parameter; names must be unique. */
  add(layer: string, kind: LayerKind, role: Role, shape: number[], init: Init): tf.Variable {
    const name = `${layer}/${role}`;
    if (this.#params.has(name)) throw new RangeError(`Cannot add parameter '${name}' twice`);
    const size = shape.reduce((a, b) => a * b, 1);
    const value = tf.tensor(initValues(init, size, this.#rng), shape);
    const variable = tf.variable(value, true);
    value.dispose();
    this.#params.set(name, { name, layer, kind, role, variable });
    return variable;
  }

  /** Create a non-trainable buffer (e.g. BN running mean). */
  buffer(name: string, shape: number[], value: number): tf.Variable {
    if (this.#buffers.has(name)) throw new RangeError(`Cannot add buffer '${name}' twice`);
    const init = tf.fill(shape, value);
    const v = tf.variable(init, false);
    init.dispose();
    this.#buffers.set(name, v);
    return v;
  }

  /** All trainable parameters, in creation order. */
  params(): Param[] {
    return [...this.#params.values()];
  }

  /** A parameter by name, or undefined. */
  get(name: string): Param | undefined {
    return this.#params.get(name);
  }

  buffers(): Map<string, tf.Variable> {
    return this.#buffers;
  }

  dispose(): void {
    for (const p of this.#params.values()) p.variable.dispose();
    for (const b of this.#buffers.values()) b.dispose();
    this.#params.clear();
    this.#buffers.clear();
  }
}

/** Number of scalars in a list of parameters. */
export function countParams(params: Param[]): number {
  return params.reduce((s, p) => s + p.variable.size, 0);
}

/**
 * Copy values into `to` from `from` for every parameter name they share (e.g. supernet →
 * standalone net). Returns the names copied.
 */
export function copyParams(from: Param[], to: Param[]): string[] {
  const src = new Map(from.map((p) => [p.name, p]));
  const copied: string[] = [];
  for (const p of to) {
    const s = src.get(p.name);
    if (!s) continue;
    if (s.variable.size !== p.variable.size) {
      throw new TypeError(
        `Cannot copy '${p.name}': shapes [${s.variable.shape}] and [${p.variable.shape}] differ`,
      );
    }
    p.variable.assign(s.variable);
    copied.push(p.name);
  }
  return copied;
}
