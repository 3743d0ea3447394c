/**
 * The quickstart (notebook 00): what sub-one-shot NAS is, in one minute on a laptop.
 *
 * 1. Score a handful of NAS-Bench-201 architectures — from an empty cell to the benchmark's best
 *    — with ZiCo and SiGeo on generated images, showing SiGeo's three terms.
 * 2. Rank a dozen sampled architectures at warm-up 0 % and after a short warm-up, against a
 *    ground truth from briefly training each one: ranking quality vs warm-up.
 *
 * @module
 */
import { formatArch, parseArch } from "../../spaces/nb201/space.ts";
import { scoreNb201, type ScoreRow } from "../score.ts";
import { type PerArchStudyResult, runPerArchStudy } from "../pipelines/nb201_per_arch.ts";
import type { Scale } from "../scale.ts";
import type { DataFile } from "../../report/manifest.ts";
import { QUICKSTART, QUICKSTART_STUDY, type QuickstartConfig } from "./config.ts";
import type { Shard } from "../types.ts";

/** Architectures of part 1, with a short description each. */
export const QUICKSTART_ARCHS: ReadonlyArray<{ arch: string; note: string }> = [
  { arch: "|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|", note: "skip only (no learnable cell)" },
  {
    arch: "|avg_pool_3x3~0|+|avg_pool_3x3~0|none~1|+|skip_connect~0|avg_pool_3x3~1|none~2|",
    note: "pooling",
  },
  {
    arch: "|nor_conv_1x1~0|+|skip_connect~0|nor_conv_1x1~1|+|skip_connect~0|none~1|nor_conv_1x1~2|",
    note: "1×1 convolutions",
  },
  {
    arch: "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|",
    note: "mixed",
  },
  {
    arch: "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
    note: "NB201's best on CIFAR-10",
  },
];

/** The settings of `scale` (a fresh copy). */
export function quickstartConfig(scale: Scale): QuickstartConfig {
  return structuredClone(QUICKSTART[scale]);
}

/** What the quickstart produced. */
export interface QuickstartResult {
  scores: (ScoreRow & { note: string })[];
  study: PerArchStudyResult;
  /** checksums of the generated images of both parts */
  generated: DataFile[];
  seconds: number;
}

/**
 * Run both parts; `dir` keeps the study's resumable files. With `shard` (`--shard i/n`) only that
 * shard of part 2's candidates is computed and part 1 (five scores, seconds) is left to the merge.
 */
export async function runQuickstart(
  cfg: QuickstartConfig,
  opts: {
    dir: string;
    log?: (line: string) => void;
    progress?: (done: number, total: number) => void;
    shard?: Shard;
  },
): Promise<QuickstartResult> {
  const t0 = performance.now();
  const { rows, generated } = opts.shard ? { rows: [], generated: undefined } : await scoreNb201({
    archs: QUICKSTART_ARCHS.map((a) => a.arch),
    proxies: ["zico", "sigeo-cv"],
    C: cfg.C,
    N: cfg.N,
    batches: 4,
    batchSize: 64,
  });
  const notes = new Map(QUICKSTART_ARCHS.map((a) => [formatArch(parseArch(a.arch)), a.note]));
  const scores = rows.map((r) => ({ ...r, note: notes.get(r.arch) ?? "" }));
  const study = await runPerArchStudy(
    { ...structuredClone(QUICKSTART_STUDY), archs: cfg.archs, fractions: cfg.fractions },
    opts,
  );
  return {
    scores,
    study,
    generated: [...(generated ? [generated] : []), ...study.generated],
    seconds: (performance.now() - t0) / 1000,
  };
}
