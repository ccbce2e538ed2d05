// What the look inside works out from /explain's layers (static/js/inside/layers.js):
// its blocks, where a map lies in its layer's picture, grey levels, the most active maps.

import assert from "node:assert/strict";
import test from "node:test";

import { inBlocks, isMaps, level, mostActive, origin } from "../../static/js/inside/layers.js";

const layer = (kind, shape, more = {}) => ({ name: kind, kind, shape, parameters: 0, ...more });

test("a block starts at a convolution, a flatten, a dense layer or the outputs", () => {
  const layers = [
    layer("conv", [24, 24, 8]), layer("batch-norm", [24, 24, 8]), layer("relu", [24, 24, 8]), layer("pool", [12, 12, 8]),
    layer("conv", [10, 10, 8]), layer("flatten", [800]), layer("dense", [64]), layer("dropout", [64]),
    layer("softmax", [12]),
  ];
  assert.deepEqual(inBlocks(layers), [
    { kind: "conv", steps: [0, 1, 2, 3] }, { kind: "conv", steps: [4] }, { kind: "flatten", steps: [5] },
    { kind: "dense", steps: [6, 7] }, { kind: "softmax", steps: [8] },
  ]);
  assert.deepEqual(inBlocks([layer("relu", [4])]), [{ kind: "relu", steps: [0] }]);  // a first layer starts one
  assert.deepEqual(inBlocks([]), []);
});

test("maps are layers of three dimensions", () => {
  assert.equal(isMaps(layer("pool", [12, 12, 8])), true);
  assert.equal(isMaps(layer("dense", [64])), false);
});

test("a map's place in its layer's picture: channels side by side, columns to a row", () => {
  const maps = layer("conv", [4, 3, 10], { columns: 4 });
  assert.deepEqual(origin(maps, 0), [0, 0]);
  assert.deepEqual(origin(maps, 3), [9, 0]);
  assert.deepEqual(origin(maps, 5), [3, 4]);
});

test("grey levels: black is 0 unless the layer is signed, where 0 is mid-grey", () => {
  const plain = layer("relu", [4], { scale: 2, signed: false });
  const signed = layer("batch-norm", [4], { scale: 2, signed: true });
  assert.deepEqual([0, 1, 2].map((v) => level(v, plain)), [0, 128, 255]);
  assert.deepEqual([-2, 0, 2].map((v) => level(v, signed)), [0, 128, 255]);
  assert.equal(level(5, layer("relu", [4], { scale: 0, signed: false })), 0);  // a layer of zeros
});

// A layer's picture as RGBA pixels: each channel's map filled with its grey.
function picture(maps, greys) {
  const [h, w, c] = maps.shape;
  const width = maps.columns * w;
  const pixels = new Uint8ClampedArray(4 * width * Math.ceil(c / maps.columns) * h);
  greys.forEach((grey, channel) => {
    const [x0, y0] = origin(maps, channel);
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) pixels.fill(grey, 4 * (y * width + x), 4 * (y * width + x) + 4);
  });
  return { pixels, width };
}

test("the most active maps are the brightest; a signed layer's, the furthest from mid-grey", () => {
  const maps = layer("relu", [2, 2, 5], { columns: 3, signed: false });
  const { pixels, width } = picture(maps, [10, 200, 0, 90, 250]);
  assert.deepEqual(mostActive(pixels, width, maps, 3), [4, 1, 3]);
  const signed = { ...maps, signed: true };
  const greys = picture(signed, [128, 0, 140, 255, 100]);
  assert.deepEqual(mostActive(greys.pixels, greys.width, signed, 2), [1, 3]);
});
