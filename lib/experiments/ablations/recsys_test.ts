import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { readJsonl } from "../../io.ts";
import { runRecsysAblations } from "./recsys.ts";
import { tinyRecsysAblations } from "./testing/tiny.ts";

Deno.test("runRecsysAblations: truth per architecture, every variant at every level, terms recombined, resumed without rescoring", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cfg = tinyRecsysAblations();
    const before = tf.memory().numTensors;
    const r = await runRecsysAblations(cfg, { dir });
    assert.equal(tf.memory().numTensors, before);
    assert.equal(r.truth.size, 4);
    for (const v of r.truth.values()) assert.ok(v < 0 && v > -2, `truth ${v} is a negative log loss`);
    const variants = [...new Set(r.table.map((x) => x.proxy))].sort();
    assert.deepEqual(variants, [
      "fr term (final layer)",
      "one-shot (val log loss)",
      "sigeo (all dense layers)",
      "sigeo (final layer)",
      "zico term (final layer)",
      "−loss (final layer)",
    ]);
    for (const row of r.table) {
      assert.equal(row.n, 4, `${row.proxy} ${row.level}`);
      assert.ok(["0%", "100%"].includes(row.level));
    }
    // Criteo's λ = (1, 1, 0): the official score is the ZiCo term plus the FR term
    for (const s of r.scores.filter((x) => x.proxy === "sigeo (final layer)")) {
      assert.ok(Math.abs(s.value - (s.terms!.zico + s.terms!.fr)) < 1e-9);
    }
    // all dense layers record more than the final layer: its ZiCo term sums over more layers
    const final = r.scores.filter((x) => x.proxy === "sigeo (final layer)");
    const all = r.scores.filter((x) => x.proxy === "sigeo (all dense layers)");
    assert.ok(final.some((f, i) => f.terms!.zico !== all[i].terms!.zico));
    const lines = (await readJsonl(`${dir}/scores.jsonl`)).length;
    assert.equal(lines, 4 * 3 * 2);
    const again = await runRecsysAblations(cfg, { dir });
    assert.equal((await readJsonl(`${dir}/scores.jsonl`)).length, lines);
    assert.deepEqual(again.table.map((x) => x.spearman.value), r.table.map((x) => x.spearman.value));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
