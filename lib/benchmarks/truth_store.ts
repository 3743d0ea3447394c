/**
 * The store of NAS-Bench-201 ground truth that every reader fills ({@link Nb201Truth}): values by
 * dataset, metric and canonical arch string. The file formats that fill it are in `nb201_truth.ts`
 * (CSV, NAS-Bench-Suite-Zero JSON) and `nats_bench.ts` (NATS-Bench pickles).
 *
 * @module
 */
import { formatArch, parseArch } from "../spaces/nb201/space.ts";

/** One ground-truth value. */
export interface TruthRecord {
  /** canonical NB201 arch string */
  arch: string;
  /** e.g. cifar10, cifar10-valid, cifar100, ImageNet16-120 */
  dataset: string;
  /** e.g. val_accuracy, test_accuracy, synflow */
  metric: string;
  value: number;
}

/** Ground truth indexed by dataset → metric → arch. */
export class Nb201Truth {
  readonly #data = new Map<string, Map<string, Map<string, number>>>();

  /** Add one value; a second value for the same (arch, dataset, metric) is an error. */
  add(r: TruthRecord, where = "ground truth"): void {
    const arch = formatArch(parseArch(r.arch));
    let byMetric = this.#data.get(r.dataset);
    if (!byMetric) this.#data.set(r.dataset, byMetric = new Map());
    let byArch = byMetric.get(r.metric);
    if (!byArch) byMetric.set(r.metric, byArch = new Map());
    if (byArch.has(arch)) {
      throw new RangeError(`Duplicate ground truth in ${where}: ${r.dataset}/${r.metric} for ${arch}`);
    }
    byArch.set(arch, r.value);
  }
  /** The value, or undefined. `arch` may be any valid arch string or op tuple. */
  get(arch: string | readonly number[], dataset: string, metric: string): number | undefined {
    const key = typeof arch === "string" ? formatArch(parseArch(arch)) : formatArch(arch);
    return this.#data.get(dataset)?.get(metric)?.get(key);
  }
  /** All values of one dataset and metric, by arch string. */
  values(dataset: string, metric: string): Map<string, number> {
    return new Map(this.#data.get(dataset)?.get(metric) ?? []);
  }
  datasets(): string[] {
    return [...this.#data.keys()];
  }
  metrics(dataset: string): string[] {
    return [...(this.#data.get(dataset)?.keys() ?? [])];
  }
  /** Every value as records (datasets, metrics, archs in insertion order). */
  records(): TruthRecord[] {
    const out: TruthRecord[] = [];
    for (const [dataset, m] of this.#data) {
      for (const [metric, a] of m) for (const [arch, value] of a) out.push({ arch, dataset, metric, value });
    }
    return out;
  }
  get size(): number {
    let n = 0;
    for (const m of this.#data.values()) for (const a of m.values()) n += a.size;
    return n;
  }
  static from(records: Iterable<TruthRecord>): Nb201Truth {
    const t = new Nb201Truth();
    for (const r of records) t.add(r);
    return t;
  }
}
