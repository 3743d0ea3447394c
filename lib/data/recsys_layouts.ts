/**
 * The input stems of the recommender datasets as NASRec builds them: the width of the dense input
 * and one embedding-table size (vocabulary) per sparse field. The readers hash ids into these
 * tables; the networks and the cost model size their embeddings from them.
 *
 * @module
 */

/** The input stem of a dataset: number of dense features and one embedding table per sparse field. */
export interface DatasetLayout {
  readonly name: string;
  /** Width of the raw dense input. */
  readonly numDense: number;
  /** Rows of each embedding table, one per sparse field. */
  readonly tableSizes: readonly number[];
}

/** Criteo-Kaggle as NASRec builds it: 13 dense, 26 sparse, full vocabularies (`config.py`). */
export const NASREC_CRITEO: DatasetLayout = Object.freeze({
  name: "criteo",
  numDense: 13,
  tableSizes: Object.freeze([
    1461,
    584,
    10131227,
    2202609,
    306,
    25,
    12518,
    634,
    4,
    93146,
    5684,
    8351593,
    3195,
    28,
    14993,
    5461307,
    11,
    5653,
    2174,
    5,
    7046548,
    19,
    16,
    286182,
    106,
    142573,
  ]),
});

/** Avazu as NASRec builds it: one constant pseudo-dense feature, 23 sparse (id included). */
export const NASREC_AVAZU: DatasetLayout = Object.freeze({
  name: "avazu",
  numDense: 1,
  tableSizes: Object.freeze([
    10000,
    241,
    8,
    8,
    4738,
    7746,
    27,
    8553,
    560,
    37,
    2686409,
    6729487,
    8252,
    6,
    5,
    2627,
    9,
    10,
    436,
    5,
    69,
    173,
    61,
  ]),
});

/** KDD-Cup 2012 track 2 as NASRec builds it: 3 dense, 10 sparse. */
export const NASREC_KDD: DatasetLayout = Object.freeze({
  name: "kdd",
  numDense: 3,
  tableSizes: Object.freeze([26274, 641708, 14848, 22122011, 1188090, 3735797, 2934102, 20004011, 4, 8]),
});
