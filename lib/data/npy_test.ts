import assert from "node:assert/strict";
import { decodeNpy, encodeNpy } from "./npy.ts";

Deno.test("encodeNpy() writes numpy's exact header bytes (numpy.save of float32 [2,3])", () => {
  const bytes = encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
  // numpy 1.x: b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + spaces + "\n"
  assert.deepEqual([...bytes.subarray(0, 10)], [0x93, 78, 85, 77, 80, 89, 1, 0, 118, 0]);
  const header = new TextDecoder().decode(bytes.subarray(10, 128));
  assert.equal(header.trimEnd(), "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
  assert.equal(header.at(-1), "\n");
  assert.equal(bytes.length, 128 + 24);
  assert.equal(new DataView(bytes.buffer).getFloat32(128 + 4 * 5, true), 6);
});

Deno.test("decodeNpy() round-trips float32 and int32, 1-D and 0-size shapes", () => {
  const f = decodeNpy(encodeNpy(new Float32Array([0.5, -2]), [2]));
  assert.deepEqual([Array.from(f.data), f.shape], [[0.5, -2], [2]]);
  const i = decodeNpy(encodeNpy(new Int32Array([7, 8, 9, 10]), [2, 1, 2]));
  assert.ok(i.data instanceof Int32Array);
  assert.deepEqual([Array.from(i.data), i.shape], [[7, 8, 9, 10], [2, 1, 2]]);
  assert.throws(() => encodeNpy(new Float32Array(3), [2, 2]), /Cannot write 3 values as shape \[2,2\]/);
  assert.throws(() => decodeNpy(new Uint8Array(12), "x.npy"), /x\.npy: not a \.npy file/);
});
