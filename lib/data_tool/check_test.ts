import assert from "node:assert/strict";
import { checkFolder, formatReport } from "./check.ts";
import { writeCifarTree } from "../data/gen_images.ts";
import { writeCriteoFile, writeKdd2012Files } from "../data/gen_recsys.ts";
import { encodeIdx, generateMnist } from "../data/mnist.ts";
import { gzip } from "./tar.ts";

async function withTmp(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("check: a generated CIFAR-10 folder is clean as a subset; each planted fault is named with file and record", async () => {
  await withTmp(async (tmp) => {
    const dir = await writeCifarTree(tmp, {
      dataset: "cifar10",
      format: "bin",
      trainN: 50,
      testN: 10,
      seed: 1,
    });
    const clean = await checkFolder(tmp, { partial: true });
    assert.deepEqual(clean.faults, [], formatReport(clean));
    assert.equal(clean.lines.length, 7); // 6 batches + batches.meta.txt
    assert.ok(
      clean.notes.some((n) => n.endsWith("test_batch.bin: partial: 10 records, the full file has 10000")),
    );
    // without --partial the short files are wrong counts
    const strict = await checkFolder(tmp);
    assert.equal(strict.faults.length, 6);
    assert.match(strict.faults[0].message, /has 10 records, expected 10000/);
    // planted: a missing batch, a truncated last record, a bad label byte
    await Deno.remove(`${dir}/data_batch_5.bin`);
    const t = await Deno.readFile(`${dir}/test_batch.bin`);
    await Deno.writeFile(`${dir}/test_batch.bin`, t.subarray(0, t.length - 100));
    const b2 = await Deno.readFile(`${dir}/data_batch_2.bin`);
    b2[7 * 3073] = 12;
    await Deno.writeFile(`${dir}/data_batch_2.bin`, b2);
    const r = await checkFolder(tmp, { partial: true });
    const got = r.faults.map((f) => [f.file, f.record ?? "", f.message.slice(0, 40)]);
    assert.deepEqual(got, [
      [`${dir}/data_batch_2.bin`, "record 7", "Cannot read CIFAR-10 binary file " + dir.slice(0, 7)],
      [`${dir}/test_batch.bin`, "record 9", "incomplete: the file has 30630 bytes, 29"],
      [`${dir}/data_batch_5.bin`, "", "missing: part of the CIFAR-10 binary (lo"],
    ]);
    assert.match(r.faults[0].message, /record 7 has label 12, expected 0\.\.9/);
    const text = formatReport(r);
    assert.match(text, /FAULT {2}.*test_batch\.bin record 9: incomplete/);
    assert.match(text, /3 fault\(s\)$/);
  });
});

Deno.test("check: MNIST .gz files: counts against 60000/10000, a label that is not a digit, a damaged gzip", async () => {
  await withTmp(async (tmp) => {
    const tr = generateMnist(20, 1), te = generateMnist(5, 2);
    const labels = tr.labels.slice();
    labels[13] = 11;
    await Deno.writeFile(`${tmp}/train-images-idx3-ubyte.gz`, await gzip(encodeIdx([20, 28, 28], tr.images)));
    await Deno.writeFile(`${tmp}/train-labels-idx1-ubyte.gz`, await gzip(encodeIdx([20], labels)));
    await Deno.writeFile(`${tmp}/t10k-images-idx3-ubyte`, encodeIdx([5, 28, 28], te.images));
    const gz = await gzip(encodeIdx([5], te.labels));
    await Deno.writeFile(`${tmp}/t10k-labels-idx1-ubyte.gz`, gz.subarray(0, gz.length - 6));
    const r = await checkFolder(tmp, { partial: true });
    const faults = r.faults.filter((f) => !f.message.startsWith("MD5")).map((f) =>
      `${f.file.slice(tmp.length + 1)} ${f.record ?? "-"}: ${f.message.slice(0, 30)}`
    );
    assert.deepEqual(faults, [
      "t10k-labels-idx1-ubyte.gz -: not a valid gzip file (corrupt", // cut short
      "train-labels-idx1-ubyte.gz record 13: label 11 is not a digit",
    ]);
    // the published MD5 is checked for the official .gz names (not for files accepted as a subset)
    assert.ok(!r.faults.some((f) => f.message.startsWith("MD5")));
    const strict = await checkFolder(tmp);
    assert.ok(
      strict.faults.some((f) =>
        /MD5 .* differs from the published f68b3c2dcbeaaa9fbdd348bbdeb94873/.test(f.message)
      ),
    );
    assert.ok(
      r.notes.some((n) => n.endsWith("t10k-images-idx3-ubyte: partial: 5 records, the full file has 10000")),
    );
  });
});

Deno.test("check: recommender files: rows counted, first and last record through the reader's parser", async () => {
  await withTmp(async (tmp) => {
    await Deno.mkdir(`${tmp}/criteo`);
    await writeCriteoFile(`${tmp}/criteo/train.txt`, { rows: 40, seed: 2 });
    await Deno.mkdir(`${tmp}/kdd2012`);
    await writeKdd2012Files(`${tmp}/kdd2012`, { rows: 30, seed: 2 });
    const clean = await checkFolder(tmp);
    assert.deepEqual(clean.faults, [], formatReport(clean));
    assert.ok(
      clean.lines.some((l) =>
        l.endsWith("criteo/train.txt: Criteo file, 40 rows (first and last row parsed)")
      ),
    );
    assert.ok(
      clean.notes.some((n) => n.endsWith("criteo/train.txt: 40 rows, the full file has 45840617 (partial)")),
    );
    assert.ok(clean.lines.some((l) => l.includes("training.txt: KDD 2012 training file, 30 rows")));
    // a bad last line, and (found only by --full) a bad line in the middle
    const text = await Deno.readTextFile(`${tmp}/criteo/train.txt`);
    const lines = text.trimEnd().split("\n");
    lines[20] = lines[20].replace(/^[01]\t/, "7\t");
    await Deno.writeTextFile(`${tmp}/criteo/train.txt`, lines.join("\n") + "\n1\tx\n");
    const r = await checkFolder(tmp);
    assert.deepEqual(r.faults.map((f) => [f.file, f.record]), [[`${tmp}/criteo/train.txt`, "line 41"]]);
    assert.match(r.faults[0].message, /last record: expected 40 tab-separated fields, got 2/);
    await Deno.writeTextFile(`${tmp}/criteo/train.txt`, lines.join("\n") + "\n");
    assert.deepEqual((await checkFolder(tmp)).faults, []);
    const full = await checkFolder(tmp, { full: true });
    assert.deepEqual(full.faults.map((f) => f.record), ["line 21"]);
    assert.match(full.faults[0].message, /expected label 0 or 1, got '7'/);
    // the profile: a bad first row
    const prof = await Deno.readTextFile(`${tmp}/kdd2012/userid_profile.txt`);
    await Deno.writeTextFile(`${tmp}/kdd2012/userid_profile.txt`, "12\tonly-two\n" + prof);
    const p = await checkFolder(tmp);
    assert.deepEqual(p.faults.map((f) => [f.file.slice(tmp.length), f.record]), [[
      "/kdd2012/userid_profile.txt",
      "line 1",
    ]]);
    assert.match(p.faults[0].message, /expected 3 tab-separated fields, got 2/);
    assert.ok(!p.faults[0].message.includes("/tmp/tmp"), p.faults[0].message);
  });
});

Deno.test("check: an empty or missing folder is a fault", async () => {
  await withTmp(async (tmp) => {
    assert.equal((await checkFolder(tmp)).faults[0].message, "the folder is empty");
    assert.equal((await checkFolder(`${tmp}/nope`)).faults[0].message, "not a folder");
  });
});

const SHARED = new URL("../../../shared/data/", import.meta.url).pathname;
const hasShared = await Deno.stat(SHARED).then(() => true, () => false);

Deno.test({
  name: "check: the real samples are reported as sample/partial data, without faults",
  ignore: !hasShared,
  fn: async () => {
    const c10 = await checkFolder(`${SHARED}cifar10`);
    assert.deepEqual(c10.faults, []);
    assert.ok(
      c10.notes.some((n) => /sample\/partial CIFAR-10 test data: 500 records/.test(n)),
      c10.notes.join("\n"),
    );
    assert.ok(c10.lines.some((l) => /batches\.meta: .*MD5 matches the published 5ff9c542/.test(l)));
    assert.match(formatReport(c10), /no faults \(sample\/partial data/);
    const c100 = await checkFolder(`${SHARED}cifar100`);
    assert.ok(c100.notes.some((n) => /sample\/partial CIFAR-100 test data: 20 records/.test(n)));
    for (
      const [d, re] of [
        ["criteo", /Criteo file, 100 rows/],
        ["avazu", /Avazu file, 1000 rows/],
        ["kdd2012", /KDD 2012 training file, 11 rows/],
      ] as const
    ) {
      const r = await checkFolder(`${SHARED}${d}`);
      assert.deepEqual(r.faults, [], formatReport(r));
      assert.ok(r.lines.some((l) => re.test(l)), r.lines.join("\n"));
    }
  },
});
