import assert from "node:assert/strict";
import pl from "nodejs-polars";
import {
  formatCell,
  latexEscape,
  meaningfulDecimals,
  notebookTable,
  paperVsOurs,
  paperVsOursCaption,
  recordsToFrame,
  signedFormat,
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

Deno.test("paperVsOurs: joined, differences, unmatched rows kept as missing (not NaN)", () => {
  const paper = [{ ds: "c10", m: "SiGeo", v: 0.83 }, { ds: "c100", m: "SiGeo", v: 0.85 }];
  const ours = [{ ds: "c10", m: "SiGeo", s: 0.8 }, { ds: "in16", m: "SiGeo", s: NaN }];
  const t = paperVsOurs(paper, ours, ["ds", "m"], { paper: "v", ours: "s" }, "smoke");
  assert.deepEqual(t, [
    { ds: "c10", m: "SiGeo", paper: 0.83, ours: 0.8, diff: 0.8 - 0.83, scale: "smoke" },
    { ds: "c100", m: "SiGeo", paper: 0.85, ours: null, diff: null, scale: "smoke" },
    { ds: "in16", m: "SiGeo", paper: null, ours: NaN, diff: null, scale: "smoke" },
  ]);
  assert.throws(() => paperVsOurs(paper, ours, ["ds"], "v", "smoke"), {
    name: "TypeError",
    message: 'Cannot compare paper with ours: the ours table has no column "v"',
  });
  assert.throws(
    () => paperVsOurs(paper, [...ours, ours[0]], ["ds", "m"], { paper: "v", ours: "s" }, "smoke"),
    /the ours table has two rows for ds=c10, m=SiGeo/,
  );
});

Deno.test("paperVsOurs on Polars frames: digitised carried over; Markdown and LaTeX of the result", () => {
  const paper = pl.DataFrame({
    method: ["SiGeo", "ZiCo", "DNAS"],
    logloss: [0.4396, 0.4408, 0.4442],
    source: ["fig", "fig", "fig"],
    digitised: [true, true, true],
  });
  const ours = pl.DataFrame({ method: ["ZiCo", "SiGeo"], logloss: [0.45, 0.43958] });
  const t = paperVsOurs(paper, ours, ["method"], "logloss", "small");
  assert.deepEqual(t.map((r) => r.method), ["SiGeo", "ZiCo", "DNAS"]);
  assert.deepEqual(Object.keys(t[0]), ["method", "paper", "ours", "diff", "digitised", "scale"]);
  const fmt = {
    decimals: { paper: 4, ours: 4 },
    format: { diff: signedFormat(4) },
    align: { digitised: "center" as const },
    missing: "–",
  };
  assert.equal(
    toMarkdown(t, fmt),
    [
      "| method |  paper |   ours |    diff | digitised | scale |",
      "| ------ | -----: | -----: | ------: | :-------: | ----- |",
      "| SiGeo  | 0.4396 | 0.4396 |  0.0000 |   true    | small |",
      "| ZiCo   | 0.4408 | 0.4500 | +0.0092 |   true    | small |",
      "| DNAS   | 0.4442 |      – |       – |   true    | small |",
      "",
    ].join("\n"),
  );
  assert.equal(
    toLatex(t, {
      ...fmt,
      columns: ["method", "paper", "ours", "diff"],
      caption: paperVsOursCaption("Log loss", "small"),
    }),
    [
      "\\begin{table}[t]",
      "  \\centering",
      "  \\caption{Log loss: paper vs ours (ours at small scale); diff = ours - paper}",
      "  \\begin{tabular}{lrrr}",
      "    \\toprule",
      "    method & paper & ours & diff \\\\",
      "    \\midrule",
      "    SiGeo & 0.4396 & 0.4396 & 0.0000 \\\\",
      "    ZiCo & 0.4408 & 0.4500 & +0.0092 \\\\",
      "    DNAS & 0.4442 & – & – \\\\",
      "    \\bottomrule",
      "  \\end{tabular}",
      "\\end{table}",
      "",
    ].join("\n"),
  );
  assert.equal(
    paperVsOursCaption("Spearman", "smoke"),
    "Spearman: paper vs ours (ours at smoke scale, generated data: a check of the pipeline, not of the paper's numbers); diff = ours - paper",
  );
});

Deno.test("signedFormat, bigint cells and alignment overrides", () => {
  const f = signedFormat(2);
  assert.deepEqual([f(0.004), f(0.1), f(-0.1), f(0), f(NaN), f(null)], [
    "0.00",
    "+0.10",
    "-0.10",
    "0.00",
    "NaN",
    "",
  ]);
  assert.equal(formatCell(12345678901234567890n), "12345678901234567890");
  assert.equal(
    toMarkdown([{ k: "a", n: 1n }, { k: "bb", n: 22n }], { align: { k: "right", n: "left" } }),
    "|   k | n   |\n| --: | --- |\n|   a | 1   |\n|  bb | 22  |\n",
  );
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
    // a constant first column in the CSV only (a smoke run's label); the Markdown stays as it was
    const md = await Deno.readTextFile(`${dir}/t.md`);
    await writeTable(dir, "t", rows, {
      decimals: { spearman: 2 },
      csvColumn: ["run_scale", "smoke (generated data)"],
    });
    const lines = (await Deno.readTextFile(`${dir}/t.csv`)).trimEnd().split("\n");
    assert.equal(lines[0], "run_scale,method,level,spearman,n");
    assert.equal(lines.length, 3);
    for (const l of lines.slice(1)) assert.ok(l.startsWith("smoke (generated data),"), l);
    assert.equal(await Deno.readTextFile(`${dir}/t.md`), md);
    await assert.rejects(
      () => writeTable(dir, "t", rows, { csvColumn: ["level", "x"] }),
      /CSV column 'level'/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("notebookTable: numbers rounded to their meaning, integers whole, labels escaped and wrapping", () => {
  const t = notebookTable([{
    space: "NASRec-Small <a>",
    spearman: -0.8449887057152897,
    test_logloss: 0.46123456,
    n: 3,
  }]);
  const b = t[Symbol.for("Jupyter.display")]();
  assert.match(b["text/markdown"], /\| NASRec-Small <a> \| +-0\.845 \| +0\.4612 \| +3 \|/);
  assert.ok(b["text/html"].includes("NASRec-Small &lt;a&gt;"));
  assert.ok(b["text/html"].includes("overflow-wrap:anywhere"));
  assert.ok(!b["text/html"].includes("0.84498"));
  assert.equal(meaningfulDecimals("kendall_tau"), 3);
  assert.equal(meaningfulDecimals("params"), undefined);
});
