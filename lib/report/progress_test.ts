import assert from "node:assert/strict";
import {
  formatDuration,
  formatRate,
  lineProgress,
  phaseProgress,
  Progress,
  progressCallback,
} from "./progress.ts";

/** A bar on a fake clock (ms) writing into an array. */
function fake(opts: ConstructorParameters<typeof Progress>[0] = {}) {
  const out: string[] = [];
  const clock = { t: 1000 };
  const bar = new Progress({ write: (s) => out.push(s), now: () => clock.t, columns: 200, ...opts });
  return { bar, out, clock };
}

Deno.test("formatDuration and formatRate", () => {
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(42.4), "42s");
  assert.equal(formatDuration(185), "3m05s");
  assert.equal(formatDuration(2 * 3600 + 7 * 60 + 20), "2h07m");
  assert.equal(formatDuration(3 * 86400 + 4 * 3600), "3d04h");
  assert.equal(formatDuration(NaN), "?");
  assert.equal(formatDuration(Infinity), "?");
  assert.equal(formatRate(12.345), "12.3/s");
  assert.equal(formatRate(250), "250/s");
  assert.equal(formatRate(0.25), "4.00 s/it");
  assert.equal(formatRate(NaN), "–/s");
  assert.equal(formatRate(0), "–/s");
});

Deno.test("Progress text: count, percent, rate and ETA; replayed steps excluded from the rate", () => {
  const { bar, clock } = fake({ label: "search", total: 10, mode: "silent" });
  clock.t += 1500;
  bar.advance(3, { note: "best 0.5" });
  // 3 steps in 1.5 s = 2/s; 7 left → 3.5 s
  assert.equal(bar.rate(), 2);
  assert.equal(bar.eta(), 3.5);
  assert.equal(bar.text(), "search [######..............] 3/10 30% 2.00/s ETA 4s best 0.5");
  const r = fake({ label: "s", total: 10, mode: "silent" });
  r.bar.advance(5, { replayed: true });
  r.clock.t += 2000;
  r.bar.tick();
  // 1 real step in 2 s: 0.5/s, 4 left → 8 s
  assert.equal(r.bar.rate(), 0.5);
  assert.equal(r.bar.eta(), 8);
  assert.equal(r.bar.text(), "s [############........] 6/10 60% 2.00 s/it ETA 8s (5 replayed)");
  const u = fake({ label: "u", mode: "silent" });
  u.clock.t += 4000;
  u.bar.advance(8);
  assert.equal(u.bar.text(), "u 8 2.00/s 4s elapsed");
  assert.ok(Number.isNaN(u.bar.eta()));
});

Deno.test("Progress tty: one line redrawn in place, throttled, ended with a newline", async () => {
  const { bar, out, clock } = fake({ label: "warm-up", total: 100, mode: "tty", intervalMs: 250 });
  for (let i = 0; i < 100; i++) {
    clock.t += 10; // 100 steps over 1 s: a redraw at most every 250 ms
    bar.tick();
  }
  assert.ok(out.length >= 4 && out.length <= 5, `${out.length} redraws`);
  assert.ok(out.every((s) => s.startsWith("\r") && s.endsWith("\x1b[K")));
  await bar.finish();
  const last = out.at(-1)!;
  assert.equal(last, "\rwarm-up [####################] 100/100 100% 100/s in 1s\x1b[K\n");
  await bar.finish(); // idempotent
  assert.equal(out.at(-1), last);
  const narrow = fake({ label: "x".repeat(80), total: 5, mode: "tty", columns: 40 });
  narrow.bar.tick();
  assert.equal(narrow.out[0].replace("\x1b[K", "").length, 1 + 39);
});

