/**
 * A recommender search small enough for tests (seconds on a CPU), and a script that runs it in a
 * folder given on the command line, so a test can kill it (SIGKILL) at any phase and resume, or
 * run it as shard i/n (`tiny.ts RUN_DIR i/n`: the search in `RUN_DIR/criteo-autoctr`, RUN_DIR named
 * `…-shard-i-of-n`).
 *
 * @module
 */
import { type RecsysSearchConfig, recsysSearchConfig, runRecsysSearch } from "../run.ts";
import { parseShard } from "../../shard.ts";
import { openSearchShard } from "../../search_shard.ts";

/** The smoke config shrunk: 2 000 generated Criteo rows, 2 blocks, 7 candidates per search. */
export function tinyRecsysConfig(): RecsysSearchConfig {
  return {
    ...recsysSearchConfig("smoke"),
    rows: 2000,
    numBlocks: 2,
    batchSize: 64,
    fullPathSteps: 10,
    checkpointEvery: 3,
    evolution: { population: 3, sample: 2, children: 2, generations: 2 },
    oneShot: { finetuneSteps: 2, valRows: 200 },
    topK: 2,
    finalEpochs: 1,
  };
}

if (import.meta.main) {
  const dir = Deno.args[0];
  if (!dir) throw new Error("usage: tiny.ts RUN_DIR [i/n]");
  if (Deno.args[1]) {
    const shard = parseShard(Deno.args[1]);
    await runRecsysSearch(tinyRecsysConfig(), {
      dir: `${dir}/criteo-autoctr`,
      shard: { shard, stream: (m) => openSearchShard(dir, shard, "criteo-autoctr", m) },
    });
  } else await runRecsysSearch(tinyRecsysConfig(), { dir, log: (l) => console.log(l) });
}
