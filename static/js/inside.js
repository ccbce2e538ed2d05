// Look inside: every layer of the network reading the pad, for the drawing on it (for a
// number, the digit chosen), with which pixels mattered. It follows the drawing stroke
// by stroke while the panel is open.

import { percent, plural, times } from "./words.js";

const UNIT_COLUMNS = 32;  // units per row of a dense layer's picture

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

const isMaps = (layer) => layer.shape.length === 3;

// The names of a model's outputs, from its card: its labels, then for a digit model
// "not a digit" and "several digits".
function outputNames(card, count) {
  const names = card.outputs || card.labels || [];
  return Array.from({ length: count }, (_, i) => names[i] ?? `output ${i + 1}`);
}

function quoted(names) {
  const words = names.map((name) => `\u201c${name}\u201d`);
  return words.length > 1 ? `${words.slice(0, -1).join(", ")} and ${words.at(-1)}` : words.join("");
}

// The outputs in words: "the ten digits, “not a digit” and “several digits”".
function outputsInWords(card, count) {
  const labels = card.labels.length;
  if (labels === 0) return "one for each answer the network can give";  // no card to name them
  const extra = outputNames(card, count).slice(labels);
  const classes = card.task === "digits" ? (labels === 10 ? "the ten digits" : `${labels} digits`)
    : `the ${labels} classes`;
  return extra.length ? `${classes}, ${quoted(extra)}` : classes;
}

