/**
 * `--shard i/n` of a search (nb201-search, recsys-search): the shards run at once, each in its own
 * run folder `<name>-shard-<i>-of-<n>` beside the others (what `--workers` and `tools/cluster/`
 * name them), and exchange their candidates' scores through their own files
 * (`../search/stream_shard.ts`); `joinSearchShards` is the merge of their folders.
 *
 * @module
 */
import { History } from "../search/history.ts";
import { StreamShard } from "../search/stream_shard.ts";
import { readJsonl, writeJsonl } from "../io.ts";
import type { FinalRecord } from "./pipelines/final_log.ts";
import { formatShard } from "./shard.ts";
import type { Shard } from "./types.ts";

/** The name of a shard's own file of scored candidates for the search `name` ("" or a method). */
export function ownFile(name: string): string {
  return name ? `shard-${name}.jsonl` : "shard-evaluations.jsonl";
}

/** The run folders of every shard of `shard`'s split, from this shard's folder `dir`. */
export function peerDirs(dir: string, shard: Shard): string[] {
  const d = dir.replace(/\/$/, "");
  const parent = d.slice(0, d.lastIndexOf("/") + 1), base = d.slice(d.lastIndexOf("/") + 1);
  const m = /^(.*)-shard-(\d+)-of-(\d+)$/.exec(base);
  if (!m || Number(m[2]) !== shard.index || Number(m[3]) !== shard.count) {
    throw new Error(
      `--shard ${
        formatShard(shard)
      } of a search needs --run-id NAME-shard-${shard.index}-of-${shard.count} ` +
        `(got '${base}'): the shards find each other's folders by that name (docs/experiments.md)`,
    );
  }
  return Array.from({ length: shard.count }, (_, j) => `${parent}${m[1]}-shard-${j}-of-${shard.count}`);
}

/** The status in a run folder's manifest (undefined when it has none yet). */
async function statusOf(dir: string): Promise<string | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`)).status;
  } catch {
    return undefined;
  }
}

/**
 * The stream shard of the search `name` in the sub-folder `sub` of this shard's run folder `dir`
 * (its peers' files are at the same place in their folders).
 */
export async function openSearchShard(
  dir: string,
  shard: Shard,
  sub: string,
  name: string,
): Promise<StreamShard> {
  const peers = peerDirs(dir, shard);
  const file = (d: string) => `${d}${sub ? `/${sub}` : ""}/${ownFile(name)}`;
  return await StreamShard.open({
    index: shard.index,
    count: shard.count,
    own: file(peers[shard.index]),
    peers: peers.map(file),
    peerStatus: (i) => statusOf(peers[i]),
  });
}

/** Copy a folder tree (a supernet's checkpoints). */
export async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyTree(`${from}/${e.name}`, `${to}/${e.name}`);
    else if (e.isFile) await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

/**
 * Join the sub-folder `sub` of every shard of a search into `target`: the search histories (every
 * shard holds the whole one-process history: checked to agree, shard 0's taken), the warm-up
 * checkpoints and other files of shard 0 (every shard trained the same supernet), and the final
 * stage's trainings (`final.jsonl`: each shard trained its part of the top-k; concatenated). The
 * shards' own exchange files are left out: the merged run replays from the histories.
 */
export async function joinSearchShards(dirs: string[], sub: string, target: string): Promise<void> {
  const at = (d: string) => (sub ? `${d}/${sub}` : d);
  await Deno.mkdir(target, { recursive: true });
  const skip = /^(manifest\.json|merged_from\.json|shard-.*\.jsonl|final\.jsonl)$/;
  for await (const e of Deno.readDir(at(dirs[0]))) {
    const from = `${at(dirs[0])}/${e.name}`;
    if (skip.test(e.name)) continue;
    if (e.isDirectory) {
      if (e.name === "checkpoints") await copyTree(from, `${target}/${e.name}`);
      continue;
    }
    if (/^history.*\.jsonl$/.test(e.name)) {
      const h0 = (await History.open(from)).records;
      for (const d of dirs.slice(1)) {
        const h = (await History.open(`${at(d)}/${e.name}`)).records;
        const same = h.length === h0.length &&
          h.every((r, i) => r.key === h0[i].key && Object.is(r.score, h0[i].score));
        if (!same) {
          throw new Error(
            `merge: ${at(d)}/${e.name} and ${from} disagree: the shards did not run one search`,
          );
        }
      }
    }
    await Deno.copyFile(from, `${target}/${e.name}`);
  }
  const seen = new Set<string>(), rows: FinalRecord[] = [];
  for (const d of dirs) {
    for (const r of await readJsonl<FinalRecord>(`${at(d)}/final.jsonl`)) {
      const k = `${r.method}|${r.stage}|${r.i}|${r.key}`;
      if (!seen.has(k)) seen.add(k), rows.push(r);
    }
  }
  if (rows.length) await writeJsonl(`${target}/final.jsonl`, rows);
}
