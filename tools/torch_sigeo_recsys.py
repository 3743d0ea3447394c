#!/usr/bin/env python3
"""Recompute a NASRec audit bundle's sigeo-recsys terms in PyTorch, the way NasRec-SiGeo computes them.

A bundle is what `deno task score --space nasrec-small|nasrec-full --record DIR` writes (format
sigeo-audit/2, docs/proxies.md "Audit bundles of recommender nets"). With final-layer-only scoring
(every sigeo-recsys* preset) the score depends on the network only through the input of its final
linear layer, which the bundle records per batch (features/BBB.npy). This script rebuilds that
layer as a torch.nn.Linear from the bundle's head weight and bias and runs NasRec-SiGeo's scoring
loop on it, as docs/sigeo.md §2.2 describes it:

  for each batch b: zero the gradients, BCE-with-logits (mean), backward, clip_grad_norm_(5.0),
  Adagrad step (lr_b = 1e-8 + (0.04 - 1e-8) * max(0, b - 1) / 50, eps 1e-2), record the
  flattened gradient of the weight and of the bias; after the last batch record the parameters.
  Per tensor: std over batches (unbiased when the bundle's ddof is 1), the non-zero-std elements
  (only the first one, as torch.nonzero(std)[0] selects, when firstNonzeroOnly is set),
  Z = sum of log(sum mean|g| / std), F = log(|sum_tensors sum (sum_b g_b) * theta| + 1e-10),
  L = the last batch's loss, value = l1 Z + l2 F - l3 L.

It does this in float32 (PyTorch's precision in the official runs) and float64, and prints one JSON
line per bundle: the bundle's terms, both recomputations and the largest relative difference of
the bundle from each. The part of the network before the final layer is not recomputed here: the
bundle holds its weights, the touched embedding rows and the batches for that.

    python3 tools/torch_sigeo_recsys.py AUDIT_DIR/0_sigeo-recsys [more bundle folders...]

Needs numpy and torch (CPU is enough). Exit status 2 on a bundle it cannot check (wrong format,
a preset that is not final-layer-only), naming the folder.
"""
import json
import math
import os
import sys

import numpy as np
import torch


def fail(msg):
    print(f"torch_sigeo_recsys.py: {msg}", file=sys.stderr)
    sys.exit(2)


def scoring_lr(b):
    return 1e-8 + (0.04 - 1e-8) * max(0, b - 1) / 50


def load(bundle):
    path = os.path.join(bundle, "manifest.json")
    if not os.path.exists(path):
        fail(f"{bundle}: no manifest.json (not an audit bundle, or an unfinished one)")
    with open(path) as f:
        m = json.load(f)
    if m.get("format") != "sigeo-audit/2":
        fail(f"{path}: format {m.get('format')!r}, expected 'sigeo-audit/2' (a recommender bundle)")
    o = m["options"]
    if o.get("preset") != "recsys" or not o.get("finalLayerOnly") or o.get("params") != "final-layer":
        fail(f"{path}: proxy {m['proxy']!r} is not a final-layer-only recsys SiGeo preset")
    if "features" not in m:
        fail(f"{path}: no features recorded")
    linear = [p for p in m["params"] if p["kind"] == "linear"]
    head = [p for p in m["params"] if p["layer"] == linear[-1]["layer"]]
    weight = next(p for p in head if p["role"] == "weight")
    bias = next((p for p in head if p["role"] == "bias"), None)
    w = np.load(os.path.join(bundle, weight["file"]))  # tfjs [in, out]
    b = np.load(os.path.join(bundle, bias["file"])) if bias else None
    feats = [np.load(os.path.join(bundle, f["file"])) for f in m["features"]]
    ys = [np.load(os.path.join(bundle, x["y"])) for x in m["batches"]]
    return m, w, b, feats, ys


def recompute(m, w, b, feats, ys, dtype):
    o = m["options"]
    lin = torch.nn.Linear(w.shape[0], w.shape[1], bias=b is not None).to(dtype)
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(w.T.copy()).to(dtype))
        if b is not None:
            lin.bias.copy_(torch.from_numpy(b).to(dtype))
    params = [lin.weight] + ([lin.bias] if b is not None else [])
    opt = torch.optim.Adagrad(params, lr=0.04, eps=1e-2)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    grads = [[] for _ in params]
    loss = None
    for k, (x, y) in enumerate(zip(feats, ys)):
        for g in opt.param_groups:
            g["lr"] = scoring_lr(k)
        opt.zero_grad()
        out = lin(torch.from_numpy(x).to(dtype))
        loss = loss_fn(out, torch.from_numpy(y).to(dtype).reshape(out.shape))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()
        for i, p in enumerate(params):
            grads[i].append(p.grad.detach().flatten().clone())
    theta = [p.detach().flatten().clone() for p in params]
    zico = 0.0
    proj = torch.zeros((), dtype=dtype)
    for g, t in zip(grads, theta):
        G = torch.stack(g)
        std = torch.std(G, dim=0, unbiased=o["ddof"] == 1)
        nz = torch.nonzero(std).flatten()
        idx = nz[:1] if o["firstNonzeroOnly"] else nz
        s = torch.sum(torch.mean(torch.abs(G), dim=0)[idx] / std[idx])
        if s.item() != 0:
            zico += math.log(s.item())
        proj = proj + torch.sum(torch.sum(G, dim=0) * t)
    fr = math.log(abs(proj.item()) + 1e-10)
    l1, l2, l3 = o["lambdas"]
    terms = {"zico": zico, "fr": fr, "loss": loss.item()}
    return {**terms, "value": l1 * zico + l2 * fr - l3 * loss.item()}


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-12)


def main(argv):
    if not argv:
        fail("usage: torch_sigeo_recsys.py BUNDLE_DIR [BUNDLE_DIR...]")
    torch.set_num_threads(1)
    for bundle in argv:
        m, w, b, feats, ys = load(bundle)
        ours = {**m["score"]["terms"], "value": m["score"]["value"]}
        f32 = recompute(m, w, b, feats, ys, torch.float32)
        f64 = recompute(m, w, b, feats, ys, torch.float64)
        print(json.dumps({
            "bundle": bundle,
            "proxy": m["proxy"],
            "ours": ours,
            "torch_float32": f32,
            "torch_float64": f64,
            "max_rel_diff_vs_float32": max(rel(ours[k], f32[k]) for k in ours),
            "max_rel_diff_vs_float64": max(rel(ours[k], f64[k]) for k in ours),
            "torch_float32_vs_float64": max(rel(f32[k], f64[k]) for k in ours),
        }))


if __name__ == "__main__":
    main(sys.argv[1:])
