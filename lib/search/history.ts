/**
 * The evaluation history of a search: every candidate evaluated, in order, appended to a JSON-lines
 * file as soon as it is known (fsync'd; a record torn by a kill is dropped on reading). A search
 * restarted with the same seed and file replays its own decisions and takes the recorded results
 * instead of evaluating again, so nothing is lost or redone (see evolution.ts).
 *
 * @module
 */
import { appendJsonl, readJsonl } from "../io.ts";

/** One evaluated candidate. */
export interface HistoryRecord {
  /** position in the search (0-based) */
  index: number;
  key: string;
  arch: unknown;
  score: number;
  terms?: Record<string, number>;
  /** evaluation wall time */
  seconds: number;
  /** -1 for the initial population / random search */
  generation: number;
}

/** A history bound to a file (or memory only, when `path` is undefined). */
export class History {
  readonly records: HistoryRecord[] = [];
  readonly #byKey = new Map<string, HistoryRecord>();
  private constructor(readonly path: string | undefined) {}

  /** Open (and load) a history file; a missing file is an empty history. */
  static async open(path?: string): Promise<History> {
    const h = new History(path);
    if (path) {
      for (const r of await readJsonl<HistoryRecord>(path)) {
        if (r.index !== h.records.length) {
          throw new RangeError(`Cannot resume from ${path}: record ${h.records.length} has index ${r.index}`);
        }
        h.records.push(r);
        h.#byKey.set(r.key, r);
      }
    }
    return h;
  }

  /** The record of a key, if evaluated. */
  get(key: string): HistoryRecord | undefined {
    return this.#byKey.get(key);
  }

  /** Append a new record (written to the file before this resolves). */
  async add(r: Omit<HistoryRecord, "index">): Promise<HistoryRecord> {
    const rec: HistoryRecord = { index: this.records.length, ...r };
    if (rec.terms === undefined) delete rec.terms; // the same record whether read back or not
    if (this.path) await appendJsonl(this.path, [rec]);
    this.records.push(rec);
    this.#byKey.set(rec.key, rec);
    return rec;
  }

  /** The k best records (NaN/±Inf last; ties by order), deduplicated by key. */
  top(k: number): HistoryRecord[] {
    const finite = (s: number) => (Number.isFinite(s) ? s : -Infinity);
    return [...this.records].sort((a, b) => finite(b.score) - finite(a.score) || a.index - b.index).slice(
      0,
      k,
    );
  }

  /** Total evaluation seconds recorded. */
  seconds(): number {
    return this.records.reduce((s, r) => s + r.seconds, 0);
  }
}
