// @ts-check
// A layer's detail, in place of the overview: its view (layer-views.js) and the zoom,
// the bar's Overview, previous and next. Pointing at a map, a unit or an output (or
// moving to it with Tab or the arrow keys) shows it in the zoom; Escape goes back.

import { roam } from "./dom.js";
import { isMaps } from "./layers.js";
import { outputNames } from "./words.js";

/** @typedef {import("../reader.js").Card} Card */
/** @typedef {import("./layers.js").Explanation} Explanation */
/** @typedef {import("./layer-views.js").LayerViews} LayerViews */
/** @typedef {import("./zoom.js").Zoom} Zoom */

export class Detail {
  /**
   * The bar's buttons: back, previous and next, then the position. onOpen(): a layer's
   * detail opened (the overview goes); onClose(index, focus): back to the overview, on
   * that layer's column, focused where the focus was in the detail.
   * @param {{ panel: HTMLDetailsElement, detail: HTMLElement }} parts
   * @param {{ views: LayerViews, zoom: Zoom, onOpen: () => void, onClose: (index: number, focus: boolean) => void }} wiring
   */
  constructor({ panel, detail }, { views, zoom, onOpen, onClose }) {
    this.panel = panel;
    this.detail = detail;
    this.views = views;
    this.zoom = zoom;
    this.onOpen = onOpen;
    this.onClose = onClose;
    const [back, previous, next] = /** @type {HTMLButtonElement[]} */ ([...detail.querySelectorAll(".detail-bar button")]);
    this.back = back;
    this.previous = previous;
    this.next = next;
    this.position = detail.querySelector(".detail-position");
    /** @type {Explanation | null} */
    this.result = null;
    /** @type {Card | null} */
    this.card = null;
    /** @type {number | null} */
    this.opened = null;  // the index of the layer open; null: the overview
    this.pointer = "";   // where the pointer last was over the panel, "x,y"
    this.resting = "";   // and where it was when the detail opened

    // A detail opens under a pointer that has not moved: what it now happens to point at
    // is not chosen (the map clicked in the overview is).
    panel.addEventListener("pointermove", (event) => (this.pointer = `${event.clientX},${event.clientY}`));
    back.addEventListener("click", () => this.close());
    previous.addEventListener("click", () => this.open(this.opened - 1));
    next.addEventListener("click", () => this.open(this.opened + 1));
    const list = views.list;
    for (const type of ["pointerover", "focusin", "click"]) list.addEventListener(type, (event) => this.#zoomTarget(event));
    list.addEventListener("pointermove", (event) => this.#pointUnit(event));
    list.addEventListener("pointerdown", (event) => this.#pointUnit(event));
    list.addEventListener("keydown", (event) => this.#arrows(event));
    // Escape goes back to the overview before anything else sees it (the pad clears on
    // Escape): a second Escape clears the pad.
    window.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || this.opened === null || !panel.open) return;
      event.preventDefault();
      event.stopPropagation();
      this.close();
    }, true);
  }

  /**
   * A new answer (its views about to be repainted), and its model's card.
   * @param {Explanation} result
   * @param {Card} card
   */
  use(result, card) {
    this.result = result;
    this.card = card;
  }

  // The views repainted: what the zoom shows, as it is now.
  repainted() {
    const zoomed = this.zoom.zoomed;
    if (!zoomed || zoomed.layer !== this.opened) return;
    if (zoomed.channel !== undefined) this.#zoomMap(zoomed.layer, zoomed.channel);
    else this.#zoomUnit(zoomed.layer, zoomed.unit ?? zoomed.output);
  }

  /**
   * One layer's detail: all its maps (or units, or outputs), as they are for this
   * drawing, and the zoom; the focus on the map chosen (and so, large in the zoom).
   * @param {number} index
   * @param {number | null} [channel]
   */
  open(index, channel = null) {
    const layers = this.result?.layers;
    if (!layers || index < 0 || index >= layers.length) return;
    const layer = layers[index];
    this.opened = index;
    this.resting = this.pointer;
    this.onOpen();
    this.detail.hidden = false;
    this.views.show(index);
    this.position.textContent = `Layer ${index + 1} of ${layers.length}`;
    this.previous.disabled = index === 0;
    this.next.disabled = index === layers.length - 1;
    this.unzoom(layer);
    const item = this.views.item(index);
    if (isMaps(layer)) {
      const buttons = /** @type {HTMLElement[]} */ ([...item.querySelectorAll(".map")]);
      const target = buttons[channel ?? 0];
      buttons.forEach((button) => (button.tabIndex = button === target ? 0 : -1));
      target.focus();
    } else if (layer.kind === "softmax") {
      this.back.focus();
    } else {
      /** @type {HTMLElement} */ (item.querySelector(".units")).focus();
    }
  }

  // Back to the overview, on the column that was open.
  close() {
    if (this.opened === null) return;
    const wasInside = this.detail.contains(document.activeElement);
    const index = this.opened;
    this.opened = null;
    this.detail.hidden = true;
    this.unzoom();
    this.onClose(index, wasInside);
  }

  // Nothing drawn, or a problem: no answer to show, the layer open as it was.
  clear() {
    this.result = null;
    this.unzoom();
  }

  /**
   * The zoom empty, no unit marked.
   * @param {import("./layers.js").Layer | null} [layer]  the layer open
   */
  unzoom(layer = null) {
    this.zoom.clear(layer);
    this.views.unmark();
  }

  /**
   * @param {number} index
   * @param {number} channel
   */
  #zoomMap(index, channel) {
    if (!this.result) return;
    this.zoom.showMap(this.result.layers[index], index, channel, this.views.picture(index));
  }

