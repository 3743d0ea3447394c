import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import {
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  restoreVariables,
  saveCheckpoint,
} from "./checkpoint.ts";

await initBackend({ quiet: true });

Deno.test("checkpoint: bytes round-trip, layout readable by offset", () => {
  const a = { name: "w", shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6.5]) };
  const b = { name: "b", shape: [1], data: Float32Array.from([-7]) };
  const bytes = encodeCheckpoint([a, b], { step: 3 });
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 8)), "SIGEOCK1");
  const len = new DataView(bytes.buffer).getUint32(8, true);
  assert.equal((12 + len) % 4, 0);
  // b starts 24 bytes after the header: its float is -7
  assert.equal(new DataView(bytes.buffer).getFloat32(12 + len + 24, true), -7);
  const back = decodeCheckpoint(bytes);
  assert.deepEqual(back.meta, { step: 3 });
  assert.deepEqual(back.arrays, [a, b]);
});

Deno.test("checkpoint: clear errors for bad files and mismatched variables", async () => {
  assert.throws(
    () => decodeCheckpoint(new TextEncoder().encode("not a checkpoint"), "x.ckpt"),
    /x\.ckpt.*magic/,
  );
  const good = encodeCheckpoint([{ name: "w", shape: [4], data: new Float32Array(4) }]);
  assert.throws(() => decodeCheckpoint(good.subarray(0, good.length - 4), "t.ckpt"), /t\.ckpt.*'w'/);
  assert.throws(
    () => encodeCheckpoint([{ name: "w", shape: [2], data: new Float32Array(3) }]),
    /does not match/,
  );
  const v = tf.variable(tf.zeros([2, 2]));
  const dir = await Deno.makeTempDir();
  try {
    await saveCheckpoint(`${dir}/c.ckpt`, [{ name: "w", shape: [4], data: Float32Array.from([1, 2, 3, 4]) }]);
    const { arrays } = await loadCheckpoint(`${dir}/c.ckpt`);
    assert.throws(
      () => restoreVariables(new Map([["w", v]]), arrays, { file: "c.ckpt" }),
      /shape \[4\] vs variable \[2,2\]/,
    );
    assert.throws(() => restoreVariables(new Map([["u", v]]), arrays), /'u'.*not in the checkpoint/);
    restoreVariables(new Map([["w", v]]), [{
      name: "w",
      shape: [2, 2],
      data: Float32Array.from([1, 2, 3, 4]),
    }]);
    assert.deepEqual(Array.from(v.dataSync()), [1, 2, 3, 4]);
  } finally {
    v.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
