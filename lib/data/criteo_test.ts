import assert from "node:assert/strict";
import { NASREC_CRITEO } from "./recsys_layouts.ts";
import { cappedSizes, readCriteo } from "./criteo.ts";
import { writeCriteoFile } from "./gen_recsys.ts";
import { type RecsysData } from "./recsys.ts";

const SAMPLE =
  new URL("../../../shared/data/criteo/criteo_paddlerec_part0_100.txt", import.meta.url).pathname;
const hasSample = await Deno.stat(SAMPLE).then(() => true, () => false);

/** NASRec's preprocessing of one Criteo line, written independently (strings + BigInt). */
function reference(line: string, sizes: readonly number[]) {
  const f = line.split("\t");
  return {
    label: Number(f[0]),
    dense: f.slice(1, 14).map((v) => Math.fround(Math.log(Math.max(v === "" ? 0 : Number(v), 0) + 1))),
    sparse: f.slice(14).map((v, j) => (v === "" ? 0 : Number(BigInt("0x" + v) % BigInt(sizes[j] - 1)) + 1)),
  };
}

function assertRowsMatch(data: RecsysData, lines: string[]) {
  assert.equal(data.n, lines.length);
  for (let i = 0; i < lines.length; i++) {
    const ref = reference(lines[i], data.tableSizes);
    assert.equal(data.labels[i], ref.label, `row ${i + 1} label`);
    assert.deepEqual(Array.from(data.dense.subarray(i * 13, i * 13 + 13)), ref.dense, `row ${i + 1} dense`);
    assert.deepEqual(
      Array.from(data.sparse.subarray(i * 26, i * 26 + 26)),
      ref.sparse,
      `row ${i + 1} sparse`,
    );
  }
}

Deno.test({
  name: "readCriteo: the real sample, every row; hashed values checked by hand",
  ignore: !hasSample,
  fn: async () => {
    const { data, skipped, rate } = await readCriteo(SAMPLE);
    assert.equal(data.n, 100);
    assert.equal(skipped, 0);
    assert.ok(rate > 0);
    assert.equal(data.dataset, "criteo");
    assert.deepEqual(data.tableSizes, NASREC_CRITEO.tableSizes);
    const lines = (await Deno.readTextFile(SAMPLE)).split("\n").filter((l) => l !== "");
    assertRowsMatch(data, lines);
    // Row 1: label 0; I1 = 2, I2 = 0, I3 empty, I5 = 957; C1 = 05db9164, C2 = 532da141, C3 empty.
    assert.equal(data.labels[0], 0);
    assert.ok(Math.abs(data.dense[0] - Math.log(3)) < 1e-6);
    assert.equal(data.dense[1], 0);
    assert.equal(data.dense[2], 0);
    assert.ok(Math.abs(data.dense[4] - 6.864847660064697) < 1e-6);
    assert.equal(data.sparse[0], (0x05db9164 % 1460) + 1); // NASRec: fmod(v, N − 1) + 1
    assert.equal(data.sparse[0], 165);
    assert.equal(data.sparse[1], 214);
    assert.equal(data.sparse[2], 0); // missing
    // Rows 58 and 100, first sparse fields (computed with numpy/Python int(v, 16) % (N − 1) + 1).
    assert.deepEqual(Array.from(data.sparse.subarray(57 * 26, 57 * 26 + 5)), [165, 372, 8431020, 926324, 35]);
    assert.deepEqual(Array.from(data.sparse.subarray(99 * 26, 99 * 26 + 5)), [
      626,
      441,
      8784786,
      1460770,
      240,
    ]);
    assert.equal(data.labels[57], 1);
    assert.ok(Math.abs(data.dense[57 * 13 + 4] - 9.680906295776367) < 1e-5);
    for (let i = 0; i < data.sparse.length; i++) assert.ok(data.sparse[i] < data.tableSizes[i % 26]);
    // Capped tables and a row limit.
    const capped = await readCriteo(SAMPLE, { maxRows: 1000, limit: 30 });
    assert.equal(capped.data.n, 30);
    assert.deepEqual(capped.data.tableSizes.slice(0, 4), [1000, 584, 1000, 1000]);
    assertRowsMatch(capped.data, lines.slice(0, 30));
  },
});

