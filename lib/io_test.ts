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
