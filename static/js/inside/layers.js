// @ts-check
// What the look inside works out from /explain's layers before it draws anything: its
// blocks, where a map is in its layer's picture, a value's grey level, the most active
// maps. No DOM here, so that node --test checks it.

/**
 * A layer as the model card lists it (GET /model: layers).
 * @typedef {object} Layer
 * @property {string} name
 * @property {string} kind  conv, batch-norm, relu, pool, flatten, dense, dropout or softmax
 * @property {number[]} shape  [height, width, channels] for maps, [units] otherwise
 * @property {number} parameters
 */

/**
 * A layer's outputs for one image (POST /explain: layers).
 * @typedef {Layer & {
 *   image: string, columns: number, scale: number, signed: boolean, values: number[] | null,
 * }} Activations
 */

/**
 * What /explain answers.
 * @typedef {object} Explanation
 * @property {number[][]} input  the 28x28 image the model saw, 0 paper to 1 ink
 * @property {Activations[]} layers
 * @property {number[][]} attribution  28x28 in [-1, 1]: for the digit, against it
 * @property {number} digit
 * @property {string} label
 * @property {boolean} is_digit
 */

/**
 * Layers that work on what one of them found: their indices in the list of layers.
 * @typedef {{ kind: string, steps: number[] }} Block
 */

// The kinds of layer that start a block; the others (normalisation, ReLU, pooling,
// dropout) work on what the one before them found, and join its block.
const STARTS_BLOCK = new Set(["conv", "dense", "flatten", "softmax"]);

/** @param {Layer} layer */
export const isMaps = (layer) => layer.shape.length === 3;

/**
 * @param {Layer[]} layers
 * @returns {Block[]}
 */
export function inBlocks(layers) {
  /** @type {Block[]} */
  const blocks = [];
  layers.forEach((layer, index) => {
    if (STARTS_BLOCK.has(layer.kind) || blocks.length === 0) blocks.push({ kind: layer.kind, steps: [] });
    blocks.at(-1).steps.push(index);
  });
  return blocks;
}

/**
 * Where a map is in its layer's picture, the API's channels side by side, `columns` to a
 * row: its top left corner, in pixels.
 * @param {Activations} layer
 * @param {number} channel
 * @returns {[number, number]}
 */
export function origin(layer, channel) {
  const [h, w] = layer.shape;
  return [(channel % layer.columns) * w, Math.floor(channel / layer.columns) * h];
}

/**
 * A value's grey level as the API paints it: 0 at mid-grey for a signed layer, else at black.
 * @param {number} value
 * @param {Activations} layer
 */
export function level(value, layer) {
  const unit = layer.scale > 0 ? value / layer.scale : 0;
  return Math.round(layer.signed ? 127.5 + 127.5 * unit : 255 * unit);
}

/**
 * The `count` channels whose maps are brightest in a layer's picture (RGBA `pixels`,
 * `width` wide), brightest first: worked out from the picture the page already has, so
 * the server sends nothing more. A signed layer's are those furthest from mid-grey,
 * either way.
 * @param {ArrayLike<number>} pixels
 * @param {number} width
 * @param {Activations} layer
 * @param {number} count
 */
export function mostActive(pixels, width, layer, count) {
  const [h, w, c] = layer.shape;
  const activity = new Float64Array(c);
  for (let channel = 0; channel < c; channel++) {
    const [x0, y0] = origin(layer, channel);
    let sum = 0;
    for (let y = y0; y < y0 + h; y++) {
      for (let x = x0; x < x0 + w; x++) {
        const grey = pixels[4 * (y * width + x)];
        sum += layer.signed ? Math.abs(grey - 127.5) : grey;
      }
    }
    activity[channel] = sum;
  }
  const order = Array.from({ length: c }, (_, i) => i).sort((a, b) => activity[b] - activity[a]);
  return order.slice(0, count);
}
