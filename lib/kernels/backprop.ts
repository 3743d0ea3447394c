/**
 * tfjs' reverse-mode pass with memory released as it goes (docs/backends.md#backprop-memory).
 *
 * Stock tfjs (`Engine.gradients`, tfjs-core 4.22) keeps, until the whole backward pass ends, every
 * tensor a kernel saved for its gradient and the gradient of every intermediate tensor. On a
 * 7-block NASRec supernet at full width that is ~2 GB at batch 512 (NASRec-Small) and more than the
 * WASM backend's 4 GB heap for NASRec-Full or KDD's batch of 1024; an allocation that fails there
 * returns address 0, which tfjs does not check, so the run dies later as "memory access out of
 * bounds" or `Aborted()`.
 *
 * {@link useLeanBackprop} replaces `Engine.gradients` by the same algorithm — the same tape, the
 * same node order, the same `add` accumulation order, hence bit-identical gradients — that in
 * addition disposes a node's saved tensors and its outputs' gradients as soon as that node has been
 * differentiated, and the saved tensors of nodes off the x→y path before the pass starts. It does
 * so only for a first-order call (no enclosing tape): a gradient taken inside another gradient
 * (second order, e.g. GraSP) runs the stock code, whose tape the outer pass still needs.
 *
 * The engine's tape and scopes are tfjs internals; the package versions are pinned (deno.lock).
 *
 * @module
 */
import * as tf from "../tf.ts";

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
}

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(name: string | (() => T), f?: () => T): T;
  gradients: GradientsFn;
}

type GradientsFn = (
  f: () => tf.Tensor,
  xs: tf.Tensor[],
  dy?: tf.Tensor,
  allowNoGradients?: boolean,
) => { value: tf.Tensor; grads: tf.Tensor[] };

/**
 * The nodes of `tape` on a path from `xs` to `y`, in tape order, each with its inputs pruned to
 * those that depend on `xs` (tfjs' `getFilteredNodesXToY`, restated).
 */
export function filterTape(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      node.outputs.forEach((o) => fromX.add(o.id));
      nodesFromX.add(node.id);
    }
  }
  const toY = new Set<number>([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    const inputs = Object.values(node.inputs);
    if (inputs.length > 0 && node.outputs.some((o) => toY.has(o.id))) {
      inputs.forEach((t) => toY.add(t.id));
      nodesToY.add(node.id);
    }
  }
  const out: TapeNode[] = [];
  for (const node of tape) {
    if (!nodesFromX.has(node.id) || !nodesToY.has(node.id)) continue;
    const inputs: Record<string, tf.Tensor> = {};
    for (const name in node.inputs) if (fromX.has(node.inputs[name].id)) inputs[name] = node.inputs[name];
    out.push({ ...node, inputs, outputs: node.outputs });
  }
  return out;
}

