import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { runNb201SupernetStudy, type SupernetStudyConfig } from "./supernet.ts";
import { NB201_CORRELATION } from "./config.ts";

const cfg: SupernetStudyConfig = {
  ...NB201_CORRELATION.smoke,
  archs: 4,
  fractions: [0, 0.5, 1],
  proxies: ["zico", "sigeo"],
  C: 2,
  imageSize: 8,
  trainN: 512,
  testN: 128,
  truthTraining: { epochs: 1, batchSize: 64, lr: 0.1 },
  supernet: { epochs: 1, batchSize: 64, lr: 0.05, valN: 128 },
};

Deno.test("runNb201SupernetStudy: one warm-up serves every level; the one-shot baseline; killed and resumed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const before = tf.memory().numTensors;
    const a = await runNb201SupernetStudy(cfg, { dir });
    assert.equal(tf.memory().numTensors, before);
    assert.equal(a.scores.length, 3 * 4 * 3);
    assert.deepEqual([...new Set(a.table.map((r) => r.proxy))].sort(), ["one-shot", "sigeo", "zico"]);
    // the warm-up changes the shared weights: one-shot accuracies differ between 0 % and 100 %
    const acc = (level: string) =>
      a.scores.filter((s) => s.proxy === "one-shot" && s.level === level).map((s) => s.value);
    assert.notDeepEqual(acc("0%"), acc("100%"));
    // zero-shot λ at 0 %, warmed-up λ after
    for (const s of a.scores.filter((s) => s.proxy === "sigeo")) {
      const t = s.terms!;
      const want = s.level === "0%" ? t.zico + t.fr : t.zico + 50 * t.fr - t.loss;
      assert.ok(Math.abs(s.value - want) < 1e-9 * Math.max(1, Math.abs(want)));
    }
    assert.ok(Number.isFinite(a.warmupLoss["100%"]));
    // Killed while scoring level 100 % (after its 2nd architecture), then resumed in the same folder.
    const dir2 = await Deno.makeTempDir();
    try {
      await assert.rejects(
        () =>
          runNb201SupernetStudy(cfg, {
            dir: dir2,
            progress: (done) => {
              if (done === 10) throw new Error("killed");
            },
          }),
        /killed/,
      );
      const b = await runNb201SupernetStudy(cfg, { dir: dir2 });
      const key = (s: { level: string; arch: string; proxy: string }) => `${s.level}|${s.arch}|${s.proxy}`;
      const va = new Map(a.scores.map((s) => [key(s), s.value]));
      assert.equal(b.scores.length, a.scores.length);
      assert.equal(new Set(b.scores.map(key)).size, b.scores.length, "no candidate scored twice");
      for (const s of b.scores) assert.equal(s.value, va.get(key(s)), key(s));
    } finally {
      await Deno.remove(dir2, { recursive: true });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