Deno.test("readCriteo: malformed rows name file, line and format, or are skipped and counted", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = ["1", ...Array(13).fill("3"), ...Array(26).fill("0a")].join("\t");
    const shortRow = ["0", "1", "2"].join("\t");
    const longRow = good + "\t";
    const badHex = ["0", ...Array(13).fill(""), "zz", ...Array(25).fill("")].join("\t");
    const badInt = ["0", "1.5", ...Array(12).fill(""), ...Array(26).fill("")].join("\t");
    const badLabel = ["2", ...Array(39).fill("")].join("\t");
    const negative = ["0", "-5", ...Array(12).fill(""), ...Array(26).fill("")].join("\t");
    await Deno.writeTextFile(`${dir}/t.txt`, [good, shortRow, good].join("\r\n") + "\r\n");
    await assert.rejects(
      () => readCriteo(`${dir}/t.txt`),
      (e: Error) =>
        e instanceof SyntaxError &&
        e.message.startsWith(
          `Cannot read Criteo file ${dir}/t.txt line 2: expected 40 tab-separated fields, got 3`,
        ) &&
        e.message.includes("(expected 40 tab-separated fields: label 0/1, 13 integers or empty"),
    );
    await Deno.writeTextFile(`${dir}/w.txt`, [good, good, longRow].join("\n"));
    await assert.rejects(
      () => readCriteo(`${dir}/w.txt`),
      /w\.txt line 3: expected 40 tab-separated fields, got 41/,
    );
    await Deno.writeTextFile(`${dir}/h.txt`, [good, badHex].join("\n"));
    await assert.rejects(
      () => readCriteo(`${dir}/h.txt`),
      /h\.txt line 2: field C1: expected hexadecimal digits, got 'zz'/,
    );
    await Deno.writeTextFile(`${dir}/i.txt`, badInt);
    await assert.rejects(
      () => readCriteo(`${dir}/i.txt`),
      /i\.txt line 1: field I1: expected an integer, got '1\.5'/,
    );
    await Deno.writeTextFile(`${dir}/l.txt`, [badLabel, negative, good].join("\n"));
    await assert.rejects(() => readCriteo(`${dir}/l.txt`), /line 1: expected label 0 or 1, got '2'/);
    const r = await readCriteo(`${dir}/l.txt`, { onBadRow: "skip" });
    assert.equal(r.skipped, 1);
    assert.equal(r.data.n, 2);
    assert.equal(r.data.dense[0], 0); // log(max(−5, 0) + 1)
    assert.equal(r.data.sparse[26], (10 % 1460) + 1);
    const all = await readCriteo(`${dir}/t.txt`, { onBadRow: "skip" });
    assert.equal(all.data.n, 2);
    assert.equal(all.skipped, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readCriteo: generated file round-trips row by row; progress reports rows/s", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeCriteoFile(`${dir}/train.txt`, { rows: 3000, seed: 1 });
    const seen: number[] = [];
    const { data, rate } = await readCriteo(`${dir}/train.txt`, {
      maxRows: 1000,
      progressEvery: 1000,
      onProgress: (p) => {
        assert.ok(p.rate > 0 && p.totalBytes > 0);
        seen.push(p.rows);
      },
    });
    assert.deepEqual(seen, [1000, 2000, 3000, 3000]);
    assert.ok(rate > 0);
    assert.deepEqual(data.tableSizes, cappedSizes(NASREC_CRITEO.tableSizes, 1000));
    assertRowsMatch(data, (await Deno.readTextFile(`${dir}/train.txt`)).trimEnd().split("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
