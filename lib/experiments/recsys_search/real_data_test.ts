// The `small` pipeline on the real samples of ../shared/data (Criteo 100 rows, Avazu 1 000 rows,
// KDD 2012 11 rows) with a tiny row budget; skipped when ../shared/data is absent (a user's clone).
import assert from "node:assert/strict";
import { recsysSearchConfig, runRecsysSearch } from "./run.ts";
import { recsysSearch } from "./experiment.ts";

const SHARED = new URL("../../../../shared/data", import.meta.url).pathname;
const has = (p: string) => Deno.statSync(p).isFile;
const present = (p: string) => {
  try {
    return has(p);
  } catch {
    return false;
  }
};
const CRITEO = `${SHARED}/criteo/criteo_paddlerec_part0_100.txt`;
const AVAZU = `${SHARED}/avazu/avazu_train_head1000.csv`;
const KDD = `${SHARED}/kdd2012/kdd12t2_training_head11.txt`;

/** `small`'s settings (the paper's protocol) with a tiny budget: rows, blocks, batch, candidates. */
function tinySmall(dataset: "criteo" | "avazu", dataFile: string, rows: number, batchSize: number) {
  return {
    ...recsysSearchConfig("small", dataset, "autoctr"),
    dataFile,
    rows,
    maxRows: 2_000,
    numBlocks: 2,
    batchSize,
    finalBatchSize: batchSize,
    warmup: 0.2,
    checkpointEvery: 2,
    evolution: { population: 3, sample: 2, children: 1, generations: 1 },
    oneShot: { finetuneSteps: 2, valRows: 50 },
    topK: 1,
  };
}

for (
  const [dataset, file, rows, batch] of [
    ["criteo", CRITEO, 100, 16],
    ["avazu", AVAZU, 1000, 64],
  ] as const
) {
  Deno.test({
    name: `recsys-search small on the real ${dataset} sample (${rows} rows): the paper's pipeline end to end`,
    ignore: !present(file),
    fn: async () => {
      const dir = await Deno.makeTempDir();
      try {
        const cfg = tinySmall(dataset, file, rows, batch);
        const r = await runRecsysSearch(cfg, { dir });
        assert.equal(r.rows, rows);
        assert.deepEqual(r.files, [file]);
        assert.match(
          r.data,
          new RegExp(`^${dataset === "criteo" ? "Criteo" : "Avazu"} file .*${file.split("/").at(-1)}`),
        );
        assert.deepEqual(r.methods.map((m) => [m.method, m.warmup]), [
          ["zico", "0%"],
          ["sigeo", "20%"],
          ["one-shot", "100%"],
          ["random", "—"],
        ]);
        for (const m of r.methods) {
          assert.ok(Number.isFinite(m.test_logloss) && m.test_logloss > 0, `${m.method}: ${m.test_logloss}`);
          assert.equal(m.evaluations, 4, m.method);
        }
        // SiGeo's λ of the dataset (NasRec-SiGeo's scripts: λ3 = 0 on Criteo, 1 on Avazu)
        assert.deepEqual(r.config.sigeoLambdas, dataset === "criteo" ? [1, 1, 0] : [1, 1, 1]);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test({
  name:
    "recsys-search small: a data folder holding only real Criteo runs Criteo; Avazu and KDD skipped with a notice; the plan names the file",
  ignore: !present(CRITEO),
  fn: async () => {
    const data = await Deno.makeTempDir(), results = await Deno.makeTempDir();
    try {
      await Deno.mkdir(`${data}/criteo`);
      await Deno.copyFile(CRITEO, `${data}/criteo/train.txt`);
      const plan = await recsysSearch.plan!({ scale: "small", dataDir: data, resultsRoot: results });
      const runs = (plan.config as { runs: { dataset: string; space: string; data: string; rows: number }[] })
        .runs;
      assert.deepEqual(runs.map((r) => [r.dataset, r.space, r.data, r.rows]), [
        ["criteo", "NASRec-Small", `${data}/criteo/train.txt`, 64_000],
      ]);
      assert.ok(
        plan.notices.some((n) => /^avazu skipped: no train\.csv or train in /.test(n)),
        plan.notices.join("\n"),
      );
      assert.ok(plan.notices.some((n) => /^kdd2012 skipped: no training\.txt/.test(n)));
      assert.ok(plan.notices.some((n) => /NASRec-Full not run at small scale/.test(n)));
      assert.deepEqual([...Deno.readDirSync(results)], [], "--plan runs nothing");
    } finally {
      await Deno.remove(data, { recursive: true });
      await Deno.remove(results, { recursive: true });
    }
  },
});

Deno.test("recsys-search small without --data: refused with where to get the files", async () => {
  await assert.rejects(
    () => recsysSearch.run({ scale: "small", resultsRoot: "/nonexistent" }),
    /recsys-search at small scale runs on the real Criteo, Avazu and KDD Cup 2012 files: pass --data DIR .*`deno task data where criteo`/,
  );
  const empty = await Deno.makeTempDir();
  try {
    await assert.rejects(
      () => recsysSearch.run({ scale: "small", dataDir: empty, resultsRoot: "/nonexistent" }),
      /recsys-search: none of criteo, avazu, kdd2012 is in .*`deno task data where criteo`/,
    );
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test({
  name:
    "recsys-search small on the real KDD 2012 sample (11 rows): refused, fewer rows than one training batch (1024 at small)",
  ignore: !present(KDD),
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      // 11 rows (9 in the training split) at small's KDD batch of 1024: not one training batch; the protocol is not shrunk silently
      const cfg = { ...recsysSearchConfig("small", "kdd2012", "autoctr"), dataFile: KDD, maxRows: 2_000 };
      await assert.rejects(
        () => runRecsysSearch(cfg, { dir }),
        /Expected at least one training batch of 1024 rows, got 9 rows/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "recsys-search small: a 1 % level under one warm-up step is refused (real Criteo sample, 100 rows)",
  ignore: !present(CRITEO),
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const cfg = { ...tinySmall("criteo", CRITEO, 100, 16), warmup: 0.01 };
      // 80 training rows = 5 batches of 16; 1 % of 5 is no step; ⌈16 / 0.01 / 0.8⌉ = 2000 rows give one
      await assert.rejects(
        () => runRecsysSearch(cfg, { dir }),
        /Cannot warm up criteo to 1%: 5 training batches of 16 make 1% less than one step; give at least 2000 rows/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
