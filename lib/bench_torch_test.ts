import assert from "node:assert/strict";
import { median, parseTimings, ratioRows, ratioTable } from "./bench_torch.ts";
import { againstTorchArgs } from "./bench.ts";

Deno.test("median: odd, even, unsorted; empty refused", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), /empty/);
});

Deno.test("parseTimings: the JSON lines of either script, other lines ignored", () => {
  const out = [
    "sigeo: a notice",
    '{"backend":"wasm","workload":"mlp-step","ms":12.5}',
    '{"torch":"2.1","threads":2,"workload":"nb201-step","arch":"|x|","params":3,"ms":500}',
    "{not json",
    '{"workload":"proxies","proxy":"zico","value":1}',
  ].join("\n");
  assert.deepEqual([...parseTimings(out)], [["mlp-step", 12.5], ["nb201-step", 500]]);
});

Deno.test("ratioRows: per-pair torch/ours ratios and their median; a missing workload is an error", () => {
  const m = (o: Record<string, number>) => new Map(Object.entries(o));
  const ours = [m({ a: 10 }), m({ a: 20 }), m({ a: 10 })];
  const torch = [m({ a: 15 }), m({ a: 10 }), m({ a: 30 })];
  const [r] = ratioRows(["a"], ours, torch);
  assert.deepEqual(r.ratios, [1.5, 0.5, 3]);
  assert.equal(r.median, 1.5);
  assert.match(ratioTable([r]), /\| `a` \| 10\.0 \| 15\.0 \| 1\.50× \(0\.50–3\.00\) \|/);
  assert.throws(() => ratioRows(["b"], ours, torch), /no paired timing of 'b'/);
});

Deno.test("againstTorchArgs: flags, workloads, bad values", () => {
  assert.equal(againstTorchArgs(["mlp-step"]), null);
  assert.deepEqual(againstTorchArgs(["--against-torch"]), { pairs: 5, threads: 2, workloads: [] });
  assert.deepEqual(againstTorchArgs(["--against-torch", "--pairs", "3", "--threads", "1", "mlp-step"]), {
    pairs: 3,
    threads: 1,
    workloads: ["mlp-step"],
  });
  assert.throws(() => againstTorchArgs(["--against-torch", "--pairs", "0"]), /positive integer/);
  assert.throws(() => againstTorchArgs(["--against-torch", "--fast"]), /unknown flag/);
});
