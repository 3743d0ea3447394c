import assert from "node:assert/strict";
import { imageNet16Files, loadImageNet16, readImageNet16Batch, restrictClasses } from "./imagenet16.ts";
import { NdArray, writePickle } from "./pickle.ts";

// CPython 3 + numpy, protocol 4: {'data': uint8 [3, 768] with data[i, k] = (37·i + 5·k) mod 256,
// 'labels': [1, 121, 120]}
const CPYTHON_P4 =
  "gASVrQkAAAAAAAB9lCiMBGRhdGGUjBZudW1weS5fY29yZS5tdWx0aWFycmF5lIwMX3JlY29uc3RydWN0lJOUjAVudW1weZSMB25k" +
  "YXJyYXmUk5RLAIWUQwFilIeUUpQoSwFLA00AA4aUaAWMBWR0eXBllJOUjAJ1MZSJiIeUUpQoSwOMAXyUTk5OSv////9K/////0sA" +
  "dJRiiUIACQAAAAUKDxQZHiMoLTI3PEFGS1BVWl9kaW5zeH2Ch4yRlpugpaqvtLm+w8jN0tfc4ebr8PX6/wQJDhMYHSInLDE2O0BF" +
  "Sk9UWV5jaG1yd3yBhouQlZqfpKmus7i9wsfM0dbb4OXq7/T5/gMIDRIXHCEmKzA1Oj9ESU5TWF1iZ2xxdnuAhYqPlJmeo6itsre8" +
  "wcbL0NXa3+Tp7vP4/QIHDBEWGyAlKi80OT5DSE1SV1xhZmtwdXp/hImOk5idoqessba7wMXKz9TZ3uPo7fL3/AEGCxAVGh8kKS4z" +
  "OD1CR0xRVltgZWpvdHl+g4iNkpecoaarsLW6v8TJztPY3eLn7PH2+wAFCg8UGR4jKC0yNzxBRktQVVpfZGluc3h9goeMkZaboKWq" +
  "r7S5vsPIzdLX3OHm6/D1+v8ECQ4TGB0iJywxNjtARUpPVFleY2htcnd8gYaLkJWan6SprrO4vcLHzNHW2+Dl6u/0+f4DCA0SFxwh" +
  "JiswNTo/RElOU1hdYmdscXZ7gIWKj5SZnqOorbK3vMHGy9DV2t/k6e7z+P0CBwwRFhsgJSovNDk+Q0hNUldcYWZrcHV6f4SJjpOY" +
  "naKnrLG2u8DFys/U2d7j6O3y9/wBBgsQFRofJCkuMzg9QkdMUVZbYGVqb3R5foOIjZKXnKGmq7C1ur/Eyc7T2N3i5+zx9vsABQoP" +
  "FBkeIygtMjc8QUZLUFVaX2RpbnN4fYKHjJGWm6Clqq+0ub7DyM3S19zh5uvw9fr/BAkOExgdIicsMTY7QEVKT1RZXmNobXJ3fIGG" +
  "i5CVmp+kqa6zuL3Cx8zR1tvg5erv9Pn+AwgNEhccISYrMDU6P0RJTlNYXWJnbHF2e4CFio+UmZ6jqK2yt7zBxsvQ1drf5Onu8/j9" +
  "AgcMERYbICUqLzQ5PkNITVJXXGFma3B1en+EiY6TmJ2ip6yxtrvAxcrP1Nne4+jt8vf8AQYLEBUaHyQpLjM4PUJHTFFWW2Blam90" +
  "eX6DiI2Sl5yhpquwtbq/xMnO09jd4ufs8fb7JSovNDk+Q0hNUldcYWZrcHV6f4SJjpOYnaKnrLG2u8DFys/U2d7j6O3y9/wBBgsQ" +
  "FRofJCkuMzg9QkdMUVZbYGVqb3R5foOIjZKXnKGmq7C1ur/Eyc7T2N3i5+zx9vsABQoPFBkeIygtMjc8QUZLUFVaX2RpbnN4fYKH" +
  "jJGWm6Clqq+0ub7DyM3S19zh5uvw9fr/BAkOExgdIicsMTY7QEVKT1RZXmNobXJ3fIGGi5CVmp+kqa6zuL3Cx8zR1tvg5erv9Pn+" +
  "AwgNEhccISYrMDU6P0RJTlNYXWJnbHF2e4CFio+UmZ6jqK2yt7zBxsvQ1drf5Onu8/j9AgcMERYbICUqLzQ5PkNITVJXXGFma3B1" +
  "en+EiY6TmJ2ip6yxtrvAxcrP1Nne4+jt8vf8AQYLEBUaHyQpLjM4PUJHTFFWW2Blam90eX6DiI2Sl5yhpquwtbq/xMnO09jd4ufs" +
  "8fb7AAUKDxQZHiMoLTI3PEFGS1BVWl9kaW5zeH2Ch4yRlpugpaqvtLm+w8jN0tfc4ebr8PX6/wQJDhMYHSInLDE2O0BFSk9UWV5j" +
  "aG1yd3yBhouQlZqfpKmus7i9wsfM0dbb4OXq7/T5/gMIDRIXHCEmKzA1Oj9ESU5TWF1iZ2xxdnuAhYqPlJmeo6itsre8wcbL0NXa" +
  "3+Tp7vP4/QIHDBEWGyAlKi80OT5DSE1SV1xhZmtwdXp/hImOk5idoqessba7wMXKz9TZ3uPo7fL3/AEGCxAVGh8kKS4zOD1CR0xR" +
  "VltgZWpvdHl+g4iNkpecoaarsLW6v8TJztPY3eLn7PH2+wAFCg8UGR4jKC0yNzxBRktQVVpfZGluc3h9goeMkZaboKWqr7S5vsPI" +
  "zdLX3OHm6/D1+v8ECQ4TGB0iJywxNjtARUpPVFleY2htcnd8gYaLkJWan6SprrO4vcLHzNHW2+Dl6u/0+f4DCA0SFxwhJiswNTo/" +
  "RElOU1hdYmdscXZ7gIWKj5SZnqOorbK3vMHGy9DV2t/k6e7z+P0CBwwRFhsgSk9UWV5jaG1yd3yBhouQlZqfpKmus7i9wsfM0dbb" +
  "4OXq7/T5/gMIDRIXHCEmKzA1Oj9ESU5TWF1iZ2xxdnuAhYqPlJmeo6itsre8wcbL0NXa3+Tp7vP4/QIHDBEWGyAlKi80OT5DSE1S" +
  "V1xhZmtwdXp/hImOk5idoqessba7wMXKz9TZ3uPo7fL3/AEGCxAVGh8kKS4zOD1CR0xRVltgZWpvdHl+g4iNkpecoaarsLW6v8TJ" +
  "ztPY3eLn7PH2+wAFCg8UGR4jKC0yNzxBRktQVVpfZGluc3h9goeMkZaboKWqr7S5vsPIzdLX3OHm6/D1+v8ECQ4TGB0iJywxNjtA" +
  "RUpPVFleY2htcnd8gYaLkJWan6SprrO4vcLHzNHW2+Dl6u/0+f4DCA0SFxwhJiswNTo/RElOU1hdYmdscXZ7gIWKj5SZnqOorbK3" +
  "vMHGy9DV2t/k6e7z+P0CBwwRFhsgJSovNDk+Q0hNUldcYWZrcHV6f4SJjpOYnaKnrLG2u8DFys/U2d7j6O3y9/wBBgsQFRofJCku" +
  "Mzg9QkdMUVZbYGVqb3R5foOIjZKXnKGmq7C1ur/Eyc7T2N3i5+zx9vsABQoPFBkeIygtMjc8QUZLUFVaX2RpbnN4fYKHjJGWm6Cl" +
  "qq+0ub7DyM3S19zh5uvw9fr/BAkOExgdIicsMTY7QEVKT1RZXmNobXJ3fIGGi5CVmp+kqa6zuL3Cx8zR1tvg5erv9Pn+AwgNEhcc" +
  "ISYrMDU6P0RJTlNYXWJnbHF2e4CFio+UmZ6jqK2yt7zBxsvQ1drf5Onu8/j9AgcMERYbICUqLzQ5PkNITVJXXGFma3B1en+EiY6T" +
  "mJ2ip6yxtrvAxcrP1Nne4+jt8vf8AQYLEBUaHyQpLjM4PUJHTFFWW2Blam90eX6DiI2Sl5yhpquwtbq/xMnO09jd4ufs8fb7AAUK" +
  "DxQZHiMoLTI3PEFGS1BVWl9kaW5zeH2Ch4yRlpugpaqvtLm+w8jN0tfc4ebr8PX6/wQJDhMYHSInLDE2O0BFlHSUYowGbGFiZWxz" +
  "lF2UKEsBS3lLeGV1Lg==";

