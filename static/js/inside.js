// @ts-check
// Look inside: the path of the drawing on the pad (for a number, the digit chosen)
// through the network reading it, on one screen: the input and which pixels mattered,
// then a column per layer, grouped in blocks, each with its most active maps, down to
// the outputs. Choosing a column opens all its maps; Escape comes back. It follows the
// drawing stroke by stroke while the panel is open.
// This module asks /explain and hands the answer to the panel's parts, one a role, in
// inside/: the source (input and heatmap), the overview, the layers' views, their
// detail and its zoom; what they say is in inside/words.js.

import { png } from "./pad.js";
import { Detail } from "./inside/detail.js";
import { LayerViews } from "./inside/layer-views.js";
import { Overview } from "./inside/overview.js";
import { Source } from "./inside/source.js";
import { EMPTY, UNREACHABLE, problemWords, statusWords } from "./inside/words.js";
import { Zoom } from "./inside/zoom.js";

/** @typedef {import("./reader.js").Reader} Reader */
/** @typedef {import("./reader.js").Model} Model */
/** @typedef {import("./reader.js").Card} Card */
/** @typedef {import("./reader.js").Image} Image */
/** @typedef {import("./inside/layers.js").Explanation} Explanation */

/**
 * What the pad shows: /read's answer, the image it read, and the digit chosen.
 * @typedef {{ reading: { digits: { box: number[] }[] }, image: Image, selected: number }} Shown
 */

export class LookInside {
  /**
   * isDrawing(): whether the pen is down (no look inside until it lifts).
   * detail: a layer's detail, its bar's buttons back, previous and next, then its position.
   * @param {{
   *   panel: HTMLDetailsElement, status: HTMLElement, input: HTMLCanvasElement, heatmap: HTMLCanvasElement,
   *   legendFor: HTMLElement, overview: HTMLElement, flow: HTMLElement, detail: HTMLElement, layers: HTMLElement,
   *   zoomMap: HTMLCanvasElement, zoomValue: HTMLElement, zoomLabel: HTMLElement,
   * }} parts
   * @param {{ reader: Reader, isDrawing: () => boolean }} wiring
   */
  constructor(
    { panel, status, input, heatmap, legendFor, overview, flow, detail, layers, zoomMap, zoomValue, zoomLabel },
    { reader, isDrawing },
  ) {
    this.panel = panel;
    this.status = status;
    this.flow = flow;
    this.reader = reader;
    this.isDrawing = isDrawing;
    this.source = new Source({ input, heatmap, legendFor });
    this.views = new LayerViews(layers);
    this.overview = new Overview({ overview, flow }, {
      picture: (index) => this.views.picture(index),
      onOpen: (index, channel) => this.detail.open(index, channel),
    });
    this.detail = new Detail({ panel, detail }, {
      views: this.views,
      zoom: new Zoom({ map: zoomMap, value: zoomValue, label: zoomLabel }),
      onOpen: () => this.overview.hide(),
      onClose: (index, focus) => this.overview.back(index, focus),
    });
    /** @type {Model | null} */
    this.model = null;     // the model looked inside
    /** @type {AbortController | null} */
    this.request = null;   // the latest /explain request
    this.body = null;      // and what it sent
    this.builtFor = "";    // the layers the overview and the views were built for
    this.renders = 0;
    /** @type {Shown | null} */
    this.shown = null;
    panel.addEventListener("toggle", () => {
      if (panel.open) this.#follow();
    });
  }

  /** @param {Model} model */
  useModel(model) {
    if (this.model?.name !== model.name) {
      this.clear();
      this.detail.close();
    }
    this.model = model;
  }

  /**
   * While the drawing is one digit, the pad's image goes to /explain as it goes to /read,
   * side by side, rather than after /read's answer.
   * @param {Image} image
   * @param {Model} model
   */
  beside(image, model) {
    if (model !== this.model || !image.canvas) return;
    if (this.panel.open && this.shown?.reading.digits.length === 1 && !this.isDrawing()) {
      this.#lookInside(Promise.resolve(image));
    }
  }

