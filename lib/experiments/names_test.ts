import assert from "node:assert/strict";
import {
  parseNames,
  parseNb201Datasets,
  parseRecsysDatasets as parseDatasets,
  parseSpaces,
} from "./names.ts";

Deno.test("parseNames: all by default, aliases, order kept, repeats dropped, other names skipped and logged", () => {
  const all = ["a", "b", "c"] as const;
  assert.deepEqual(parseNames(undefined, all, {}, "letter"), ["a", "b", "c"]);
  assert.deepEqual(parseNames("all", all, {}, "letter"), ["a", "b", "c"]);
  const log: string[] = [];
  assert.deepEqual(parseNames(" c, B,x,c ", all, { b: "b" }, "letter", (l) => log.push(l)), ["c", "b"]);
  assert.deepEqual(log, ["skipping x: not a letter"]);
  assert.throws(
    () => parseNames("x,y", all, { bee: "b" }, "letter"),
    /No letter in 'x,y': expected a, b, c, bee/,
  );
});

Deno.test("the experiments' lists: one --dataset value serves NB201 and the recommenders", () => {
  assert.deepEqual(parseDatasets("cifar100,kdd,criteo"), ["kdd2012", "criteo"]);
  assert.deepEqual(parseNb201Datasets("cifar100,kdd,CIFAR-10,imagenet16"), [
    "cifar100",
    "cifar10",
    "ImageNet16-120",
  ]);
  assert.deepEqual(parseSpaces("full,NASRec-Small"), ["xlarge", "autoctr"]);
  assert.deepEqual(parseDatasets(undefined), ["criteo", "avazu", "kdd2012"]);
  assert.throws(() => parseDatasets("cifar10"), /No recommender dataset in 'cifar10'/);
  assert.throws(() => parseNb201Datasets("criteo"), /No NAS-Bench-201 dataset in 'criteo'/);
  assert.throws(() => parseSpaces("medium"), /No NASRec space in 'medium': expected autoctr, xlarge, small/);
});
