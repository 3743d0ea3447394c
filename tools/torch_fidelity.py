#!/usr/bin/env python3
"""PyTorch float32's own error of float64 on the proxies of issue 16, on real CIFAR-10 images.

The tolerance of lib/proxies/grasp_fidelity_test.ts ("our GraSP is within PyTorch float32's error of
float64") needs that error; CI has no torch, so it is measured here once and written down in the test.
Same network as the project's NB201 (tools/torch_reference.py, with NAS-Bench-201's handling of a dead
node: its ops run on zeros), PyTorch's own initialisation from `torch.manual_seed(seed)`, the float64
copy made with `.double()` of the float32 weights, so both see the same values. Images: the first
n·1 images of ../shared/data/cifar10/cifar10_test_batch_first500.bin, NB201-normalised, centre-cropped.

GraSP as Samsung's grasp.py (T = 1, one iteration, one batch, BN in training mode):
g = dL/dW (conv/linear weights), Hg = d<g, dL/dW>/dW, score = -sum W * Hg.
grad_norm = sum_l ||dL/dW_l||, snip = sum |W * dL/dW| (same batch).

    python3 tools/torch_fidelity.py [C N n px seeds]     # default 8 2 16 16 5: the test's net
Prints one JSON line per cell and seed: the float32 and float64 values and their relative errors.
"""
import copy, json, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CELLS = {
    "reference": "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
    "pools+skips": "|avg_pool_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|nor_conv_3x3~0|avg_pool_3x3~1|skip_connect~2|",
    "dead node": "|none~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|",
    "none, no dead node": "|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|none~0|none~1|nor_conv_3x3~2|",
}
DATA = "../shared/data/cifar10/cifar10_test_batch_first500.bin"
MEAN = np.array([125.3, 123.0, 113.9]) / 255
STD = np.array([63.0, 62.1, 66.7]) / 255


class ReLUConvBN(nn.Sequential):
    def __init__(self, c, k, stride=1, cin=None):
        super().__init__(nn.ReLU(), nn.Conv2d(cin or c, c, k, stride, k // 2, bias=False), nn.BatchNorm2d(c))


class Zero(nn.Module):
    def forward(self, x):
        return x.mul(0.0)


def make_op(name, c):
    return {
        "none": lambda: Zero(),
        "skip_connect": lambda: nn.Identity(),
        "nor_conv_1x1": lambda: ReLUConvBN(c, 1),
        "nor_conv_3x3": lambda: ReLUConvBN(c, 3),
        "avg_pool_3x3": lambda: nn.AvgPool2d(3, 1, 1, count_include_pad=False),
    }[name]()


class Cell(nn.Module):
    """NAS-Bench-201's cell: node i = sum of op(node j) over j < i, `none` giving zeros."""

    def __init__(self, arch, c):
        super().__init__()
        self.edges, self.ops = [], nn.ModuleList()
        for i, node in enumerate(arch.split("+")):
            for e in node.split("|")[1:-1]:
                name, src = e.split("~")
                self.edges.append((i + 1, int(src)))
                self.ops.append(make_op(name, c))

    def forward(self, x):
        states = [x, None, None, None]
        for (tgt, src), op in zip(self.edges, self.ops):
            y = op(states[src])
            states[tgt] = y if states[tgt] is None else states[tgt] + y
        return states[3]


class ResBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.a = ReLUConvBN(cout, 3, 2, cin)
        self.b = ReLUConvBN(cout, 3)
        self.down = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(cin, cout, 1, bias=False))

    def forward(self, x):
        return self.down(x) + self.b(self.a(x))


def network(arch, C, N, classes=10):
    layers, c = [nn.Conv2d(3, C, 3, padding=1, bias=False), nn.BatchNorm2d(C)], C
    for stage in range(3):
        if stage > 0:
            layers.append(ResBlock(c, 2 * c))
            c *= 2
        layers += [Cell(arch, c) for _ in range(N)]
    layers += [nn.BatchNorm2d(c), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, classes)]
    return nn.Sequential(*layers)


def images(n, px):
    raw = np.fromfile(DATA, dtype=np.uint8).reshape(-1, 3073)[:n]
    x = raw[:, 1:].reshape(n, 3, 32, 32).astype(np.float64) / 255
    x = (x - MEAN[None, :, None, None]) / STD[None, :, None, None]
    o = (32 - px) // 2
    return x[:, :, o : o + px, o : o + px].astype(np.float32), raw[:, 0].astype(np.int64)


def proxies(net, x, y):
    weights = [m.weight for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    loss = F.cross_entropy(net(x), y)
    g = torch.autograd.grad(loss, weights)
    grad_norm = sum(float(t.norm()) for t in g)
    snip = sum(float((w.detach() * t).abs().sum()) for w, t in zip(weights, g))
    loss = F.cross_entropy(net(x), y)
    gf = torch.autograd.grad(loss, weights, create_graph=True)
    z = sum((a.detach() * b).sum() for a, b in zip(g, gf))
    hg = torch.autograd.grad(z, weights)
    grasp = -sum(float((w.detach() * h).sum()) for w, h in zip(weights, hg))
    return {"grasp": grasp, "grad_norm": grad_norm, "snip": snip}


def main():
    C, N, n, px, seeds = (int(a) for a in (sys.argv[1:6] + ["8", "2", "16", "16", "5"][len(sys.argv) - 1 :]))
    torch.set_num_threads(1)
    torch.backends.nnpack.set_flags(False)  # unsupported here; it only prints warnings
    xs, ys = images(n, px)
    for name, arch in CELLS.items():
        for seed in range(seeds):
            torch.manual_seed(seed)
            net32 = network(arch, C, N).train()
            net64 = copy.deepcopy(net32).double().train()
            a = proxies(net32, torch.from_numpy(xs), torch.from_numpy(ys))
            b = proxies(net64, torch.from_numpy(xs).double(), torch.from_numpy(ys))
            err = {k: abs(a[k] - b[k]) / abs(b[k]) for k in a}
            print(json.dumps({"cell": name, "seed": seed, "C": C, "N": N, "n": n, "px": px,
                              "float32": a, "float64": b, "relErr": err, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
