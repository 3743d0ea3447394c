import assert from "node:assert/strict";
import { NASREC_KDD } from "./recsys_layouts.ts";
import { generateKdd2012Text, writeKdd2012Files } from "./gen_recsys.ts";
import { readKdd2012, readUserProfiles } from "./kdd2012.ts";
import type { RecsysData } from "./recsys.ts";

const DIR = new URL("../../../shared/data/kdd2012/", import.meta.url).pathname;
const TRAINING = `${DIR}kdd12t2_training_head11.txt`, PROFILE = `${DIR}kdd12t2_userid_profile_head11.txt`;
const hasSample = await Deno.stat(TRAINING).then(() => true, () => false);

/** NASRec's KDD preprocessing of one line, independently (strings, a dict, BigInt). */
function reference(line: string, profile: Map<string, string[]>, sizes: readonly number[]) {
  const P = 2147483647n;
  const f = [...line.split("\t"), ...(profile.get(line.split("\t")[11]) ?? ["0", "0"])];
  const r = [0, 1, 5, 6, 2, 3, 4, 7, 8, 9, 10, 11, 12, 13].map((i) => f[i]);
  return {
    label: Number(r[0]) > 0 ? 1 : 0,
    dense: r.slice(1, 4).map((v) => Math.fround(Math.log(Math.max(Number(v), 0) + 1))),
    sparse: r.slice(4).map((v, j) => Number((BigInt(v) % P) % BigInt(sizes[j] - 1)) + 1),
  };
}

function profileMap(text: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const l of text.split("\n")) if (l) m.set(l.split("\t")[0], l.split("\t").slice(1));
  return m;
}

function assertRowsMatch(data: RecsysData, lines: string[], profile: Map<string, string[]>) {
  assert.equal(data.n, lines.length);
  for (let i = 0; i < lines.length; i++) {
    const ref = reference(lines[i], profile, data.tableSizes);
    assert.equal(data.labels[i], ref.label, `row ${i + 1} label`);
    assert.deepEqual(Array.from(data.dense.subarray(i * 3, i * 3 + 3)), ref.dense, `row ${i + 1} dense`);
    assert.deepEqual(
      Array.from(data.sparse.subarray(i * 10, i * 10 + 10)),
      ref.sparse,
      `row ${i + 1} sparse`,
    );
  }
}

Deno.test({
  name: "readKdd2012: the real samples, every row; 64-bit DisplayURL and the join checked by hand",
  ignore: !hasSample,
  fn: async () => {
    const r = await readKdd2012({ training: TRAINING, userProfile: PROFILE });
    assert.equal(r.data.n, 11);
    assert.equal(r.users, 11);
    assert.equal(r.skipped, 0);
    assert.deepEqual(r.data.tableSizes, NASREC_KDD.tableSizes);
    const lines = (await Deno.readTextFile(TRAINING)).split("\n").filter((l) => l !== "");
    assertRowsMatch(r.data, lines, profileMap(await Deno.readTextFile(PROFILE)));
    // Row 1, computed with Python/numpy: Click 0, Impression 1, Depth 3, Position 3;
    // DisplayURL 4298118681424644510 (> 2^53) → 4888, AdID 7686695 → 627919, …, UserID 490234 →
    // 490235; user 490234 is not in the profile head, so Gender = Age = "0" → index 1.
    assert.equal(r.data.labels[0], 0);
    assert.deepEqual(Array.from(r.data.dense.subarray(0, 3)), [
      0.6931471824645996,
      1.3862943649291992,
      1.3862943649291992,
    ]);
    assert.deepEqual(Array.from(r.data.sparse.subarray(0, 10)), [
      4888,
      627919,
      386,
      1602,
      5522,
      7710,
      577,
      490235,
      1,
      1,
    ]);
    assert.deepEqual(Array.from(r.data.sparse.subarray(20, 30)), [
      13985,
      572150,
      7066,
      4532752,
      60722,
      685039,
      29682,
      490235,
      1,
      1,
    ]);
  },
});

