// @ts-check
// The overview: a column per layer, in blocks, left to right (top to bottom on a phone),
// each with its block's most active maps, or its units, or its outputs; built once for
// the model, repainted for every answer. Choosing a column (click, tap, Enter or Space)
// opens its detail; arrow keys move between the columns, one Tab stop for them all.

import { percent } from "../words.js";
import { element, paintGrey, roam } from "./dom.js";
import { inBlocks, isMaps, level, mostActive, origin } from "./layers.js";
import {
  blockWords, columnLabel, columnShape, noMapsWords, outputNames, outputsColumnLabel, shortKind, wholePercent,
} from "./words.js";

/** @typedef {import("../reader.js").Card} Card */
/** @typedef {import("./layers.js").Layer} Layer */
/** @typedef {import("./layers.js").Activations} Activations */
/** @typedef {import("./layers.js").Explanation} Explanation */
/** @typedef {import("./layers.js").Block} Block */

const SHOWN_MAPS = 4;   // maps a column shows: its block's most active
const STRIP_ROWS = 64;  // units per column of a dense layer's strip

export class Overview {
  /**
   * picture(index): a layer's picture, decoded (the detail's); onOpen(index, channel): a
   * column chosen, with the map clicked in it (null: none).
   * @param {{ overview: HTMLElement, flow: HTMLElement }} parts
   * @param {{ picture: (index: number) => HTMLImageElement, onOpen: (index: number, channel: number | null) => void }} wiring
   */
  constructor({ overview, flow }, { picture, onOpen }) {
    this.overview = overview;
    this.flow = flow;
    this.picture = picture;
    this.onOpen = onOpen;
    /** @type {Block[]} */
    this.blocks = [];
    /** @type {string[]} */
    this.names = [];  // the outputs' names, from the card
    this.scratch = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
    flow.addEventListener("click", (event) => this.#choose(event));
    flow.addEventListener("keydown", (event) => {
      const step = /** @type {HTMLElement} */ (event.target).closest(".step");
      if (step instanceof HTMLElement) roam(event, step, this.#steps());
    });
  }

  /**
   * @param {Layer[]} layers
   * @param {Card} card
   */
  build(layers, card) {
    this.blocks = inBlocks(layers);
    const items = [];
    if (!layers.some(isMaps)) items.push(this.#noMaps(layers, card));
    let convolutions = 0;
    for (const block of this.blocks) {
      if (block.kind === "conv") convolutions++;
      const [title, words] = blockWords(block, layers, convolutions);
      const item = element("li", "block");
      item.dataset.kind = block.kind;
      const steps = element("div", "steps");
      // A shape where it changes: a normalisation or a ReLU keeps the shape of what it reads.
      steps.append(...block.steps.map((index, k) => this.#step(layers[index], index, card,
        k === 0 || layers[index].shape.join() !== layers[index - 1].shape.join())));
      item.append(element("h3", "block-title", title), steps, element("p", "block-caption", words));
      items.push(item);
    }
    this.flow.replaceChildren(...items);
  }

  // The overview for this answer: each block's most active maps, on the same rows in
  // every layer of the block (its layers work channel by channel), the units, the outputs.
  /** @param {Explanation} result */
  paint(result) {
    const steps = this.#steps();
    for (const block of this.blocks) {
      const channels = this.#mostActive(result, block.steps);
      for (const index of block.steps) {
        const layer = result.layers[index];
        const step = steps[index];
        if (isMaps(layer)) this.#paintThumbs(step, layer, index, channels);
        else if (layer.kind === "softmax") this.#paintOutputs(step, layer);
        else paintGrey(step.querySelector(".strip"), layer.values.map((value) => level(value, layer)));
      }
    }
  }

  show() {
    this.overview.hidden = false;
  }

  hide() {
    this.overview.hidden = true;
  }

  /**
   * Back from a column's detail: its Tab stop on that column, and the focus too where it
   * was in the detail.
   * @param {number} index
   * @param {boolean} focus
   */
  back(index, focus) {
    this.show();
    const steps = this.#steps();
    const step = steps[index];
    if (!step) return;
    steps.forEach((s) => (s.tabIndex = s === step ? 0 : -1));
    if (focus) step.focus();
  }

  #steps() {
    return /** @type {HTMLElement[]} */ ([...this.flow.querySelectorAll(".step")]);
  }

  /** @param {MouseEvent} event */
  #choose(event) {
    const target = /** @type {HTMLElement} */ (event.target);
    const step = target.closest(".step");
    if (!(step instanceof HTMLElement)) return;
    const thumb = target.closest(".thumb");
    this.onOpen(Number(step.dataset.layer), thumb instanceof HTMLElement ? Number(thumb.dataset.channel) : null);
  }

