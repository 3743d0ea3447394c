/**
 * Where each dataset comes from: the one table of URLs, published MD5 sums, record counts and
 * expected layouts that `deno task data get|where|check` and `data/README.md` rely on.
 *
 * Sums: the CIFAR archives' from the CIFAR page (https://www.cs.toronto.edu/~kriz/cifar.html);
 * the CIFAR python-version and MNIST files' as torchvision verifies them; the ImageNet16 pickles'
 * as NAS-Bench-201's loader (AutoDL-Projects `ImageNet16`) verifies them. The recommender files
 * have no published sums.
 *
 * @module
 */

/** A file fetched by `get`. */
export interface RemoteFile {
  /** file name at the base URL and on disk */
  name: string;
  md5: string;
}

/** A dataset's entry in the table. */
export interface DatasetSource {
  /** the name on the command line */
  id: string;
  title: string;
  /** other accepted names */
  aliases: string[];
  /** where a person gets it (pages, not necessarily direct links) */
  pages: string[];
  /** licence, login or form needed */
  access: string;
  /** `get` can fetch it: base URL (overridable by a mirror) and files */
  download?: { baseUrl: string; files: RemoteFile[]; extract: "tar.gz" | "none" };
  /** the folder under `data/raw/` the reader looks in */
  folder: string;
  /** expected layout, one line per file or folder, relative to `data/raw/` */
  layout: string[];
  /** published MD5 of individual files, by name */
  fileMd5: Record<string, string>;
  /** records per standard file name in the full dataset */
  records?: Record<string, number>;
  /** rows of the full file, as published (recommender data) */
  fullRows?: Record<string, number>;
  /** the project reader */
  reader: string;
}

const KRIZ = "https://www.cs.toronto.edu/~kriz/";

const CIFAR10_BIN_RECORDS: Record<string, number> = {
  ...Object.fromEntries([1, 2, 3, 4, 5].map((k) => [`data_batch_${k}.bin`, 10000])),
  "test_batch.bin": 10000,
};

