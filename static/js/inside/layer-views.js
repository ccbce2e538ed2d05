// @ts-check
// Every layer's view in detail, one shown at a time: all its maps (one picture, as the
// API sends it, under a grid of buttons, one a map), or its units (a canvas, a unit at
// a time with the arrow keys), or its outputs (bars). Built once for the model: later
// answers only repaint them.

import { percent } from "../words.js";
import { element, paintGrey } from "./dom.js";
import { isMaps, level } from "./layers.js";
import { caption, layerFacts, mapLabel, mapsLabel, outputNames, unitsLabel } from "./words.js";

/** @typedef {import("../reader.js").Card} Card */
/** @typedef {import("./layers.js").Activations} Activations */
/** @typedef {import("./layers.js").Explanation} Explanation */

const UNIT_COLUMNS = 32;  // units per row of a dense layer's picture

export class LayerViews {
  /** @param {HTMLElement} list */
  constructor(list) {
    this.list = list;
  }

  /**
   * @param {Activations[]} layers
   * @param {Card} card
   */
  build(layers, card) {
    this.list.replaceChildren(...layers.map((layer, index) => {
      const item = element("li", "layer");
      item.dataset.kind = layer.kind;
      item.dataset.name = layer.name;
      // Spaces between the title's parts: a flex box lays them out the same, and a screen
      // reader reads them as words.
      const title = element("h3", "layer-title");
      title.append(element("span", "layer-name", layer.name), " ", element("span", "layer-kind", layer.kind), " ",
        element("span", "layer-shape", layerFacts(layer)));
      item.append(title, element("p", "layer-caption", caption(layer, index > 0, card)));
      if (isMaps(layer)) item.append(this.#maps(layer, index));
      else if (layer.kind === "softmax") item.append(this.#outputs(layer, index, card));
      else item.append(this.#units(layer, index));
      return item;
    }));
  }

  /**
   * Resolves once every layer's new picture is decoded (and, its detail open, on screen).
   * @param {Explanation} result
   */
  paint(result) {
    const pictures = [];
    result.layers.forEach((layer, index) => {
      const item = this.item(index);
      if (isMaps(layer)) {
        const picture = this.picture(index);
        picture.src = layer.image;
        pictures.push(picture.decode());
      } else if (layer.kind === "softmax") {
        const top = layer.values.indexOf(Math.max(...layer.values));
        /** @type {HTMLElement[]} */ ([...item.querySelectorAll(".output")]).forEach((row, i) => {
          /** @type {HTMLElement} */ (row.querySelector(".bar-fill")).style.width = percent(layer.values[i]);
          row.querySelector(".bar-value").textContent = percent(layer.values[i]);
          row.classList.toggle("top", i === top);
        });
      } else {
        paintGrey(item.querySelector("canvas"), layer.values.map((value) => level(value, layer)));
      }
    });
    return Promise.all(pictures);
  }

  /** @param {number} index */
  item(index) {
    return /** @type {HTMLElement} */ (this.list.children[index]);
  }

  /**
   * A layer's picture (its maps side by side), as decoded for its detail.
   * @param {number} index
   */
  picture(index) {
    return /** @type {HTMLImageElement} */ (this.item(index).querySelector(".maps-image"));
  }

  /**
   * The view of one layer; null: none.
   * @param {number | null} index
   */
  show(index) {
    [...this.list.children].forEach((item, i) => (/** @type {HTMLElement} */ (item).hidden = i !== index));
  }

  /**
   * A unit of a dense layer, outlined on its picture.
   * @param {number} index
   * @param {number} unit
   */
  markUnit(index, unit) {
    const item = this.item(index);
    const canvas = /** @type {HTMLCanvasElement} */ (item.querySelector(".units"));
    const marker = /** @type {HTMLElement} */ (item.querySelector(".unit-marker"));
    marker.hidden = false;
    marker.style.left = percent((unit % canvas.width) / canvas.width);
    marker.style.top = percent(Math.floor(unit / canvas.width) / canvas.height);
    marker.style.width = percent(1 / canvas.width);
    marker.style.height = percent(1 / canvas.height);
  }

  unmark() {
    for (const marker of this.list.querySelectorAll(".unit-marker")) /** @type {HTMLElement} */ (marker).hidden = true;
  }

  // The layer's picture as the API sends it (its maps side by side), under a grid of
  // buttons, one a map: one picture to repaint, not one per map.
  /**
   * @param {Activations} layer
   * @param {number} index
   */
  #maps(layer, index) {
    const c = layer.shape[2];
    const maps = element("div", "maps");
    const picture = element("img", "maps-image");
    picture.alt = "";
    const grid = element("div", "maps-grid");
    grid.setAttribute("role", "group");
    grid.setAttribute("aria-label", mapsLabel(layer));
    grid.style.gridTemplateColumns = `repeat(${layer.columns}, 1fr)`;
    for (let channel = 0; channel < c; channel++) {
      const button = element("button", "map");
      button.type = "button";
      button.tabIndex = channel === 0 ? 0 : -1;
      button.dataset.layer = String(index);
      button.dataset.channel = String(channel);
      button.setAttribute("aria-label", mapLabel(layer, channel));
      grid.append(button);
    }
    maps.append(picture, grid);
    return maps;
  }

  /**
   * @param {Activations} layer
   * @param {number} index
   * @param {Card} card
   */
  #outputs(layer, index, card) {
    const outputs = element("ol", "outputs");
    outputs.start = 0;
    outputNames(card, layer.shape[0]).forEach((name, i) => {
      const row = element("li", "output");
      row.dataset.layer = String(index);
      row.dataset.output = String(i);
      const track = element("span", "bar-track");
      track.append(element("span", "bar-fill"));
      row.append(element("span", "output-name", name), " ", track, element("span", "bar-value", "\u2013"));
      outputs.append(row);
    });
    return outputs;
  }

  // A unit at a time with the arrow keys, marked on the picture.
  /**
   * @param {Activations} layer
   * @param {number} index
   */
  #units(layer, index) {
    const wrap = element("div", "units-wrap");
    const units = element("canvas", "units");
    units.width = Math.min(layer.shape[0], UNIT_COLUMNS);
    units.height = Math.ceil(layer.shape[0] / units.width);
    units.dataset.layer = String(index);
    units.tabIndex = 0;
    units.setAttribute("role", "img");
    units.setAttribute("aria-label", unitsLabel(layer));
    const marker = element("span", "unit-marker");
    marker.hidden = true;
    wrap.append(units, marker);
    return wrap;
  }
}
