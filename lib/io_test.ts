import assert from "node:assert/strict";
import { writeFileAtomic } from "./io.ts";

Deno.test("writeFileAtomic() writes text and bytes and leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeFileAtomic(`${dir}/a.txt`, "hello");
    await writeFileAtomic(`${dir}/b.bin`, new Uint8Array([1, 2, 3]));
    assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "hello");
    assert.deepEqual([...await Deno.readFile(`${dir}/b.bin`)], [1, 2, 3]);
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names.sort(), ["a.txt", "b.bin"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic() keeps the old file and cleans up when the write fails", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeFileAtomic(`${dir}/a.txt`, "old");
    await assert.rejects(() => writeFileAtomic(`${dir}/missing/a.txt`, "new"));
    assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "old");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("appendJsonl/readJsonl: non-finite numbers survive, a torn tail is dropped, bad lines named", async () => {
  const { appendJsonl, readJsonl } = await import("./io.ts");
  const dir = await Deno.makeTempDir();
  try {
    const p = `${dir}/log.jsonl`;
    assert.deepEqual(await readJsonl(p), []);
    await appendJsonl(p, [{ a: 1, v: NaN }, { a: 2, v: -Infinity }]);
    await appendJsonl(p, [{ a: 3, v: 0.5 }]);
    const back = await readJsonl<{ a: number; v: number }>(p);
    assert.equal(back.length, 3);
    assert.ok(Number.isNaN(back[0].v));
    assert.equal(back[1].v, -Infinity);
    await Deno.writeTextFile(p, '{"a": 4, "v"', { append: true }); // killed mid-write
    assert.equal((await readJsonl(p)).length, 3);
    await appendJsonl(p, [{ a: 5, v: 1 }]); // the resumed run appends after the last whole record
    assert.deepEqual((await readJsonl<{ a: number }>(p)).map((r) => r.a), [1, 2, 3, 5]);
    await Deno.writeTextFile(p, '{"a":1}\nnot json\n{"a":2}\n');
    await assert.rejects(() => readJsonl(p), /line 2/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