Deno.test("readKdd2012: the profile join (present, absent, non-canonical keys), labels from clicks", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/p.txt`, "7\t2\t5\r\n12\t1\t3\n007\t1\t1\n99999999999\t2\t6\n12\t2\t4\n");
    const row = (clicks: number, user: string) =>
      [clicks, 2, "18446744073709551615", 1, 2, 3, 2, 4, 5, 6, 7, user].join("\t");
    await Deno.writeTextFile(
      `${dir}/t.txt`,
      [row(0, "7"), row(3, "12"), row(1, "8"), row(0, "007"), row(0, "99999999999")].join("\n"),
    );
    const r = await readKdd2012({ training: `${dir}/t.txt`, userProfile: `${dir}/p.txt` });
    assert.equal(r.users, 4); // 12 appears twice: the later row wins, as in a Python dict
    assert.deepEqual(Array.from(r.data.labels), [0, 1, 1, 0, 0]);
    const genderAge = (i: number) => Array.from(r.data.sparse.subarray(i * 10 + 8, i * 10 + 10));
    assert.deepEqual(genderAge(0), [(2 % 3) + 1, (5 % 7) + 1]);
    assert.deepEqual(genderAge(1), [(2 % 3) + 1, (4 % 7) + 1]);
    assert.deepEqual(genderAge(2), [1, 1]); // absent: "0", "0"
    assert.deepEqual(genderAge(3), [(1 % 3) + 1, (1 % 7) + 1]); // "007" matched as text
    assert.deepEqual(genderAge(4), [(2 % 3) + 1, (6 % 7) + 1]);
    assert.equal(r.data.sparse[0], (3 % 26273) + 1); // 2^64 − 1 ≡ 3 (mod 2^31 − 1)
    const none = await readKdd2012({ training: `${dir}/t.txt` });
    assert.deepEqual(Array.from(none.data.sparse.subarray(8, 10)), [1, 1]);
    assert.equal((await readUserProfiles(`${dir}/p.txt`)).profiles.size, 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readKdd2012: malformed training and profile rows name file, line and format", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = "1\t1\t5\t6\t7\t2\t1\t8\t9\t10\t11\t12";
    await Deno.writeTextFile(`${dir}/p.txt`, "12\t1\n");
    await Deno.writeTextFile(`${dir}/t.txt`, good + "\n");
    await assert.rejects(
      () => readKdd2012({ training: `${dir}/t.txt`, userProfile: `${dir}/p.txt` }),
      (e: Error) =>
        e instanceof SyntaxError &&
        e.message.startsWith(
          `Cannot read KDD 2012 profile ${dir}/p.txt line 1: expected 3 tab-separated fields, got 2`,
        ),
    );
    await Deno.writeTextFile(`${dir}/p.txt`, "12\tx\t3\n13\t1\t2\n");
    await assert.rejects(
      () => readKdd2012({ training: `${dir}/t.txt`, userProfile: `${dir}/p.txt` }),
      /p\.txt line 1: field Gender: expected a decimal or hexadecimal value, got 'x'/,
    );
    const skipped = await readKdd2012({ training: `${dir}/t.txt`, userProfile: `${dir}/p.txt` }, {
      onBadRow: "skip",
    });
    assert.equal(skipped.profileSkipped, 1);
    assert.equal(skipped.users, 1);
    // a profile whose every row is malformed has no records: an error even when skipping
    await Deno.writeTextFile(`${dir}/p.txt`, "12\tx\t3\n");
    await assert.rejects(
      () => readKdd2012({ training: `${dir}/t.txt`, userProfile: `${dir}/p.txt` }, { onBadRow: "skip" }),
      /^SyntaxError: Cannot read KDD 2012 profile .*p\.txt: no valid records, all 1 rows are malformed \(first at line 1: field Gender/,
    );
    const bad = [
      ["-1\t1\t5\t6\t7\t2\t1\t8\t9\t10\t11\t12", "expected Click to be a non-negative integer, got '-1'"],
      ["1\t1.5\t5\t6\t7\t2\t1\t8\t9\t10\t11\t12", "field Impression: expected an integer, got '1.5'"],
      ["1\t1\t5\t6\t7\t2\t1\t8\t9\t10\t11", "expected 12 tab-separated fields, got 11"],
      ["1\t1\t5\t\t7\t2\t1\t8\t9\t10\t11\t12", "field AdID: expected a decimal or hexadecimal id, got ''"],
    ];
    for (const [line, message] of bad) {
      await Deno.writeTextFile(`${dir}/t.txt`, [good, line, good].join("\n"));
      await assert.rejects(
        () => readKdd2012({ training: `${dir}/t.txt` }),
        (e: Error) =>
          e instanceof SyntaxError &&
          e.message.startsWith(
            `Cannot read KDD 2012 file ${dir}/t.txt line 2: ${message} (expected 12 tab-separated`,
          ),
      );
      const r = await readKdd2012({ training: `${dir}/t.txt` }, { onBadRow: "skip" });
      assert.equal(r.skipped, 1);
      assert.equal(r.data.n, 2);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readKdd2012: generated files round-trip row by row through the join", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const paths = await writeKdd2012Files(dir, { rows: 2000, seed: 6, users: 300 });
    const texts = generateKdd2012Text({ rows: 2000, seed: 6, users: 300 });
    assert.equal(await Deno.readTextFile(paths.training), texts.training);
    assert.equal(await Deno.readTextFile(paths.userProfile), texts.userProfile);
    const profile = profileMap(texts.userProfile);
    assert.ok(profile.size > 200 && profile.size < 300, `${profile.size} users in the profile`);
    const r = await readKdd2012(paths, { maxRows: 100_000 });
    assert.equal(r.users, profile.size);
    const lines = texts.training.trimEnd().split("\n");
    assertRowsMatch(r.data, lines, profile);
    // Some rows join a profile, some do not (user 0 and absent users).
    let joined = 0;
    for (let i = 0; i < r.data.n; i++) if (r.data.sparse[i * 10 + 9] !== 1) joined++;
    assert.ok(joined > 1000 && joined < 1900, `${joined} joined rows`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
