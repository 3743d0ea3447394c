import assert from "node:assert/strict";
import { nb201SearchReport } from "./report.ts";
import type { Nb201SearchResult } from "./run.ts";

Deno.test("nb201SearchReport: the result row, the history rounded, the closing line", () => {
  const r = {
    history: {
      history: {
        records: [
          { index: 0, arch: [1, 2], score: 10.123456, generation: 0 },
          { index: 1, arch: [3, 4], score: -2.5, generation: 1 },
        ],
      },
    },
    best: "|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|",
    valAccuracy: 0.456789,
    testAccuracy: 0.41234,
  } as unknown as Nb201SearchResult;
  const out = nb201SearchReport(r);
  assert.deepEqual(out.tables.result, [{
    best: r.best,
    val_accuracy: 0.4568,
    test_accuracy: 0.4123,
    evaluations: 2,
  }]);
  assert.deepEqual(out.tables.history, [
    { index: 0, arch: "1,2", sigeo: 10.1235, generation: 0 },
    { index: 1, arch: "3,4", sigeo: -2.5, generation: 1 },
  ]);
  assert.deepEqual(out.summary, [`best ${r.best}: validation 45.7%, test 41.2%`]);
});
