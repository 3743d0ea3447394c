import assert from "node:assert/strict";
import { whereCommand } from "./where.ts";
import { findSource, SOURCES } from "./sources.ts";
import { formatBytes, progressLine } from "./progress.ts";

Deno.test("where: login-gated datasets say where to get them and the layout the readers expect", () => {
  const im = whereCommand("ImageNet16-120");
  assert.ok(im.ok);
  assert.match(im.text, /image-net\.org/);
  assert.match(im.text, /ImageNet account/);
  assert.match(im.text, /ImageNet16\/train_data_batch_1 … train_data_batch_10/);
  assert.match(im.text, /27846dcaa50de8e21a7d1a35f30f0e91 {2}train_data_batch_1/);
  assert.match(im.text, /deno task data check data\/raw\/ImageNet16$/);
  const cr = whereCommand("criteo").text;
  assert.match(cr, /criteo\/train\.txt +40 tab-separated fields/);
  assert.match(cr, /No published checksums/);
  assert.match(whereCommand("avazu").text, /kaggle\.com\/c\/avazu-ctr-prediction/);
  assert.match(whereCommand("kdd").text, /kdd2012\/userid_profile\.txt/);
  const nb = whereCommand("nats-bench").text;
  assert.match(nb, /NATS-tss-v1_0-3ffb9-simple/);
  assert.match(nb, /zc_nasbench201\.json/);
  assert.match(whereCommand("cifar10").text, /deno task data get cifar10/);
  assert.doesNotMatch(cr, /deno task data get/);
});

Deno.test("where: an unknown name lists the datasets", () => {
  const r = whereCommand("cifar1000");
  assert.equal(r.ok, false);
  for (const s of SOURCES) assert.ok(r.text.includes(s.id), s.id);
});

Deno.test("sources: one table; the sums quoted in data/README.md agree with it", async () => {
  assert.equal(findSource("CIFAR-10")?.id, "cifar10");
  assert.equal(findSource("cifar10")!.download!.files[0].md5, "c32a1d4ab5d03f1284b67883e8d87530");
  assert.equal(findSource("cifar100")!.download!.files[0].md5, "03b5dce01913d631647c71ecec9e9cb8");
  assert.equal(findSource("mnist")!.download!.baseUrl, "https://ossci-datasets.s3.amazonaws.com/mnist/");
  const readme = await Deno.readTextFile(new URL("../../data/README.md", import.meta.url));
  const quoted = [...readme.matchAll(/`([\w.-]+)`[^`]*?`([0-9a-f]{32})`/g)];
  assert.ok(quoted.length >= 6, `${quoted.length} sums quoted`);
  for (const [, name, md5] of quoted) {
    const s = SOURCES.find((x) => x.fileMd5[name]);
    assert.equal(s?.fileMd5[name], md5, name);
  }
});

Deno.test("progress: bytes, rate and ETA", () => {
  assert.equal(formatBytes(812), "812 B");
  assert.equal(formatBytes(45_200_000), "45.2 MB");
  assert.equal(formatBytes(162_000_000), "162 MB");
  assert.equal(formatBytes(1_070_000_000), "1.07 GB");
  assert.equal(
    progressLine("x.tar.gz", 40_000_000, 160_000_000, 10),
    "x.tar.gz  40.0 MB / 160 MB  25%  4.00 MB/s  ETA 30s",
  );
  // resumed: the rate counts only the new bytes
  assert.equal(
    progressLine("x", 60_000_000, 160_000_000, 10, 40_000_000),
    "x  60.0 MB / 160 MB  37%  2.00 MB/s  ETA 50s  (resumed at 40.0 MB)",
  );
  assert.equal(progressLine("x", 5000, undefined, 0), "x  5.00 kB  –/s");
});
