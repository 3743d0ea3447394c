import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { runNb201Search } from "./run.ts";
import { History } from "../../search/history.ts";
import { tinyNb201SearchConfig } from "./testing/tiny.ts";

const tiny = tinyNb201SearchConfig();
/** the evolution's evaluations: the population, then each generation's children (5 + 2 · 3) */
const EVALUATIONS = 11;

Deno.test("runNb201Search: warm-up → evolution on supernet paths → top-k from scratch → test accuracy; resumes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const before = tf.memory().numTensors;
    const a = await runNb201Search(tiny, { dir });
    assert.equal(tf.memory().numTensors, before);
    assert.equal(a.history.history.records.length, EVALUATIONS);
    assert.ok(a.testAccuracy >= 0 && a.testAccuracy <= 1);
    assert.match(a.best, /^\|.*\|$/);
    // a second run in the same folder: warm-up and search come from the checkpoint and the history
    const b = await runNb201Search(tiny, { dir });
    assert.equal(b.history.replayed, EVALUATIONS);
    assert.equal(b.history.evaluated, 0);
    assert.equal(b.best, a.best);
    assert.equal(b.testAccuracy, a.testAccuracy);
    assert.equal((await History.open(`${dir}/history.jsonl`)).records.length, EVALUATIONS);
    // ... and the final trainings from final.jsonl: nothing recomputed, the costs unchanged
    assert.deepEqual(b.costs, a.costs);
    // the generated images are pinned by checksum, the same on every run
    assert.deepEqual(a.generated.map((d) => d.path), ["generated:cifar10/train", "generated:cifar10/test"]);
    assert.equal(a.generated[0].bytes, 640 * 8 * 8 * 3 + 640 * 4);
    assert.match(a.generated[0].sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(b.generated, a.generated);
    assert.ok(b.seconds.final < a.seconds.final, `final ${b.seconds.final} s vs ${a.seconds.final} s`);
    assert.ok(a.costs.warmup > 0 && a.costs.search > 0 && a.costs.final > 0);
    const final = (await Deno.readTextFile(`${dir}/final.jsonl`)).trim().split("\n");
    assert.equal(final.length, tiny.topK + 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
