/**
 * Test support: a writer of tiny NATS-Bench topology ("NATS-tss") folders with the real files'
 * pickle layout, so that the reader in `../nats_bench.ts` is tested on bytes it did not write
 * itself. Only tests import this file.
 *
 * @module
 */
import { bzip2Compress } from "../../data/bzip2.ts";
import { type PickleInput, pyTuple, writePickle } from "../../data/pickle.ts";
import { writeFileAtomic } from "../../io.ts";
import { formatArch, type Nb201Arch, parseArch } from "../../spaces/nb201/space.ts";
import { NATS_DATASETS, type NatsDataset, type NatsHp, type NatsSet } from "../nats_bench.ts";

/** Classes of each dataset (the `class_num` of a ResultsCount's `arch_config`). */
const CLASSES: Record<NatsDataset, number> = {
  "cifar10-valid": 10,
  cifar10: 10,
  cifar100: 100,
  "ImageNet16-120": 120,
};

/** Which value {@link writeNatsTssFixture} asks for. */
export interface NatsFixtureQuery {
  /** canonical arch string */
  arch: string;
  /** NATS index = position in the `archs` list */
  index: number;
  hp: NatsHp;
  dataset: NatsDataset;
  seed: number;
  set: "train" | NatsSet;
  epoch: number;
}
/** Accuracy (%) and loss of one (arch, hp, dataset, seed, set, epoch). */
export type NatsFixtureValues = (q: NatsFixtureQuery) => { accuracy: number; loss: number };

/** Options of {@link writeNatsTssFixture}. */
export interface NatsFixtureOptions {
  /** epochs of each schedule (the real files: 12 and 200) */
  epochs?: Partial<Record<NatsHp, number>>;
  /** seeds per hp and dataset; default as the real files: hp 12 → cifar10-valid [111, 777], others [111]; hp 200 → [777, 888, 999] */
  seeds?: Partial<Record<NatsHp, Partial<Record<NatsDataset, number[]>>>>;
  /** per-arch cost values @default {params 1, flops 100, latency 0.01} */
  costs?: (arch: string, dataset: NatsDataset) => { params: number; flops: number; latency: number };
}

const DEFAULT_SEEDS: Record<NatsHp, Record<NatsDataset, number[]>> = {
  "12": { "cifar10-valid": [111, 777], cifar10: [111], cifar100: [111], "ImageNet16-120": [111] },
  "200": {
    "cifar10-valid": [777, 888, 999],
    cifar10: [777, 888, 999],
    cifar100: [777, 888, 999],
    "ImageNet16-120": [777, 888, 999],
  },
};

/** Sets evaluated per dataset, in the order the real files list them. */
const EVAL_SETS: Record<NatsDataset, NatsSet[]> = {
  "cifar10-valid": ["x-valid", "ori-test"],
  cifar10: ["ori-test"],
  cifar100: ["x-valid", "x-test", "ori-test"],
  "ImageNet16-120": ["x-valid", "x-test", "ori-test"],
};

/**
 * In the real 200-epoch files some sets hold accuracy/loss only at the last epoch (their times
 * cover every epoch); the fixture copies that quirk.
 */
function onlyLast(hp: NatsHp, dataset: NatsDataset, set: NatsSet): boolean {
  if (hp !== "200") return false;
  return dataset === "cifar10-valid" ? set === "ori-test" : dataset !== "cifar10" && set !== "ori-test";
}

/** A ResultsCount state dict with the real key layout. */
function resultsCount(
  arch: string,
  index: number,
  hp: NatsHp,
  dataset: NatsDataset,
  seed: number,
  epochs: number,
  values: NatsFixtureValues,
  cost: { params: number; flops: number; latency: number },
): PickleInput {
  const q = (set: NatsFixtureQuery["set"], epoch: number) => {
    const v = values({ arch, index, hp, dataset, seed, set, epoch });
    if (typeof v?.accuracy !== "number" || typeof v?.loss !== "number") {
      throw new TypeError(
        `Fixture values for ${arch} ${hp} ${dataset} ${seed} ${set}@${epoch} must be {accuracy, loss}`,
      );
    }
    return v;
  };
  const trainAcc = new Map<number, PickleInput>(), trainLoss = new Map<number, PickleInput>();
  const trainTimes = new Map<number, PickleInput>();
  for (let e = 0; e < epochs; e++) {
    const v = q("train", e);
    trainAcc.set(e, v.accuracy);
    trainLoss.set(e, v.loss);
    trainTimes.set(e, 10.5);
  }
  const evalAcc = new Map<string, PickleInput>(), evalLoss = new Map<string, PickleInput>();
  const evalTimes = new Map<string, PickleInput>();
  for (const set of EVAL_SETS[dataset]) {
    for (let e = 0; e < epochs; e++) {
      evalTimes.set(`${set}@${e}`, 1.5);
      if (onlyLast(hp, dataset, set) && e !== epochs - 1) continue;
      const v = q(set, e);
      evalAcc.set(`${set}@${e}`, v.accuracy);
      evalLoss.set(`${set}@${e}`, v.loss);
    }
  }
  return {
    name: dataset,
    train_acc1es: trainAcc,
    train_acc5es: null,
    train_losses: trainLoss,
    train_times: trainTimes,
    arch_config: { channel: 16, num_cells: 5, arch_str: arch, class_num: CLASSES[dataset] },
    params: cost.params,
    flop: cost.flops,
    seed: String(seed).padStart(4, "0"), // the real files store e.g. '0777'
    epochs,
    latency: [cost.latency],
    eval_names: EVAL_SETS[dataset],
    eval_acc1es: evalAcc,
    eval_times: evalTimes,
    eval_losses: evalLoss,
    net_state_dict: null,
  };
}

