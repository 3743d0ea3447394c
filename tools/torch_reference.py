#!/usr/bin/env python3
"""Reference timings in PyTorch (CPU) for the workloads of the project's `deno task bench`.

Run it on the same machine as the bench, in the same minute, and compare ratios, not absolute
times (machines here are shared and noisy). Needs Debian's python3-torch and OpenBLAS:
    apt-get install -y python3-torch libopenblas0-pthread
    /usr/bin/python3 tools/torch_reference.py                # prints one JSON line per workload
    python3 tools/torch_reference.py 2 mlp-step nb201-step   # 2 threads, only the named workloads
`deno task bench --against-torch` runs this script and the bench in alternation and prints the ratios.

Workloads (keep the project's bench identical in shape and batch):
  matmul-1024     C = A @ B, 1024x1024 fp32
  mlp-step        MLP 1024 -> 512 -> 512 -> 1 (ReLU), batch 256, BCE-with-logits, Adam step
  nb201-step      NAS-Bench-201 network (C=16, N=5, 10 classes, 32x32x3) for the arch BEST below,
                  batch 64, cross-entropy, SGD(momentum 0.9, nesterov) step
  nb201-zico      ZiCo-style scoring of that network: 4 batches of 64, forward + backward each,
                  gradients of every conv/linear weight copied out (no optimizer step)
"""
import json, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"


class ReLUConvBN(nn.Sequential):
    def __init__(self, cin, cout, k, stride):
        super().__init__(nn.ReLU(), nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout))


def make_op(name, c):
    if name == "none":
        return None
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_1x1":
        return ReLUConvBN(c, c, 1, 1)
    if name == "nor_conv_3x3":
        return ReLUConvBN(c, c, 3, 1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, 1, 1, count_include_pad=False)
    raise ValueError(name)


class Cell(nn.Module):
    def __init__(self, arch, c):
        super().__init__()
        nodes = [n.split("|")[1:-1] for n in arch.split("+")]
        self.edges = []  # (target node, source node, op)
        self.ops = nn.ModuleList()
        for i, node in enumerate(nodes):
            for e in node:
                name, src = e.split("~")
                op = make_op(name, c)
                if op is not None:
                    self.edges.append((i + 1, int(src), len(self.ops)))
                    self.ops.append(op)

    def forward(self, x):
        states = [x, 0, 0, 0]
        for tgt, src, k in self.edges:
            states[tgt] = states[tgt] + self.ops[k](states[src])
        return states[3]


class ResBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.a = ReLUConvBN(cin, cout, 3, 2)
        self.b = ReLUConvBN(cout, cout, 3, 1)
        self.down = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(cin, cout, 1, bias=False))

    def forward(self, x):
        return self.down(x) + self.b(self.a(x))


class TinyNetwork(nn.Module):
    def __init__(self, arch, C=16, N=5, classes=10):
        super().__init__()
        layers = [nn.Conv2d(3, C, 3, padding=1, bias=False), nn.BatchNorm2d(C)]
        c = C
        for stage in range(3):
            if stage > 0:
                layers.append(ResBlock(c, 2 * c))
                c *= 2
            layers += [Cell(arch, c) for _ in range(N)]
        layers += [nn.BatchNorm2d(c), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(c, classes)

    def forward(self, x):
        return self.head(self.body(x))


def timeit(fn, n, warm=3):
    for _ in range(warm):
        fn()
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n * 1e3


def main():
    torch.manual_seed(0)
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    only = set(sys.argv[2:])
    want = lambda name: not only or name in only
    info = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    a = torch.randn(1024, 1024)
    if want("matmul-1024"):
        ms = timeit(lambda: a @ a, 20)
        print(json.dumps({**info, "workload": "matmul-1024", "ms": round(ms, 3), "gflops": round(2 * 1024**3 / ms / 1e6, 2)}))

    mlp = nn.Sequential(nn.Linear(1024, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 1))
    opt = torch.optim.Adam(mlp.parameters(), 1e-3)
    xm, ym = torch.randn(256, 1024), torch.randint(0, 2, (256, 1)).float()

    def mlp_step():
        opt.zero_grad()
        F.binary_cross_entropy_with_logits(mlp(xm), ym).backward()
        opt.step()

    if want("mlp-step"):
        print(json.dumps({**info, "workload": "mlp-step", "ms": round(timeit(mlp_step, 30), 3)}))

    net = TinyNetwork(BEST)
    params = sum(p.numel() for p in net.parameters())
    sgd = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    x, y = torch.randn(64, 3, 32, 32), torch.randint(0, 10, (64,))

    def nb_step():
        sgd.zero_grad()
        F.cross_entropy(net(x), y).backward()
        sgd.step()

    if want("nb201-step"):
        print(json.dumps({**info, "workload": "nb201-step", "arch": BEST, "params": params, "ms": round(timeit(nb_step, 10), 3)}))

    batches = [(torch.randn(64, 3, 32, 32), torch.randint(0, 10, (64,))) for _ in range(4)]
    weights = [m.weight for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]

    def zico():
        grads = []
        for bx, by in batches:
            net.zero_grad()
            F.cross_entropy(net(bx), by).backward()
            grads.append([w.grad.detach().clone() for w in weights])
        score = 0.0
        for layer in zip(*grads):
            g = torch.stack(layer)
            std, mean = g.std(0, unbiased=False), g.abs().mean(0)
            nz = std != 0
            s = (mean[nz] / std[nz]).sum()
            if s > 0:
                score += float(torch.log(s))
        return score

    if want("nb201-zico"):
        print(json.dumps({**info, "workload": "nb201-zico", "ms": round(timeit(zico, 5, warm=1), 3), "score": round(zico(), 4)}))


if __name__ == "__main__":
    main()
