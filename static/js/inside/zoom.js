// @ts-check
// The zoom, over a layer's detail: the map chosen, large, or the unit's value, or the
// output's name and probability, with what it is in words (a live region: a screen
// reader says it as the arrow keys move).

import { percent } from "../words.js";
import { element } from "./dom.js";
import { origin } from "./layers.js";
import { figure, zoomHint, zoomMapWords, zoomOutputWords, zoomUnitWords } from "./words.js";

/** @typedef {import("./layers.js").Layer} Layer */
/** @typedef {import("./layers.js").Activations} Activations */

/**
 * What the zoom shows: a layer's (its index) map, unit or output.
 * @typedef {{ layer: number, channel?: number, unit?: number, output?: number }} Zoomed
 */

export class Zoom {
  /** @param {{ map: HTMLCanvasElement, value: HTMLElement, label: HTMLElement }} parts */
  constructor({ map, value, label }) {
    this.map = map;
    this.value = value;
    this.label = label;
    /** @type {Zoomed | null} */
    this.zoomed = null;
  }

  /**
   * Empty, with what to do in the layer open (null: the overview, nothing to say).
   * @param {Layer | null} [layer]
   */
  clear(layer = null) {
    this.zoomed = null;
    this.map.width = this.map.height = 1;
    this.map.hidden = false;
    this.value.hidden = true;
    delete this.map.dataset.layer;
    this.label.textContent = zoomHint(layer);
  }

  /**
   * One feature map, large, cut from its layer's picture.
   * @param {Activations} layer
   * @param {number} index  the layer's
   * @param {number} channel
   * @param {HTMLImageElement} picture
   */
  showMap(layer, index, channel, picture) {
    const [h, w] = layer.shape;
    const [x, y] = origin(layer, channel);
    this.map.hidden = false;
    this.value.hidden = true;
    this.map.width = w;
    this.map.height = h;
    this.map.getContext("2d").drawImage(picture, x, y, w, h, 0, 0, w, h);
    this.map.dataset.layer = layer.name;
    this.map.dataset.channel = String(channel);
    this.zoomed = { layer: index, channel };
    this.label.textContent = zoomMapWords(layer, channel);
  }

  /**
   * One unit of a dense layer: its value, large.
   * @param {Activations} layer
   * @param {number} index  the layer's
   * @param {number} unit
   */
  showUnit(layer, index, unit) {
    this.#showValue([element("span", "zoom-number", figure(layer.values[unit]))]);
    this.zoomed = { layer: index, unit };
    this.label.textContent = zoomUnitWords(layer, unit);
  }

  /**
   * One output: its name and its probability, large.
   * @param {Activations} layer
   * @param {number} index  the layer's
   * @param {number} output
   * @param {string} name
   */
  showOutput(layer, index, output, name) {
    this.#showValue([element("span", "zoom-name", name), " ",
      element("span", "zoom-number", percent(layer.values[output]))]);
    this.zoomed = { layer: index, output };
    this.label.textContent = zoomOutputWords(layer, output, name);
  }

  /** @param {(Node | string)[]} parts */
  #showValue(parts) {
    this.map.hidden = true;
    this.value.hidden = false;
    this.value.replaceChildren(...parts);
  }
}
