/**
 * The list options shared by several experiments (`--dataset`, `--space` and their `SIGEO_*`
 * variables): one comma-separated list, each experiment taking the names it knows. So
 * `reproduce all --dataset cifar100,criteo` narrows both the NB201 and the recommender runs; a
 * list holding none of an experiment's names is an error for that experiment.
 *
 * @module
 */

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
