/**
 * A user's `tf.LayersModel` (tfjs-layers: Sequential or functional) as a {@link Net}, so every proxy
 * scores it like our own networks.
 *
 * Layer kinds come from the layer classes (Conv*D → conv, Dense → linear, Embedding → embedding,
 * *Normalization → norm, MultiHeadAttention → attention) and roles from the weight names (kernel →
 * weight, bias → bias, gamma/beta → norm/bias, embeddings → embedding).
 *
 * @module
 */
import * as tf from "../tf.ts";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { LayerKind, Param, Role } from "./param.ts";
import type { ForwardOptions, Net } from "./net.ts";

/** Options of {@linkcode layersModelNet}. */
export interface LayersModelNetOptions {
  /** training loss on the model's output @default {"softmax-ce" for >1 outputs, else "sigmoid-bce"} */
  loss?: "softmax-ce" | "sigmoid-bce" | ((logits: tf.Tensor, y: tf.Tensor) => tf.Scalar);
}

function kindOf(className: string): LayerKind {
  if (/^Conv\dD|Conv2DTranspose|SeparableConv|DepthwiseConv/.test(className)) return "conv";
  if (className === "Dense") return "linear";
  if (className === "Embedding") return "embedding";
  if (/Normalization$/.test(className)) return "norm";
  if (/Attention/.test(className)) return "attention";
  return "linear";
}

function roleOf(weightName: string, kind: LayerKind): Role {
  const base = weightName.split("/").pop() ?? weightName;
  if (/^bias|^beta/.test(base)) return "bias";
  if (/^gamma|moving/.test(base)) return "norm";
  if (/^embeddings/.test(base)) return "embedding";
  return kind === "norm" ? "norm" : "weight";
}

/** The model as a Net. The model's own weights are used (not copied). */
export function layersModelNet(model: tfl.LayersModel, opts: LayersModelNetOptions = {}): Net {
  const params: Param[] = [];
  for (const layer of model.layers) {
    const kind = kindOf(layer.getClassName());
    for (const w of layer.trainableWeights) {
      // LayerVariable keeps its tf.Variable in `val`; gradients are taken with respect to it
      const variable = (w as unknown as { val: tf.Variable }).val;
      params.push({
        name: `${layer.name}/${w.name}`,
        layer: layer.name,
        kind,
        role: roleOf(w.name, kind),
        variable,
      });
    }
  }
  const outputs = (model.outputs[0].shape.at(-1) ?? 1) as number;
  const lossKind = opts.loss ?? (outputs > 1 ? "softmax-ce" : "sigmoid-bce");
  return {
    params: () => params,
    forward: (x: tf.Tensor, o: ForwardOptions) => model.apply(x, { training: o.training }) as tf.Tensor,
    loss: (logits, y) =>
      tf.tidy(() => {
        if (typeof lossKind === "function") return lossKind(logits, y);
        if (lossKind === "sigmoid-bce") return tf.losses.sigmoidCrossEntropy(y, logits) as tf.Scalar;
        const labels = y.dtype === "int32" ? tf.oneHot(y as tf.Tensor1D, logits.shape.at(-1)!) : y;
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      }),
  };
}

/**
 * Load a `tf.LayersModel` saved in the tfjs format (`model.json` + its weight files, as written by
 * `model.save("file://…")` or `tensorflowjs_converter`) from the local disk. tfjs' own `file://`
 * handler lives in tfjs-node, which may be absent; this reads the files with Deno.
 */
export async function loadLayersModelFile(modelJson: string): Promise<tfl.LayersModel> {
  const tfLayers = await import("@tensorflow/tfjs-layers");
  const dir = modelJson.replace(/[^/]*$/, "") || "./";
  let json: {
    modelTopology: unknown;
    weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  try {
    json = JSON.parse(await Deno.readTextFile(modelJson));
  } catch (e) {
    throw new SyntaxError(`Cannot read ${modelJson}: expected a tfjs model.json (${(e as Error).message})`);
  }
  if (!json.modelTopology) {
    throw new SyntaxError(`Cannot read ${modelJson}: no modelTopology (not a LayersModel)`);
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const group of json.weightsManifest ?? []) {
    specs.push(...group.weights);
    for (const p of group.paths) parts.push(await Deno.readFile(`${dir}${p}`));
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const weightData = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    weightData.set(p, off);
    off += p.length;
  }
  return await tfLayers.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology as object,
      weightSpecs: specs,
      weightData: weightData.buffer,
    }),
  );
}

/** Save a `tf.LayersModel` as `dir/model.json` + `dir/weights.bin` (each written atomically). */
export async function saveLayersModelFile(model: tfl.LayersModel, dir: string): Promise<void> {
  const { writeFileAtomic } = await import("../io.ts");
  await Deno.mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const bytes = data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : new Uint8Array(await new Blob(data as ArrayBuffer[]).arrayBuffer());
      await writeFileAtomic(`${dir}/weights.bin`, bytes);
      await writeFileAtomic(
        `${dir}/model.json`,
        JSON.stringify({
          modelTopology: artifacts.modelTopology,
          format: "layers-model",
          generatedBy: "sigeo-notebooks",
          weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
        }),
      );
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
}