const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

Deno.test("reads a CPython ImageNet16 pickle: planes → NHWC, raw 1-based labels", () => {
  const b = readImageNet16Batch(b64(CPYTHON_P4), "val_data");
  assert.equal(b.n, 3);
  assert.deepEqual([...b.labels], [1, 121, 120]);
  // image 2, pixel (y=3, x=9) = plane offset 57: channel c at k = 256·c + 57
  const o = (2 * 256 + 57) * 3;
  assert.deepEqual(
    [...b.images.subarray(o, o + 3)],
    [0, 1, 2].map((c) => (37 * 2 + 5 * (256 * c + 57)) % 256),
  );
});

Deno.test("restrictClasses keeps labels 1..120 as 0..119 (NB201 rule)", () => {
  const b = readImageNet16Batch(b64(CPYTHON_P4));
  const s = restrictClasses([b, b]);
  assert.equal(s.n, 4);
  assert.deepEqual([...s.labels], [0, 119, 0, 119]);
  assert.equal(s.classes, 120);
  assert.equal(s.height, 16);
  // the kept second image is source image 2
  assert.deepEqual(s.images.subarray(768, 1536), b.images.subarray(2 * 768, 3 * 768));
  assert.equal(restrictClasses([b], 121).n, 3);
  assert.deepEqual([...restrictClasses([b], 1).labels], [0]);
  assert.throws(() => restrictClasses([b], 0), RangeError);
});

