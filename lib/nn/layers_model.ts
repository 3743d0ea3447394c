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