  /**
   * A new reading on the pad, or another of its digits chosen.
   * @param {Shown["reading"]} reading
   * @param {Image} image
   * @param {number} selected
   */
  follow(reading, image, selected) {
    this.shown = { reading, image, selected };
    this.#follow();
  }

  clear() {
    this.request?.abort();
    this.body = null;
    this.shown = null;
    this.status.textContent = EMPTY;
    this.source.clear();
    // Kept, to be repainted: building them again costs more.
    this.views.list.hidden = true;
    this.flow.hidden = true;
    this.detail.clear();
  }

  // Follows the drawing, stroke by stroke (not while the pen moves: a look inside takes
  // the server ~17 ms, and one still running when the pen lifts would delay the one that
  // counts). A new reading cancels the look inside at the one before, whose drawing is
  // out of date, rather than waiting for it.
  #follow() {
    if (!this.panel.open || !this.shown || this.isDrawing()) return;
    const { reading, image } = this.shown;
    if (reading.digits.length === 1 && this.body === image.body) return;  // on its way already, sent beside /read
    this.#lookInside(this.#requestImage());
  }

  /**
   * What to explain: the image sent to /read; for a number, the chosen digit's box of it.
   * @returns {Promise<Image>}
   */
  async #requestImage() {
    const { reading, image, selected } = this.shown;
    if (reading.digits.length === 1) return image;
    const [x, y, w, h] = reading.digits[selected].box;
    const margin = Math.round(0.2 * Math.max(w, h));
    const crop = document.createElement("canvas");
    const ctx = crop.getContext("2d");
    if (image.canvas) {  // the pad: white paper around the digit's box
      crop.width = w + 2 * margin;
      crop.height = h + 2 * margin;
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, crop.width, crop.height);
      ctx.drawImage(image.canvas, x, y, w, h, margin, margin, w, h);
    } else if (image.picture) {  // an uploaded image: its own paper around the box, as far as it goes
      const picture = image.picture;
      const left = Math.max(0, x - margin), top = Math.max(0, y - margin);
      crop.width = Math.min(picture.naturalWidth, x + w + margin) - left;
      crop.height = Math.min(picture.naturalHeight, y + h + margin) - top;
      ctx.drawImage(picture, left, top, crop.width, crop.height, 0, 0, crop.width, crop.height);
    } else {
      return image;  // a file the browser can't show: the whole of it
    }
    return { body: png(crop), headers: { "Content-Type": "image/png" } };
  }

  /** @param {Promise<Image>} pending */
  async #lookInside(pending) {
    this.request?.abort();
    const request = new AbortController();
    this.request = request;
    const started = performance.now();
    try {
      const image = await pending;
      this.body = image.body;
      const answer = await this.reader.explain(this.model, image, request.signal);
      if (!answer || request.signal.aborted) return;
      const { ok, status, body } = answer;
      if (!ok) {
        this.status.textContent = problemWords(status, body);
        return;
      }
      const card = await this.reader.card(this.model.name).catch(() => ({ labels: [] }));
      if (request.signal.aborted) return;
      await this.#show(body, card, performance.now() - started, request.signal);
    } catch (error) {
      if (!request.signal.aborted) this.status.textContent = UNREACHABLE;
    }
  }

  /**
   * @param {Explanation} result
   * @param {Card} card
   * @param {number} elapsed  ms
   * @param {AbortSignal} signal
   */
  async #show(result, card, elapsed, signal) {
    this.detail.use(result, card);
    const names = result.layers.map((l) => l.name).join();
    if (this.builtFor !== names) {
      this.detail.close();
      this.views.build(result.layers, card);
      this.overview.build(result.layers, card);
      this.builtFor = names;
    }
    this.source.show(result);
    await this.views.paint(result);
    if (signal.aborted) return;  // a newer drawing's pictures replaced these meanwhile
    this.overview.paint(result);
    this.views.list.hidden = false;
    this.flow.hidden = false;
    this.detail.repainted();
    this.status.textContent = statusWords(result, elapsed);
    this.panel.dataset.rendered = String(++this.renders);
  }
}
