/**
 * Embedding tables that train with **sparse row updates** (docs/nasrec.md §2, docs/architecture.md):
 * per step, cost ∝ batch × fields × dim, never ∝ table size.
 *
 * {@link EmbeddingTables} (the NASRec nets of `lib/spaces/nasrec/supernet.ts`): one tfjs variable
 * per sparse field, registered as a parameter of kind/role "embedding", so proxies and checkpoints
 * see the tables like any other weight. Outside training a look-up is a plain `tf.gather`
 * (differentiable in the table: a dense gradient, fine for proxies on small tables). A training
 * step instead calls {@link EmbeddingTables.beginSparseStep} with the batch's id tensor: the
 * *unique* rows the batch touches are gathered into one small variable, the look-up of that very
 * id tensor reads from it, so `tf.variableGrads` returns the gradient of the gathered rows (not of
 * the table), and {@link EmbeddingTables.adagradStep} updates only those rows and their Adagrad
 * accumulators, in place. Dense Adagrad on the whole table gives the same numbers: rows with a
 * zero gradient change neither their value nor their accumulator.
 *
 * On host-memory backends (cpu, wasm) gathers and row updates are plain loops over the tables'
 * memory ({@link gatherRows}); the stock wasm `GatherV2` is an order of magnitude slower.
 *
 * NASRec initialises embeddings xavier-normal (std √(2/(N+16)) for an N-row table).
 *
 * @module
 */
import * as tf from "../tf.ts";
import type { ParamStore } from "./param.ts";

/** Embedding width of every NASRec table. */
export const EMBEDDING_DIM = 16;

// ---------------------------------------------------------------------------------------------
// Embedding tables as parameters, with sparse training steps

// deno-lint-ignore no-explicit-any
type AnyBackend = any;

/** Whether tensors live in host memory (cpu: JS arrays, wasm: the module heap). */
function onHost(): boolean {
  const name = tf.getBackend();
  return name === "wasm" || name === "cpu";
}

/** A float32 tensor's values without a copy on host backends (read at once: wasm views detach). */
function hostValues(t: tf.Tensor): Float32Array {
  const be: AnyBackend = tf.backend();
  if (tf.getBackend() === "wasm") return be.typedArrayFromHeap(t) as Float32Array;
  const values = be.data.get(t.dataId)?.values;
  return values instanceof Float32Array ? values : Float32Array.from(t.dataSync() as Float32Array);
}

/**
 * Rows `idx` of `x` [R, C] as [idx.length, C]; the gradient sums each output row back into its
 * source row. On host backends this is one JS loop each way: the stock wasm `GatherV2` costs tens
 * of ns per element (a 512 × 1035 gather took ~30 ms), which dominated embedding look-ups and the
 * dot-product's triangle. Elsewhere it is `tf.gather`. Indices must lie in [0, R).
 */
export function gatherRows(x: tf.Tensor2D, idx: Int32Array): tf.Tensor2D {
  const [R, C] = x.shape;
  if (!onHost() || x.dtype !== "float32") {
    return tf.tidy(() => tf.gather(x, tf.tensor1d(idx, "int32")) as tf.Tensor2D);
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const v = hostValues(args[0] as tf.Tensor);
    const out = new Float32Array(idx.length * C);
    if (C === 1) { for (let k = 0; k < idx.length; k++) out[k] = v[idx[k]]; }
    else for (let k = 0; k < idx.length; k++) out.set(v.subarray(idx[k] * C, (idx[k] + 1) * C), k * C);
    return {
      value: tf.tensor2d(out, [idx.length, C]),
      gradFunc: (dy: tf.Tensor) => {
        const g = hostValues(dy);
        const dx = new Float32Array(R * C);
        for (let k = 0; k < idx.length; k++) {
          const src = k * C, dst = idx[k] * C;
          for (let c = 0; c < C; c++) dx[dst + c] += g[src + c];
        }
        return tf.tensor2d(dx, [R, C]);
      },
    };
  });
  return op(x) as tf.Tensor2D;
}

