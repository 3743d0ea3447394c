/**
 * The final stage of a search (its top-k trained from scratch, the best retrained and tested) as a
 * record: each finished training is appended to a JSON-lines file with its wall seconds, so a
 * killed run resumes after the last finished training and its cost counts every attempt's.
 *
 * @module
 */
import { appendJsonl, readJsonl } from "../../io.ts";

/** One finished training of the final stage, as final.jsonl keeps it. */
export interface FinalRecord {
  method: string;
  stage: "candidate" | "retrain";
  i: number;
  key: string;
  /** wall seconds of the training and its evaluation */
  seconds: number;
  [metric: string]: unknown;
}

/** The final stage's trainings so far (appended, fsync'd, as they finish; torn lines dropped). */
export class FinalLog {
  private constructor(private readonly path: string, private readonly records: FinalRecord[]) {}

  static async open(path: string): Promise<FinalLog> {
    const raw = await readJsonl<FinalRecord>(path);
    raw.forEach((r, n) => {
      if (typeof r?.method !== "string" || typeof r.key !== "string" || !(r.seconds >= 0)) {
        throw new TypeError(
          `Cannot read ${path} record ${n + 1}: expected {method, stage, i, key, seconds, metrics}`,
        );
      }
    });
    return new FinalLog(path, raw);
  }

  /** Whether training `id` finished in an earlier attempt (its record is kept). */
  has(id: Pick<FinalRecord, "method" | "stage" | "i" | "key">): boolean {
    return this.records.some((r) =>
      r.method === id.method && r.stage === id.stage && r.i === id.i && r.key === id.key
    );
  }

  /** The recorded training `id`, or run `fn` (timed), append its record and return it. */
  async getOrRun<T extends Record<string, number>>(
    id: Pick<FinalRecord, "method" | "stage" | "i" | "key">,
    fn: () => T | Promise<T>,
  ): Promise<T & { seconds: number }> {
    const old = this.records.find((r) =>
      r.method === id.method && r.stage === id.stage && r.i === id.i && r.key === id.key
    );
    if (old) return old as unknown as T & { seconds: number };
    const t = performance.now();
    const out = await fn();
    const rec = { ...id, ...out, seconds: (performance.now() - t) / 1000 };
    await appendJsonl(this.path, [rec]);
    this.records.push(rec);
    return rec;
  }
}
