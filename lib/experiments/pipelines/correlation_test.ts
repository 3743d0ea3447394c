import assert from "node:assert/strict";
import { correlationTable, flattenCorrelation, type ScoreRecord } from "./correlation.ts";

Deno.test("correlationTable: synthetic ground truth with a known ranking", () => {
  const archs = Array.from({ length: 20 }, (_, i) => `a${i}`);
  const truth = new Map(archs.map((a, i) => [a, i / 20]));
  const rows: ScoreRecord[] = [];
  archs.forEach((arch, i) => {
    rows.push({ level: "0%", arch, proxy: "perfect", value: 3 * i + 1, seconds: 1 });
    rows.push({ level: "10%", arch, proxy: "perfect", value: i * i, seconds: 3 });
    rows.push({ level: "0%", arch, proxy: "reversed", value: -i, seconds: 1 });
    // swaps two neighbours: Spearman 1 − 6·2/(n(n²−1)), Kendall 1 − 2·1/C(n,2)
    rows.push({ level: "0%", arch, proxy: "swap", value: i === 3 ? 4 : i === 4 ? 3 : i, seconds: 1 });
    // the best architecture fails: NaN ranks last
    rows.push({ level: "0%", arch, proxy: "nan-best", value: i === 19 ? NaN : i, seconds: 1 });
  });
  rows.push({ level: "0%", arch: "unknown", proxy: "perfect", value: 99, seconds: 1 });
  const table = correlationTable(rows, truth, { resamples: 200, topK: 0.1 });
  const get = (p: string, l = "0%") => table.find((r) => r.proxy === p && r.level === l)!;
  assert.deepEqual(table.map((r) => `${r.proxy}@${r.level}`), [
    "nan-best@0%",
    "perfect@0%",
    "perfect@10%",
    "reversed@0%",
    "swap@0%",
  ]);
  assert.equal(get("perfect").n, 20);
  assert.equal(get("perfect").spearman.value, 1);
  assert.equal(get("perfect").kendall.value, 1);
  assert.equal(get("perfect").topK, 1);
  assert.equal(get("perfect", "10%").seconds, 3);
  assert.equal(get("reversed").spearman.value, -1);
  assert.equal(get("reversed").topK, 0);
  assert.ok(Math.abs(get("swap").spearman.value - (1 - 12 / (20 * 399))) < 1e-12);
  assert.ok(Math.abs(get("swap").kendall.value - (1 - 2 / 190)) < 1e-12);
  assert.equal(get("nan-best").nonFinite, 1);
  assert.equal(get("nan-best").topK, 0.5); // top-2 by score: 18, 17 vs truth 19, 18
  const s = get("swap").spearman;
  assert.ok(s.low <= s.value && s.value <= s.high && s.high <= 1);
  const flat = flattenCorrelation(table);
  assert.equal(flat[1].spearman, 1);
  assert.deepEqual(Object.keys(flat[0]).slice(0, 4), ["proxy", "level", "n", "non_finite"]);
});
