import assert from "node:assert/strict";
import {
  display,
  exportImage,
  exportStatic,
  figureDiv,
  findChromium,
  imageFromDom,
  imagePage,
  inJupyter,
  lineChart,
  plotlyBundle,
  scatterChart,
  show,
  writeFigureHtml,
} from "./plotly.ts";

const fig = lineChart({
  x: ["0%", "10%"],
  series: [{ name: "SiGeo", y: [0.78, 0.83], error: { low: [0.7, 0.8], high: [0.8, 0.9] } }, {
    name: "ZiCo",
    y: [0.74, NaN],
  }],
  title: "Spearman vs warm-up",
  xTitle: "warm-up",
  yTitle: "Spearman ρ",
});

Deno.test("lineChart: traces, asymmetric error bars from intervals", () => {
  assert.equal(fig.data.length, 2);
  const e = fig.data[0].error_y as { array: number[]; arrayminus: number[] };
  assert.ok(Math.abs(e.array[0] - 0.02) < 1e-12 && Math.abs(e.arrayminus[1] - 0.03) < 1e-12);
  const s = scatterChart({
    points: [{ x: 0.1, y: 0.44, label: "SiGeo", group: "sub-one-shot" }, { x: 1, y: 0.441, group: "random" }],
    title: "t",
    xTitle: "GPU days",
    yTitle: "log loss",
    logX: true,
  });
  assert.deepEqual(s.data.map((d) => d.name), ["sub-one-shot", "random"]);
  assert.equal((s.layout!.xaxis as { type: string }).type, "log");
});