  // One unit of a dense layer, marked on its picture, or one output.
  /**
   * @param {number} index
   * @param {number} unit
   */
  #zoomUnit(index, unit) {
    const layer = this.result?.layers[index];
    if (!layer) return;
    if (layer.kind === "softmax") {
      this.zoom.showOutput(layer, index, unit, outputNames(this.card, layer.values.length)[unit]);
      return;
    }
    this.zoom.showUnit(layer, index, unit);
    this.views.markUnit(index, unit);
  }

  // Whether a pointer event comes from a pointer that has not moved since the detail opened.
  /** @param {Event} event */
  #resting(event) {
    if (!event.type.startsWith("pointer") || event.type === "pointerdown") return false;
    const { clientX, clientY } = /** @type {PointerEvent} */ (event);
    return `${clientX},${clientY}` === this.resting;
  }

  /** @param {Event} event */
  #zoomTarget(event) {
    if (this.#resting(event)) return;
    const target = /** @type {HTMLElement} */ (event.target);
    const button = target.closest(".map");
    if (button instanceof HTMLElement) this.#zoomMap(Number(button.dataset.layer), Number(button.dataset.channel));
    const row = target.closest(".output");
    if (row instanceof HTMLElement) this.#zoomUnit(Number(row.dataset.layer), Number(row.dataset.output));
    const units = target.closest(".units");
    if (units instanceof HTMLElement && event.type === "focusin") {
      const index = Number(units.dataset.layer);
      const zoomed = this.zoom.zoomed;
      this.#zoomUnit(index, zoomed?.layer === index ? zoomed.unit : 0);
    }
  }

  // A dense layer's units: the one under the pointer (or the finger), large.
  /** @param {PointerEvent} event */
  #pointUnit(event) {
    const canvas = /** @type {HTMLElement} */ (event.target).closest(".units");
    if (!(canvas instanceof HTMLCanvasElement) || !this.result || this.#resting(event)) return;
    const index = Number(canvas.dataset.layer);
    const count = this.result.layers[index].values.length;
    const rect = canvas.getBoundingClientRect();
    const column = Math.min(canvas.width - 1, Math.floor(((event.clientX - rect.left) / rect.width) * canvas.width));
    const row = Math.min(canvas.height - 1, Math.floor(((event.clientY - rect.top) / rect.height) * canvas.height));
    this.#zoomUnit(index, Math.max(0, Math.min(row * canvas.width + column, count - 1)));
  }

  // Arrow keys between the maps of a layer, or its units: one Tab stop a layer.
  /** @param {KeyboardEvent} event */
  #arrows(event) {
    const target = /** @type {HTMLElement} */ (event.target);
    const units = target.closest(".units");
    if (units instanceof HTMLCanvasElement) {
      this.#moveUnit(event, units);
      return;
    }
    const button = target.closest(".map");
    if (!(button instanceof HTMLElement)) return;
    const grid = button.parentElement;
    const columns = Math.max(1, Math.round(grid.clientWidth / button.offsetWidth));
    roam(event, button, /** @type {HTMLElement[]} */ ([...grid.children]), columns);
  }

  /**
   * @param {KeyboardEvent} event
   * @param {HTMLCanvasElement} canvas
   */
  #moveUnit(event, canvas) {
    const index = Number(canvas.dataset.layer);
    const count = this.result?.layers[index].values.length ?? 0;
    const zoomed = this.zoom.zoomed;
    const unit = zoomed?.layer === index && zoomed.unit !== undefined ? zoomed.unit : 0;
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: canvas.width, ArrowUp: -canvas.width };
    let next = null;
    if (event.key in moves) next = unit + moves[event.key];
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = count - 1;
    if (next === null || count === 0) return;
    event.preventDefault();
    this.#zoomUnit(index, Math.max(0, Math.min(count - 1, next)));
  }
}
