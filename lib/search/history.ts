/**
 * The evaluation history of a search: every candidate evaluated, in order, appended to a JSON-lines
 * file as soon as it is known (one line per record, fsync'd; a line torn by a kill is dropped on
 * reading and cut before the next append). A search restarted with the same seed and file replays
 * its own decisions and takes the recorded results instead of evaluating again, so nothing is lost
 * or redone (see evolution.ts). Replay is strict: the restarted search must ask for the recorded
 * candidates in the recorded order, so a history written with another seed or other settings is
 * refused instead of being silently mixed in.
 *
 * @module
 */
import { appendJsonl, readJsonl } from "../io.ts";
import { rankable } from "./space.ts";

/** One evaluated candidate. */
export interface HistoryRecord {
  /** position in the search (0-based) */
  index: number;
  key: string;
  /** the space's `toJSON` of the architecture */
  arch: unknown;
  /** higher = better; NaN/±Inf kept as such (written as strings) and ranked last */
  score: number;
  terms?: Record<string, number>;
  /** evaluation wall time */
  seconds: number;
  /** -1 for the initial population / random search */
  generation: number;
  /** ISO time the record was written (absent in files of older versions) */
  at?: string;
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
      const raw = await readJsonl<unknown>(path);
      raw.forEach((r, i) => {
        const rec = checkRecord(r, path, i);
        if (h.#byKey.has(rec.key)) {
          throw new RangeError(
            `Cannot read ${path} record ${i + 1}: key '${rec.key}' was already recorded as record ${
              h.#byKey.get(rec.key)!.index + 1
            }`,
          );
        }
        h.records.push(rec);
        h.#byKey.set(rec.key, rec);
      });
    }
    return h;
  }

  /** A history file as key → record. */
  static async load(path: string): Promise<Map<string, HistoryRecord>> {
    return new Map((await History.open(path)).#byKey);
  }

  /** Every record by key. */
  get byKey(): ReadonlyMap<string, HistoryRecord> {
    return this.#byKey;
  }

  /** The record of a key, if evaluated. */
  get(key: string): HistoryRecord | undefined {
    return this.#byKey.get(key);
  }

  /**
   * The recorded result of the search's `position`-th candidate `key`, or undefined when it is
   * new. Throws when the file disagrees with the search (another seed, space or settings).
   */
  replay(key: string, position: number): HistoryRecord | undefined {
    const r = this.#byKey.get(key);
    const where = this.path ?? "the history";
    if (r && r.index !== position) {
      throw new RangeError(
        `Cannot resume from ${where}: the search's candidate ${
          position + 1
        } is '${key}', recorded as candidate ${
          r.index + 1
        } (was the file written with another seed or other settings?)`,
      );
    }
    if (!r && position < this.records.length) {
      throw new RangeError(
        `Cannot resume from ${where}: the search's candidate ${position + 1} is '${key}', recorded as '${
          this.records[position].key
        }' (was the file written with another seed or other settings?)`,
      );
    }
    return r;
  }

  /** Append a new record (written and synced to the file before this resolves). */
  async add(r: Omit<HistoryRecord, "index" | "at">): Promise<HistoryRecord> {
    if (this.#byKey.has(r.key)) throw new RangeError(`Cannot record '${r.key}' twice in a history`);
    const rec: HistoryRecord = {
      index: this.records.length,
      key: r.key,
      arch: r.arch,
      score: r.score,
      ...(r.terms === undefined ? {} : { terms: r.terms }),
      seconds: r.seconds,
      generation: r.generation,
      at: new Date().toISOString(),
    };
    if (this.path) await appendJsonl(this.path, [rec]);
    this.records.push(rec);
    this.#byKey.set(rec.key, rec);
    return rec;
  }

  /** The k best records (NaN/±Inf last; ties by order). */
  top(k: number): HistoryRecord[] {
    return [...this.records]
      .sort((a, b) => rankable(b.score) - rankable(a.score) || a.index - b.index)
      .slice(0, k);
  }

  /** Total evaluation seconds recorded. */
  seconds(): number {
    return this.records.reduce((s, r) => s + r.seconds, 0);
  }
}

/** Validate one loaded record, naming the file and record when it is not one. */
function checkRecord(r: unknown, path: string, i: number): HistoryRecord {
  const fail = (what: string): never => {
    throw new TypeError(`Cannot read ${path} record ${i + 1}: expected ${what}`);
  };
  if (r === null || typeof r !== "object" || Array.isArray(r)) fail("a JSON object");
  const o = r as Record<string, unknown>;
  if (o.index !== i) {
    throw new RangeError(`Cannot read ${path} record ${i + 1}: expected index ${i}, found ${o.index}`);
  }
  if (typeof o.key !== "string" || o.key === "") fail(`"key" to be a non-empty string`);
  if (typeof o.score !== "number") fail(`"score" to be a number (or "NaN"/"Infinity"/"-Infinity")`);
  if (typeof o.seconds !== "number" || !(o.seconds >= 0)) fail(`"seconds" to be a number >= 0`);
  if (!Number.isInteger(o.generation) || (o.generation as number) < -1) {
    fail(`"generation" to be an integer >= -1`);
  }
  if (!("arch" in o)) fail(`an "arch" field`);
  if (o.terms !== undefined) {
    if (o.terms === null || typeof o.terms !== "object" || Array.isArray(o.terms)) {
      fail(`"terms" to be an object of numbers`);
    }
    for (const v of Object.values(o.terms as object)) if (typeof v !== "number") fail(`"terms" of numbers`);
  }
  if (o.at !== undefined && typeof o.at !== "string") fail(`"at" to be an ISO time string`);
  return o as unknown as HistoryRecord;
}