Deno.test("Progress lines: a line at each 10 % and when time passes, none in between", async () => {
  const { bar, out, clock } = fake({ label: "eval", total: 100, mode: "lines", linesMs: 60_000 });
  for (let i = 0; i < 100; i++) {
    clock.t += 100;
    bar.tick();
  }
  // the first step, then 10 %, 20 %, …, 100 %
  assert.equal(out.length, 11);
  assert.ok(out.every((s) => s.endsWith("\n") && !s.includes("\r")));
  assert.match(out[1], /^eval \[##\.{18}\] 10\/100 10% 10\.0\/s ETA 9s\n$/);
  await bar.finish("done");
  assert.equal(out.length, 12);
  assert.match(out[11], /100\/100 100% 10\.0\/s in 10s done\n$/);
  // unknown total: time-based lines only
  const u = fake({ label: "u", mode: "lines", linesMs: 1000 });
  for (let i = 0; i < 50; i++) {
    u.clock.t += 100;
    u.bar.tick();
  }
  assert.equal(u.out.length, 5); // at 0.1 s, then every second of the 5 s
});

Deno.test("Progress jupyter: one display, then in-order updates of the same display_id", async () => {
  const shown: { bundle: Record<string, string>; opts: { display_id: string; update?: boolean } }[] = [];
  const { bar, clock } = fake({
    label: "search <b>",
    total: 4,
    mode: "jupyter",
    intervalMs: 500,
    display: async (bundle, opts) => {
      await new Promise((r) => setTimeout(r, shown.length === 0 ? 20 : 0)); // a slow first send
      shown.push({ bundle, opts });
    },
  });
  for (let i = 0; i < 4; i++) {
    clock.t += 300;
    bar.tick();
  }
  await bar.finish();
  assert.equal(shown.length, 3); // t = 300, 900, and the final state
  assert.equal(shown[0].opts.update, undefined);
  assert.ok(shown.slice(1).every((s) => s.opts.update === true));
  assert.equal(new Set(shown.map((s) => s.opts.display_id)).size, 1);
  assert.match(shown[0].bundle["text/plain"], /1\/4/);
  assert.match(shown[2].bundle["text/plain"], /4\/4 100%/);
  assert.match(
    shown[2].bundle["text/html"],
    /<progress value="1\.0000" max="1"><\/progress> search &lt;b&gt;/,
  );
  // a failing display does not break the loop it reports on
  const bad = fake({ total: 2, mode: "jupyter", display: () => Promise.reject(new Error("kernel gone")) });
  bad.bar.tick();
  await bad.bar.finish();
});

Deno.test("Progress silent: counts without writing", async () => {
  const { bar, out } = fake({ total: 3, silent: true, mode: "tty" });
  bar.advance(3);
  await bar.finish();
  assert.equal(bar.mode, "silent");
  assert.equal(bar.done, 3);
  assert.deepEqual(out, []);
});

Deno.test("progressCallback: (done, total) calls drive one bar that finishes at the total", () => {
  const lines: string[] = [];
  let t = 0;
  const cb = progressCallback("run", { mode: "lines", write: (s) => lines.push(s), now: () => (t += 500) });
  for (let i = 1; i <= 4; i++) cb(i, 4);
  assert.equal(lines.length, 5); // 25 %, 50 %, 75 %, 100 % and the finished line
  assert.match(lines[0], /^run \[#####\.+\] 1\/4 25% /);
  assert.match(lines.at(-1)!, /4\/4 100% .* in \d/);
});

Deno.test("lineProgress: plain lines without trailing whitespace, the last at 100 %", () => {
  const lines: string[] = [];
  const cb = lineProgress("study", (l) => lines.push(l));
  for (let i = 1; i <= 10; i++) cb(i, 10);
  assert.ok(lines.length >= 2, lines.join("\n"));
  for (const l of lines) assert.equal(l, l.trimEnd());
  assert.match(lines[0], /^study /);
  assert.match(lines.at(-1)!, /10\/10 100%/);
});

Deno.test("progressCallback: the clock starts when the callback is made, so the last line has the whole elapsed time", () => {
  const lines: string[] = [];
  let t = 0;
  const cb = progressCallback("cell", { mode: "lines", write: (s) => lines.push(s), now: () => t });
  t = 60_000; // a minute of warm-up and search before the first report
  cb(1, 2);
  t = 64_000;
  cb(2, 2);
  assert.match(lines.at(-1)!, / in 1m04s/);
  assert.match(lines[0], / 1\/2 50% 60\.0 s\/it ETA 1m00s/);
});

Deno.test("phaseProgress: one bar per phase, labelled with the prefix, its clock started when the phase opens", async () => {
  const lines: string[] = [];
  let t = 0;
  const bar = phaseProgress("recsys-search", { mode: "lines", write: (s) => lines.push(s), now: () => t });
  t = 100_000; // earlier phases took 100 s: they must not enter this one's rate or elapsed time
  const p = bar("search zico (warm-up 0%)");
  p.setTotal(4);
  p.advance(2, { replayed: true });
  t = 104_000;
  p.advance(2);
  await p.finish("done");
  assert.equal(
    lines.at(-1),
    "recsys-search: search zico (warm-up 0%) [####################] 4/4 100% 2.00 s/it in 4s (2 replayed) done\n",
  );
  assert.equal(bar("final training").label, "recsys-search: final training");
});