  // A network without convolutions: where their maps would be, say so.
  /**
   * @param {Layer[]} layers
   * @param {Card} card
   */
  #noMaps(layers, card) {
    const item = element("li", "block none");
    item.dataset.kind = "none";
    item.append(element("h3", "block-title", "Feature maps"), element("p", "none-words", noMapsWords(layers, card)));
    return item;
  }

  // One column: a button over a layer's few maps (or its units, or its outputs) and its
  // shape. Spaces between its parts: a flex box lays them out the same, and its words,
  // as read off the screen, are words apart ("conv 24×24×40", not "conv24×24×40").
  /**
   * @param {Layer} layer
   * @param {number} index
   * @param {Card} card
   * @param {boolean} changed  whether its shape differs from the column's before
   */
  #step(layer, index, card, changed) {
    const button = element("button", "step");
    button.type = "button";
    button.tabIndex = index === 0 ? 0 : -1;
    button.dataset.layer = String(index);
    button.dataset.name = layer.name;
    button.dataset.kind = layer.kind;
    button.setAttribute("aria-label", columnLabel(layer, changed));
    button.append(element("span", "step-kind", shortKind(layer)), " ");
    if (isMaps(layer)) {
      const [h, w, c] = layer.shape;
      const thumbs = element("span", "thumbs");
      for (let k = 0; k < Math.min(SHOWN_MAPS, c); k++) {
        const thumb = element("canvas", "thumb");
        thumb.width = w;
        thumb.height = h;
        // Its side on screen (style.css): smaller as the maps shrink, but not as fast, so
        // that a 4x4 map is still a picture.
        thumb.style.setProperty("--side", Math.sqrt(h).toFixed(2));
        thumbs.append(thumb);
      }
      button.append(thumbs);
    } else if (layer.kind === "softmax") {
      const outputs = element("span", "mini-outputs");
      this.names = outputNames(card, layer.shape[0]);
      outputs.append(...this.names.map((name) => {
        const row = element("span", "mini-output");
        const bar = element("span", "mini-bar");
        bar.append(element("span", "mini-fill"));
        row.append(element("span", "mini-name", name), " ", bar, element("span", "mini-value"), " ");
        return row;
      }));
      button.append(outputs);
    } else {
      const n = layer.shape[0];
      const strip = element("canvas", "strip");
      strip.height = Math.min(n, STRIP_ROWS);
      strip.width = Math.ceil(n / strip.height);
      strip.style.setProperty("--columns", String(strip.width));  // its size on screen: style.css
      strip.style.setProperty("--rows", String(strip.height));
      button.append(strip);
    }
    button.append(" ", element("span", "step-shape", columnShape(layer, changed)));
    return button;
  }

  // The channels whose maps are brightest at the end of the block (its last layer with
  // maps), from the pixels of its picture.
  /**
   * @param {Explanation} result
   * @param {number[]} steps
   */
  #mostActive(result, steps) {
    const index = steps.filter((i) => isMaps(result.layers[i])).at(-1);
    if (index === undefined) return [];
    const picture = this.picture(index);
    const ctx = this.scratch;
    ctx.canvas.width = picture.naturalWidth;
    ctx.canvas.height = picture.naturalHeight;
    ctx.drawImage(picture, 0, 0);
    const pixels = ctx.getImageData(0, 0, ctx.canvas.width, ctx.canvas.height).data;
    return mostActive(pixels, ctx.canvas.width, result.layers[index], SHOWN_MAPS);
  }

  /**
   * @param {HTMLElement} step
   * @param {Activations} layer
   * @param {number} index
   * @param {number[]} channels
   */
  #paintThumbs(step, layer, index, channels) {
    const [h, w] = layer.shape;
    const picture = this.picture(index);
    /** @type {HTMLCanvasElement[]} */ ([...step.querySelectorAll(".thumb")]).forEach((thumb, k) => {
      const channel = channels[k] ?? k;
      const [x, y] = origin(layer, channel);
      const ctx = thumb.getContext("2d");
      ctx.clearRect(0, 0, w, h);
      ctx.drawImage(picture, x, y, w, h, 0, 0, w, h);
      thumb.dataset.channel = String(channel);
    });
  }

  /**
   * @param {HTMLElement} step
   * @param {Activations} layer
   */
  #paintOutputs(step, layer) {
    const top = layer.values.indexOf(Math.max(...layer.values));
    /** @type {HTMLElement[]} */ ([...step.querySelectorAll(".mini-output")]).forEach((row, i) => {
      /** @type {HTMLElement} */ (row.querySelector(".mini-fill")).style.width = percent(layer.values[i]);
      row.querySelector(".mini-value").textContent = wholePercent(layer.values[i]);
      row.classList.toggle("top", i === top);
    });
    const changed = step.querySelector(".step-shape").textContent !== "";
    step.setAttribute("aria-label", outputsColumnLabel(layer, this.names, changed));
  }
}
