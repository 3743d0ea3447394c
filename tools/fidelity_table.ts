/**
 * The README's fidelity table: per proxy with a float64 definition on NB201, the relative error of
 * the tfjs value against float64 on the four kinds of cells of issue 16 (reference, pools and
 * skips, a dead node, `none` edges without one), same weights, real CIFAR-10 images
 * (lib/proxies/testing/fidelity.ts has the definitions and what an error contains).
 *
 *     deno run -A --frozen tools/fidelity_table.ts [--C 8] [--N 2] [--n 16] [--px 16] [--seed 0]
 *       [--proxies NAME,…] [--json]
 *
 * Defaults: C = 8, N = 2 (8 cells deep: 2 cells, a reduction block, 2 cells, a block, 2 cells), 4
 * batches (SiGeo, ZiCo; the baselines use the first) of 16 real images centre-cropped to 16×16, as
 * lib/kernels/bn_fidelity_test.ts: a float64 pass takes ~0.4 s, the table a few minutes (longer on a
 * loaded machine). `--n 32 --px 32` (whole images) takes ~4 s a pass; the benchmark's C = 16, N = 5 at
 * batch 64 works too, but each float64 pass takes ~35 s (hours for the table). Prints a Markdown
 * table (or JSON lines with --json); progress per cell goes to stderr. `--proxies zen,meco` measures
 * only those rows (registry names with a float64 definition), e.g. to add a row to the table.
 *
 * @module
 */
import { initBackend } from "../lib/backend.ts";
import {
  CIFAR_SAMPLE,
  cifarBatches,
  FIDELITY_CELLS,
  type FidelityConfig,
  type FidelityRow,
  FLOAT64_DEFINITIONS,
  MASKABLE,
  measureCell,
} from "../lib/proxies/testing/fidelity.ts";

const USAGE = "usage: deno run -A --frozen tools/fidelity_table.ts [--C 8] [--N 2] [--n 16] [--px 16] " +
  "[--seed 0] [--proxies NAME,…] [--json]";

/** The options; `names` undefined = every proxy with a float64 definition. */
export function parse(args: string[]): { cfg: FidelityConfig; json: boolean; names?: string[] } {
  const cfg: FidelityConfig = { C: 8, N: 2, n: 16, batches: 4, px: 16, seed: 0 };
  let json = false, names: string[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--json") json = true;
    else if (a === "--proxies") {
      names = (args[++i] ?? "").split(",").filter((s) => s !== "");
      const known = Object.keys(FLOAT64_DEFINITIONS);
      const bad = names.filter((s) => !known.includes(s));
      if (names.length === 0 || bad.length > 0) {
        throw new RangeError(
          `Expected --proxies NAME,… of ${known.join(", ")}; got '${bad.join(",") || (args[i] ?? "")}'`,
        );
      }
    } else if (["--C", "--N", "--n", "--px", "--seed"].includes(a)) {
      const v = Number(args[++i]);
      if (!Number.isInteger(v) || v < 0) {
        throw new RangeError(`Expected a whole number after ${a}, got '${args[i]}'`);
      }
      (cfg as unknown as Record<string, number>)[a.slice(2)] = v;
    } else throw new RangeError(`Unknown option '${a}'`);
  }
  return { cfg, json, names };
}

const fmt = (e: number | undefined) => (e === undefined ? "" : e === 0 ? "0" : e.toExponential(1));

async function main() {
  let opts;
  try {
    opts = parse(Deno.args);
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    Deno.exit(2);
  }
  const { cfg, json, names } = opts;
  const info = await initBackend({ quiet: true });
  const data = await cifarBatches(cfg);
  if (!data) {
    console.error(`Cannot read the CIFAR-10 sample ${CIFAR_SAMPLE.pathname}\n${USAGE}`);
    Deno.exit(2);
  }
  const cells = Object.entries(FIDELITY_CELLS);
  const results: Array<{ cell: string; rows: FidelityRow[]; reluFlips: number; reluUnits: number }> = [];
  for (const [cell, arch] of cells) {
    const t = performance.now();
    const r = await measureCell(arch, cfg, data, { aligned: true, names });
    results.push({ cell, ...r });
    const seconds = +((performance.now() - t) / 1000).toFixed(1);
    if (json) {
      for (const row of r.rows) {
        console.log(JSON.stringify({ cell, arch, ...cfg, backend: info.name, ...row }));
      }
    }
    console.error(JSON.stringify({ cell, reluFlips: r.reluFlips, reluUnits: r.reluUnits, seconds }));
  }
  if (json) return;
  const date = new Date().toISOString().slice(0, 10);
  console.log(
    `${date}, backend ${info.name}, NB201 C=${cfg.C} N=${cfg.N}, seed ${cfg.seed}, ${cfg.batches} batches of ` +
      `${cfg.n} real CIFAR-10 images (${cfg.px}×${cfg.px}); ReLU inputs of batch 0 whose float32 sign differs ` +
      `from float64: ${results.map((r) => `${r.cell} ${r.reluFlips}/${r.reluUnits}`).join(", ")}.\n`,
  );
  console.log(`| proxy | ${cells.map(([c]) => c).join(" | ")} | max | max along float32 ReLU masks |`);
  console.log(`| --- | ${cells.map(() => "---").join(" | ")} | --- | --- |`);
  for (const [i, row] of results[0].rows.entries()) {
    const errs = results.map((r) => r.rows[i].relErr);
    const aligned = MASKABLE.has(row.proxy)
      ? Math.max(...results.map((r) => r.rows[i].alignedRelErr!))
      : undefined;
    console.log(
      `| \`${row.proxy}\` | ${errs.map(fmt).join(" | ")} | ${fmt(Math.max(...errs))} | ${fmt(aligned)} |`,
    );
  }
}

if (import.meta.main) await main();