/**
 * Write a tiny NATS-tss "simple" folder: `meta.pickle.pbz2` listing `archs` (NATS index =
 * position) and one `{index:06d}.pickle.pbz2` per arch with both schedules, all four datasets and
 * the real files' seeds, values from `values`. Pickles are protocol 2 (Python 3 strings), dict
 * keys `(dataset, seed)` are tuples as in NATS; bzip2 comes from the system CLI (a clear error
 * when it is missing). Differences from the real files: plain dicts for OrderedDicts, Python
 * floats for numpy scalars, an empty list for the empty `evaluated_indexes` set, no top-5
 * accuracies — none of which NATS's reader or ours looks at.
 */
export async function writeNatsTssFixture(
  dir: string,
  archs: ReadonlyArray<string | Nb201Arch>,
  values: NatsFixtureValues,
  opts: NatsFixtureOptions = {},
): Promise<void> {
  const keys = archs.map((a) => (typeof a === "string" ? formatArch(parseArch(a)) : formatArch(a)));
  if (new Set(keys).size !== keys.length) {
    throw new RangeError("Cannot write a NATS fixture: duplicate archs");
  }
  const epochs: Record<NatsHp, number> = {
    "12": opts.epochs?.["12"] ?? 12,
    "200": opts.epochs?.["200"] ?? 200,
  };
  for (const hp of ["12", "200"] as const) {
    if (!Number.isInteger(epochs[hp]) || epochs[hp] < 1) {
      throw new RangeError(`Expected a positive integer of epochs for hp ${hp}: got ${epochs[hp]}`);
    }
  }
  const cost = opts.costs ?? (() => ({ params: 1, flops: 100, latency: 0.01 }));
  await Deno.mkdir(dir, { recursive: true });
  const pickle = (v: PickleInput) => writePickle(v, { protocol: 2, style: "py3" });
  for (let index = 0; index < keys.length; index++) {
    const arch = keys[index];
    const byHp: Record<string, PickleInput> = {};
    for (const hp of ["12", "200"] as const) {
      const all = new Map<PickleInput, PickleInput>();
      const datasetSeed: Record<string, PickleInput> = {};
      for (const dataset of NATS_DATASETS) {
        const seeds = [...(opts.seeds?.[hp]?.[dataset] ?? DEFAULT_SEEDS[hp][dataset])].sort((a, b) => a - b);
        if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0)) {
          throw new RangeError(
            `Expected non-empty non-negative integer seeds for ${hp}/${dataset}: got ${seeds}`,
          );
        }
        datasetSeed[dataset] = seeds;
        const c = cost(arch, dataset);
        for (const seed of seeds) {
          all.set(
            pyTuple(dataset, seed),
            resultsCount(arch, index, hp, dataset, seed, epochs[hp], values, c),
          );
        }
      }
      byHp[hp] = {
        arch_index: index,
        arch_str: arch,
        // tuple keys: writePickle writes any key through its value encoder
        all_results: all as unknown as Map<string, PickleInput>,
        dataset_seed: datasetSeed,
        clear_net_done: true,
      };
    }
    const name = `${String(index).padStart(6, "0")}.pickle.pbz2`;
    await writeFileAtomic(`${dir}/${name}`, await bzip2Compress(pickle(byHp)));
  }
  const meta = { meta_archs: keys, total_archs: keys.length, arch2infos: null, evaluated_indexes: [] };
  await writeFileAtomic(`${dir}/meta.pickle.pbz2`, await bzip2Compress(pickle(meta)));
}