/**
 * The variable's own values when the backend keeps them in host memory (cpu: a JS array, wasm:
 * the module heap) and no other tensor shares them; else null. Tables are read only by `Gather`,
 * which caches nothing, so writing in place is safe on wasm even where weight matrices are not
 * (see `lib/train/inplace.ts`). Use the view at once: a later wasm allocation may detach it.
 */
function hostView(v: tf.Variable): Float32Array | null {
  if (v.dtype !== "float32") return null;
  const name = tf.getBackend();
  const be: AnyBackend = tf.backend();
  if (name !== "wasm" && name !== "cpu") return null;
  if (be.refCount(v.dataId) !== 1) return null;
  if (name === "wasm") return be.typedArrayFromHeap(v) as Float32Array;
  const values = be.data.get(v.dataId)?.values;
  return values instanceof Float32Array ? values : null;
}

/** The rows one training batch touches, gathered into a small trainable variable. */
export interface SparseStep {
  /** the [n, fields] int32 id tensor this step serves; look-ups of exactly this tensor read `rows` */
  readonly source: tf.Tensor2D;
  /** [unique rows, dim]: field 0's rows first, then field 1's, …; its gradient is the sparse gradient */
  readonly rows: tf.Variable;
  /** [n·fields]: the position in `rows` of each (sample, field) */
  readonly index: Int32Array;
  /** rows of field f are `fieldStart[f] … fieldStart[f + 1] − 1` */
  readonly fieldStart: Int32Array;
  /** the table row of each unique row */
  readonly ids: Int32Array;
}

/** Options of {@linkcode EmbeddingTables}. */
export interface EmbeddingTablesOptions {
  /** @default {16} (NASRec's `embedding_dim`) */
  dim?: number;
  /** layer-name prefix; table f is layer `${prefix}.${f}` @default {"embedding"} */
  prefix?: string;
}

/**
 * One embedding table per sparse field, as parameters (kind and role "embedding") of a
 * {@link ParamStore}, with per-row Adagrad accumulators (allocated on a field's first update).
 */
export class EmbeddingTables {
  readonly tables: tf.Variable[];
  readonly dim: number;
  readonly tableSizes: readonly number[];
  /** the layer name of each table */
  readonly layers: readonly string[];
  readonly #acc: (Float32Array | null)[];
  #step: SparseStep | null = null;

  constructor(store: ParamStore, tableSizes: readonly number[], opts: EmbeddingTablesOptions = {}) {
    const dim = opts.dim ?? EMBEDDING_DIM, prefix = opts.prefix ?? "embedding";
    if (!Number.isInteger(dim) || dim < 1) {
      throw new RangeError(`Expected a positive embedding dim, got ${dim}`);
    }
    if (tableSizes.length === 0) throw new RangeError("Expected at least one embedding table");
    tableSizes.forEach((n, f) => {
      if (!Number.isInteger(n) || n < 1) {
        throw new RangeError(`Embedding table ${f}: expected a positive integer number of rows, got ${n}`);
      }
    });
    this.dim = dim;
    this.tableSizes = tableSizes.slice();
    this.layers = tableSizes.map((_, f) => `${prefix}.${f}`);
    this.tables = tableSizes.map((n, f) =>
      store.add(this.layers[f], "embedding", "embedding", [n, dim], {
        kind: "normal",
        std: Math.sqrt(2 / (n + dim)),
      })
    );
    this.#acc = tableSizes.map(() => null);
  }

  /** The sparse step in progress, if any. */
  get activeStep(): SparseStep | null {
    return this.#step;
  }

