import assert from "node:assert/strict";
import pl from "nodejs-polars";
import {
  formatCell,
  latexEscape,
  paperVsOurs,
  recordsToFrame,
  toLatex,
  toMarkdown,
  writeTable,
} from "./table.ts";

const rows = [
  { method: "ZiCo", level: "0%", spearman: 0.7412, n: 20 },
  { method: "SiGeo_cv", level: "10%", spearman: NaN, n: 3 },
];

Deno.test("toMarkdown: exact text, numeric columns right-aligned, NaN visible, pipes escaped", () => {
  assert.equal(
    toMarkdown(rows, { decimals: { spearman: 2 } }),
    [
      "| method   | level | spearman |   n |",
      "| -------- | ----- | -------: | --: |",
      "| ZiCo     | 0%    |     0.74 |  20 |",
      "| SiGeo_cv | 10%   |      NaN |   3 |",
      "",
    ].join("\n"),
  );
  assert.match(toMarkdown([{ a: "x|y" }]), /x\\\|y/);
});

Deno.test("toLatex: exact booktabs text with escaping, caption and label", () => {
  assert.equal(
    toLatex(rows, {
      decimals: { spearman: 2 },
      caption: "Rank correlation (smoke scale, 100% = all)",
      label: "tab:c",
    }),
    [
      "\\begin{table}[t]",
      "  \\centering",
      "  \\caption{Rank correlation (smoke scale, 100\\% = all)}",
      "  \\label{tab:c}",
      "  \\begin{tabular}{llrr}",
      "    \\toprule",
      "    method & level & spearman & n \\\\",
      "    \\midrule",
      "    ZiCo & 0\\% & 0.74 & 20 \\\\",
      "    SiGeo\\_cv & 10\\% & NaN & 3 \\\\",
      "    \\bottomrule",
      "  \\end{tabular}",
      "\\end{table}",
      "",
    ].join("\n"),
  );
  assert.equal(
    latexEscape("a_b&c#d$e{f}~^\\"),
    "a\\_b\\&c\\#d\\$e\\{f\\}\\textasciitilde{}\\textasciicircum{}\\textbackslash{}",
  );
});

Deno.test("formatCell and Polars frames", () => {
  assert.equal(formatCell(Infinity), "Inf");
  assert.equal(formatCell(-Infinity), "-Inf");
  assert.equal(formatCell(3), "3");
  assert.equal(formatCell(1 / 3), "0.3333");
  assert.equal(formatCell(null), "");
  const df = pl.DataFrame({ a: [1.5, 2.25], b: ["x", "y"] });
  assert.equal(toMarkdown(df), "|      a | b   |\n| -----: | --- |\n| 1.5000 | x   |\n| 2.2500 | y   |\n");
});

Deno.test("paperVsOurs: joined, differences, unmatched rows kept", () => {
  const paper = [{ ds: "c10", m: "SiGeo", v: 0.83 }, { ds: "c100", m: "SiGeo", v: 0.85 }];
  const ours = [{ ds: "c10", m: "SiGeo", s: 0.8 }, { ds: "in16", m: "SiGeo", s: 0.5 }];
  const t = paperVsOurs(paper, ours, ["ds", "m"], { paper: "v", ours: "s" }, "smoke");
  assert.equal(t.length, 3);
  assert.deepEqual(t[0], { ds: "c10", m: "SiGeo", paper: 0.83, ours: 0.8, diff: 0.8 - 0.83, scale: "smoke" });
  assert.ok(Number.isNaN(t[1].ours as number));
  assert.equal(t[2].ds, "in16");
});

Deno.test("writeTable: csv, md and tex files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const files = await writeTable(dir, "t", rows, { decimals: { spearman: 2 } });
    assert.equal(files.length, 3);
    const csv = await Deno.readTextFile(`${dir}/t.csv`);
    assert.equal(csv.split("\n")[0], "method,level,spearman,n");
    assert.match(csv, /SiGeo_cv,10%,NaN,3/);
    assert.equal(recordsToFrame(rows).height, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
