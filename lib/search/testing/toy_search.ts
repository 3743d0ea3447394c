/**
 * Fixture for the kill-and-resume test: regularized evolution on the toy space, seed 7, writing its
 * history to argv[0] and one line per evaluator call to argv[1] (written before the evaluation, so
 * a call in flight at a kill is counted). Each evaluation takes ~15 ms; candidates starting with
 * bit 2 = 0 and bit 5 = 1 score NaN, so non-finite scores go through kill and replay too.
 */
import { regularizedEvolution } from "../evolution.ts";
import { toyScore, toySpace } from "./toy_space.ts";

const [historyPath, callsPath] = Deno.args;
const r = await regularizedEvolution(toySpace, async (a) => {
  Deno.writeTextFileSync(callsPath, a.join("") + "\n", { append: true });
  await new Promise((res) => setTimeout(res, 15));
  const score = a[2] === 0 && a[5] === 1 ? NaN : toyScore(a);
  return { score, terms: { ones: a.filter((b) => b === 1).length }, seconds: 0.015 };
}, { seed: 7, population: 12, sample: 4, children: 3, generations: 20, historyPath });
console.log(
  JSON.stringify({ records: r.history.records.length, replayed: r.replayed, evaluated: r.evaluated }),
);
