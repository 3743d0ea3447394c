/**
 * Generated recommender files in the real formats (Criteo `train.txt`, Avazu `train.csv`, KDD 2012
 * `training.txt` + `userid_profile.txt`) with a planted signal, for tests and the `smoke` scale.
 * The click probability depends on a dense feature, on single categoricals, and on *products* of
 * pairs of categorical effects — interactions that dot-product / FM-style blocks can learn and a
 * linear model cannot, so a better architecture reaches a lower log loss. The signal fields have
 * small vocabularies (`signalVocab`) so their pairs are learnable from a few thousand rows; the
 * other fields are noise with larger vocabularies.
 *
 * Each row comes with its true click probability `p` and `pMain` (the same without the pair
 * products), so tests can check the signal is there and that the interactions carry part of it.
 * The hidden effects are fixed (their own seed); `seed` draws the rows. Files are written as a
 * stream to a temporary name and renamed.
 *
 * @module
 */
import { createRng, type Rng } from "../rng.ts";

/** Options of the generators. */
export interface GenRecsysOptions {
  rows: number;
  seed: number;
  /** distinct values of the noise fields @default {40} */
  vocab?: number;
  /** distinct values of the signal fields: small, so their pairs are learnable @default {8} */
  signalVocab?: number;
}

/** One generated row: its text and the truth behind its label. */
export interface GeneratedRow {
  line: string;
  label: 0 | 1;
  /** P(label = 1) */
  p: number;
  /** P(label = 1) without the pairwise interaction terms */
  pMain: number;
}

