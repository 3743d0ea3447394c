import assert from "node:assert/strict";
import { History, type HistoryRecord } from "./history.ts";

const rec = (key: string, score: number, extra: Partial<HistoryRecord> = {}) => ({
  key,
  arch: key,
  score,
  seconds: 0.5,
  generation: -1,
  ...extra,
});

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("History: file round trip keeps order, NaN/±Inf scores, terms, generations; loads as key → record", () =>
  withDir(async (dir) => {
    const path = `${dir}/h.jsonl`;
    const h = await History.open(path);
    await h.add(rec("a", 1.5, { terms: { zico: 2, fr: -1 } }));
    await h.add(rec("b", NaN, { generation: 3 }));
    await h.add(rec("c", -Infinity));
    await h.add(rec("d", Infinity));
    const lines = (await Deno.readTextFile(path)).split("\n");
    assert.equal(lines.length, 5); // 4 records + final newline
    assert.match(lines[1], /"score":"NaN"/);
    const back = await History.open(path);
    assert.deepEqual(back.records, h.records);
    assert.deepEqual(back.records.map((r) => r.index), [0, 1, 2, 3]);
    assert.ok(Number.isNaN(back.get("b")!.score));
    assert.equal(back.get("b")!.generation, 3);
    assert.deepEqual(back.get("a")!.terms, { zico: 2, fr: -1 });
    assert.equal("terms" in back.get("c")!, false);
    assert.ok(!Number.isNaN(Date.parse(back.get("a")!.at!)));
    const map = await History.load(path);
    assert.deepEqual([...map.keys()], ["a", "b", "c", "d"]);
    assert.equal(map.get("d")!.score, Infinity);
    assert.equal(back.seconds(), 2);
    // best first; NaN and ±Inf after every finite score, in recorded order
    assert.deepEqual(back.top(4).map((r) => r.key), ["a", "b", "c", "d"]);
    await assert.rejects(() => back.add(rec("a", 0)), /twice/);
  }));

Deno.test("History: top ranks by score, ties by order, non-finite last", async () => {
  const h = await History.open();
  for (const [k, s] of [["p", 2], ["q", NaN], ["r", 5], ["s", 2], ["t", Infinity], ["u", 7]] as const) {
    await h.add(rec(k, s));
  }
  assert.deepEqual(h.top(6).map((r) => r.key), ["u", "r", "p", "s", "q", "t"]);
  assert.deepEqual(h.top(2).map((r) => r.key), ["u", "r"]);
});

Deno.test("History: a line torn by a kill is dropped on reading and cut before the next append", () =>
  withDir(async (dir) => {
    const path = `${dir}/h.jsonl`;
    const h = await History.open(path);
    await h.add(rec("a", 1));
    await h.add(rec("b", 2));
    const whole = await Deno.readTextFile(path);
    await Deno.writeTextFile(path, whole + '{"index":2,"key":"c","arch":"c","sco');
    const torn = await History.open(path);
    assert.deepEqual(torn.records.map((r) => r.key), ["a", "b"]);
    await torn.add(rec("c", 3));
    const text = await Deno.readTextFile(path);
    assert.equal(text.split("\n").filter(Boolean).length, 3);
    assert.ok(!text.includes('"sco\n') && !text.includes("sco{"));
    assert.deepEqual((await History.open(path)).records.map((r) => [r.index, r.key]), [[0, "a"], [1, "b"], [
      2,
      "c",
    ]]);
  }));

Deno.test("History: bad files fail naming the file, record and what was expected", () =>
  withDir(async (dir) => {
    const path = `${dir}/bad.jsonl`;
    const line = (o: unknown) => JSON.stringify(o) + "\n";
    const ok0 = { index: 0, key: "a", arch: "a", score: 1, seconds: 0, generation: -1 };
    await Deno.writeTextFile(path, line(ok0) + "not json\n" + line({ ...ok0, index: 2, key: "c" }));
    await assert.rejects(() => History.open(path), (e: Error) => {
      assert.ok(e instanceof SyntaxError);
      assert.match(e.message, new RegExp(`${path} line 2`));
      return true;
    });
    await Deno.writeTextFile(path, line(ok0) + line({ ...ok0, index: 1, key: "b", score: "high" }));
    await assert.rejects(() => History.open(path), (e: Error) => {
      assert.ok(e instanceof TypeError);
      assert.match(e.message, /record 2: expected "score" to be a number/);
      return true;
    });
    await Deno.writeTextFile(path, line(ok0) + line({ ...ok0, index: 5, key: "b" }));
    await assert.rejects(() => History.open(path), /record 2: expected index 1, found 5/);
    await Deno.writeTextFile(path, line(ok0) + line({ ...ok0, index: 1 }));
    await assert.rejects(() => History.open(path), /record 2: key 'a' was already recorded as record 1/);
    await Deno.writeTextFile(path, line({ ...ok0, generation: -2 }));
    await assert.rejects(() => History.open(path), /record 1: expected "generation"/);
    await Deno.writeTextFile(path, line({ ...ok0, terms: { zico: "x" } }));
    await assert.rejects(() => History.open(path), /record 1: expected "terms" of numbers/);
    assert.deepEqual((await History.open(`${dir}/missing.jsonl`)).records, []);
  }));

Deno.test("History.replay: recorded candidates must come back at their recorded positions", async () => {
  const h = await History.open();
  await h.add(rec("a", 1));
  await h.add(rec("b", 2));
  assert.equal(h.replay("a", 0)?.score, 1);
  assert.equal(h.replay("b", 1)?.score, 2);
  assert.equal(h.replay("z", 2), undefined); // new candidate after the recorded ones
  assert.throws(() => h.replay("b", 0), /candidate 1 is 'b', recorded as candidate 2/);
  assert.throws(() => h.replay("z", 1), /candidate 2 is 'z', recorded as 'b'/);
});
