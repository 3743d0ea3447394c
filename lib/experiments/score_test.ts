import assert from "node:assert/strict";
import { formatScoreTable, scoreNb201 } from "./score.ts";

Deno.test("scoreNb201() scores every arch with every proxy, deterministically, on generated data", async () => {
  const opts = {
    archs: [
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|none~1|avg_pool_3x3~2|",
      "|none~0|+|skip_connect~0|none~1|+|nor_conv_1x1~0|none~1|none~2|",
    ],
    proxies: ["zico", "sigeo-cv"],
    batches: 3,
    batchSize: 8,
    C: 4,
    N: 1,
  };
  const a = await scoreNb201(opts);
  const b = await scoreNb201(opts);
  assert.equal(a.rows.length, 4);
  assert.deepEqual(a.rows.map((r) => r.value), b.rows.map((r) => r.value));
  assert.ok(a.rows.every((r) => Number.isFinite(r.value)));
  assert.deepEqual(Object.keys(a.rows[1].terms), ["zico", "fr", "loss"]);
  const table = formatScoreTable(a.rows);
  assert.match(table.split("\n")[0], /^proxy\s+score\s+terms\s+s\s+arch$/);
  assert.equal(table.split("\n").length, 5);
  await assert.rejects(() => scoreNb201({ ...opts, proxies: ["nope"] }), /Unknown proxy 'nope'/);
});
