import assert from "node:assert/strict";
import { correlationTable, flattenCorrelation, type ScoreRecord, withIntervals } from "./correlation.ts";

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

Deno.test("withIntervals: our interval and n beside ours, paper inside or not, diff dropped without the benchmark", () => {
  const table = [
    { proxy: "zico", level: "0%", paper: 0.74, ours: 0.6, diff: -0.14, scale: "small" },
    { proxy: "sigeo", level: "0%", paper: 0.78, ours: 0.7, diff: -0.08, scale: "small" },
    { proxy: "sigeo", level: "10%", paper: 0.83, ours: null, diff: null, scale: "small" },
  ];
  const ours = [
    { proxy: "zico", level: "0%", n: 75, spearman: 0.6, spearman_low: 0.45, spearman_high: 0.72 },
    { proxy: "sigeo", level: "0%", n: 75, spearman: 0.7, spearman_low: 0.58, spearman_high: 0.8 },
  ];
  const a = withIntervals(table, ours, ["proxy", "level"], "spearman", true);
  assert.deepEqual(a[0], {
    proxy: "zico",
    level: "0%",
    paper: 0.74,
    ours: 0.6,
    ours_low: 0.45,
    ours_high: 0.72,
    n: 75,
    diff: -0.14,
    scale: "small",
    paper_in_interval: "no",
  });
  assert.equal(a[1].paper_in_interval, "yes");
  assert.equal(a[2].paper_in_interval, null);
  assert.equal(a[2].n, null);
  const b = withIntervals(table, ours, ["proxy", "level"], "spearman", false);
  assert.ok(b.every((r) => !("diff" in r)));
});
