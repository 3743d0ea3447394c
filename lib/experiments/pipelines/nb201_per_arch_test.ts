import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { type PerArchStudyConfig, planLevels, runPerArchStudy } from "./nb201_per_arch.ts";
import { readJsonl } from "../../io.ts";

const tiny: PerArchStudyConfig = {
  dataset: "cifar10",
  truthMetric: "val_accuracy",
  fractions: [0, 0.5],
  proxies: ["zico", "sigeo"],
  baselines: [],
  seed: 9000,
  archs: 4,
  nominalPool: 640,
  C: 2,
  N: 1,
  imageSize: 8,
  trainN: 640,
  testN: 128,
  noise: 300,
  warmup: { epochs: 1, batchSize: 128, lr: 1 },
  truthTraining: { epochs: 1, batchSize: 64, lr: 0.1 },
};

Deno.test("runPerArchStudy: tiny study end to end, resumed without recomputing, no leaks", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const before = tf.memory().numTensors;
    const a = await runPerArchStudy(tiny, { dir });
    assert.equal(tf.memory().numTensors, before);
    assert.equal(a.archs.length, 4);
    assert.equal(a.scores.length, 4 * 2 * 2);
    assert.deepEqual([...new Set(a.table.map((r) => `${r.proxy}@${r.level}`))].sort(), [
      "sigeo@0%",
      "sigeo@50%",
      "zico@0%",
      "zico@50%",
    ]);
    for (const r of a.table) assert.equal(r.n, 4);
    // the level-dependent SiGeo: λ = (1,1,0) at 0 %, (1,50,1) once warmed up
    for (const s of a.scores.filter((s) => s.proxy === "sigeo")) {
      const t = s.terms!;
      const want = s.level === "0%" ? t.zico + t.fr : t.zico + 50 * t.fr - t.loss;
      assert.ok(Math.abs(s.value - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${s.level}`);
    }
    // kill after the first architecture's rows of level 50%: keep 0% + 2 rows
    const lines = (await Deno.readTextFile(`${dir}/scores.jsonl`)).split("\n").filter(Boolean);
    await Deno.writeTextFile(
      `${dir}/scores.jsonl`,
      lines.slice(0, 10).join("\n") + "\n" + lines[10].slice(0, 9),
    );
    const b = await runPerArchStudy(tiny, { dir });
    assert.ok(b.seconds.truth < 0.5 * a.seconds.truth, "truth was read back, not retrained");
    const saved = await readJsonl<{ level: string; arch: string; proxy: string; value: number }>(
      `${dir}/scores.jsonl`,
    );
    assert.equal(saved.length, 16);
    const key = (s: { level: string; arch: string; proxy: string }) => `${s.level}|${s.arch}|${s.proxy}`;
    assert.deepEqual(new Set(saved.map(key)).size, 16);
    const va = new Map(a.scores.map((s) => [key(s), s.value]));
    for (const s of saved) assert.equal(s.value, va.get(key(s)), key(s)); // same numbers after resume
    assert.deepEqual(b.table.map((r) => r.spearman.value), a.table.map((r) => r.spearman.value));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("planLevels: nominal N = max(256, p · pool); capped on the full set, skipped on partial data", () => {
  const cfg = { ...tiny, fractions: [0, 0.1, 1], nominalPool: 60000, archs: 20, levelArchs: [20, 5, 0] };
  assert.deepEqual(planLevels(cfg, 50000, false), [
    { level: "0%", nominalN: 256, n: 256, archs: 20, status: "ran" },
    { level: "10%", nominalN: 6000, n: 6000, archs: 5, status: "ran" },
    { level: "100%", nominalN: 60000, n: 0, archs: 0, status: "budget" },
  ]);
  assert.deepEqual(planLevels({ ...cfg, levelArchs: undefined }, 50000, false)[2], {
    level: "100%",
    nominalN: 60000,
    n: 50000,
    archs: 20,
    status: "capped",
  });
  assert.deepEqual(
    planLevels({ ...cfg, levelArchs: undefined }, 500, true).map((l) => [l.status, l.n, l.archs]),
    [
      ["ran", 256, 20],
      ["skipped", 0, 0],
      ["skipped", 0, 0],
    ],
  );
  assert.throws(
    () => planLevels({ ...cfg, levelArchs: [1] }, 500, true),
    /one levelArchs entry per fraction/,
  );
});