  #checkIds(sparse: tf.Tensor): [number, number] {
    const F = this.tables.length;
    if (sparse.rank !== 2 || sparse.shape[1] !== F || sparse.dtype !== "int32") {
      throw new TypeError(
        `Expected an int32 id tensor of shape [n, ${F}], got ${sparse.dtype} [${sparse.shape}]`,
      );
    }
    return [sparse.shape[0], F];
  }

  /**
   * The [n, fields, dim] embeddings of an [n, fields] int32 id tensor. Inside a sparse step for
   * this very tensor they come from the step's gathered rows; otherwise from the tables.
   */
  lookup(sparse: tf.Tensor2D): tf.Tensor3D {
    const [n, F] = this.#checkIds(sparse);
    const st = this.#step;
    if (st && st.source === sparse) {
      return tf.tidy(() =>
        tf.reshape(gatherRows(st.rows as tf.Variable<tf.Rank.R2>, st.index), [n, F, this.dim]) as tf.Tensor3D
      );
    }
    return tf.tidy(() => {
      const cols = tf.unstack(sparse, 1);
      return tf.stack(cols.map((c, f) => tf.gather(this.tables[f], c)), 1) as tf.Tensor3D;
    });
  }

  /**
   * Gather the unique rows of the batch `sparse` (ids validated) into a trainable variable and
   * route look-ups of `sparse` to it until {@link endSparseStep}. Cost ∝ n × fields × dim.
   */
  beginSparseStep(sparse: tf.Tensor2D): SparseStep {
    if (this.#step) throw new Error("Cannot begin a sparse step while another is active: end it first");
    const [n, F] = this.#checkIds(sparse);
    if (n === 0) throw new RangeError("Cannot train on an empty batch");
    const data = sparse.dataSync() as Int32Array;
    const index = new Int32Array(n * F);
    const fieldStart = new Int32Array(F + 1);
    const ids: number[] = [];
    for (let f = 0; f < F; f++) {
      const slot = new Map<number, number>();
      const size = this.tableSizes[f];
      for (let r = 0; r < n; r++) {
        const id = data[r * F + f];
        if (!(id >= 0 && id < size)) {
          throw new RangeError(`Sparse id ${id} of field ${f} (row ${r}) outside its table of ${size} rows`);
        }
        let s = slot.get(id);
        if (s === undefined) {
          s = ids.length;
          slot.set(id, s);
          ids.push(id);
        }
        index[r * F + f] = s;
      }
      fieldStart[f + 1] = ids.length;
    }
    const idArr = Int32Array.from(ids);
    const d = this.dim;
    let gathered: tf.Tensor;
    if (onHost()) {
      const values = new Float32Array(idArr.length * d);
      this.tables.forEach((t, f) => {
        const v = hostValues(t);
        for (let u = fieldStart[f]; u < fieldStart[f + 1]; u++) {
          values.set(v.subarray(idArr[u] * d, (idArr[u] + 1) * d), u * d);
        }
      });
      gathered = tf.tensor2d(values, [idArr.length, d]);
    } else {
      gathered = tf.tidy(() =>
        tf.concat(
          this.tables.map((t, f) =>
            tf.gather(t, tf.tensor1d(idArr.subarray(fieldStart[f], fieldStart[f + 1]), "int32"))
          ),
          0,
        )
      );
    }
    const rows = tf.variable(gathered, true);
    gathered.dispose();
    this.#step = {
      source: sparse,
      rows,
      index,
      fieldStart,
      ids: idArr,
    };
    return this.#step;
  }

  /** Free a sparse step and route look-ups back to the tables. */
  endSparseStep(step: SparseStep): void {
    step.rows.dispose();
    if (this.#step === step) this.#step = null;
  }

  /**
   * Adagrad (PyTorch rule: acc += g²; w −= lr·g/(√acc + eps)) on the step's rows only, from the
   * gradient of `step.rows` ([unique rows, dim]). In place where the backend allows it (cpu, wasm);
   * else each field's new rows are scattered into its table on the device, or, when another tensor
   * shares a host table's data, into a copy (both ∝ table size). On a device backend pass the
   * gradient and the step's current `rows` as host arrays (read back asynchronously): WebGPU in
   * Deno cannot read a tensor synchronously.
   */
  adagradStep(
    step: SparseStep,
    grad: tf.Tensor | Float32Array,
    lr: number,
    eps = 1e-2,
    rows?: Float32Array,
  ): void {
    const d = this.dim, U = step.ids.length;
    // a copy: a wasm heap view of the gradient could be detached by the allocations below
    const g = grad instanceof Float32Array ? grad : Float32Array.from(grad.dataSync() as Float32Array);
    if (g.length !== U * d) {
      throw new TypeError(`Expected a [${U}, ${d}] gradient of the gathered rows, got ${g.length} values`);
    }
    let old: Float32Array | null = rows ?? null;
    for (let f = 0; f < this.tables.length; f++) {
      const s = step.fieldStart[f], e = step.fieldStart[f + 1];
      if (s === e) continue;
      const table = this.tables[f];
      const acc = this.#acc[f] ?? (this.#acc[f] = new Float32Array(this.tableSizes[f] * d));
      const view = hostView(table);
      if (view) {
        for (let u = s; u < e; u++) {
          const base = step.ids[u] * d;
          for (let k = 0; k < d; k++) {
            const gv = g[u * d + k];
            const a = (acc[base + k] += gv * gv);
            view[base + k] -= (lr * gv) / (Math.sqrt(a) + eps);
          }
        }
        continue;
      }
      old ??= Float32Array.from(step.rows.dataSync() as Float32Array);
      const upd = new Float32Array((e - s) * d);
      for (let u = s; u < e; u++) {
        const base = step.ids[u] * d;
        for (let k = 0; k < d; k++) {
          const gv = g[u * d + k];
          const a = (acc[base + k] += gv * gv);
          upd[(u - s) * d + k] = old[u * d + k] - (lr * gv) / (Math.sqrt(a) + eps);
        }
      }
      if (onHost()) {
        // shared data (refcount > 1) on a host backend: write a copy (tfjs-cpu's TensorScatterUpdate
        // writes into its input's buffer, which would change the sharing tensors too)
        const copy = Float32Array.from(table.dataSync() as Float32Array);
        for (let u = s; u < e; u++) copy.set(upd.subarray((u - s) * d, (u - s + 1) * d), step.ids[u] * d);
        const t = tf.tensor2d(copy, [this.tableSizes[f], d]);
        table.assign(t);
        t.dispose();
      } else {
        tf.tidy(() => {
          const idx = tf.tensor2d(step.ids.subarray(s, e), [e - s, 1], "int32");
          table.assign(tf.tensorScatterUpdate(table, idx, tf.tensor2d(upd, [e - s, d])));
        });
      }
    }
  }

  /**
   * Allocate every table's Adagrad accumulator now and write it once. Accumulators are otherwise
   * allocated at a field's first update, zero pages the OS maps on first touch: the first few
   * hundred steps on 10M-row tables then pay a page fault per newly touched row (measured: +50 %
   * step time on Criteo's full tables). Costs one pass over 4 bytes × rows × dim.
   */
  allocateState(): void {
    this.tableSizes.forEach((n, f) => {
      const a = this.#acc[f] ?? (this.#acc[f] = new Float32Array(n * this.dim));
      // a write per 4 KiB page maps it (values unchanged)
      for (let i = 0; i < a.length; i += 1024) a[i] += 0;
    });
  }

  /** The allocated Adagrad accumulators as named arrays (for checkpoints; tables are parameters). */
  saveState(): { name: string; shape: number[]; data: Float32Array }[] {
    const out: { name: string; shape: number[]; data: Float32Array }[] = [];
    this.#acc.forEach((a, f) => {
      if (a) out.push({ name: `acc${f}`, shape: [this.tableSizes[f], this.dim], data: a.slice() });
    });
    return out;
  }

  /** Restore {@linkcode EmbeddingTables.saveState}'s arrays; fields not listed start from zero. */
  loadState(arrays: { name: string; data: Float32Array }[]): void {
    const next: (Float32Array | null)[] = this.tableSizes.map(() => null);
    for (const a of arrays) {
      const m = /^acc(\d+)$/.exec(a.name);
      const f = m ? Number(m[1]) : -1;
      if (!m || f >= this.tableSizes.length || a.data.length !== this.tableSizes[f] * this.dim) {
        throw new RangeError(`Cannot load embedding state '${a.name}': no table of that size`);
      }
      next[f] = Float32Array.from(a.data);
    }
    next.forEach((a, f) => (this.#acc[f] = a));
  }
}
