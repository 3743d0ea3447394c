/**
 * Criteo Kaggle display-advertising `train.txt` with NASRec's preprocessing
 * (docs/nasrec.md §6, docs/data.md; NASRec `utils/data_pipes.py`): 40 tab-separated fields —
 * label, 13 integers I1–I13 (empty allowed, negatives occur), 26 categoricals C1–C26 (empty or
 * hex). Dense: empty → 0, then log(max(x, 0) + 1) (stored as float32, as torch computes it).
 * Categorical: the hex string as an integer v, index = v mod (N_f − 1) + 1; empty → 0 (NASRec maps
 * it to −1, and fmod(−1, ·) + 1 = 0). N_f = NASRec's full cardinality of field f
 * ({@link NASREC_CRITEO}), optionally capped (`maxRows`) for CPU runs. The hex value is reduced
 * digit by digit, so it is exact for any length.
 *
 * Chosen here, where NASRec is silent or crashes: a label other than 0/1, a non-integer dense
 * field, a non-hex categorical or a wrong field count is a malformed row (NASRec's reader would
 * turn a bad integer into 0 silently); blank lines are ignored. NASRec's split script also drops
 * the file's first row (a skip-header line on a file without header); this reader keeps it.
 *
 * Streamed: the 11 GB file is never held in memory as text.
 *
 * @module
 */
import { NASREC_CRITEO } from "./recsys_layouts.ts";
import {
  cappedSizes,
  collectRows,
  countFields,
  denseLog,
  denseValue,
  fieldText,
  hashHex,
  hexModBytes,
  parseIntBytes,
  type PreparedScan,
  type RecsysReadOptions,
  type RecsysReadResult,
  resolveTableSizes,
  type RowParser,
} from "./recsys.ts";

export { cappedSizes, denseValue, hashHex };
export type { RecsysReadOptions, RecsysReadResult };

const FORMAT = "40 tab-separated fields: label 0/1, 13 integers or empty, 26 hexadecimal or empty";

/** The row parser for Criteo lines hashing into `sizes` (26 tables). */
export function criteoParser(sizes: readonly number[]): RowParser {
  const mods = sizes.map((n) => n - 1);
  return {
    numDense: 13,
    numSparse: 26,
    format: FORMAT,
    parse(buf, s, e, dense, dOff, sparse, sOff) {
      // label
      let q = s;
      while (q < e && buf[q] !== 9) q++;
      if (q === e) return `expected 40 tab-separated fields, got ${countFields(buf, s, e, 9)}`;
      if (q - s !== 1 || (buf[s] !== 48 && buf[s] !== 49)) {
        return `expected label 0 or 1, got '${fieldText(buf, s, q)}'`;
      }
      const label = buf[s] - 48;
      let p = q + 1;
      for (let j = 0; j < 39; j++) {
        q = p;
        while (q < e && buf[q] !== 9) q++;
        if (q === e && j < 38) return `expected 40 tab-separated fields, got ${countFields(buf, s, e, 9)}`;
        if (j === 38 && q !== e) return `expected 40 tab-separated fields, got ${countFields(buf, s, e, 9)}`;
        if (j < 13) {
          const x = parseIntBytes(buf, p, q);
          if (Number.isNaN(x)) return `field I${j + 1}: expected an integer, got '${fieldText(buf, p, q)}'`;
          dense[dOff + j] = denseLog(x);
        } else {
          const f = j - 13;
          if (p === q) sparse[sOff + f] = 0;
          else {
            const r = hexModBytes(buf, p, q, mods[f]);
            if (r < 0) return `field C${f + 1}: expected hexadecimal digits, got '${fieldText(buf, p, q)}'`;
            sparse[sOff + f] = r + 1;
          }
        }
        p = q + 1;
      }
      return label;
    },
  };
}

/** How to stream a Criteo file (for {@link readCriteo} and the cache). */
export function prepareCriteo(path: string, opts: RecsysReadOptions = {}): PreparedScan {
  const tableSizes = resolveTableSizes(NASREC_CRITEO.tableSizes, opts, "Criteo");
  return {
    dataset: "criteo",
    path,
    parser: criteoParser(tableSizes),
    tableSizes,
    scan: { ...opts, what: "Criteo file", kind: "criteo" },
  };
}

/** Read a Criteo `train.txt` (or a sample in its format) into memory. */
export function readCriteo(path: string, opts: RecsysReadOptions = {}): Promise<RecsysReadResult> {
  return collectRows(prepareCriteo(path, opts));
}
