import assert from "node:assert/strict";
import { cappedSizes, denseValue, hashHex, readCriteo } from "./criteo.ts";
import { writeCriteoFile } from "./gen_recsys.ts";
import { batchesOf, positiveRate, takeRows } from "./recsys.ts";
import { stratifiedSplit, warmupPrefix } from "./recsys_split.ts";

const SAMPLE =
  new URL("../../../shared/data/criteo/criteo_paddlerec_part0_100.txt", import.meta.url).pathname;
const hasSample = await Deno.stat(SAMPLE).then(() => true, () => false);

Deno.test({
  name: "readCriteo: the real sample, every row; hashed values checked by hand",
  ignore: !hasSample,
  fn: async () => {
    const { data, skipped } = await readCriteo(SAMPLE);
    assert.equal(data.n, 100);
    assert.equal(skipped, 0);
    assert.equal(data.labels[0], 0);
    // row 1: I1 = 2, I2 = 0, I3 empty, I5 = 957; C1 = 05db9164, C2 = 532da141, C3 empty
    assert.ok(Math.abs(data.dense[0] - 1.0986122886681098) < 1e-6);
    assert.equal(data.dense[1], 0);
    assert.equal(data.dense[2], 0);
    assert.ok(Math.abs(data.dense[4] - 6.86484777797086) < 1e-5);
    assert.equal(data.sparse[0], (0x05db9164 % 1460) + 1); // 165, NASRec: fmod(v, N−1) + 1
    assert.equal(data.sparse[0], 165);
    assert.equal(data.sparse[1], 214);
    assert.equal(data.sparse[2], 0); // missing
    for (let i = 0; i < data.sparse.length; i++) assert.ok(data.sparse[i] < data.tableSizes[i % 26]);
  },
});

Deno.test("readCriteo: malformed rows name file and line, or are skipped and counted", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = ["1", ...Array(13).fill("3"), ...Array(26).fill("0a")].join("\t");
    const shortRow = ["0", "1", "2"].join("\t");
    const badHex = ["0", ...Array(13).fill(""), "zz", ...Array(25).fill("")].join("\t");
    const badLabel = ["2", ...Array(39).fill("")].join("\t");
    const negative = ["0", "-5", ...Array(12).fill(""), ...Array(26).fill("")].join("\t");
    await Deno.writeTextFile(`${dir}/t.txt`, [good, shortRow, good].join("\r\n") + "\r\n");
    await assert.rejects(
      () => readCriteo(`${dir}/t.txt`),
      /t\.txt line 2: expected 40 tab-separated fields, got 3/,
    );
    await Deno.writeTextFile(`${dir}/h.txt`, [good, badHex].join("\n"));
    await assert.rejects(
      () => readCriteo(`${dir}/h.txt`),
      /h\.txt line 2: field C1: expected hexadecimal digits, got 'zz'/,
    );
    await Deno.writeTextFile(`${dir}/l.txt`, [badLabel, negative, good].join("\n"));
    await assert.rejects(() => readCriteo(`${dir}/l.txt`), /line 1: expected label 0 or 1, got '2'/);
    const r = await readCriteo(`${dir}/l.txt`, { onBadRow: "skip" });
    assert.equal(r.skipped, 1);
    assert.equal(r.data.n, 2);
    assert.equal(r.data.dense[0], 0); // log(max(−5, 0) + 1)
    assert.equal(r.data.sparse[26], (10 % 1460) + 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("generated Criteo files round-trip; capped tables; split stratified, nested warm-up prefixes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeCriteoFile(`${dir}/train.txt`, { rows: 3000, seed: 1 });
    const { data } = await readCriteo(`${dir}/train.txt`, { maxRows: 1000 });
    assert.equal(data.n, 3000);
    assert.deepEqual(data.tableSizes.slice(0, 3), [1000, 584, 1000]);
    assert.deepEqual(cappedSizes([5, 2000], 1000), [5, 1000]);
    const again = await readCriteo(`${dir}/train.txt`, { maxRows: 1000, limit: 10 });
    assert.deepEqual(Array.from(again.data.sparse), Array.from(data.sparse.subarray(0, 260)));
    const rate = positiveRate(data);
    assert.ok(rate > 0.15 && rate < 0.6, `positive rate ${rate}`);
    const s = stratifiedSplit(data, 2018);
    assert.equal(s.train.length + s.val.length + s.test.length, 3000);
    assert.deepEqual(stratifiedSplit(data, 2018), s);
    for (const part of [s.val, s.test]) {
      assert.ok(Math.abs(part.length - 300) <= 2);
      assert.ok(Math.abs(positiveRate(takeRows(data, part)) - rate) < 0.01);
    }
    const p1 = warmupPrefix(s.train, 0.1, 3), p2 = warmupPrefix(s.train, 0.5, 3);
    assert.equal(p1.length, Math.floor(0.1 * s.train.length));
    assert.deepEqual(Array.from(p2.subarray(0, p1.length)), Array.from(p1));
    const bs = [...batchesOf(takeRows(data, s.val), 128, { dropLast: true })];
    assert.equal(bs.length, Math.floor(s.val.length / 128));
    assert.equal(hashHex("", 10), 0);
    assert.equal(denseValue("0"), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