Deno.test("bad ImageNet16 pickles fail clearly", () => {
  const data = new NdArray("uint8", [2, 768], new Uint8Array(1536));
  assert.throws(
    () => readImageNet16Batch(writePickle({ data, labels: [1, 0] }), "b1"),
    /b1: record 1 has label 0, expected 1\.\.1000/,
  );
  assert.throws(() => readImageNet16Batch(writePickle({ data, labels: [1] }), "b1"), /1 labels for 2 images/);
  assert.throws(
    () => readImageNet16Batch(writePickle({ data: [1, 2], labels: [1] }), "b1"),
    /expected 'data' as uint8 \[N, 768\]/,
  );
  assert.throws(
    () => readImageNet16Batch(b64(CPYTHON_P4).subarray(0, 1000), "cut"),
    /cut at byte \d+.*truncated/,
  );
});

Deno.test("loadImageNet16 reads the 10 train batches or val_data from a folder", async () => {
  const root = await Deno.makeTempDir();
  try {
    const dir = `${root}/ImageNet16`;
    await Deno.mkdir(dir);
    const bytes = b64(CPYTHON_P4);
    await Deno.writeFile(`${dir}/val_data`, bytes);
    const v = await loadImageNet16(root, "valid");
    assert.equal(v.n, 2);
    assert.deepEqual([...v.labels], [0, 119]);
    await assert.rejects(() => loadImageNet16(root, "train"), /Cannot find ImageNet16 train files/);
    for (const f of imageNet16Files("train").slice(0, 9)) await Deno.writeFile(`${dir}/${f}`, bytes);
    await assert.rejects(() => loadImageNet16(dir, "train"), /missing .*train_data_batch_10/);
    await Deno.writeFile(`${dir}/train_data_batch_10`, bytes);
    assert.equal((await loadImageNet16(dir, "train")).n, 20);
    assert.equal((await loadImageNet16(dir, "train", { classes: 200 })).n, 30);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
