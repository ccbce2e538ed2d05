// @ts-check
// The look inside in words: what each layer does, each block's title and caption, the
// names a screen reader (or a voice) gives the columns, maps and units, what the zoom
// shows, and the panel's status. Pure functions of the model's card and /explain's
// answer: node --test checks the sentences without a browser (tests/js/).

import { percent, plural, times } from "../words.js";
import { isMaps } from "./layers.js";

/** @typedef {import("../reader.js").Card} Card */
/** @typedef {import("./layers.js").Layer} Layer */
/** @typedef {import("./layers.js").Activations} Activations */
/** @typedef {import("./layers.js").Block} Block */
/** @typedef {import("./layers.js").Explanation} Explanation */

export const EMPTY = "Draw something to look inside.";
export const UNREACHABLE = "Can't reach the network to look inside. Try again in a moment.";

// A word or two for each kind of layer, over its column.
const SHORT = {
  conv: "conv", "batch-norm": "norm", relu: "ReLU", pool: "pool",
  flatten: "flat", dense: "dense", dropout: "drop", softmax: "softmax",
};

/** @param {Layer} layer */
export const shortKind = (layer) => SHORT[layer.kind] ?? layer.kind;

/**
 * A value as the zoom shows it: three significant digits, no trailing zeros.
 * @param {number} value
 */
export const figure = (value) => String(Number(value.toPrecision(3)));

/**
 * A probability as a column of the overview shows it: a whole percentage.
 * @param {number} p
 */
export const wholePercent = (p) => `${Math.round(100 * p)}%`;

/**
 * The names of a model's outputs, from its card: its labels, then for a model that
 * rejects, "not a digit" and "several digits".
 * @param {Card} card
 * @param {number} count
 */
export function outputNames(card, count) {
  const names = card.outputs || card.labels || [];
  return Array.from({ length: count }, (_, i) => names[i] ?? `output ${i + 1}`);
}

/** @param {string[]} names */
function quoted(names) {
  const words = names.map((name) => `\u201c${name}\u201d`);
  return words.length > 1 ? `${words.slice(0, -1).join(", ")} and ${words.at(-1)}` : words.join("");
}

/**
 * The outputs in words: "the ten digits, “not a digit” and “several digits”". A model
 * that can say a drawing is not a digit has digits for labels.
 * @param {Card} card
 * @param {number} count
 */
export function outputsInWords(card, count) {
  const labels = card.labels.length;
  if (labels === 0) return "one for each answer the network can give";  // no card to name them
  const extra = outputNames(card, count).slice(labels);
  const classes = card.can?.reject ? (labels === 10 ? "the ten digits" : `${labels} digits`)
    : `the ${labels} classes`;
  return extra.length ? `${classes}, ${quoted(extra)}` : classes;
}

/**
 * One line of plain words per kind of layer, in its detail.
 * @param {Layer} layer
 * @param {boolean} previous  whether a layer comes before it
 * @param {Card} card
 */
export function caption(layer, previous, card) {
  const [h, w, c] = layer.shape;
  switch (layer.kind) {
    case "conv": return `Convolution: ${c} filters, each a small pattern of weights the network learnt, slid over ` +
      `${previous ? "the maps before" : "the image"}. A map is light where its pattern is found, dark where its ` +
      "opposite is (mid-grey is 0).";
    case "batch-norm": return "Batch normalisation: each channel shifted and scaled to the steady range the " +
      "network was trained with. The same pictures, with new contrast.";
    case "relu": return "ReLU: every negative value becomes 0 (black). Only the places where a filter found its " +
      "pattern stay lit.";
    case "pool": return `Max pooling: each 2\u00d72 square keeps only its strongest value, so the maps shrink to ` +
      `${h}\u00d7${w} and a stroke a pixel to the side changes little.`;
    case "flatten": return `Flatten: the ${previous ? "maps" : "pixels"} before, laid end to end as one row of ` +
      `${layer.shape[0]} numbers (shown in rows of 32).`;
    case "dense": return `Dense: ${layer.shape[0]} units, each a weighted sum of every number before: here the ` +
      "parts found so far are combined into evidence for whole digits.";
    case "dropout": return "Dropout: in training it switched off units at random, so that no single unit could " +
      "be relied on; when reading, it passes everything through unchanged.";
    case "softmax": return `Softmax: ${layer.shape[0]} scores turned into probabilities that add up to 1: ` +
      `${outputsInWords(card, layer.shape[0])}.`;
    default: return "";
  }
}

/**
 * A block's title and its caption in the overview: the detail's words, shorter.
 * @param {Block} block
 * @param {Layer[]} layers
 * @param {number} convolution  the block's number among the convolutions, from 1
 * @returns {[string, string]}
 */
export function blockWords(block, layers, convolution) {
  const kinds = block.steps.map((i) => layers[i].kind);
  const first = layers[block.steps[0]];
  const last = layers[block.steps.at(-1)];
  switch (block.kind) {
    case "conv": {
      const words = [convolution === 1 ? `${first.shape[2]} filters light up where their small pattern is.`
        : `${first.shape[2]} filters look for patterns of the patterns before.`];
      if (kinds.includes("relu")) words.push("Negatives cut to 0.");
      if (kinds.includes("pool")) words.push(`Pooled to ${times(last.shape.slice(0, 2))}.`);
      return [`Convolution ${convolution}`, words.join(" ")];
    }
    case "flatten":
      return ["Flatten", block.steps[0] === 0 ? `The ${first.shape[0]} pixels in one row.`
        : `The maps in one row of ${first.shape[0].toLocaleString("en")}.`];
    case "dense":
      return ["Dense", `${first.shape[0]} units, each weighing every number before.` +
        (kinds.includes("relu") ? " Negatives cut to 0." : "")];
    case "softmax": return ["Outputs", "How sure it is of each answer."];
    default: return [first.kind, ""];
  }
}

