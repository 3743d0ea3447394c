/**
 * Reading the environment where it may be unset or not permitted (a sandboxed run without
 * `--allow-env`): the backend choice, the kernels' overrides, the scale and run folder of a
 * notebook run all read their `SIGEO_*` variables through this one helper.
 *
 * @module
 */

/** The variable's value; undefined where it is unset, empty, or reading it is not permitted. */
export function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}
