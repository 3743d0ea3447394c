import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { recsysSearchConfig, runRecsysSearch } from "./run.ts";
import { History } from "../../search/history.ts";
import { parseNasrecConfig } from "../../spaces/nasrec/configs.ts";

/** What the phase bars of a run were told: label → total, steps, replayed steps, finished. */
function phaseRecorder() {
  const bars: { label: string; total: number; done: number; replayed: number; finished: boolean }[] = [];
  const phase = (label: string) => {
    const b = { label, total: NaN, done: 0, replayed: 0, finished: false };
    bars.push(b);
    return {
      setTotal: (t: number) => void (b.total = t),
      advance: (n: number, o?: { replayed?: boolean }) => {
        assert.ok(!b.finished, `${label}: advanced after finish`);
        b.done += n;
        if (o?.replayed) b.replayed += n;
      },
      finish: () => void (b.finished = true),
    };
  };
  return { bars, phase };
}

const tiny = {
  ...recsysSearchConfig("smoke"),
  rows: 2000,
  numBlocks: 2,
  batchSize: 64,
  fullPathSteps: 10,
  evolution: { population: 3, sample: 2, children: 2, generations: 2 },
  oneShot: { finetuneSteps: 2, valRows: 200 },
  topK: 1,
  finalEpochs: 1,
};

Deno.test("runRecsysSearch: warm-up → four searches → final training end to end; a rerun replays every history", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const before = tf.memory().numTensors;
    const pa = phaseRecorder();
    const a = await runRecsysSearch(tiny, { dir, phase: pa.phase });
    assert.equal(tf.memory().numTensors, before);
    // one bar per phase, in the order they ran, each finished with all its steps
    assert.deepEqual(pa.bars.map((b) => b.label), [
      "search zico (warm-up 0%)",
      "warm-up 0% → 20%",
      "search sigeo (warm-up 20%)",
      "warm-up 20% → 100%",
      "search one-shot (warm-up 100%)",
      "search random (sampling)",
      "final training",
    ]);
    for (const b of pa.bars) {
      assert.ok(b.finished && b.done === b.total && b.total > 0 && b.replayed === 0, JSON.stringify(b));
    }
    assert.equal(pa.bars[0].total, 7);
    assert.equal(pa.bars[6].total, 4 * (tiny.topK + 1));
    assert.deepEqual(a.methods.map((m) => m.method), ["zico", "sigeo", "one-shot", "random"]);
    for (const m of a.methods) {
      assert.equal(m.evaluations, 7, m.method);
      assert.ok(Number.isFinite(m.test_logloss) && m.test_logloss > 0, m.method);
      assert.ok(m.test_auc > 0 && m.test_auc < 1, m.method);
    }
    assert.equal(a.methods[1].warmup, "20%");
    // Killed when the one-shot level is reached, then resumed: warm-up from its checkpoint,
    // the finished searches replayed from their histories, nothing evaluated twice.
    const dir2 = await Deno.makeTempDir();
    try {
      await assert.rejects(
        () =>
          runRecsysSearch(tiny, {
            dir: dir2,
            log: (line) => {
              if (line.startsWith("warm-up level 100%")) throw new Error("killed");
            },
          }),
        /killed/,
      );
      const lines: string[] = [];
      const pb = phaseRecorder();
      const b = await runRecsysSearch(tiny, { dir: dir2, log: (l) => lines.push(l), phase: pb.phase });
      // resumed at the 100 % level's checkpoint: no warm-up step left, the earlier searches
      // replayed from their histories (their bars all "replayed"), the rest run
      assert.deepEqual(
        pb.bars.map((x) => [x.label, x.total, x.done, x.replayed, x.finished]),
        [
          ["search one-shot (warm-up 100%)", 7, 7, 0, true],
          ["search zico (warm-up 0%)", 7, 7, 7, true],
          ["search sigeo (warm-up 20%)", 7, 7, 7, true],
          ["search random (sampling)", 7, 7, 0, true],
          ["final training", 8, 8, 0, true],
        ],
      );
      assert.ok(lines.some((l) => /^sigeo: 7 candidates \(7 from history\)/.test(l)), lines.join("\n"));
      assert.ok(lines.some((l) => /^one-shot: 7 candidates \(0 from history\)/.test(l)));
      for (const m of ["zico", "sigeo", "one-shot"]) {
        const h1 = await History.open(`${dir}/history-${m}.jsonl`),
          h2 = await History.open(`${dir2}/history-${m}.jsonl`);
        assert.deepEqual(h2.records.map((r) => [r.key, r.score]), h1.records.map((r) => [r.key, r.score]), m);
      }
      assert.deepEqual(b.methods.map((m) => m.test_logloss), a.methods.map((m) => m.test_logloss));
    } finally {
      await Deno.remove(dir2, { recursive: true });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runRecsysSearch on generated KDD 2012 in NASRec-Full: SiGeo terms recorded, best configs costed, result reused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cfg = {
      ...recsysSearchConfig("smoke", "kdd2012", "xlarge"),
      rows: 1500,
      batchSize: 64,
      evolution: { population: 2, sample: 2, children: 1, generations: 1 },
      oneShot: { finetuneSteps: 2, valRows: 100 },
      topK: 1,
    };
    assert.deepEqual(cfg.sigeoLambdas, [1, 1, 1]);
    assert.equal(cfg.finalLr, 0.16);
    const r = await runRecsysSearch(cfg, { dir });
    assert.match(r.data, /generated KDD Cup 2012/);
    assert.deepEqual(r.files.map((f) => f.split("/").at(-1)), ["training.txt", "userid_profile.txt"]);
    // ZiCo is SiGeo's function with λ = (1, 0, 0); SiGeo adds the FR term and subtracts the loss
    for (const [m, l] of [["zico", [1, 0, 0]], ["sigeo", [1, 1, 1]]] as const) {
      const h = await History.open(`${dir}/history-${m}.jsonl`);
      for (const rec of h.records) {
        const t = rec.terms!;
        assert.ok(Math.abs(rec.score - (l[0] * t.zico + l[1] * t.fr - l[2] * t.loss)) < 1e-9, m);
      }
    }
    for (const m of r.methods) {
      const parsed = parseNasrecConfig(JSON.stringify(m.bestConfig), `best of ${m.method}`);
      assert.equal(parsed.arch.space, "xlarge");
      assert.equal(parsed.arch.blocks.length, 2);
      assert.ok(m.params > 0 && m.mflops > 0);
    }
    // a finished run folder is reused as it is; a different config is refused
    const again = await runRecsysSearch(cfg, { dir });
    assert.deepEqual(again.methods, r.methods);
    await assert.rejects(() => runRecsysSearch({ ...cfg, seed: 1 }, { dir }), /different config/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
