/**
 * Shard processes for the searches' shard tests: a search's shards must run at the same time (each
 * reads the others' scores), so a test starts them as child processes while it runs the
 * one-process search itself.
 *
 * @module
 */
import assert from "node:assert/strict";

/**
 * Start `count` children `deno run --allow-all SCRIPT DIR i/count`, DIR = `ROOT/t-shard-i-of-count`.
 * `done()` waits for all of them and fails with the stderr of the first that failed.
 */
export function startShardChildren(
  script: string,
  root: string,
  count = 2,
): { dirs: string[]; done: () => Promise<void> } {
  const dirs = Array.from({ length: count }, (_, i) => `${root}/t-shard-${i}-of-${count}`);
  const children = dirs.map((d, i) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", script, d, `${i}/${count}`],
      stderr: "piped",
    })
      .output()
  );
  return {
    dirs,
    done: async () => {
      for (const r of await Promise.all(children)) assert.ok(r.success, new TextDecoder().decode(r.stderr));
    },
  };
}
