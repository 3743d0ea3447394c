/**
 * The recommender ablation's smoke config shrunk for tests: 1,500 generated rows, 4 architectures,
 * warm-up levels 0 and 1, a 2-step one-shot fine-tune on 100 validation rows.
 *
 * @module
 */
import { RECSYS_ABLATIONS } from "../config.ts";

/** A fresh copy each call (tests may change it). */
export function tinyRecsysAblations(): typeof RECSYS_ABLATIONS.smoke {
  return {
    ...structuredClone(RECSYS_ABLATIONS.smoke),
    rows: 1500,
    archs: 4,
    levels: [0, 1],
    oneShot: { finetuneSteps: 2, valRows: 100 },
  };
}