/** The datasets, by id. */
export const SOURCES: readonly DatasetSource[] = Object.freeze<DatasetSource[]>([
  {
    id: "cifar10",
    title: "CIFAR-10",
    aliases: ["cifar-10"],
    pages: [`${KRIZ}cifar.html`],
    access:
      "free download, no login; cite Krizhevsky (2009), 'Learning Multiple Layers of Features from Tiny Images'",
    download: {
      baseUrl: KRIZ,
      files: [{ name: "cifar-10-binary.tar.gz", md5: "c32a1d4ab5d03f1284b67883e8d87530" }],
      extract: "tar.gz",
    },
    folder: "cifar-10-batches-bin",
    layout: [
      "cifar-10-batches-bin/data_batch_1.bin … data_batch_5.bin   10,000 records × 3,073 bytes each",
      "cifar-10-batches-bin/test_batch.bin                        10,000 records × 3,073 bytes",
      "cifar-10-batches-bin/batches.meta.txt                      10 label names, one per line",
      "or the python version: cifar-10-batches-py/data_batch_1 … 5, test_batch, batches.meta (pickles)",
    ],
    fileMd5: {
      "cifar-10-binary.tar.gz": "c32a1d4ab5d03f1284b67883e8d87530",
      "cifar-10-python.tar.gz": "c58f30108f718f92721af3b95e74349a",
      data_batch_1: "c99cafc152244af753f735de768cd75f",
      data_batch_2: "d4bba439e000b95fd0a9bffe97cbabec",
      data_batch_3: "54ebc095f3ab1f0389bbae665268c751",
      data_batch_4: "634d18415352ddfa80567beed471001a",
      data_batch_5: "482c414d41f54cd18b22e5b47cb7c3cb",
      test_batch: "40351d587109b95175f43aff81a1287e",
      "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
    },
    records: {
      ...CIFAR10_BIN_RECORDS,
      ...Object.fromEntries([1, 2, 3, 4, 5].map((k) => [`data_batch_${k}`, 10000])),
      test_batch: 10000,
    },
    reader: "lib/data/cifar.ts loadCifar",
  },
  {
    id: "cifar100",
    title: "CIFAR-100",
    aliases: ["cifar-100"],
    pages: [`${KRIZ}cifar.html`],
    access: "free download, no login; cite Krizhevsky (2009)",
    download: {
      baseUrl: KRIZ,
      files: [{ name: "cifar-100-binary.tar.gz", md5: "03b5dce01913d631647c71ecec9e9cb8" }],
      extract: "tar.gz",
    },
    folder: "cifar-100-binary",
    layout: [
      "cifar-100-binary/train.bin                50,000 records × 3,074 bytes (coarse, fine label, 3,072 pixels)",
      "cifar-100-binary/test.bin                 10,000 records × 3,074 bytes",
      "cifar-100-binary/fine_label_names.txt     100 names; coarse_label_names.txt 20 names",
      "or the python version: cifar-100-python/train, test, meta (pickles)",
    ],
    fileMd5: {
      "cifar-100-binary.tar.gz": "03b5dce01913d631647c71ecec9e9cb8",
      "cifar-100-python.tar.gz": "eb9058c3a382ffc7106e4002c42a8d85",
      train: "16019d7e3df5f24257cddd939b257f8d",
      test: "f0ef6b0ae62326f3e7ffdfab6717acfc",
      meta: "7973b15100ade9c7d40fb424638fde48",
    },
    records: { "train.bin": 50000, "test.bin": 10000, train: 50000, test: 10000 },
    reader: "lib/data/cifar.ts loadCifar",
  },
  {
    id: "mnist",
    title: "MNIST",
    aliases: [],
    pages: [
      "http://yann.lecun.com/exdb/mnist/",
      "https://ossci-datasets.s3.amazonaws.com/mnist/ (torchvision's mirror)",
    ],
    access: "free download, no login",
    download: {
      baseUrl: "https://ossci-datasets.s3.amazonaws.com/mnist/",
      files: [
        { name: "train-images-idx3-ubyte.gz", md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873" },
        { name: "train-labels-idx1-ubyte.gz", md5: "d53e105ee54ea40749a09fcbcd1e9432" },
        { name: "t10k-images-idx3-ubyte.gz", md5: "9fb629c4189551a2d022fa330f9573f3" },
        { name: "t10k-labels-idx1-ubyte.gz", md5: "ec29112dd5afa0611ce80d1b7f02629c" },
      ],
      extract: "none",
    },
    folder: "mnist",
    layout: [
      "mnist/train-images-idx3-ubyte(.gz)   IDX, 60,000 × 28 × 28 bytes",
      "mnist/train-labels-idx1-ubyte(.gz)   IDX, 60,000 labels 0..9",
      "mnist/t10k-images-idx3-ubyte(.gz)    IDX, 10,000 × 28 × 28",
      "mnist/t10k-labels-idx1-ubyte(.gz)    IDX, 10,000 labels",
    ],
    fileMd5: {
      "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
      "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
      "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
      "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    records: {
      "train-images-idx3-ubyte": 60000,
      "train-labels-idx1-ubyte": 60000,
      "t10k-images-idx3-ubyte": 10000,
      "t10k-labels-idx1-ubyte": 10000,
    },
    reader: "lib/data/mnist.ts loadMnist (point --data at data/raw/mnist)",
  },
  {
    id: "imagenet16-120",
    title: "ImageNet16-120 (downsampled ImageNet 16×16, classes 1–120)",
    aliases: ["imagenet16", "ImageNet16-120", "imagenet"],
    pages: [
      "https://image-net.org/download-images (Downsampled ImageNet, 16×16 pickle version: Imagenet16_train.zip, Imagenet16_val.zip)",
      "https://patrykchrabaszcz.github.io/Imagenet32/ (Chrabaszcz et al. 2017)",
      "https://github.com/D-X-Y/AutoDL-Projects (NAS-Bench-201's instructions and loader)",
    ],
    access: "ImageNet account and acceptance of the ImageNet terms of access (non-commercial research)",
    folder: "ImageNet16",
    layout: [
      "ImageNet16/train_data_batch_1 … train_data_batch_10   pickles: data uint8 [N, 768], labels 1..1000",
      "ImageNet16/val_data                                    pickle, 50,000 images",
      "the reader keeps labels 1..120: 151,700 train and 6,000 validation images",
    ],
    fileMd5: {
      train_data_batch_1: "27846dcaa50de8e21a7d1a35f30f0e91",
      train_data_batch_2: "c7254a054e0e795c69120a5727050e3f",
      train_data_batch_3: "4333d3df2e5ffb114b05d2ffc19b1e87",
      train_data_batch_4: "1620cdf193304f4a92677b695d70d10f",
      train_data_batch_5: "348b3c2fdbb3940c4e9e834affd3b18d",
      train_data_batch_6: "6e765307c242a1b3d7d5ef9139b48945",
      train_data_batch_7: "564926d8cbf8fc4818ba23d2faac7564",
      train_data_batch_8: "f4755871f718ccb653440b9dd0ebac66",
      train_data_batch_9: "bb6dd660c38c58552125b1a92f86b5d4",
      train_data_batch_10: "8f03f34ac4b42271a294f91bf480f29b",
      val_data: "3410e3017fdaefba8d5073aaa65e4bd6",
    },
    records: { val_data: 50000 },
    reader: "lib/data/imagenet16.ts loadImageNet16",
  },
  {
    id: "criteo",
    title: "Criteo Display Advertising Challenge (Kaggle 2014)",
    aliases: ["criteo-kaggle"],
    pages: [
      "https://ailab.criteo.com/ressources/ (Criteo 1TB/Kaggle datasets; dac.tar.gz holds train.txt)",
      "https://www.kaggle.com/c/criteo-display-ad-challenge",
    ],
    access: "accept Criteo's terms (research use) on their page, or a Kaggle login",
    folder: "criteo",
    layout: ["criteo/train.txt   40 tab-separated fields per line, no header (11 GB, 45,840,617 rows)"],
    fileMd5: {},
    fullRows: { "train.txt": 45840617 },
    reader: "lib/data/criteo.ts readCriteo",
  },
  {
    id: "avazu",
    title: "Avazu Click-Through Rate Prediction (Kaggle 2014)",
    aliases: [],
    pages: ["https://www.kaggle.com/c/avazu-ctr-prediction/data (train.gz → train)"],
    access: "Kaggle login and acceptance of the competition rules",
    folder: "avazu",
    layout: [
      "avazu/train.csv (or avazu/train)   CSV with header id,click,hour,C1,…,C21 (6 GB, 40,428,967 rows)",
    ],
    fileMd5: {},
    fullRows: { "train.csv": 40428967, train: 40428967 },
    reader: "lib/data/avazu.ts readAvazu",
  },
  {
    id: "kdd2012",
    title: "KDD Cup 2012 track 2 (Tencent search ads)",
    aliases: ["kdd", "kdd12", "kddcup2012"],
    pages: ["https://www.kaggle.com/c/kddcup2012-track2/data (track2.zip)"],
    access: "Kaggle login and acceptance of the competition rules",
    folder: "kdd2012",
    layout: [
      "kdd2012/training.txt          12 tab-separated fields per line (10 GB, 149,639,105 rows)",
      "kdd2012/userid_profile.txt    UserID, Gender, Age (tab-separated)",
    ],
    fileMd5: {},
    fullRows: { "training.txt": 149639105 },
    reader: "lib/data/kdd2012.ts readKdd2012",
  },
  {
    id: "nb201-truth",
    title: "NAS-Bench-201 ground truth (NATS-Bench tss, or NAS-Bench-Suite-Zero)",
    aliases: ["nats-bench", "nats", "nb201", "zc_nasbench201"],
    pages: [
      "https://github.com/D-X-Y/NATS-Bench (NATS-tss-v1_0-3ffb9-simple.tar, linked from its README)",
      "https://github.com/automl/NASLib (NAS-Bench-Suite-Zero: zc_nasbench201.json, linked from its README)",
    ],
    access: "free downloads (Google Drive / figshare links in the READMEs; a browser may be needed)",
    folder: "nb201-truth",
    layout: [
      "nb201-truth/NATS-tss-v1_0-3ffb9-simple/meta.pickle.pbz2 and 000000 … 015624.pickle.pbz2 (15,625 archs)",
      "or nb201-truth/zc_nasbench201.json   {dataset: {op-index tuple: {proxy: {score, time}, val_accuracy}}}",
      "or a CSV arch,dataset,metric,value",
    ],
    fileMd5: {},
    reader: "lib/benchmarks/nb201_truth.ts readTruth (final accuracies are hp=200)",
  },
]);

/** The entry of a dataset name or alias (case-insensitive), or undefined. */
export function findSource(name: string): DatasetSource | undefined {
  const n = name.toLowerCase();
  return SOURCES.find((s) => s.id === n || s.aliases.some((a) => a.toLowerCase() === n));
}

/** Every published MD5 by file name, across datasets. */
export function publishedMd5(name: string): { md5: string; dataset: string } | undefined {
  for (const s of SOURCES) if (s.fileMd5[name]) return { md5: s.fileMd5[name], dataset: s.title };
  return undefined;
}

/** The base URL to fetch from: `--mirror`, else `SIGEO_DATA_MIRROR`, else the official one. */
export function baseUrl(source: DatasetSource, mirror?: string): string {
  let m = mirror;
  if (m === undefined) {
    try {
      m = Deno.env.get("SIGEO_DATA_MIRROR");
    } catch { /* no env permission */ }
  }
  const base = m || source.download?.baseUrl;
  if (!base) {
    throw new RangeError(
      `${source.title} cannot be downloaded automatically: see 'deno task data where ${source.id}'`,
    );
  }
  return base.endsWith("/") ? base : `${base}/`;
}
