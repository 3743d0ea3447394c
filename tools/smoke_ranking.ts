// Does the quickstart's generated data make the proxies' ranking mean something? Runs part 2 of the
// quickstart (lib/experiments/quickstart/config.ts QUICKSTART_STUDY, smoke's archs and levels) for
// several seeds and prints each Spearman and the truth's spread (README "Quickstart ranking").
// `deno run -A tools/smoke_ranking.ts [--seeds 9000,9001,9002] [--cue colour|texture] [--noise N]
// [--epochs E]`
import { parseArgs } from "node:util";
import { runPerArchStudy } from "../lib/experiments/pipelines/nb201_per_arch.ts";
import { QUICKSTART, QUICKSTART_STUDY } from "../lib/experiments/quickstart/config.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seeds: { type: "string", default: "9000,9001,9002" },
    cue: { type: "string" },
    noise: { type: "string" },
    epochs: { type: "string" },
  },
});
const cue = values.cue ?? QUICKSTART_STUDY.cue ?? "colour";
if (cue !== "colour" && cue !== "texture") {
  console.error("usage: smoke_ranking.ts [--seeds a,b] [--cue colour|texture] [--noise N] [--epochs E]");
  Deno.exit(2);
}
const base = {
  ...structuredClone(QUICKSTART_STUDY),
  archs: QUICKSTART.smoke.archs,
  fractions: QUICKSTART.smoke.fractions,
};
const cfg0 = {
  ...base,
  cue: cue as "colour" | "texture",
  noise: values.noise ? Number(values.noise) : base.noise,
  truthTraining: {
    ...base.truthTraining,
    epochs: values.epochs ? Number(values.epochs) : base.truthTraining.epochs,
  },
};
console.log(`cue ${cfg0.cue}, noise ${cfg0.noise}, truth epochs ${cfg0.truthTraining.epochs}`);
const all: Record<string, number[]> = {};
for (const seed of values.seeds.split(",").map(Number)) {
  const dir = await Deno.makeTempDir();
  try {
    const t = performance.now();
    const r = await runPerArchStudy({ ...cfg0, seed }, { dir });
    const acc = [...r.truth.values()];
    const line = r.table.map((row) => {
      (all[`${row.proxy} ${row.level}`] ??= []).push(row.spearman.value);
      return `${row.proxy} ${row.level} ${row.spearman.value.toFixed(2)}`;
    });
    console.log(
      `seed ${seed}: ${line.join(", ")}; truth ${Math.min(...acc).toFixed(3)}–${
        Math.max(...acc).toFixed(3)
      }; ${((performance.now() - t) / 1000).toFixed(0)} s`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
for (const [k, v] of Object.entries(all)) {
  console.log(`mean ${k}: ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(2)} over ${v.length} seeds`);
}
