import assert from "node:assert/strict";
import { History, type HistoryRecord } from "./history.ts";

const fixture = new URL("./testing/toy_search.ts", import.meta.url).pathname;
const strip = (rs: readonly HistoryRecord[]) => rs.map(({ at: _at, ...r }) => r);
const lines = async (path: string) =>
  (await Deno.readTextFile(path).catch(() => "")).split("\n").filter(Boolean);

function command(history: string, calls: string, piped: boolean): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", fixture, history, calls],
    stdout: piped ? "piped" : "null",
    stderr: piped ? "piped" : "null",
  });
}

/** Start the fixture, SIGKILL it once its history has `minRecords` lines; the records left. */
async function killAt(history: string, calls: string, minRecords: number): Promise<number> {
  const child = command(history, calls, false).spawn();
  const t0 = performance.now();
  while ((await lines(history)).length < minRecords) {
    if (performance.now() - t0 > 30_000) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill("SIGKILL");
  const st = await child.status;
  assert.equal(st.signal, "SIGKILL", "killed, not finished on its own");
  return (await History.open(history)).records.length;
}

Deno.test("kill -9 twice mid-search, then resume: same history as an uninterrupted run, nothing lost or redone", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ref = await command(`${dir}/ref.jsonl`, `${dir}/ref.calls`, true).output();
    assert.ok(ref.success, new TextDecoder().decode(ref.stderr));
    const want = (await History.open(`${dir}/ref.jsonl`)).records;
    assert.equal(want.length, 72);
    assert.equal(new Set(await lines(`${dir}/ref.calls`)).size, 72);
    assert.ok(want.some((r) => Number.isNaN(r.score)), "the fixture's NaN scores are exercised");

    const h = `${dir}/h.jsonl`, c = `${dir}/calls`;
    const k1 = await killAt(h, c, 15);
    const k2 = await killAt(h, c, k1 + 20);
    assert.ok(k1 >= 15 && k2 > k1 && k2 < 72, `killed mid-search twice (${k1}, then ${k2} records)`);
    const resumed = await command(h, c, true).output();
    assert.ok(resumed.success, new TextDecoder().decode(resumed.stderr));
    const summary = JSON.parse(new TextDecoder().decode(resumed.stdout));
    assert.deepEqual(summary, { records: 72, replayed: k2, evaluated: 72 - k2 });

    const got = (await History.open(h)).records;
    // same keys, same order, same scores, terms, generations and architectures
    assert.deepEqual(strip(got), strip(want));

    // every candidate evaluated once, except one that may have been in flight at each kill —
    // and then only the candidate right after the records that survived that kill
    const calls = await lines(c);
    const count = new Map<string, number>();
    for (const k of calls) count.set(k, (count.get(k) ?? 0) + 1);
    assert.deepEqual([...count.keys()].sort(), want.map((r) => r.key).sort());
    const twice = [...count].filter(([, n]) => n > 1).map(([k]) => k);
    assert.ok(twice.every((k) => count.get(k) === 2));
    const inFlight = new Set([want[k1].key, want[k2].key]);
    assert.ok(twice.every((k) => inFlight.has(k)), `redone: ${twice}; allowed: ${[...inFlight]}`);
    assert.equal(calls.length, 72 + twice.length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
