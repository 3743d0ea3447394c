import assert from "node:assert/strict";
import {
  exportStatic,
  figureDiv,
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
