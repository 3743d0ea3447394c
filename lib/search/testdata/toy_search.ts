/**
 * Fixture for the kill-and-resume test: regularized evolution on the toy space, writing its
 * history to argv[0] and one line per evaluator call to argv[1]; each evaluation takes ~15 ms.
 */
import { regularizedEvolution } from "../evolution.ts";
import { toyScore, toySpace } from "./toy_space.ts";

const [historyPath, callsPath] = Deno.args;
const r = await regularizedEvolution(toySpace, async (a) => {
  await Deno.writeTextFile(callsPath, a.join("") + "\n", { append: true });
  await new Promise((res) => setTimeout(res, 15));
  return { score: toyScore(a), seconds: 0.015 };
}, { seed: 7, population: 12, sample: 4, children: 3, generations: 20, historyPath });
console.log(
  JSON.stringify({ records: r.history.records.length, replayed: r.replayed, evaluated: r.evaluated }),
);
