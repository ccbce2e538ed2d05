// The look inside's words (static/js/inside/words.js): what the page says each layer,
// block, column and zoom is, for the CNN and the dense network as their cards list them.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import test from "node:test";

import { inBlocks } from "../../static/js/inside/layers.js";
import {
  blockWords, caption, columnLabel, columnShape, figure, noMapsWords, outputNames, outputsColumnLabel,
  outputsInWords, problemWords, statusWords, zoomHint, zoomMapWords, zoomOutputWords, zoomUnitWords,
} from "../../static/js/inside/words.js";

const card = (path) => JSON.parse(readFileSync(new URL(`../../models/${path}`, import.meta.url), "utf8"));
const CNN = card("digits/model_card.json");
const DENSE = card("dense/model_card.json");
const OUTPUTS = [...CNN.labels, "not a digit", "several digits"];  // as GET /model adds them
const DIGITS = { labels: CNN.labels, outputs: OUTPUTS, can: { reject: true } };
const CLOTHES = { labels: ["T-shirt/top", "Trouser"], can: { reject: false } };

const conv = { name: "conv2d", kind: "conv", shape: [24, 24, 40], parameters: 1000 };
const dense = { name: "dense", kind: "dense", shape: [256], parameters: 327680 };
const norm = { name: "batch_normalization", kind: "batch-norm", shape: [24, 24, 40], parameters: 160 };

test("a digit model's outputs are the ten digits, then what it says of the rest", () => {
  assert.equal(outputsInWords(DIGITS, 12), "the ten digits, \u201cnot a digit\u201d and \u201cseveral digits\u201d");
  assert.equal(outputsInWords(CLOTHES, 2), "the 2 classes");
  assert.equal(outputsInWords({ labels: [] }, 12), "one for each answer the network can give");
});

test("the outputs are named from the card, and numbered past its names", () => {
  assert.deepEqual(outputNames(DIGITS, 12).slice(9), ["9", "not a digit", "several digits"]);
  assert.deepEqual(outputNames({ labels: ["a"] }, 2), ["a", "output 2"]);
});

test("every layer of both networks has its caption, and every block its title and words", () => {
  for (const { layers } of [CNN, DENSE]) {
    layers.forEach((layer, i) => assert.notEqual(caption(layer, i > 0, DIGITS), "", layer.name));
    let convolutions = 0;
    for (const block of inBlocks(layers)) {
      if (block.kind === "conv") convolutions++;
      const [title, words] = blockWords(block, layers, convolutions);
      assert.ok(title && words, block.kind);
    }
  }
});

test("a caption says what the layer does with what it is given", () => {
  assert.match(caption(conv, false, DIGITS), /^Convolution: 40 filters, .* slid over the image\./);
  assert.match(caption(conv, true, DIGITS), /slid over the maps before\./);
  assert.equal(caption({ ...conv, kind: "pool", shape: [12, 12, 40] }, true, DIGITS),
    "Max pooling: each 2\u00d72 square keeps only its strongest value, so the maps shrink to 12\u00d712 and a " +
    "stroke a pixel to the side changes little.");
  assert.match(caption({ name: "p", kind: "softmax", shape: [12], parameters: 0 }, true, DIGITS),
    /^Softmax: 12 scores turned into probabilities that add up to 1: the ten digits, /);
});

test("the CNN's blocks: three convolutions, then flatten, dense and the outputs", () => {
  const blocks = inBlocks(CNN.layers);
  let convolutions = 0;
  const words = blocks.map((block) => blockWords(block, CNN.layers, block.kind === "conv" ? ++convolutions : 0));
  assert.deepEqual(words.map(([title]) => title),
    ["Convolution 1", "Convolution 2", "Convolution 3", "Flatten", "Dense", "Outputs"]);
  assert.equal(words[0][1], "40 filters light up where their small pattern is. Negatives cut to 0. Pooled to 12\u00d712.");
  assert.equal(words[1][1], "80 filters look for patterns of the patterns before. Negatives cut to 0.");
  assert.equal(words[3][1], "The maps in one row of 1,280.");
});

test("a network without convolutions says so, by its title", () => {
  assert.equal(noMapsWords(DENSE.layers, { labels: [], title: "dense network" }),
    "None: the dense network has no convolutions, so it never sees the drawing as a picture, only as a row of " +
    "784 numbers.");
  assert.match(noMapsWords(DENSE.layers, null), /^None: this network has/);
});

