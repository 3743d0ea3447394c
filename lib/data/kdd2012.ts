/**
 * KDD Cup 2012 track 2 with NASRec's preprocessing (docs/nasrec.md §6, docs/data.md; NASRec
 * `tools/autoctr_split_data_kdd.py` + `utils/data_pipes.py`): `training.txt` (12 tab-separated
 * fields: Click, Impression, DisplayURL, AdID, AdvertiserID, Depth, Position, QueryID, KeywordID,
 * TitleID, DescriptionID, UserID) joined on UserID with `userid_profile.txt` (UserID, Gender, Age;
 * a user absent from the profile gets Gender = Age = "0", as in NASRec).
 *
 * - Label: 1 if Click > 0.
 * - Dense (3): Impression, Depth, Position, each log(max(x, 0) + 1).
 * - Sparse (10): DisplayURL, AdID, AdvertiserID, QueryID, KeywordID, TitleID, DescriptionID,
 *   UserID, Gender, Age. Each value v is NASRec's `int(v, 10)` (or `int(v, 16)` if not decimal)
 *   mod (2³¹ − 1), then indexed v mod (N_f − 1) + 1 into {@link NASREC_KDD}'s tables — computed
 *   digit by digit, so 64-bit DisplayURLs lose no precision.
 *
 * The profile (23.7M users in the full set) is held as two Int32Arrays indexed by the user id when
 * it is a canonical decimal below 2²⁶ (the real ids are), in a Map keyed by the id text otherwise,
 * so lookups match NASRec's string keys exactly.
 *
 * Chosen here: a negative or non-integer Click, a non-integer dense field, a non-decimal/hex id or
 * a wrong field count (12 in training, 3 in the profile) is a malformed row — NASRec would turn
 * bad dense values into 0 or crash; blank lines are ignored (NASRec's scripts stop reading at the
 * first one). NASRec's split script skips the first line of `training.txt` when writing (a file
 * without header); this reader keeps it.
 *
 * @module
 */
import { NASREC_KDD } from "./recsys_layouts.ts";
import {
  collectRows,
  countFields,
  decOrHexModBytes,
  denseLog,
  fieldText,
  parseIntBytes,
  type PreparedScan,
  type RecsysReadOptions,
  type RecsysReadResult,
  resolveTableSizes,
  type RowParser,
  scanRecsysFile,
} from "./recsys.ts";

/** Where the two files are. */
export interface Kdd2012Paths {
  training: string;
  /** `userid_profile.txt`; without it every user gets Gender = Age = 0 */
  userProfile?: string;
}

/** Read result with what the profile held. */
export interface Kdd2012ReadResult extends RecsysReadResult {
  /** users in the profile */
  users: number;
  /** malformed profile rows skipped (`onBadRow: "skip"`) */
  profileSkipped: number;
  /** 1 if the profile began with a byte-order mark (skipped; also counted in `bomSkipped`) */
  profileBomSkipped: number;
}

const DENSE_LIMIT = 1 << 26;

/** Gender and age of each user, as NASRec's reduced values (v mod 2³¹ − 1). */
export class UserProfiles {
  #gender = new Int32Array(0);
  #age = new Int32Array(0);
  #other = new Map<string, [number, number]>();
  size = 0;

