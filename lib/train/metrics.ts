/**
 * Recommender metrics as NASRec reports them: log loss (binary cross-entropy of logits, as
 * `BCEWithLogitsLoss` over the concatenated predictions) and ROC AUC (`roc_auc_score`), exact with
 * ties counted as ½: the Mann–Whitney statistic from average ranks, after one sort. In float64.
 *
 * @module
 */

/** Mean binary cross-entropy of `logits` against labels in [0, 1] (stable form). */
export function logLoss(logits: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (logits.length !== labels.length || logits.length === 0) {
    throw new RangeError(
      `Expected equal, non-zero lengths: ${logits.length} logits, ${labels.length} labels`,
    );
  }
  let s = 0;
  for (let i = 0; i < logits.length; i++) {
    const z = logits[i], y = labels[i];
    s += Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
  }
  return s / logits.length;
}

/**
 * Exact AUC: P(score of a positive > score of a negative) + ½ P(tie), with labels ≥ ½ positive.
 * NaN when a class is absent or a score is NaN (sklearn refuses both).
 */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  if (labels.length !== n) throw new RangeError(`Expected ${n} labels, got ${labels.length}`);
  const s = Float64Array.from(scores as ArrayLike<number>);
  for (let i = 0; i < n; i++) if (Number.isNaN(s[i])) return NaN;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((a, b) => s[a] - s[b]);
  let rankSumPos = 0, pos = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && s[idx[j + 1]] === s[idx[i]]) j++;
    const avg = (i + j) / 2 + 1; // average 1-based rank of the tie group
    for (let k = i; k <= j; k++) {
      if (labels[idx[k]] >= 0.5) {
        rankSumPos += avg;
        pos++;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}
