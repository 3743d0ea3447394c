/**
 * Avazu CTR `train.csv` with NASRec's preprocessing (docs/nasrec.md §6, docs/data.md; NASRec
 * `tools/autoctr_split_data_avazu.py` + `utils/data_pipes.py`): a header line, then 24
 * comma-separated fields `id,click,hour,C1,banner_pos,site_id,…,C21`.
 *
 * - Label: `click` (0 or 1).
 * - Dense: one pseudo feature, always 0 (NASRec inserts "−1" so the dense input is not empty, and
 *   its transform zeroes it).
 * - Sparse, 23 fields in file order with `click` removed: id, hour, C1, banner_pos, site_id, …,
 *   C21. NASRec rewrites each value as `%08x` of (`int(v, 10)` mod (2³¹ − 1)), or of
 *   (`int(v, 16)` mod (2³¹ − 1)) when the value is not decimal — value by value, so a hex id that
 *   happens to be all digits is read as decimal — and its reader then takes that hex back as v and
 *   indexes v mod (N_f − 1) + 1. `hour` (YYMMDDHH) is such a decimal category; `id` (a 64-bit
 *   decimal) goes into a table of 10 000.
 * - 64-bit values are reduced mod 2³¹ − 1 digit by digit on the bytes (Horner's rule), so there is
 *   no JS-number precision loss and no BigInt in the hot loop (tests cross-check with BigInt).
 *
 * Chosen here: the header must be Avazu's (NASRec skips the first line unread); a label other than
 * 0/1, an empty or non-hex value, or a wrong field count is a malformed row (NASRec would crash);
 * blank lines are ignored.
 *
 * @module
 */
import { NASREC_AVAZU } from "./recsys_layouts.ts";
import {
  collectRows,
  countFields,
  decOrHexModBytes,
  fieldText,
  type PreparedScan,
  recogniseRecsysLine,
  type RecsysReadOptions,
  type RecsysReadResult,
  resolveTableSizes,
  type RowParser,
} from "./recsys.ts";
import { escapeBytes } from "./input.ts";

/** The columns of Avazu's `train.csv`, in order. */
export const AVAZU_COLUMNS: readonly string[] = Object.freeze([
  "id",
  "click",
  "hour",
  "C1",
  "banner_pos",
  "site_id",
  "site_domain",
  "site_category",
  "app_id",
  "app_domain",
  "app_category",
  "device_id",
  "device_ip",
  "device_model",
  "device_type",
  "device_conn_type",
  "C14",
  "C15",
  "C16",
  "C17",
  "C18",
  "C19",
  "C20",
  "C21",
]);

/** The 23 sparse fields, in the order of {@link NASREC_AVAZU}'s tables. */
export const AVAZU_SPARSE_FIELDS: readonly string[] = Object.freeze(
  AVAZU_COLUMNS.filter((c) => c !== "click"),
);

const HEADER = AVAZU_COLUMNS.join(",");
const FORMAT = "24 comma-separated fields: id, click 0/1, then 22 decimal or hexadecimal values";

/** The row parser for Avazu data lines hashing into `sizes` (23 tables). */
export function avazuParser(sizes: readonly number[]): RowParser {
  const mods = sizes.map((n) => n - 1);
  return {
    numDense: 1,
    numSparse: 23,
    format: FORMAT,
    parse(buf, s, e, dense, dOff, sparse, sOff) {
      let p = s, label = -1, f = 0;
      for (let c = 0; c < 24; c++) {
        let q = p;
        while (q < e && buf[q] !== 44) q++;
        if ((q === e) !== (c === 23)) {
          return `expected 24 comma-separated fields, got ${countFields(buf, s, e, 44)}`;
        }
        if (c === 1) {
          if (q - p !== 1 || (buf[p] !== 48 && buf[p] !== 49)) {
            return `expected click 0 or 1, got '${fieldText(buf, p, q)}'`;
          }
          label = buf[p] - 48;
        } else {
          const v = decOrHexModBytes(buf, p, q);
          if (v < 0) {
            return `field ${AVAZU_COLUMNS[c]}: expected a decimal or hexadecimal value, got '${
              fieldText(buf, p, q)
            }'`;
          }
          sparse[sOff + f] = (v % mods[f]) + 1;
          f++;
        }
        p = q + 1;
      }
      dense[dOff] = 0;
      return label;
    },
  };
}

/** How to stream an Avazu file (for {@link readAvazu} and the cache). */
export function prepareAvazu(path: string, opts: RecsysReadOptions = {}): PreparedScan {
  const tableSizes = resolveTableSizes(NASREC_AVAZU.tableSizes, opts, "Avazu");
  const header = (line: string) => {
    if (line.replace(/^\uFEFF/, "") !== HEADER) {
      const b = new TextEncoder().encode(line);
      const seen = recogniseRecsysLine(b, 0, b.length);
      const looks = seen && seen.kind !== "avazu" ? `; the line looks like ${seen.description}` : "";
      throw new SyntaxError(
        `Cannot read Avazu file ${path} line 1: expected the header '${HEADER}', got '${
          escapeBytes(b, 0, b.length, 60)
        }'${looks}`,
      );
    }
  };
  return {
    dataset: "avazu",
    path,
    parser: avazuParser(tableSizes),
    tableSizes,
    scan: { ...opts, what: "Avazu file", kind: "avazu", header },
  };
}

/** Read an Avazu `train.csv` (or a sample in its format) into memory. */
export function readAvazu(path: string, opts: RecsysReadOptions = {}): Promise<RecsysReadResult> {
  return collectRows(prepareAvazu(path, opts));
}