  /** The user id of key bytes as an array index, or −1 when it is not a small canonical decimal. */
  static #slot(buf: Uint8Array, s: number, e: number): number {
    const len = e - s;
    if (len < 1 || len > 8 || (len > 1 && buf[s] === 48)) return -1;
    let k = 0;
    for (let i = s; i < e; i++) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) return -1;
      k = k * 10 + d;
    }
    return k < DENSE_LIMIT ? k : -1;
  }

  /** Record a user (a later row for the same id wins, as in a Python dict). */
  set(buf: Uint8Array, s: number, e: number, gender: number, age: number): void {
    const k = UserProfiles.#slot(buf, s, e);
    if (k < 0) {
      const key = new TextDecoder().decode(buf.subarray(s, e));
      if (!this.#other.has(key)) this.size++;
      this.#other.set(key, [gender, age]);
      return;
    }
    if (k >= this.#gender.length) {
      const n = Math.min(DENSE_LIMIT, Math.max(1024, 2 * this.#gender.length, k + 1));
      const g = new Int32Array(n).fill(-1), a = new Int32Array(n);
      g.set(this.#gender);
      a.set(this.#age);
      this.#gender = g;
      this.#age = a;
    }
    if (this.#gender[k] < 0) this.size++;
    this.#gender[k] = gender;
    this.#age[k] = age;
  }

  /** Gender of the user (0 when absent, as NASRec's default "0"); sets {@link lastAge}. */
  lookup(buf: Uint8Array, s: number, e: number): number {
    const k = UserProfiles.#slot(buf, s, e);
    if (k >= 0) {
      if (k < this.#gender.length && this.#gender[k] >= 0) {
        this.lastAge = this.#age[k];
        return this.#gender[k];
      }
    } else if (this.#other.size > 0) {
      const hit = this.#other.get(new TextDecoder().decode(buf.subarray(s, e)));
      if (hit) {
        this.lastAge = hit[1];
        return hit[0];
      }
    }
    this.lastAge = 0;
    return 0;
  }

  /** Age found by the last {@link lookup}. */
  lastAge = 0;
}

/** Read `userid_profile.txt` (streamed). */
export async function readUserProfiles(
  path: string,
  opts: Pick<RecsysReadOptions, "onBadRow"> = {},
): Promise<{ profiles: UserProfiles; skipped: number; bomSkipped: number }> {
  const profiles = new UserProfiles();
  const parser: RowParser = {
    numDense: 0,
    numSparse: 0,
    format: "3 tab-separated fields: UserID, Gender, Age (decimal or hexadecimal)",
    parse(buf, s, e) {
      let q1 = s;
      while (q1 < e && buf[q1] !== 9) q1++;
      let q2 = q1 + 1;
      while (q2 < e && buf[q2] !== 9) q2++;
      if (q1 >= e || q2 >= e || countFields(buf, s, e, 9) !== 3) {
        return `expected 3 tab-separated fields, got ${countFields(buf, s, e, 9)}`;
      }
      if (q1 === s) return "expected a UserID, got an empty field";
      const g = decOrHexModBytes(buf, q1 + 1, q2), a = decOrHexModBytes(buf, q2 + 1, e);
      if (g < 0) {
        return `field Gender: expected a decimal or hexadecimal value, got '${fieldText(buf, q1 + 1, q2)}'`;
      }
      if (a < 0) {
        return `field Age: expected a decimal or hexadecimal value, got '${fieldText(buf, q2 + 1, e)}'`;
      }
      profiles.set(buf, s, q1, g, a);
      return 0;
    },
  };
  const scan = await scanRecsysFile(
    path,
    parser,
    { what: "KDD 2012 profile", kind: "kdd2012-profile", onBadRow: opts.onBadRow },
    () => {},
  );
  return { profiles, skipped: scan.skipped, bomSkipped: scan.bomSkipped };
}

/** Training columns of the 3 dense features: Impression, Depth, Position. */
const DENSE_COLUMNS = [1, 5, 6];
/** Training columns feeding the 7 id fields before UserID, in table order. */
const ID_COLUMNS = [2, 3, 4, 7, 8, 9, 10];
const COLUMN_NAMES = [
  "Click",
  "Impression",
  "DisplayURL",
  "AdID",
  "AdvertiserID",
  "Depth",
  "Position",
  "QueryID",
  "KeywordID",
  "TitleID",
  "DescriptionID",
  "UserID",
];
const FORMAT =
  "12 tab-separated fields: Click, Impression, DisplayURL, AdID, AdvertiserID, Depth, Position, " +
  "QueryID, KeywordID, TitleID, DescriptionID, UserID (integers; ids decimal or hexadecimal)";

/** The row parser for `training.txt` lines hashing into `sizes` (10 tables), joined with `profiles`. */
export function kdd2012Parser(sizes: readonly number[], profiles: UserProfiles): RowParser {
  const mods = sizes.map((n) => n - 1);
  const starts = new Int32Array(12), ends = new Int32Array(12);
  return {
    numDense: 3,
    numSparse: 10,
    format: FORMAT,
    parse(buf, s, e, dense, dOff, sparse, sOff) {
      let p = s;
      for (let c = 0; c < 12; c++) {
        let q = p;
        while (q < e && buf[q] !== 9) q++;
        if ((q === e) !== (c === 11)) {
          return `expected 12 tab-separated fields, got ${countFields(buf, s, e, 9)}`;
        }
        starts[c] = p;
        ends[c] = q;
        p = q + 1;
      }
      const clicks = parseIntBytes(buf, starts[0], ends[0]);
      if (starts[0] === ends[0] || !(clicks >= 0)) {
        return `expected Click to be a non-negative integer, got '${fieldText(buf, starts[0], ends[0])}'`;
      }
      for (let j = 0; j < 3; j++) {
        const c = DENSE_COLUMNS[j];
        const x = parseIntBytes(buf, starts[c], ends[c]);
        if (Number.isNaN(x)) {
          return `field ${COLUMN_NAMES[c]}: expected an integer, got '${fieldText(buf, starts[c], ends[c])}'`;
        }
        dense[dOff + j] = denseLog(x);
      }
      for (let f = 0; f < 8; f++) {
        const c = f < 7 ? ID_COLUMNS[f] : 11;
        const v = decOrHexModBytes(buf, starts[c], ends[c]);
        if (v < 0) {
          return `field ${COLUMN_NAMES[c]}: expected a decimal or hexadecimal id, got '${
            fieldText(buf, starts[c], ends[c])
          }'`;
        }
        sparse[sOff + f] = (v % mods[f]) + 1;
      }
      const gender = profiles.lookup(buf, starts[11], ends[11]);
      sparse[sOff + 8] = (gender % mods[8]) + 1;
      sparse[sOff + 9] = (profiles.lastAge % mods[9]) + 1;
      return clicks > 0 ? 1 : 0;
    },
  };
}

/** How to stream KDD 2012 (loads the profile first; for {@link readKdd2012} and the cache). */
export async function prepareKdd2012(
  paths: Kdd2012Paths,
  opts: RecsysReadOptions = {},
): Promise<PreparedScan & { users: number; profileSkipped: number; profileBomSkipped: number }> {
  const tableSizes = resolveTableSizes(NASREC_KDD.tableSizes, opts, "KDD 2012");
  const { profiles, skipped, bomSkipped } = paths.userProfile
    ? await readUserProfiles(paths.userProfile, opts)
    : { profiles: new UserProfiles(), skipped: 0, bomSkipped: 0 };
  return {
    dataset: "kdd2012",
    path: paths.training,
    parser: kdd2012Parser(tableSizes, profiles),
    tableSizes,
    scan: { ...opts, what: "KDD 2012 file", kind: "kdd2012" },
    users: profiles.size,
    profileSkipped: skipped,
    profileBomSkipped: bomSkipped,
  };
}

/** Read KDD Cup 2012 track 2 `training.txt` joined with `userid_profile.txt` into memory. */
export async function readKdd2012(
  paths: Kdd2012Paths,
  opts: RecsysReadOptions = {},
): Promise<Kdd2012ReadResult> {
  const prep = await prepareKdd2012(paths, opts);
  const r = await collectRows(prep);
  return {
    ...r,
    bomSkipped: r.bomSkipped + prep.profileBomSkipped,
    users: prep.users,
    profileSkipped: prep.profileSkipped,
    profileBomSkipped: prep.profileBomSkipped,
  };
}
