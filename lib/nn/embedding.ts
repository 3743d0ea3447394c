/**
 * Embedding tables that train with **sparse row updates** (DESIGN.md "Recommender specifics"):
 * per step, cost ∝ batch × fields × dim, never ∝ table size.
 *
 * The tables live in plain Float32Arrays (one per field, 16 columns), not in tfjs variables. A
 * batch gathers the *unique* rows it touches into one small tfjs variable; the network looks its
 * embeddings up in that variable, so the gradient tfjs computes is [unique rows × 16] — and only
 * those rows (and their Adagrad accumulators) are updated. Dense Adagrad on the full table gives
 * exactly the same numbers: rows with a zero gradient change neither their value nor their
 * accumulator. NASRec initialises embeddings xavier-normal (std √(2/(N+16)) for an N-row table).
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { Rng } from "../rng.ts";

/** Embedding width of every NASRec table. */
export const EMBEDDING_DIM = 16;

/** The rows one batch touches, gathered for the forward pass. */
export interface GatheredRows {
  /** [unique rows, dim], trainable: its gradient is the sparse gradient */
  rows: tf.Variable;
  /** [n, fields] positions into `rows` */
  index: tf.Tensor2D;
  /** (field, id) of each unique row */
  fields: Int32Array;
  ids: Int32Array;
}

/** One table per sparse field, with Adagrad accumulators allocated on first update. */
export class SparseEmbedding {
  readonly tables: Float32Array[];
  readonly #acc: (Float32Array | null)[];

  constructor(readonly tableSizes: readonly number[], rng: Rng, readonly dim = EMBEDDING_DIM) {
    this.tables = tableSizes.map((n) => {
      const std = Math.sqrt(2 / (n + dim));
      const t = new Float32Array(n * dim);
      for (let i = 0; i < t.length; i++) t[i] = rng.normal() * std;
      return t;
    });
    this.#acc = tableSizes.map(() => null);
  }

  /** Gather the unique rows of `sparse` (n × fields ids, row-major). Dispose with {@linkcode release}. */
  gather(sparse: Int32Array, n: number): GatheredRows {
    const F = this.tableSizes.length, d = this.dim;
    if (sparse.length !== n * F) throw new RangeError(`Expected ${n}×${F} sparse ids, got ${sparse.length}`);
    const slot = new Map<number, number>();
    const fields: number[] = [], ids: number[] = [];
    const index = new Int32Array(n * F);
    for (let r = 0; r < n; r++) {
      for (let f = 0; f < F; f++) {
        const id = sparse[r * F + f];
        if (id < 0 || id >= this.tableSizes[f]) {
          throw new RangeError(
            `Sparse id ${id} of field ${f} (row ${r}) outside its table of ${this.tableSizes[f]} rows`,
          );
        }
        const key = id * F + f;
        let s = slot.get(key);
        if (s === undefined) {
          s = fields.length;
          slot.set(key, s);
          fields.push(f);
          ids.push(id);
        }
        index[r * F + f] = s;
      }
    }
    const values = new Float32Array(fields.length * d);
    for (let u = 0; u < fields.length; u++) {
      values.set(this.tables[fields[u]].subarray(ids[u] * d, (ids[u] + 1) * d), u * d);
    }
    const t = tf.tensor2d(values, [fields.length, d]);
    const rows = tf.variable(t, true);
    t.dispose();
    return {
      rows,
      index: tf.tensor2d(index, [n, F], "int32"),
      fields: Int32Array.from(fields),
      ids: Int32Array.from(ids),
    };
  }

  /** The [n, fields, dim] embeddings of a gathered batch (differentiable in `rows`). */
  static lookup(g: GatheredRows): tf.Tensor3D {
    const [n, F] = g.index.shape;
    return tf.reshape(tf.gather(g.rows, tf.reshape(g.index, [-1])), [n, F, g.rows.shape[1]!]) as tf.Tensor3D;
  }

  /**
   * Adagrad (PyTorch rule: acc += g²; w −= lr·g/(√acc + eps)) on the touched rows only, from the
   * gradient of the gathered rows.
   */
  adagradStep(g: GatheredRows, grad: Float32Array, lr: number, eps = 1e-2): void {
    const d = this.dim;
    for (let u = 0; u < g.fields.length; u++) {
      const f = g.fields[u], base = g.ids[u] * d;
      const table = this.tables[f];
      let acc = this.#acc[f];
      if (!acc) acc = this.#acc[f] = new Float32Array(table.length);
      for (let k = 0; k < d; k++) {
        const gv = grad[u * d + k];
        acc[base + k] += gv * gv;
        table[base + k] -= (lr * gv) / (Math.sqrt(acc[base + k]) + eps);
      }
    }
  }

  /** Free a gathered batch. */
  static release(g: GatheredRows): void {
    g.rows.dispose();
    g.index.dispose();
  }

  /** Tables and allocated Adagrad accumulators as named arrays (for checkpoints). */
  saveState(): { name: string; shape: number[]; data: Float32Array }[] {
    const out = this.tables.map((t, f) => ({
      name: `table${f}`,
      shape: [t.length / this.dim, this.dim],
      data: t,
    }));
    this.#acc.forEach((a, f) => {
      if (a) out.push({ name: `acc${f}`, shape: [a.length / this.dim, this.dim], data: a });
    });
    return out;
  }

  /** Restore {@linkcode SparseEmbedding.saveState}'s arrays (same table sizes). */
  loadState(arrays: { name: string; data: Float32Array }[]): void {
    for (const a of arrays) {
      const m = /^(table|acc)(\d+)$/.exec(a.name);
      const f = m ? Number(m[2]) : -1;
      if (!m || f >= this.tables.length || a.data.length !== this.tables[f].length) {
        throw new RangeError(`Cannot load embedding state '${a.name}': no table of that size`);
      }
      if (m[1] === "table") this.tables[f].set(a.data);
      else this.#acc[f] = Float32Array.from(a.data);
    }
  }

  /** A copy of the tables (to snapshot or share weights). */
  copyTablesFrom(other: SparseEmbedding): void {
    other.tables.forEach((t, f) => this.tables[f].set(t));
  }
}
