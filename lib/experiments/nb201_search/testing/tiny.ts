/**
 * An NB201 search small enough for tests (seconds on a CPU), and a script that runs it in a folder
 * given on the command line, whole or as shard i/n (`tiny.ts RUN_DIR [i/n]`, RUN_DIR named
 * `…-shard-i-of-n`), so a test can run shards as the separate processes they are.
 *
 * @module
 */
import { nb201SearchConfig, runNb201Search } from "../run.ts";
import type { Nb201SearchConfig } from "../config.ts";
import { parseShard } from "../../shard.ts";

/** The smoke config shrunk: 640 generated 8 × 8 images, C = 2, 2 generations of 3 children. */
export function tinyNb201SearchConfig(): Nb201SearchConfig {
  return {
    ...nb201SearchConfig("smoke"),
    C: 2,
    imageSize: 8,
    trainN: 640,
    testN: 128,
    supernet: { epochs: 1, batchSize: 64, lr: 0.05 },
    evolution: { population: 5, sample: 2, children: 3, generations: 2 },
    topK: 3,
    final: { epochs: 1, batchSize: 64, lr: 0.1 },
  };
}

if (import.meta.main) {
  const dir = Deno.args[0];
  if (!dir) throw new Error("usage: tiny.ts RUN_DIR [i/n]");
  const shard = Deno.args[1] ? parseShard(Deno.args[1]) : undefined;
  await runNb201Search(tinyNb201SearchConfig(), { dir, shard });
}
