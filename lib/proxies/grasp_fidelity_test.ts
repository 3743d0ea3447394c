/**
 * GraSP as registered (one batch, the official definition: lib/proxies/grasp.ts) against the float64
 * GraSP of lib/proxies/testing/proxies_ref.ts on the float64 NB201 network, on the four kinds of
 * cells of issue 16, real CIFAR-10 images (16 centre crops of 16×16, C = 8, N = 2: 8 cells deep).
 *
 * Tolerance 3e-5 relative, PyTorch float32's own error: tools/torch_fidelity.py (torch 2.13 CPU,
 * same net and images, float32 against a `.double()` copy of the same weights, seeds 0–4, 2026-12-04)
 * measured GraSP errors of 7e-8…2.7e-5 on the 19 runs whose float32 ReLU decisions are float64's,
 * and 3.1e-2 on the one where a ReLU input within float32 rounding of zero flips. Such a flip moves
 * GraSP by the whole contribution of that unit, whichever framework rounds, so the net here is
 * initialised from seed 3, where the float32 pass takes every ReLU decision float64 takes on all four
 * cells (checked first: a change of kernels that flips one is reported as such, not as a GraSP
 * error). Seeds 0–2 each have one such cell (errors 7e-4…9e-3, as PyTorch's). Measured here with seed
 * 3 (2026-12-04, Hg one stage at a time, `chainHessianVectorProduct`): 1.3e-6, 2.2e-6, 8.2e-7, 1.5e-5;
 * the whole double backward at once gave 4.4e-7, 9.6e-7, 4.2e-7, 2.2e-5. The split definition (`splits: 4`, each part with its own BN
 * statistics, the default before issue 16) is 0.16 and 0.98 away on the reference and pools+skips
 * cells, so the check fails on it (tried 2026-12-04).
 */
import assert from "node:assert/strict";
import { initBackend } from "../backend.ts";
import { cifarBatches, FIDELITY_CELLS, measureCell } from "./testing/fidelity.ts";

await initBackend({ quiet: true });

const CFG = { C: 8, N: 2, n: 16, batches: 1, px: 16, seed: 3 };
const TOLERANCE = 3e-5;

for (const [cell, arch] of Object.entries(FIDELITY_CELLS)) {
  Deno.test(`grasp equals float64 GraSP within PyTorch float32's error on real images: ${cell}`, async (t) => {
    const data = await cifarBatches(CFG);
    if (!data) {
      await t.step({ name: "skipped: ../shared/data/cifar10 absent", ignore: true, fn: () => {} });
      return;
    }
    const { rows, reluFlips, reluUnits } = await measureCell(arch, CFG, data, { names: ["grasp"] });
    assert.equal(reluFlips, 0, `${cell}: ${reluFlips} of ${reluUnits} ReLU signs differ from float64`);
    const [row] = rows;
    assert.ok(
      row.relErr <= TOLERANCE,
      `${cell}: grasp ${row.tfjs} vs float64 ${row.float64} (relative error ${row.relErr} > ${TOLERANCE})`,
    );
  });
}
