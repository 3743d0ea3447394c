/**
 * tools/cores_check.ts on a tiny list: it runs both ways, prints the times and their ratio, and —
 * at equal BLAS threads — finds the scores identical bit for bit (the native kernels' sums do not
 * depend on their thread count; C = 16 takes the filter gradient past its one-thread threshold).
 */
import assert from "node:assert/strict";

const TOOL = new URL("./cores_check.ts", import.meta.url).pathname;

Deno.test("cores_check: 1 process × 2 threads and 2 processes × 1 thread give identical scores at BLAS 1", async () => {
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      TOOL,
      "--archs",
      "2",
      "--C",
      "16",
      "--N",
      "1",
      "--batches",
      "2",
      "--batch-size",
      "32",
      "--blas-threads",
      "1",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(r.stdout);
  assert.equal(r.code, 0, out + new TextDecoder().decode(r.stderr));
  assert.match(out, /^2 candidates, C = 16, N = 1, 2 × 32, proxies zico,sigeo-cv;/m);
  assert.match(out, /^1 process × 2 threads \(BLAS 1\): \d+\.\d s$/m);
  assert.match(out, /^2 processes × 1 thread: \d+\.\d s$/m);
  assert.match(out, /^speed-up of 2 worker processes over 1 process × 2 threads: \d+\.\d\d×$/m);
  assert.match(out, /^results identical: all 4 scores \(values and terms\) bit for bit$/m);
});

Deno.test("cores_check: a bad flag exits 2 with the usage", async () => {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", TOOL, "--threads", "0"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(r.code, 2);
  assert.match(
    new TextDecoder().decode(r.stderr),
    /^--threads 0 is too small: expected an integer ≥ 1\nusage: deno run --allow-all tools\/cores_check.ts/,
  );
});
