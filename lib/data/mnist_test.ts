import assert from "node:assert/strict";
import {
  decodeIdx,
  encodeIdx,
  generateMnist,
  hasMnist,
  loadMnist,
  mnistFloats,
  writeMnist,
} from "./mnist.ts";

Deno.test("IDX: header bytes by hand, round trip, clear errors", () => {
  const bytes = encodeIdx([2, 1, 3], Uint8Array.from([1, 2, 3, 4, 5, 6]));
  assert.deepEqual(
    Array.from(bytes),
    [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6],
  );
  const back = decodeIdx(bytes);
  assert.deepEqual(back.dims, [2, 1, 3]);
  assert.deepEqual(Array.from(back.data), [1, 2, 3, 4, 5, 6]);
  assert.throws(() => decodeIdx(Uint8Array.from([1, 0, 8, 1]), "f"), /f: expected the IDX magic/);
  assert.throws(() => decodeIdx(Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 0]), "f"), /unsigned-byte/);
  assert.throws(
    () => decodeIdx(bytes.subarray(0, bytes.length - 1), "f"),
    /need 6 data bytes, the file has 5/,
  );
});

Deno.test("MNIST: generated files round-trip through the reader, gzipped too; labels checked", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(await hasMnist(dir), false);
    await assert.rejects(() => loadMnist(dir, "train"), /train-images-idx3-ubyte/);
    const set = generateMnist(50, 1);
    await writeMnist(dir, "train", set);
    assert.equal(await hasMnist(dir), true);
    const back = await loadMnist(dir, "train");
    assert.deepEqual(back, set);
    // gzipped, as downloaded
    for (const f of ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"]) {
      const raw = await Deno.readFile(`${dir}/${f}`);
      const gz = new Uint8Array(
        await new Response(
          new Blob([raw as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip")),
        ).arrayBuffer(),
      );
      await Deno.writeFile(`${dir}/${f}.gz`, gz);
      await Deno.remove(`${dir}/${f}`);
    }
    assert.deepEqual(await loadMnist(dir, "train"), set);
    // a label that is not a digit
    const bad = { ...set, labels: set.labels.slice() };
    bad.labels[7] = 12;
    await writeMnist(dir, "test", bad);
    await assert.rejects(() => loadMnist(dir, "test"), /label 12 of record 7/);
    const f = mnistFloats(set, [3]);
    assert.equal(f.length, 784);
    assert.equal(f[100], set.images[3 * 784 + 100] / 255);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
