/**
 * The list options shared by several experiments (`--dataset`, `--space` and their `SIGEO_*`
 * variables): one comma-separated list, each experiment taking the names it knows. So
 * `reproduce all --dataset cifar100,criteo` narrows both the NB201 and the recommender runs; a
 * list holding none of an experiment's names is an error for that experiment.
 *
 * @module
 */
import type { NasrecSpaceName } from "../spaces/nasrec/space.ts";
import type { Nb201ImageDataset } from "./pipelines/nb201.ts";
import type { RecsysDatasetName } from "./pipelines/recsys.ts";

/**
 * The names of `all` in `value` ("all" or absent: every one), in the order given, without repeats.
 * A raw name is looked up lower-cased in `aliases` first. Names that are not ours are skipped (and
 * logged); none left is a RangeError naming what was expected.
 */
export function parseNames<T extends string>(
  value: string | undefined,
  all: readonly T[],
  aliases: Readonly<Record<string, T>>,
  what: string,
  log?: (line: string) => void,
): T[] {
  if (!value || value === "all") return [...all];
  const out: T[] = [], skipped: string[] = [];
  for (const raw of value.split(",").map((s) => s.trim()).filter(Boolean)) {
    const name = (aliases[raw.toLowerCase()] ?? raw) as T;
    if (!all.includes(name)) skipped.push(raw);
    else if (!out.includes(name)) out.push(name);
  }
  if (out.length === 0) {
    const expected = [...new Set([...all, ...Object.keys(aliases)])].join(", ");
    throw new RangeError(`No ${what} in '${value}': expected ${expected}`);
  }
  if (skipped.length) log?.(`skipping ${skipped.join(", ")}: not a ${what}`);
  return out;
}

/** The NB201 datasets, in the order a run takes them by default. */
export const NB201_DATASETS: readonly Nb201ImageDataset[] = ["cifar10", "cifar100", "ImageNet16-120"];
const NB201_ALIASES: Readonly<Record<string, Nb201ImageDataset>> = {
  cifar10: "cifar10",
  "cifar-10": "cifar10",
  cifar100: "cifar100",
  "cifar-100": "cifar100",
  "imagenet16-120": "ImageNet16-120",
  imagenet16: "ImageNet16-120",
};

/** The recommender datasets, in the order a run takes them by default. */
export const RECSYS_DATASET_NAMES: readonly RecsysDatasetName[] = ["criteo", "avazu", "kdd2012"];
const RECSYS_ALIASES: Readonly<Record<string, RecsysDatasetName>> = { kdd: "kdd2012" };

/** The NASRec spaces, in the order a run takes them by default. */
export const NASREC_SPACES: readonly NasrecSpaceName[] = ["autoctr", "xlarge"];
const SPACE_ALIASES: Readonly<Record<string, NasrecSpaceName>> = {
  small: "autoctr",
  "nasrec-small": "autoctr",
  full: "xlarge",
  "nasrec-full": "xlarge",
};

/** The NB201 datasets of `--dataset` / `SIGEO_NB201_DATASETS` (default: all three). */
export function parseNb201Datasets(
  value: string | undefined,
  log?: (line: string) => void,
): Nb201ImageDataset[] {
  return parseNames(value, NB201_DATASETS, NB201_ALIASES, "NAS-Bench-201 dataset", log);
}

/** The recommender datasets of `--dataset` / `SIGEO_DATASETS` (default: all three). */
export function parseRecsysDatasets(value?: string, log?: (line: string) => void): RecsysDatasetName[] {
  return parseNames(value, RECSYS_DATASET_NAMES, RECSYS_ALIASES, "recommender dataset", log);
}

/** The spaces named by `--space` / `SIGEO_SPACES` (default: both). */
export function parseSpaces(value?: string, log?: (line: string) => void): NasrecSpaceName[] {
  return parseNames(value, NASREC_SPACES, SPACE_ALIASES, "NASRec space", log);
}

/**
 * The names a `--dataset` value may hold (every experiment's datasets and aliases), for the
 * command line to refuse a name no experiment knows before anything runs.
 */
export function knownDatasetNames(): string[] {
  return [
    ...NB201_DATASETS,
    ...Object.keys(NB201_ALIASES),
    ...RECSYS_DATASET_NAMES,
    ...Object.keys(RECSYS_ALIASES),
  ];
}

/** The names a `--space` value may hold (spaces and aliases). */
export function knownSpaceNames(): string[] {
  return [...NASREC_SPACES, ...Object.keys(SPACE_ALIASES)];
}