/** `Engine.gradients` releasing saved tensors and intermediate gradients as the pass goes. */
function leanGradients(
  engine: EngineInternals,
  stock: GradientsFn,
  f: () => tf.Tensor,
  xs: tf.Tensor[],
  dy?: tf.Tensor,
  allowNoGradients = false,
): { value: tf.Tensor; grads: tf.Tensor[] } {
  // inside another gradient (second order) the outer pass needs this tape: stock behaviour
  if (engine.state.gradientDepth !== 0) return stock.call(engine, f, xs, dy, allowNoGradients);
  if (xs.length === 0) throw new Error("gradients() received an empty list of xs.");
  if (dy != null && dy.dtype !== "float32") {
    throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`);
  }
  const y = engine.scopedRun(
    () => engine.startTape(),
    () => engine.endTape(),
    () => engine.tidy("forward", f),
  );
  if (!(y instanceof tf.Tensor)) throw new Error("The result y returned by f() must be a tensor.");
  const tape = engine.state.activeTape ?? [];
  const filtered = filterTape(tape, xs, y);
  if (!allowNoGradients && filtered.length === 0) {
    throw new Error(
      "Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed encloses all " +
        "operations that lead from x to y.",
    );
  }
  // saved tensors of nodes the pass never visits are not needed at all
  const visited = new Set(filtered.map((n) => n.id));
  for (const node of tape) if (!visited.has(node.id)) node.saved?.forEach((t) => t.dispose());
  const keepIds = new Set<number>(xs.map((x) => x.id));
  return engine.tidy("backward", () => {
    const acc = new Map<number, tf.Tensor>();
    // how many entries of `acc` hold each gradient tensor (a gradient function may return one twice)
    const holders = new Map<tf.Tensor, number>();
    const hold = (t: tf.Tensor, k: number) => holders.set(t, (holders.get(t) ?? 0) + k);
    const seed = dy ?? tf.ones(y.shape);
    acc.set(y.id, seed);
    hold(seed, 1);
    for (let i = filtered.length - 1; i >= 0; i--) {
      const node = filtered[i];
      const dys = node.outputs.map((o) => acc.get(o.id) ?? null);
      if (node.gradient == null) {
        throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
      }
      const inputGradients = node.gradient(dys);
      for (const name in node.inputs) {
        if (!(name in inputGradients)) {
          throw new Error(
            `Cannot backprop through input ${name}. Available gradients found: ${
              Object.keys(inputGradients)
            }.`,
          );
        }
        const dx = engine.tidy(() => inputGradients[name]());
        if (dx.dtype !== "float32") {
          throw new Error(
            `Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`,
          );
        }
        const x = node.inputs[name];
        if (!tf.util.arraysEqual(dx.shape, x.shape)) {
          throw new Error(
            `Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`,
          );
        }
        const cur = acc.get(x.id);
        if (cur == null) {
          acc.set(x.id, dx);
          hold(dx, 1);
        } else {
          const sum = tf.add(cur, dx);
          acc.set(x.id, sum);
          hold(sum, 1);
          hold(cur, -1);
          cur.dispose();
        }
      }
      // this node is done: its outputs' gradients and its saved tensors are never read again
      for (const o of node.outputs) {
        const g = acc.get(o.id);
        if (g == null || keepIds.has(o.id)) continue;
        acc.delete(o.id);
        hold(g, -1);
        if (holders.get(g) === 0 && g !== dy) {
          holders.delete(g);
          g.dispose();
        }
      }
      node.saved?.forEach((t) => t.dispose());
    }
    const grads = xs.map((x) => acc.get(x.id) as tf.Tensor);
    (engine.state.activeTape ?? []).forEach((node) => node.saved?.forEach((t) => t.dispose()));
    engine.state.activeTape = null;
    return { value: y, grads } as unknown as tf.TensorContainer;
  }) as unknown as { value: tf.Tensor; grads: tf.Tensor[] };
}

/**
 * Kernels whose tfjs gradient reads its saved inputs' *shapes* only (tfjs-core 4.22 `gradients/`:
 * Add, Sub — broadcast axes; Reshape, Slice, Concat, Sum, Mean — the input shape; AddN — the input
 * count). Saving the tensors themselves keeps their data alive until the backward pass reaches the
 * op, e.g. every LayerNorm input through its `mean`. They are saved as {@link ShapeOnly} records.
 */
const SHAPE_ONLY_KERNELS = ["Add", "Sub", "Reshape", "Slice", "Concat", "Sum", "Mean", "AddN"] as const;

/** What a shape-only gradient reads of a saved tensor; `dispose` is a no-op (no data is held). */
interface ShapeOnly {
  readonly shape: number[];
  readonly rank: number;
  readonly size: number;
  readonly dtype: tf.DataType;
  readonly isDisposed: boolean;
  dispose(): void;
}

const shapeOnly = (t: tf.Tensor): ShapeOnly =>
  Object.freeze({
    shape: t.shape.slice(),
    rank: t.rank,
    size: t.size,
    dtype: t.dtype,
    isDisposed: false,
    dispose() {},
  });

interface SaveInternals {
  getTensorsForGradient(kernelName: string, inputs: unknown, outputs: tf.Tensor[]): (tf.Tensor | ShapeOnly)[];
  saveTensorsForBackwardMode(tensors: (tf.Tensor | ShapeOnly)[]): (tf.Tensor | ShapeOnly)[];
}

let stockGradients: GradientsFn | null = null;
let stockSaves: Pick<SaveInternals, "getTensorsForGradient" | "saveTensorsForBackwardMode"> | null = null;

/**
 * Make every first-order `tf.grad(s)`/`tf.variableGrads` release memory during the backward pass
 * (on), or restore tfjs' own pass (off). Idempotent; the gradients are the same bits either way.
 */
export function useLeanBackprop(on: boolean): void {
  const engine = tf.engine() as unknown as EngineInternals;
  if (on) {
    if (stockGradients) return;
    const stock = engine.gradients;
    stockGradients = stock;
    engine.gradients = (f, xs, dy, allow) => leanGradients(engine, stock, f, xs, dy, allow);
    // shape-only saves, while the kernel's gradient is still tfjs' own (GraSP swaps some)
    const saves = engine as unknown as SaveInternals;
    const own = new Map(SHAPE_ONLY_KERNELS.map((k) => [k, tf.getGradient(k)] as const));
    const { getTensorsForGradient, saveTensorsForBackwardMode } = saves;
    stockSaves = { getTensorsForGradient, saveTensorsForBackwardMode };
    saves.getTensorsForGradient = (kernelName, inputs, outputs) => {
      const ts = getTensorsForGradient.call(engine, kernelName, inputs, outputs);
      const g = own.get(kernelName as (typeof SHAPE_ONLY_KERNELS)[number]);
      return g && tf.getGradient(kernelName) === g ? ts.map((t) => shapeOnly(t as tf.Tensor)) : ts;
    };
    saves.saveTensorsForBackwardMode = (tensors) =>
      tensors.map((t) => t instanceof tf.Tensor ? saveTensorsForBackwardMode.call(engine, [t])[0] : t);
  } else if (stockGradients) {
    engine.gradients = stockGradients;
    stockGradients = null;
    Object.assign(engine, stockSaves);
    stockSaves = null;
  }
}
