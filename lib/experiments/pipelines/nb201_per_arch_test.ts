import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { type PerArchStudyConfig, planLevels, runPerArchStudy } from "./nb201_per_arch.ts";
import { readJsonl } from "../../io.ts";
import { generateImages } from "../../data/gen_images.ts";
import { sha256Hex } from "../../testing/sha256.ts";

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
    // checksums of the generated train (seed) and test (seed + 1) images, labels as int32
    const gen = (n: number, seed: number) =>
      generateImages({ n, classes: 10, seed, height: 8, width: 8, noise: 300 });
    const tr = gen(640, 9000), te = gen(128, 9001);
    assert.deepEqual(a.generated, [
      {
        path: "generated:cifar10/train (seed 9000)",
        bytes: 640 * 8 * 8 * 3 + 640 * 4,
        sha256: await sha256Hex(tr.images, new Uint8Array(tr.labels.buffer)),
      },
      {
        path: "generated:cifar10/test (seed 9001)",
        bytes: 128 * 8 * 8 * 3 + 128 * 4,
        sha256: await sha256Hex(te.images, new Uint8Array(te.labels.buffer)),
      },
    ]);
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

Deno.test("runPerArchStudy: shards 0/2 and 1/2 joined give the one-process table, nothing recomputed", async () => {
  const root = await Deno.makeTempDir();
  try {
    const cfg = { ...tiny, archs: 5 };
    const one = await runPerArchStudy(cfg, { dir: `${root}/one` });
    const parts = [];
    for (const index of [0, 1]) {
      parts.push(await runPerArchStudy(cfg, { dir: `${root}/s${index}`, shard: { index, count: 2 } }));
    }
    // shard 0 has candidates 0, 2, 4; shard 1 has 1, 3: each trained truth only for its own
    assert.deepEqual(
      parts[0].scores.filter((s) => s.level === "0%" && s.proxy === "zico").map((s) => s.arch),
      [
        one.archs[0],
        one.archs[2],
        one.archs[4],
      ],
    );
    assert.equal(parts[1].truth.size, 2);
    const key = (s: { level: string; arch: string; proxy: string }) => `${s.level}|${s.arch}|${s.proxy}`;
    const byKey = new Map(one.scores.map((s) => [key(s), s.value]));
    for (const s of [...parts[0].scores, ...parts[1].scores]) {
      assert.equal(s.value, byKey.get(key(s)), key(s));
    }
    assert.equal(parts[0].scores.length + parts[1].scores.length, one.scores.length);
    // join shard 1 then shard 0 (out of order on purpose), as `deno task merge` does
    await Deno.mkdir(`${root}/merged`);
    const lines = async (d: string) => await Deno.readTextFile(`${d}/scores.jsonl`);
    await Deno.writeTextFile(
      `${root}/merged/scores.jsonl`,
      (await lines(`${root}/s1`)) + (await lines(`${root}/s0`)),
    );
    const truth = [`${root}/s1/truth.csv`, `${root}/s0/truth.csv`].map((f) =>
      Deno.readTextFileSync(f).split("\n")
    );
    await Deno.writeTextFile(
      `${root}/merged/truth.csv`,
      [truth[0][0], ...truth.flatMap((t) => t.slice(1).filter(Boolean))].join("\n") + "\n",
    );
    const merged = await runPerArchStudy(cfg, { dir: `${root}/merged` });
    assert.equal(
      (await readJsonl(`${root}/merged/scores.jsonl`)).length,
      one.scores.length,
      "nothing recomputed",
    );
    assert.deepEqual([...merged.truth].sort(), [...one.truth].sort());
    const strip = (rows: typeof one.table) => rows.map(({ seconds: _, ...r }) => r);
    assert.deepEqual(strip(merged.table), strip(one.table));
    assert.ok(one.table.every((r) => r.n === 5 && Number.isFinite(r.spearman.value)));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