/** Options of the KDD generator. */
export interface GenKddOptions extends GenRecsysOptions {
  /** users 1…users; about 85 % of them are in the profile @default {500} */
  users?: number;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const hex8 = (rng: Rng) => rng.nextUint32().toString(16).padStart(8, "0");
/** A uniform 64-bit unsigned integer as decimal text (most exceed 2⁵³). */
const uint64Text = (rng: Rng) => ((BigInt(rng.nextUint32()) << 32n) | BigInt(rng.nextUint32())).toString();
const checkRows = (opts: GenRecsysOptions) => {
  if (!Number.isInteger(opts.rows) || opts.rows < 0) {
    throw new RangeError(`Expected a non-negative integer row count: got ${opts.rows}`);
  }
  const sv = opts.signalVocab ?? 8, vocab = opts.vocab ?? 40;
  if (!(Number.isInteger(sv) && sv >= 1 && Number.isInteger(vocab) && vocab >= 1)) {
    throw new RangeError(`Expected positive integer vocabularies: got signalVocab ${sv}, vocab ${vocab}`);
  }
};

// ---------------------------------------------------------------------------------------------
// Criteo

/** Generated Criteo rows (40 tab-separated fields). */
export function* criteoRows(opts: GenRecsysOptions): Generator<GeneratedRow> {
  checkRows(opts);
  const vocab = opts.vocab ?? 40, sv = opts.signalVocab ?? 8;
  if (!(Number.isInteger(sv) && sv >= 1 && Number.isInteger(vocab) && vocab >= sv)) {
    throw new RangeError(`Expected integer vocabularies with 1 ≤ signalVocab ≤ vocab: got ${sv}, ${vocab}`);
  }
  const world = createRng(1234, 0xc41);
  // Hidden per-value effects of the first 6 fields; fields 6.. are noise.
  const effect = Array.from({ length: 6 }, () => Array.from({ length: vocab }, () => world.normal()));
  const hexes = Array.from({ length: 26 }, () => Array.from({ length: vocab }, () => hex8(world)));
  const rng = createRng(opts.seed, 0xc42);
  for (let r = 0; r < opts.rows; r++) {
    const ints = Array.from({ length: 13 }, (_, j) => {
      if (rng.next() < 0.1) return ""; // missing
      const v = Math.floor(Math.exp(2.5 * rng.next())) - (j === 1 ? 2 : 0);
      return String(v);
    });
    const cats = Array.from({ length: 26 }, (_, f) => rng.int(f < 6 ? sv : vocab));
    const i0 = ints[0] === "" ? 0 : Math.log(Math.max(Number(ints[0]), 0) + 1);
    const main = -1.1 + 0.5 * (i0 - 1) + 0.6 * effect[0][cats[0]] + 0.4 * effect[5][cats[5]];
    const z = main + 1.2 * effect[1][cats[1]] * effect[2][cats[2]] +
      1.0 * effect[3][cats[3]] * effect[4][cats[4]];
    const p = sigmoid(z);
    const label = rng.next() < p ? 1 : 0;
    const catText = cats.map((c, f) => (rng.next() < 0.05 ? "" : hexes[f][c]));
    yield { line: [String(label), ...ints, ...catText].join("\t"), label, p, pMain: sigmoid(main) };
  }
}

/** The text of a generated Criteo `train.txt`. */
export function generateCriteoText(opts: GenRecsysOptions): string {
  return joinLines(criteoRows(opts));
}

/** Write a generated Criteo `train.txt` at `path` (streamed, atomically). */
export function writeCriteoFile(path: string, opts: GenRecsysOptions): Promise<void> {
  return writeLinesAtomic(path, linesOf(criteoRows(opts)));
}

// ---------------------------------------------------------------------------------------------
// Avazu

const AVAZU_HEADER = "id,click,hour,C1,banner_pos,site_id,site_domain,site_category,app_id,app_domain," +
  "app_category,device_id,device_ip,device_model,device_type,device_conn_type,C14,C15,C16,C17,C18,C19,C20,C21";

/**
 * Generated Avazu rows (24 comma-separated fields, header not included). Signal: site_id and
 * banner_pos alone, app_id × device_model, and C14 × hour of day.
 */
export function* avazuRows(opts: GenRecsysOptions): Generator<GeneratedRow> {
  checkRows(opts);
  const vocab = opts.vocab ?? 40, sv = opts.signalVocab ?? 8;
  const world = createRng(4321, 0xa7a);
  const eff = (n: number) => Array.from({ length: n }, () => world.normal());
  const site = eff(sv), app = eff(sv), model = eff(sv), c14 = eff(sv), hourOfDay = eff(24), banner = eff(8);
  const words = (n: number) => Array.from({ length: n }, () => hex8(world));
  const siteIds = words(sv), appIds = words(sv), models = words(sv);
  const domains = words(vocab), categories = words(Math.min(vocab, 26)), devices = words(vocab);
  const ips = words(vocab * 25);
  const c14Values = Array.from({ length: sv }, (_, k) => 15000 + 37 * k);
  const rng = createRng(opts.seed, 0xa7b);
  for (let r = 0; r < opts.rows; r++) {
    const id = uint64Text(rng);
    const day = 21 + rng.int(10), hour = rng.int(24);
    const s = rng.int(sv), a = rng.int(sv), m = rng.int(sv), c = rng.int(sv);
    const b = rng.next() < 0.7 ? 0 : rng.int(8);
    const main = -1.5 + 0.5 * site[s] + 0.3 * banner[b];
    const z = main + 1.2 * app[a] * model[m] + 1.0 * c14[c] * hourOfDay[hour];
    const p = sigmoid(z);
    const label = rng.next() < p ? 1 : 0;
    const fields = [
      id,
      String(label),
      `1410${day}${String(hour).padStart(2, "0")}`,
      String(rng.choice([1001, 1002, 1005, 1005, 1005, 1007, 1010])),
      String(b),
      siteIds[s],
      rng.choice(domains),
      rng.choice(categories),
      appIds[a],
      rng.choice(domains),
      rng.choice(categories),
      rng.next() < 0.8 ? "a99f214a" : rng.choice(devices),
      rng.choice(ips),
      models[m],
      String(rng.int(6)),
      String(rng.int(6)),
      String(c14Values[c]),
      String(rng.choice([320, 300, 216, 728])),
      String(rng.choice([50, 250, 36, 480, 90])),
      String(1000 + rng.int(vocab)),
      String(rng.int(4)),
      String(rng.choice([35, 39, 161, 1063])),
      rng.next() < 0.5 ? "-1" : String(100000 + rng.int(vocab)),
      String(rng.choice([79, 157, 23, 221])),
    ];
    yield { line: fields.join(","), label, p, pMain: sigmoid(main) };
  }
}

/** The text of a generated Avazu `train.csv` (with its header). */
export function generateAvazuText(opts: GenRecsysOptions): string {
  return AVAZU_HEADER + "\n" + joinLines(avazuRows(opts));
}

/** Write a generated Avazu `train.csv` at `path` (streamed, atomically). */
export function writeAvazuFile(path: string, opts: GenRecsysOptions): Promise<void> {
  return writeLinesAtomic(
    path,
    (function* () {
      yield AVAZU_HEADER;
      yield* linesOf(avazuRows(opts));
    })(),
  );
}

// ---------------------------------------------------------------------------------------------
// KDD Cup 2012 track 2

/** The hidden world of the KDD generator: users' profiles and ads, fixed by `users` and vocabularies. */
function kddWorld(opts: GenKddOptions) {
  const vocab = opts.vocab ?? 40, sv = opts.signalVocab ?? 8, users = opts.users ?? 500;
  const world = createRng(2012, 0x6dd);
  const eff = (n: number) => Array.from({ length: n }, () => world.normal());
  const profile: ({ gender: number; age: number } | null)[] = [null]; // user 0: unknown
  for (let u = 1; u <= users; u++) {
    profile.push(world.next() < 0.85 ? { gender: world.int(3), age: 1 + world.int(6) } : null);
  }
  const ads = Array.from({ length: sv }, () => ({
    url: uint64Text(world),
    adId: 1 + world.int(30_000_000),
    advertiser: 1 + world.int(40_000),
    title: 1 + world.int(4_000_000),
    description: 1 + world.int(3_000_000),
  }));
  const queries = Array.from({ length: sv }, () => 1 + world.int(26_000_000));
  const keywords = Array.from({ length: sv }, () => 1 + world.int(1_200_000));
  return {
    vocab,
    sv,
    users,
    profile,
    ads,
    queries,
    keywords,
    adMain: eff(sv),
    adPair: eff(sv),
    agePair: eff(7),
    gender: eff(3),
    query: eff(sv),
    keyword: eff(sv),
  };
}

/** Generated `userid_profile.txt` lines (UserID, Gender, Age), ascending by user. */
export function* kddProfileLines(opts: GenKddOptions): Generator<string> {
  const w = kddWorld(opts);
  for (let u = 1; u <= w.users; u++) {
    const pr = w.profile[u];
    if (pr) yield `${u}\t${pr.gender}\t${pr.age}`;
  }
}

/**
 * Generated `training.txt` rows (12 tab-separated fields). Clicks ~ Binomial(impressions, σ(z));
 * signal: position, the ad and gender alone, ad × age (age comes through the profile join) and
 * query × keyword; `p` is P(clicks > 0).
 */
export function* kddRows(opts: GenKddOptions): Generator<GeneratedRow> {
  checkRows(opts);
  const w = kddWorld(opts);
  const rng = createRng(opts.seed, 0x6de);
  for (let r = 0; r < opts.rows; r++) {
    const ad = rng.int(w.sv), q = rng.int(w.sv), k = rng.int(w.sv);
    const user = rng.next() < 0.1 ? 0 : 1 + rng.int(w.users);
    const pr = w.profile[user];
    const gender = pr?.gender ?? 0, age = pr?.age ?? 0;
    const depth = 1 + rng.int(3), position = 1 + rng.int(depth);
    let impressions = 1;
    while (impressions < 20 && rng.next() < 0.3) impressions++;
    const main = -2 - 0.5 * (position - 1) + 0.5 * w.adMain[ad] + 0.4 * w.gender[gender];
    const z = main + 1.2 * w.adPair[ad] * w.agePair[age] + 1.0 * w.query[q] * w.keyword[k];
    const s = sigmoid(z);
    let clicks = 0;
    for (let i = 0; i < impressions; i++) if (rng.next() < s) clicks++;
    const a = w.ads[ad];
    const fields = [
      clicks,
      impressions,
      a.url,
      a.adId,
      a.advertiser,
      depth,
      position,
      w.queries[q],
      w.keywords[k],
      a.title,
      a.description,
      user,
    ];
    yield {
      line: fields.join("\t"),
      label: clicks > 0 ? 1 : 0,
      p: 1 - (1 - s) ** impressions,
      pMain: 1 - (1 - sigmoid(main)) ** impressions,
    };
  }
}

/** The texts of generated KDD 2012 `training.txt` and `userid_profile.txt`. */
export function generateKdd2012Text(opts: GenKddOptions): { training: string; userProfile: string } {
  const profile = [...kddProfileLines(opts)];
  return { training: joinLines(kddRows(opts)), userProfile: profile.length ? profile.join("\n") + "\n" : "" };
}

/** Write generated `training.txt` and `userid_profile.txt` into `dir` (each atomically). */
export async function writeKdd2012Files(
  dir: string,
  opts: GenKddOptions,
): Promise<{ training: string; userProfile: string }> {
  const training = `${dir}/training.txt`, userProfile = `${dir}/userid_profile.txt`;
  await writeLinesAtomic(userProfile, kddProfileLines(opts));
  await writeLinesAtomic(training, linesOf(kddRows(opts)));
  return { training, userProfile };
}

// ---------------------------------------------------------------------------------------------
// Writing

function* linesOf(rows: Iterable<GeneratedRow>): Generator<string> {
  for (const r of rows) yield r.line;
}

function joinLines(rows: Iterable<GeneratedRow>): string {
  const out: string[] = [];
  for (const r of rows) out.push(r.line);
  return out.length ? out.join("\n") + "\n" : "";
}

/**
 * Write lines (each followed by `\n`) to `path` via a temporary file in the same folder and a
 * rename, in chunks, so large generated files never sit in memory whole.
 */
export async function writeLinesAtomic(path: string, lines: Iterable<string>): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const enc = new TextEncoder();
  const file = await Deno.open(tmp, { write: true, createNew: true });
  try {
    let chunk: string[] = [], size = 0;
    const flush = async () => {
      const bytes = enc.encode(chunk.join(""));
      for (let off = 0; off < bytes.length;) off += await file.write(bytes.subarray(off));
      chunk = [];
      size = 0;
    };
    for (const line of lines) {
      chunk.push(line, "\n");
      size += line.length + 1;
      if (size >= 1 << 20) await flush();
    }
    await flush();
    file.close();
    await Deno.rename(tmp, path);
  } catch (e) {
    try {
      file.close();
    } catch { /* already closed */ }
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}
