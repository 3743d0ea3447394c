import assert from "node:assert/strict";
import { nb201Flops, nb201ParamCount } from "./param_count.ts";
import { allArchs, formatArch } from "./space.ts";
import { Nb201Network } from "./network.ts";
import { createRng } from "../../rng.ts";

const BEST =
  "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";
const ALL_CONV3 = [3, 3, 3, 3, 3, 3];
const ALL_NONE = [0, 0, 0, 0, 0, 0];

Deno.test("parameter count of the reference net (PyTorch torch_reference.py: 1,288,506)", () => {
  const c = nb201ParamCount(BEST);
  assert.equal(c.total, 1288506);
  // hand breakdown: stem 3·16·9 + 32; head BN 128 + Linear 650
  assert.equal(c.stem, 464);
  assert.equal(c.head, 778);
  // ResBlocks: 16→32: 4608+64 + 9216+64 + 512; 32→64: 18432+128 + 36864+128 + 2048
  assert.equal(c.reductions, 14464 + 57600);
  assert.equal(c.stem + c.cells + c.reductions + c.head, c.total);
});

Deno.test("extreme archs match NAS-Bench-201's published min/max params and FLOPs on all three datasets", () => {
  // min/max over the space as read from the NB201 API (in millions), CIFAR-10:
  // params 0.073306 (all none) / 1.531546 (all conv3x3).
  assert.equal(nb201ParamCount(ALL_CONV3).total, 1531546);
  assert.equal(nb201ParamCount(ALL_NONE).total, 73306);
  // FLOPs in millions: 220.11969 and 7.78305 on 32×32, 10 classes.
  assert.equal(nb201Flops(ALL_CONV3).total, 220119690);
  assert.equal(nb201Flops(ALL_NONE).total, 7783050);
  // CIFAR-100: params [0.079156, 1.537396], FLOPs [7.7889, 220.12554].
  assert.equal(nb201ParamCount(ALL_NONE, { classes: 100 }).total, 79156);
  assert.equal(nb201ParamCount(ALL_CONV3, { classes: 100 }).total, 1537396);
  assert.equal(nb201Flops(ALL_NONE, { classes: 100 }).total, 7788900);
  assert.equal(nb201Flops(ALL_CONV3, { classes: 100 }).total, 220125540);
  // ImageNet16-120 (16×16, 120 classes): params [0.080456, 1.538696], FLOPs [1.9534, 55.03756].
  const in16 = { resolution: 16, classes: 120 };
  assert.equal(nb201ParamCount(ALL_NONE, in16).total, 80456);
  assert.equal(nb201ParamCount(ALL_CONV3, in16).total, 1538696);
  assert.equal(nb201Flops(ALL_NONE, in16).total, 1953400);
  assert.equal(nb201Flops(ALL_CONV3, in16).total, 55037560);
});

Deno.test("options: non-affine BN, conv bias, width and depth", () => {
  // BEST has 5 convs per cell; non-affine removes 2 per channel of every BN.
  const bnChannels = 16 + 5 * 5 * (16 + 32 + 64) + 2 * 32 + 2 * 64 + 64;
  assert.equal(nb201ParamCount(BEST, { affine: false }).total, 1288506 - 2 * bnChannels);
  const biasChannels = 5 * 5 * (16 + 32 + 64);
  assert.equal(
    nb201ParamCount(BEST, { affine: false, cellConvBias: true }).total,
    1288506 - 2 * bnChannels + biasChannels,
  );
  // N=1, C=8, all conv1x1: stem 216+16, cells 6·(64+16)+6·(256+32)+6·(1024+64),
  // resblocks (1152+32+2304+32+128) + (4608+64+9216+64+512), head 64 + 32·10 + 10
  const small = nb201ParamCount([2, 2, 2, 2, 2, 2], { C: 8, N: 1 });
  assert.equal(small.total, 232 + 6 * 80 + 6 * 288 + 6 * 1088 + 3648 + 14464 + 394);
  assert.throws(() => nb201ParamCount(BEST, { C: 0 }), RangeError);
  assert.throws(() => nb201ParamCount("|bad|"), SyntaxError);
});

Deno.test("FLOPs of the reference arch, by hand", () => {
  // 5 conv3x3 per cell: 5·5·2,359,296 per stage × 3 stages, + stem, resblocks, head
  const expected = 3 * 25 * 2359296 + 442368 + 2 * 3670016 + 650;
  assert.equal(nb201Flops(BEST).total, expected);
});

Deno.test("formula agrees with the tfjs network's parameter count", () => {
  for (const arch of [BEST, formatArch([4, 0, 2, 1, 0, 3]), formatArch(ALL_NONE)]) {
    const net = new Nb201Network(arch, { C: 8, N: 2, classes: 7 }, createRng(0));
    const n = net.params().reduce((s, p) => s + p.variable.size, 0);
    net.dispose();
    assert.equal(n, nb201ParamCount(arch, { C: 8, N: 2, classes: 7 }).total, arch);
  }
});

Deno.test("count is monotone in ops: replacing any op by conv3x3 never lowers it", () => {
  for (const a of allArchs().filter((_, i) => i % 97 === 0)) {
    const base = nb201ParamCount(a).total;
    for (let e = 0; e < 6; e++) {
      const b = a.slice();
      b[e] = 3;
      assert.ok(nb201ParamCount(b).total >= base);
    }
  }
});