test("a column's shape breaks before its channels, and only where it changes", () => {
  assert.equal(columnShape(conv, true), "24\u00d724\u200b\u00d740");
  assert.equal(columnShape(dense, true), "256");
  assert.equal(columnShape(norm, false), "");
});

// What WCAG 2.5.3 (label in name) asks, as axe-core checks it: the words seen on the
// column, in order, are words of its name.
const words = (text) => text.normalize("NFKD").replace(/\([^()]*\)/g, "").toLowerCase()
  .replace(/[^\p{L}\p{N}]+/gu, " ").trim().split(" ");
function assertSeenInName(seen, name) {
  const [needle, haystack] = [words(seen), words(name)];
  const found = haystack.some((_, i) => needle.every((word, j) => haystack[i + j] === word));
  assert.ok(found, `\u201c${seen}\u201d is not in \u201c${name}\u201d`);
}

test("a column's name starts with what it shows, then says what it is and does", () => {
  assert.equal(columnLabel(conv, true), "conv, 24\u00d724\u00d740: conv2d; open all its 40 maps");
  assert.equal(columnLabel(norm, false), "norm: batch_normalization, 24\u00d724\u00d740; open all its 40 maps");
  assert.equal(columnLabel(dense, true), "dense, 256: dense; open all its units");
  assertSeenInName(`conv ${columnShape(conv, true)}`, columnLabel(conv, true));
  assertSeenInName("norm", columnLabel(norm, false));
});

test("the outputs' column is named by every output it shows, and the highest", () => {
  const values = [0.01, 0, 0, 0, 0, 0, 0, 0.954, 0, 0, 0.036, 0];
  const layer = { name: "probabilities", kind: "softmax", shape: [12], parameters: 3084, values };
  const names = outputNames(DIGITS, 12);
  const label = outputsColumnLabel(layer, names, true);
  assert.match(label, /^softmax: 0 1%, 1 0%, .*, 7 95%, .*, not a digit 4%, several digits 0%, 12 outputs: probabilities; /);
  assert.match(label, /the highest is \u201c7\u201d, 95\.4%; open all its outputs$/);
  const shown = names.map((name, i) => `${name} ${Math.round(100 * values[i])}%`).join(" ");
  assertSeenInName(`softmax ${shown} 12`, label);
  assertSeenInName(`softmax ${shown}`, outputsColumnLabel(layer, names, false));
});

test("the zoom says what it shows, and what to do while it shows nothing", () => {
  const activations = { ...conv, scale: 1.2345, signed: true, columns: 8, image: "", values: null };
  assert.equal(zoomMapWords(activations, 2),
    "conv2d (conv), channel 3 of 40: 24\u00d724 pixels; white is 1.23, black \u22121.23.");
  assert.match(zoomMapWords({ ...activations, signed: false }, 0), /white is 1\.23, black 0\.$/);
  const units = { ...dense, values: [0.5, 12.3456, 0], scale: 1, signed: false, columns: 32, image: "" };
  assert.equal(zoomUnitWords(units, 1), "dense (dense), unit 2 of 3: 12.3.");
  const outputs = { name: "probabilities", kind: "softmax", shape: [2], parameters: 0, values: [0.25, 0.75] };
  assert.equal(zoomOutputWords(outputs, 1, "7"), "probabilities (softmax), output 2 of 2, \u201c7\u201d: 75.0%.");
  assert.equal(zoomHint(null), "Point at, tap or Tab to a map to see it large.");
  assert.equal(zoomHint(outputs), "Point at or tap an output to see it here.");
  assert.match(zoomHint(dense), /arrow keys/);
});

test("a value in the zoom has three significant digits and no trailing zeros", () => {
  assert.deepEqual([0.5, 12.3456, 0.000123456, 100].map(figure), ["0.5", "12.3", "0.000123", "100"]);
});

test("the status says what the network read, or why it could not look inside", () => {
  const result = { is_digit: true, label: "7", layers: CNN.layers };
  assert.equal(statusWords(result, 16.6), "The network reads it as a 7: 17 layers, looked inside in 17 ms.");
  assert.match(statusWords({ ...result, is_digit: false }, 3), /^The network doesn't see a digit \(best guess 7\)/);
  assert.equal(problemWords(422, { detail: "no ink" }), "Can't look inside: no ink.");
  assert.equal(problemWords(503, {}), "The server answered 503.");
});