/**
 * Where the feature maps would be, for a network without convolutions.
 * @param {Layer[]} layers
 * @param {Card | null} card
 */
export function noMapsWords(layers, card) {
  const pixels = layers[0].kind === "flatten" ? layers[0].shape[0] : 784;
  const network = card?.title ? `the ${card.title}` : "this network";
  return `None: ${network} has no convolutions, so it never sees the drawing as a picture, only as a row of ` +
    `${pixels} numbers.`;
}

/**
 * A column's shape, under it, where it changes (a normalisation or a ReLU keeps the shape
 * of what it reads): with a place to break the line before the channels, "24×24" over
 * "×32" in a narrow column.
 * @param {Layer} layer
 * @param {boolean} changed
 */
export function columnShape(layer, changed) {
  return changed ? times(layer.shape).replace(/\u00d7(?=\d+$)/, "\u200b\u00d7") : "";
}

/**
 * A column's name, for a screen reader and for a voice: its visible words first ("conv",
 * and its shape where shown: what someone who sees it says to choose it, WCAG 2.5.3),
 * then the layer's name and what choosing it does.
 * @param {Layer} layer
 * @param {boolean} changed  whether the column shows its shape
 */
export function columnLabel(layer, changed) {
  const shape = times(layer.shape);
  const what = isMaps(layer) ? `${layer.shape[2]} maps` : layer.kind === "softmax" ? "outputs" : "units";
  const shown = changed ? `${shortKind(layer)}, ${shape}: ${layer.name}` : `${shortKind(layer)}: ${layer.name}, ${shape}`;
  return `${shown}; open all its ${what}`;
}

/**
 * The outputs' column's name: its visible words (every output's name and percentage, in
 * order), then which is highest and what choosing it does.
 * @param {Activations} layer
 * @param {string[]} names
 * @param {boolean} changed  whether the column shows its shape
 */
export function outputsColumnLabel(layer, names, changed) {
  const values = layer.values;
  const top = values.indexOf(Math.max(...values));
  const rows = names.map((name, i) => `${name} ${wholePercent(values[i])}`).join(", ");
  const shape = changed ? `, ${times(layer.shape)} outputs` : "";
  return `${shortKind(layer)}: ${rows}${shape}: ${layer.name}; the highest is \u201c${names[top]}\u201d, ` +
    `${percent(values[top])}; open all its outputs`;
}

/**
 * A layer's title line in its detail, after its name and kind.
 * @param {Layer} layer
 */
export const layerFacts = (layer) => `${times(layer.shape)} \u00b7 ${plural(layer.parameters, "parameter")}`;

/** @param {Layer} layer */
export const mapsLabel = (layer) => `${layer.name}: ${layer.shape[2]} maps; arrow keys move between them`;

/**
 * @param {Layer} layer
 * @param {number} channel
 */
export const mapLabel = (layer, channel) => `${layer.name}, channel ${channel + 1} of ${layer.shape[2]}`;

/** @param {Layer} layer */
export const unitsLabel = (layer) => `${layer.name}: ${layer.shape[0]} units, light for large values; ` +
  "arrow keys move between them";

/**
 * What the zoom says while it shows nothing: what to do in the layer open (none: the
 * overview).
 * @param {Layer | null} layer
 */
export function zoomHint(layer) {
  if (!layer || isMaps(layer)) return "Point at, tap or Tab to a map to see it large.";
  if (layer.kind === "softmax") return "Point at or tap an output to see it here.";
  return "Point at or tap a unit, or move between them with the arrow keys, to see its value.";
}

/**
 * One map, large: its layer, its channel, and what its white and black stand for.
 * @param {Activations} layer
 * @param {number} channel
 */
export function zoomMapWords(layer, channel) {
  const [h, w, c] = layer.shape;
  const white = layer.scale.toPrecision(3);
  return `${layer.name} (${layer.kind}), channel ${channel + 1} of ${c}: ${w}\u00d7${h} pixels; white is ${white}` +
    `${layer.signed ? `, black \u2212${white}` : ", black 0"}.`;
}

/**
 * One unit of a dense layer, large.
 * @param {Activations} layer
 * @param {number} unit
 */
export const zoomUnitWords = (layer, unit) =>
  `${layer.name} (${layer.kind}), unit ${unit + 1} of ${layer.values.length}: ${figure(layer.values[unit])}.`;

/**
 * One output, large, with its name.
 * @param {Activations} layer
 * @param {number} output
 * @param {string} name
 */
export const zoomOutputWords = (layer, output, name) =>
  `${layer.name} (${layer.kind}), output ${output + 1} of ${layer.values.length}, \u201c${name}\u201d: ` +
  `${percent(layer.values[output])}.`;

/**
 * The panel's status once it has looked inside.
 * @param {Explanation} result
 * @param {number} elapsed  ms
 */
export function statusWords(result, elapsed) {
  const answer = result.is_digit ? `reads it as a ${result.label}` : `doesn't see a digit (best guess ${result.label})`;
  return `The network ${answer}: ${result.layers.length} layers, looked inside in ${Math.round(elapsed)} ms.`;
}

/**
 * Why it could not look inside: the API's problem (its detail), or its status.
 * @param {number} status
 * @param {{ detail?: string }} problem
 */
export const problemWords = (status, problem) =>
  problem.detail ? `Can't look inside: ${problem.detail}.` : `The server answered ${status}.`;