Deno.test("plotlyBundle: both MIME types; the library only when asked; NaN becomes null; no </script> break-out", async () => {
  const first = await plotlyBundle(fig, true), later = await plotlyBundle(fig, false);
  assert.deepEqual(Object.keys(first), ["application/vnd.plotly.v1+json", "text/html", "text/plain"]);
  assert.ok((first["text/html"] as string).length > 3e6, "plotly.js inlined");
  assert.ok((later["text/html"] as string).length < 5000);
  assert.match(later["text/html"] as string, /Plotly\.newPlot\("sigeo-fig-\d+", \[/);
  assert.match(later["text/html"] as string, /"y":\[0\.74,null\]/);
  assert.equal(later["text/plain"], "Plotly figure: Spearman vs warm-up");
  const evil = figureDiv({ data: [{ name: "</script><b>" }] }, "x");
  assert.ok(!evil.slice(0, evil.lastIndexOf("</script>")).includes("</script>"));
  assert.equal(inJupyter(), false);
  await show(fig); // a no-op outside Jupyter
});

Deno.test("writeFigureHtml: self-contained page; exportStatic explains a missing Chromium", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeFigureHtml(`${dir}/f.html`, [fig, fig]);
    const html = await Deno.readTextFile(`${dir}/f.html`);
    assert.ok(html.startsWith("<!DOCTYPE html>") && html.includes('id="fig-2"') && html.length > 3e6);
    await assert.rejects(
      () => exportStatic(`${dir}/f.html`, `${dir}/f.png`, { chromium: null }),
      /no Chromium found.*apt-get install chromium/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lineChart and scatterChart: exact figure JSON on fixed data", () => {
  const f = lineChart({
    series: [{ name: "a", x: [1, 2], y: [0.5, 0.25], error: [0.1, 0.2], dash: "dot" }],
    title: "T",
    xTitle: "X",
    yTitle: "Y",
    yRange: [0, 1],
  });
  assert.deepEqual(f, {
    data: [{
      type: "scatter",
      mode: "lines+markers",
      name: "a",
      x: [1, 2],
      y: [0.5, 0.25],
      line: { dash: "dot" },
      error_y: { type: "data", array: [0.1, 0.2], visible: true },
    }],
    layout: {
      title: { text: "T", x: 0, xref: "paper", xanchor: "left", y: 0.97, yanchor: "top" },
      xaxis: { title: { text: "X" } },
      yaxis: { title: { text: "Y" }, range: [0, 1] },
      legend: { orientation: "h", y: -0.2 },
      margin: { t: 70, r: 30 },
    },
  });
  assert.throws(
    () => lineChart({ series: [{ name: "b", y: [1] }], title: "", xTitle: "", yTitle: "" }),
    TypeError,
  );
  assert.throws(
    () => lineChart({ x: [1, 2], series: [{ name: "b", y: [1] }], title: "", xTitle: "", yTitle: "" }),
    /series "b": 2 x values but 1 y values/,
  );
  const s = scatterChart({
    points: [{ x: 0.1, y: 0.4396, label: "SiGeo" }, { x: 0.25, y: 0.4395 }],
    title: "t",
    xTitle: "GPU days",
    yTitle: "log loss",
  });
  assert.deepEqual(s.data, [{
    type: "scatter",
    mode: "markers+text",
    name: "points",
    x: [0.1, 0.25],
    y: [0.4396, 0.4395],
    text: ["SiGeo", ""],
    textposition: "top center",
    cliponaxis: false,
    marker: { size: 9 },
  }]);
  assert.deepEqual(s.layout?.margin, { t: 70, r: 100, l: 70 }); // room for the labels
});

Deno.test("figureDiv: later figures reference window.Plotly and wait for it", () => {
  const html = figureDiv({ data: [{ y: [1, Infinity] }], layout: { height: 300 } }, "f1");
  assert.equal(
    html,
    [
      '<div id="f1" style="width:100%;max-width:900px;height:300px"></div>',
      "<script>(function draw(tries) {",
      '  if (window.Plotly) { Plotly.newPlot("f1", [{"y":[1,null]}], {"height":300}, {"responsive":true,"displaylogo":false,"displayModeBar":"hover"}); return; }',
      "  if (tries < 200) { setTimeout(function () { draw(tries + 1); }, 50); return; }",
      '  document.getElementById("f1").textContent = "plotly.js is not loaded on this page: re-run the notebook, or call resetPlotlyLibrary() and show the figure again";',
      "})(0);</script>",
    ].join("\n"),
  );
});

Deno.test("display: a no-op outside Jupyter; show is the same function", async () => {
  assert.equal(inJupyter(), false);
  assert.equal(show, display);
  assert.equal(await display(fig), undefined);
});

Deno.test("findChromium: executable browser files on a given PATH, in name order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(await findChromium(dir), null);
    await Deno.writeTextFile(`${dir}/google-chrome`, "#!/bin/sh\n", { mode: 0o755 });
    await Deno.writeTextFile(`${dir}/chromium`, "not executable", { mode: 0o644 });
    assert.equal(await findChromium(`/nonexistent:${dir}`), `${dir}/google-chrome`);
    await Deno.chmod(`${dir}/chromium`, 0o755);
    assert.equal(await findChromium(dir), `${dir}/chromium`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("exportImage: clear message without Chromium; SVG/PNG taken from the dumped page", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      () => exportImage(fig, `${dir}/f.svg`, { chromium: null }),
      /Cannot export .*f\.svg as SVG: no Chromium found on PATH .*apt-get install chromium.*SIGEO_CHROMIUM/,
    );
    // A stand-in browser: checks it was handed the toImage page, prints what --dump-dom would.
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="700"><text>ρ & 1</text></svg>';
    const fake = `${dir}/fake-chromium`;
    await Deno.writeTextFile(
      fake,
      `#!/bin/sh\nfor a; do last="$a"; done\ngrep -q 'Plotly.toImage' "\${last#file://}" || exit 3\n` +
        `echo '<html><body><div id="fig"></div><pre id="out">data:image/svg+xml,${
          encodeURIComponent(svg).replaceAll("'", "%27")
        }</pre></body></html>'\n`,
      { mode: 0o755 },
    );
    await exportImage(fig, `${dir}/f.svg`, { chromium: fake });
    assert.equal(await Deno.readTextFile(`${dir}/f.svg`), svg);
    await assert.rejects(
      () => exportImage(fig, `${dir}/f.png`, { chromium: fake, format: "png" }),
      /did not render the PNG/,
    );
    const png = imageFromDom('<pre id="out">data:image/png;base64,iVBORw0KGgo=</pre>', "png");
    assert.deepEqual([...png], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.throws(
      () => imageFromDom('<pre id="out">ERROR boom</pre>', "svg"),
      /did not render the SVG: ERROR boom/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("imagePage: figure drawn static at the asked size, then Plotly.toImage", () => {
  const page = imagePage({ data: [{ y: [1] }], layout: { title: "t" } }, "/*lib*/", {
    format: "png",
    width: 640,
    height: 400,
    scale: 2,
  });
  assert.ok(page.includes("<script>/*lib*/</script>"));
  assert.ok(
    page.includes(
      'Plotly.newPlot("fig", [{"y":[1]}], {"title":"t","width":640,"height":400}, { staticPlot: true })',
    ),
  );
  assert.ok(page.includes('Plotly.toImage(gd, {"format":"png","width":640,"height":400,"scale":2})'));
});