// One line of plain words per kind of layer.
function caption(layer, previous, card) {
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

// A grey level as the API sends it: 0 at mid-grey for a signed layer, else at black.
function level(value, layer) {
  const unit = layer.scale > 0 ? value / layer.scale : 0;
  return Math.round(layer.signed ? 127.5 + 127.5 * unit : 255 * unit);
}

function paintGrey(canvas, values) {
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(canvas.width, canvas.height);
  values.forEach((grey, i) => image.data.set([grey, grey, grey, 255], 4 * i));
  ctx.putImageData(image, 0, 0);
}

const toPng = (canvas) => new Promise((resolve) => canvas.toBlob(resolve, "image/png"));

export class LookInside {
  // isDrawing(): whether the pen is down (no look inside until it lifts).
  constructor({ panel, status, input, heatmap, legendFor, layers, zoomMap, zoomLabel }, { reader, isDrawing }) {
    Object.assign(this, { panel, status, input, heatmap, legendFor, layers, zoomMap, zoomLabel, reader, isDrawing });
    this.model = null;     // the digit model looked inside
    this.request = null;   // the AbortController of the latest /explain request
    this.body = null;      // and what it sent
    this.result = null;    // the latest answer of /explain
    this.builtFor = "";    // the layers the list was built for
    this.zoomed = null;    // [layer, channel] of the map shown large
    this.renders = 0;
    this.shown = null;     // what the pad shows: { reading, image, selected }

    layers.addEventListener("pointerover", (event) => this.#zoomTarget(event));
    layers.addEventListener("focusin", (event) => this.#zoomTarget(event));
    layers.addEventListener("click", (event) => this.#zoomTarget(event));
    layers.addEventListener("pointermove", (event) => this.#pointUnit(event));
    layers.addEventListener("keydown", (event) => this.#arrows(event));
    panel.addEventListener("toggle", () => {
      if (panel.open) this.#follow();
    });
  }

  useModel(model) {
    if (this.model?.name !== model.name) this.clear();
    this.model = model;
  }

  // While the drawing is one digit, the pad's image goes to /explain as it goes to /read,
  // side by side, rather than after /read's answer.
  beside(image, model) {
    if (model !== this.model || !image.canvas) return;
    if (this.panel.open && this.shown?.reading.digits.length === 1 && !this.isDrawing()) {
      this.#lookInside(Promise.resolve(image));
    }
  }

  // A new reading on the pad, or another of its digits chosen.
  follow(reading, image, selected) {
    this.shown = { reading, image, selected };
    this.#follow();
  }

  clear() {
    this.request?.abort();
    this.body = null;
    this.result = null;
    this.shown = null;
    this.status.textContent = "Draw something to look inside.";
    for (const canvas of [this.input, this.heatmap]) canvas.getContext("2d").clearRect(0, 0, 28, 28);
    delete this.heatmap.dataset.digit;
    this.layers.hidden = true;  // kept, to be repainted: building it again costs more
    this.zoomMap.width = this.zoomMap.height = 1;
    delete this.zoomMap.dataset.layer;
    this.zoomed = null;
    this.zoomLabel.textContent = "Point at, tap or Tab to a map below to see it large.";
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

  // What to explain: the image sent to /read; for a number, the chosen digit's box of it.
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
    return { body: await toPng(crop), headers: { "Content-Type": "image/png" } };
  }

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
        this.status.textContent = body.detail ? `Can't look inside: ${body.detail}.` : `The server answered ${status}.`;
        return;
      }
      const card = await this.reader.card(this.model.name).catch(() => ({ labels: [] }));
      if (request.signal.aborted) return;
      await this.#show(body, card, performance.now() - started, request.signal);
    } catch (error) {
      if (!request.signal.aborted) this.status.textContent = "Can't reach the network to look inside. Try again in a moment.";
    }
  }

  async #show(result, card, elapsed, signal) {
    this.result = result;
    if (this.builtFor !== result.layers.map((l) => l.name).join()) this.#build(result.layers, card);
    paintGrey(this.input, result.input.flat().map((v) => Math.round(255 * v)));
    this.#paintHeatmap(result);
    await this.#paintLayers(result);
    if (signal.aborted) return;  // a newer drawing's pictures replaced these meanwhile
    this.layers.hidden = false;
    if (this.zoomed) this.#zoom(...this.zoomed);  // the map chosen, as it is now
    const answer = result.is_digit ? `reads it as a ${result.label}` : `doesn't see a digit (best guess ${result.label})`;
    this.status.textContent = `The network ${answer}: ${result.layers.length} layers, looked inside in ` +
      `${Math.round(elapsed)} ms.`;
    this.panel.dataset.rendered = String(++this.renders);
  }

  // The list of layers, built once for the model: later answers only repaint it.
  #build(layers, card) {
    this.layers.replaceChildren(...layers.map((layer, index) => {
      const item = element("li", "layer");
      item.dataset.kind = layer.kind;
      item.dataset.name = layer.name;
      const title = element("h3", "layer-title");
      title.append(element("span", "layer-name", layer.name), element("span", "layer-kind", layer.kind),
        element("span", "layer-shape", `${times(layer.shape)} \u00b7 ${plural(layer.parameters, "parameter")}`));
      item.append(title, element("p", "layer-caption", caption(layer, index > 0, card)));
      if (isMaps(layer)) {
        // The layer's image as the API sends it (its maps side by side), under a grid of
        // buttons, one a map: one picture to repaint, not one per map.
        const c = layer.shape[2];
        const maps = element("div", "maps");
        const picture = element("img", "maps-image");
        picture.alt = "";
        const grid = element("div", "maps-grid");
        grid.setAttribute("role", "group");
        grid.setAttribute("aria-label", `${layer.name}: ${c} maps; arrow keys move between them`);
        grid.style.gridTemplateColumns = `repeat(${layer.columns}, 1fr)`;
        for (let channel = 0; channel < c; channel++) {
          const button = element("button", "map");
          button.type = "button";
          button.tabIndex = channel === 0 ? 0 : -1;
          button.dataset.layer = String(index);
          button.dataset.channel = String(channel);
          button.setAttribute("aria-label", `${layer.name}, channel ${channel + 1} of ${c}`);
          grid.append(button);
        }
        maps.append(picture, grid);
        item.append(maps);
      } else if (layer.kind === "softmax") {
        const outputs = element("ol", "outputs");
        outputs.start = 0;
        for (const name of outputNames(card, layer.shape[0])) {
          const row = element("li", "output");
          const track = element("span", "bar-track");
          track.append(element("span", "bar-fill"));
          row.append(element("span", "output-name", name), track, element("span", "bar-value", "\u2013"));
          outputs.append(row);
        }
        item.append(outputs);
      } else {
        const units = element("canvas", "units");
        units.width = Math.min(layer.shape[0], UNIT_COLUMNS);
        units.height = Math.ceil(layer.shape[0] / units.width);
        units.dataset.layer = String(index);
        units.setAttribute("role", "img");
        units.setAttribute("aria-label", `${layer.name}: ${layer.shape[0]} units, light for large values`);
        item.append(units);
      }
      return item;
    }));
    this.builtFor = layers.map((l) => l.name).join();
  }

  // Resolves once every layer's new picture is decoded and on screen.
  #paintLayers(result) {
    const pictures = [];
    result.layers.forEach((layer, index) => {
      const item = this.layers.children[index];
      if (isMaps(layer)) {
        const picture = item.querySelector(".maps-image");
        picture.src = layer.image;
        pictures.push(picture.decode());
      } else if (layer.kind === "softmax") {
        const top = layer.values.indexOf(Math.max(...layer.values));
        [...item.querySelectorAll(".output")].forEach((row, i) => {
          row.querySelector(".bar-fill").style.width = percent(layer.values[i]);
          row.querySelector(".bar-value").textContent = percent(layer.values[i]);
          row.classList.toggle("top", i === top);
        });
      } else {
        paintGrey(item.querySelector("canvas"), layer.values.map((value) => level(value, layer)));
      }
    });
    return Promise.all(pictures);
  }

  // Red for, blue against, over a faint copy of the ink; the stronger, the more opaque.
  #paintHeatmap(result) {
    const ctx = this.heatmap.getContext("2d");
    const image = ctx.createImageData(28, 28);
    const input = result.input.flat();
    result.attribution.flat().forEach((a, i) => {
      const paper = 255 - 70 * input[i];
      const colour = a >= 0 ? [220, 38, 38] : [37, 99, 235];
      const t = Math.min(1, Math.abs(a));
      image.data.set([...colour.map((c) => Math.round(paper + (c - paper) * t)), 255], 4 * i);
    });
    ctx.putImageData(image, 0, 0);
    this.heatmap.dataset.digit = String(result.digit);
    this.legendFor.textContent = `for ${result.label}`;
  }

  // One feature map, large, with its layer and channel.
  #zoom(layerIndex, channel) {
    const result = this.result;
    if (!result) return;
    const layer = result.layers[layerIndex];
    const [h, w, c] = layer.shape;
    const zoomMap = this.zoomMap;
    zoomMap.width = w;
    zoomMap.height = h;
    const x = (channel % layer.columns) * w, y = Math.floor(channel / layer.columns) * h;
    const picture = this.layers.children[layerIndex].querySelector(".maps-image");
    zoomMap.getContext("2d").drawImage(picture, x, y, w, h, 0, 0, w, h);
    zoomMap.dataset.layer = layer.name;
    zoomMap.dataset.channel = String(channel);
    this.zoomed = [layerIndex, channel];
    this.zoomLabel.textContent = `${layer.name} (${layer.kind}), channel ${channel + 1} of ${c}: ${w}\u00d7${h} ` +
      `pixels; white is ${layer.scale.toPrecision(3)}` +
      `${layer.signed ? `, black \u2212${layer.scale.toPrecision(3)}` : ", black 0"}.`;
  }

  #zoomTarget(event) {
    const button = event.target.closest(".map");
    if (button) this.#zoom(Number(button.dataset.layer), Number(button.dataset.channel));
  }

  // A dense layer's units: the one under the pointer, in words.
  #pointUnit(event) {
    const canvas = event.target.closest(".units");
    if (!canvas || !this.result) return;
    const layer = this.result.layers[Number(canvas.dataset.layer)];
    const rect = canvas.getBoundingClientRect();
    const column = Math.floor(((event.clientX - rect.left) / rect.width) * canvas.width);
    const row = Math.floor(((event.clientY - rect.top) / rect.height) * canvas.height);
    const unit = Math.min(row * canvas.width + column, layer.values.length - 1);
    this.zoomLabel.textContent = `${layer.name} (${layer.kind}), unit ${unit + 1} of ${layer.values.length}: ` +
      `${layer.values[unit]}.`;
  }

  // Arrow keys between the maps of a layer: one Tab stop a layer, not one a map.
  #arrows(event) {
    const button = event.target.closest(".map");
    if (!button) return;
    const buttons = [...button.parentElement.children];
    const columns = Math.max(1, Math.round(button.parentElement.clientWidth / button.offsetWidth));
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns, ArrowUp: -columns };
    const index = buttons.indexOf(button);
    let next = null;
    if (event.key in moves) next = index + moves[event.key];
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = buttons.length - 1;
    if (next === null) return;
    event.preventDefault();
    const target = buttons[Math.max(0, Math.min(buttons.length - 1, next))];
    button.tabIndex = -1;
    target.tabIndex = 0;
    target.focus();
  }
}
