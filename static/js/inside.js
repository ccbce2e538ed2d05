// Look inside: the path of the drawing on the pad (for a number, the digit chosen)
// through the network reading it, on one screen: the input and which pixels mattered,
// then a column per layer, grouped in blocks, each with its most active maps, down to
// the twelve outputs. Choosing a column opens all its maps; Escape comes back. It
// follows the drawing stroke by stroke while the panel is open.

import { png } from "./pad.js";
import { percent, plural, times } from "./words.js";

const UNIT_COLUMNS = 32;  // units per row of a dense layer's picture, in a layer's detail
const SHOWN_MAPS = 4;     // maps a column of the overview shows: its block's most active
const STRIP_ROWS = 64;    // units per column of a dense layer's strip in the overview

// A word or two for each kind of layer, over its column.
const SHORT = {
  conv: "conv", "batch-norm": "norm", relu: "ReLU", pool: "pool",
  flatten: "flat", dense: "dense", dropout: "drop", softmax: "softmax",
};

// The kinds of layer that start a block; the others (normalisation, ReLU, pooling,
// dropout) work on what the one before them found, and join its block.
const STARTS_BLOCK = new Set(["conv", "dense", "flatten", "softmax"]);

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

const isMaps = (layer) => layer.shape.length === 3;


// A value as the zoom shows it: three significant digits, no trailing zeros.
const figure = (value) => String(Number(value.toPrecision(3)));

// The layers in blocks: [{ kind, steps: [layer index, ...] }].
function inBlocks(layers) {
  const blocks = [];
  layers.forEach((layer, index) => {
    if (STARTS_BLOCK.has(layer.kind) || blocks.length === 0) blocks.push({ kind: layer.kind, steps: [] });
    blocks.at(-1).steps.push(index);
  });
  return blocks;
}

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

// One line of plain words per kind of layer, in its detail.
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

// A block's title and its caption in the overview: the detail's words, shorter.
function blockWords(block, layers, convolution) {
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

// A step's name for a screen reader, and what choosing it does.
function stepLabel(layer) {
  const what = isMaps(layer) ? `${layer.shape[2]} maps` : layer.kind === "softmax" ? "outputs" : "units";
  return `${layer.name} (${layer.kind}), ${times(layer.shape)}: open all its ${what}`;
}

// A grey level as the API sends it: 0 at mid-grey for a signed layer, else at black.
function level(value, layer) {
  const unit = layer.scale > 0 ? value / layer.scale : 0;
  return Math.round(layer.signed ? 127.5 + 127.5 * unit : 255 * unit);
}

// Grey levels on a canvas, row by row; cells past the last value stay clear.
function paintGrey(canvas, values) {
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(canvas.width, canvas.height);
  values.forEach((grey, i) => image.data.set([grey, grey, grey, 255], 4 * i));
  ctx.putImageData(image, 0, 0);
}

export class LookInside {
  // isDrawing(): whether the pen is down (no look inside until it lifts).
  // detail: a layer's detail, its bar's buttons back, previous and next, then its position.
  constructor(
    { panel, status, input, heatmap, legendFor, overview, flow, detail, layers, zoomMap, zoomValue, zoomLabel },
    { reader, isDrawing },
  ) {
    Object.assign(this, { panel, status, input, heatmap, legendFor, overview, flow, detail, layers, zoomMap,
      zoomValue, zoomLabel, reader, isDrawing });
    const [back, previous, next] = detail.querySelectorAll(".detail-bar button");
    Object.assign(this, { back, previous, next, position: detail.querySelector(".detail-position") });
    this.model = null;     // the digit model looked inside
    this.request = null;   // the AbortController of the latest /explain request
    this.body = null;      // and what it sent
    this.result = null;    // the latest answer of /explain
    this.card = null;      // its model's card
    this.builtFor = "";    // the layers the overview and the details were built for
    this.blocks = [];      // the layers in blocks (see inBlocks)
    this.opened = null;    // the index of the layer whose detail is open, or null: the overview
    this.zoomed = null;    // what the zoom shows: { layer, channel }, { layer, unit } or { layer, output }
    this.renders = 0;
    this.shown = null;     // what the pad shows: { reading, image, selected }
    this.pointer = "";     // where the pointer last was over the panel, "x,y"
    this.resting = "";     // and where it was when a detail opened
    this.scratch = document.createElement("canvas").getContext("2d", { willReadFrequently: true });

    // A detail opens under a pointer that has not moved: what it now happens to point at
    // is not chosen (the map clicked in the overview is).
    panel.addEventListener("pointermove", (event) => (this.pointer = `${event.clientX},${event.clientY}`));
    flow.addEventListener("click", (event) => this.#choose(event));
    flow.addEventListener("keydown", (event) => this.#roam(event, ".step"));
    back.addEventListener("click", () => this.#close());
    previous.addEventListener("click", () => this.#open(this.opened - 1));
    next.addEventListener("click", () => this.#open(this.opened + 1));
    layers.addEventListener("pointerover", (event) => this.#zoomTarget(event));
    layers.addEventListener("focusin", (event) => this.#zoomTarget(event));
    layers.addEventListener("click", (event) => this.#zoomTarget(event));
    layers.addEventListener("pointermove", (event) => this.#pointUnit(event));
    layers.addEventListener("pointerdown", (event) => this.#pointUnit(event));
    layers.addEventListener("keydown", (event) => this.#arrows(event));
    // Escape goes back to the overview before anything else sees it (the pad clears on
    // Escape): a second Escape clears the pad.
    window.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || this.opened === null || !panel.open) return;
      event.preventDefault();
      event.stopPropagation();
      this.#close();
    }, true);
    panel.addEventListener("toggle", () => {
      if (panel.open) this.#follow();
    });
  }

  useModel(model) {
    if (this.model?.name !== model.name) {
      this.clear();
      this.#close();
    }
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
    this.legendFor.textContent = "for";
    // Kept, to be repainted: building them again costs more.
    this.layers.hidden = true;
    this.flow.hidden = true;
    this.#unzoom();
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
    return { body: png(crop), headers: { "Content-Type": "image/png" } };
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
    this.card = card;
    if (this.builtFor !== result.layers.map((l) => l.name).join()) {
      this.#close();
      this.#build(result.layers, card);
      this.#buildOverview(result.layers, card);
      this.builtFor = result.layers.map((l) => l.name).join();
    }
    paintGrey(this.input, result.input.flat().map((v) => Math.round(255 * v)));
    this.#paintHeatmap(result);
    await this.#paintLayers(result);
    if (signal.aborted) return;  // a newer drawing's pictures replaced these meanwhile
    this.#paintOverview(result);
    this.layers.hidden = false;
    this.flow.hidden = false;
    if (this.zoomed?.layer === this.opened) this.#rezoom();  // what was chosen, as it is now
    const answer = result.is_digit ? `reads it as a ${result.label}` : `doesn't see a digit (best guess ${result.label})`;
    this.status.textContent = `The network ${answer}: ${result.layers.length} layers, looked inside in ` +
      `${Math.round(elapsed)} ms.`;
    this.panel.dataset.rendered = String(++this.renders);
  }

  // The overview, built once for the model: a column per layer, in blocks, left to
  // right; later answers only repaint it.
  #buildOverview(layers, card) {
    this.blocks = inBlocks(layers);
    const items = [];
    // A network without convolutions: where their maps would be, say so.
    if (!layers.some(isMaps)) items.push(this.#noMaps(layers));
    let convolutions = 0;
    for (const block of this.blocks) {
      if (block.kind === "conv") convolutions++;
      const [title, words] = blockWords(block, layers, convolutions);
      const item = element("li", "block");
      item.dataset.kind = block.kind;
      const steps = element("div", "steps");
      // A shape where it changes: a normalisation or a ReLU keeps the shape of what it reads.
      steps.append(...block.steps.map((index, k) => this.#step(layers[index], index, card,
        k === 0 || times(layers[index].shape) !== times(layers[index - 1].shape))));
      item.append(element("h3", "block-title", title), steps, element("p", "block-caption", words));
      items.push(item);
    }
    this.flow.replaceChildren(...items);
  }

  #noMaps(layers) {
    const item = element("li", "block none");
    item.dataset.kind = "none";
    const pixels = layers[0].kind === "flatten" ? layers[0].shape[0] : 784;
    const network = this.card?.title ? `the ${this.card.title}` : "this network";
    item.append(element("h3", "block-title", "Feature maps"),
      element("p", "none-words", `None: ${network} has no convolutions, so it never sees the drawing as a ` +
        `picture, only as a row of ${pixels} numbers.`));
    return item;
  }

  // One column: a button over a layer's few maps (or its units, or its outputs) and its shape.
  #step(layer, index, card, withShape) {
    const button = element("button", "step");
    button.type = "button";
    button.tabIndex = index === 0 ? 0 : -1;
    button.dataset.layer = String(index);
    button.dataset.name = layer.name;
    button.dataset.kind = layer.kind;
    button.setAttribute("aria-label", stepLabel(layer));
    button.append(element("span", "step-kind", SHORT[layer.kind] ?? layer.kind));
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
      outputs.append(...outputNames(card, layer.shape[0]).map((name) => {
        const row = element("span", "mini-output");
        const bar = element("span", "mini-bar");
        bar.append(element("span", "mini-fill"));
        row.append(element("span", "mini-name", name), bar, element("span", "mini-value"));
        return row;
      }));
      button.append(outputs);
    } else {
      const n = layer.shape[0];
      const strip = element("canvas", "strip");
      strip.height = Math.min(n, STRIP_ROWS);
      strip.width = Math.ceil(n / strip.height);
      strip.style.setProperty("--columns", strip.width);  // its size on screen: style.css
      strip.style.setProperty("--rows", strip.height);
      button.append(strip);
    }
    // A place to break the line before the channels: "24×24" over "×32" in a narrow column.
    button.append(element("span", "step-shape", withShape ? times(layer.shape).replace(/\u00d7(?=\d+$)/, "\u200b\u00d7") : ""));
    return button;
  }

  // The overview for this answer: each block's most active maps, on the same rows in
  // every layer of the block (its layers work channel by channel), the units, the outputs.
  #paintOverview(result) {
    const steps = this.flow.querySelectorAll(".step");
    for (const block of this.blocks) {
      const channels = this.#mostActive(result, block);
      for (const index of block.steps) {
        const layer = result.layers[index];
        const step = steps[index];
        if (isMaps(layer)) this.#paintThumbs(step, layer, index, channels);
        else if (layer.kind === "softmax") this.#paintOutputs(step, layer);
        else paintGrey(step.querySelector(".strip"), layer.values.map((value) => level(value, layer)));
      }
    }
  }

  // The channels whose maps are brightest at the end of the block (its last layer with
  // maps), from its picture's pixels: no more for the server to send.
  #mostActive(result, block) {
    const index = block.steps.filter((i) => isMaps(result.layers[i])).at(-1);
    if (index === undefined) return [];
    const layer = result.layers[index];
    const [h, w, c] = layer.shape;
    const picture = this.#picture(index);
    const ctx = this.scratch;
    ctx.canvas.width = picture.naturalWidth;
    ctx.canvas.height = picture.naturalHeight;
    ctx.drawImage(picture, 0, 0);
    const pixels = ctx.getImageData(0, 0, ctx.canvas.width, ctx.canvas.height).data;
    const activity = new Float64Array(c);
    const width = ctx.canvas.width;
    for (let channel = 0; channel < c; channel++) {
      const x0 = (channel % layer.columns) * w, y0 = Math.floor(channel / layer.columns) * h;
      let sum = 0;
      for (let y = y0; y < y0 + h; y++) {
        for (let x = x0; x < x0 + w; x++) {
          const grey = pixels[4 * (y * width + x)];
          sum += layer.signed ? Math.abs(grey - 127.5) : grey;  // signed: away from mid-grey, either way
        }
      }
      activity[channel] = sum;
    }
    const order = Array.from({ length: c }, (_, i) => i).sort((a, b) => activity[b] - activity[a]);
    return order.slice(0, SHOWN_MAPS);
  }

  #paintThumbs(step, layer, index, channels) {
    const [h, w] = layer.shape;
    const picture = this.#picture(index);
    [...step.querySelectorAll(".thumb")].forEach((thumb, k) => {
      const channel = channels[k] ?? k;
      const x = (channel % layer.columns) * w, y = Math.floor(channel / layer.columns) * h;
      const ctx = thumb.getContext("2d");
      ctx.clearRect(0, 0, w, h);
      ctx.drawImage(picture, x, y, w, h, 0, 0, w, h);
      thumb.dataset.channel = String(channel);
    });
  }

  #paintOutputs(step, layer) {
    const top = layer.values.indexOf(Math.max(...layer.values));
    [...step.querySelectorAll(".mini-output")].forEach((row, i) => {
      row.querySelector(".mini-fill").style.width = percent(layer.values[i]);
      row.querySelector(".mini-value").textContent = `${Math.round(100 * layer.values[i])}%`;
      row.classList.toggle("top", i === top);
    });
    const name = step.querySelectorAll(".mini-name")[top].textContent;
    step.setAttribute("aria-label", `${stepLabel(layer)}; the highest is \u201c${name}\u201d, ${percent(layer.values[top])}`);
  }

  // A layer's picture (its maps side by side), as decoded for its detail.
  #picture(index) {
    return this.layers.children[index].querySelector(".maps-image");
  }

  // A column chosen (click, tap, Enter or Space): its detail, with the map clicked large.
  #choose(event) {
    const step = event.target.closest(".step");
    if (!step || !this.result) return;
    const thumb = event.target.closest(".thumb");
    this.#open(Number(step.dataset.layer), thumb ? Number(thumb.dataset.channel) : null);
  }

  // One layer's detail in place of the overview: all its maps (or units, or outputs), as
  // they are for this drawing, and the zoom.
  #open(index, channel = null) {
    const layers = this.result?.layers;
    if (!layers || index < 0 || index >= layers.length) return;
    const layer = layers[index];
    this.opened = index;
    this.resting = this.pointer;
    this.overview.hidden = true;
    this.detail.hidden = false;
    [...this.layers.children].forEach((item, i) => (item.hidden = i !== index));
    this.position.textContent = `Layer ${index + 1} of ${layers.length}`;
    this.previous.disabled = index === 0;
    this.next.disabled = index === layers.length - 1;
    this.#unzoom(layer);
    const item = this.layers.children[index];
    if (isMaps(layer)) {
      const buttons = [...item.querySelectorAll(".map")];
      const target = buttons[channel ?? 0];
      buttons.forEach((button) => (button.tabIndex = button === target ? 0 : -1));
      target.focus();  // and so large in the zoom
    } else if (layer.kind === "softmax") {
      this.back.focus();
    } else {
      item.querySelector(".units").focus();
    }
  }

  // Back to the overview, on the column that was open.
  #close() {
    if (this.opened === null) return;
    const wasInside = this.detail.contains(document.activeElement);
    const step = this.flow.querySelectorAll(".step")[this.opened];
    this.opened = null;
    this.detail.hidden = true;
    this.overview.hidden = false;
    this.#unzoom();
    if (!step) return;
    this.flow.querySelectorAll(".step").forEach((s) => (s.tabIndex = s === step ? 0 : -1));
    if (wasInside) step.focus();
  }

  // The list of layers, built once for the model: later answers only repaint it. One
  // at a time is shown, as a column's detail.
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
        outputNames(card, layer.shape[0]).forEach((name, i) => {
          const row = element("li", "output");
          row.dataset.layer = String(index);
          row.dataset.output = String(i);
          const track = element("span", "bar-track");
          track.append(element("span", "bar-fill"));
          row.append(element("span", "output-name", name), track, element("span", "bar-value", "\u2013"));
          outputs.append(row);
        });
        item.append(outputs);
      } else {
        // A unit at a time with the arrow keys, marked on the picture.
        const wrap = element("div", "units-wrap");
        const units = element("canvas", "units");
        units.width = Math.min(layer.shape[0], UNIT_COLUMNS);
        units.height = Math.ceil(layer.shape[0] / units.width);
        units.dataset.layer = String(index);
        units.tabIndex = 0;
        units.setAttribute("role", "img");
        units.setAttribute("aria-label", `${layer.name}: ${layer.shape[0]} units, light for large values; ` +
          "arrow keys move between them");
        const marker = element("span", "unit-marker");
        marker.hidden = true;
        wrap.append(units, marker);
        item.append(wrap);
      }
      return item;
    }));
  }

  // Resolves once every layer's new picture is decoded (and, its detail open, on screen).
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

  // The zoom empty, with what to do in the layer open (the overview: nothing to say).
  #unzoom(layer = null) {
    this.zoomed = null;
    this.zoomMap.width = this.zoomMap.height = 1;
    this.zoomMap.hidden = false;
    this.zoomValue.hidden = true;
    delete this.zoomMap.dataset.layer;
    for (const marker of this.layers.querySelectorAll(".unit-marker")) marker.hidden = true;
    this.zoomLabel.textContent = !layer || isMaps(layer) ? "Point at, tap or Tab to a map to see it large."
      : layer.kind === "softmax" ? "Point at or tap an output to see it here."
        : "Point at or tap a unit, or move between them with the arrow keys, to see its value.";
  }

  #rezoom() {
    const { layer, channel, unit, output } = this.zoomed;
    if (channel !== undefined) this.#zoom(layer, channel);
    else if (unit !== undefined) this.#zoomUnit(layer, unit);
    else this.#zoomUnit(layer, output);
  }

  // One feature map, large, with its layer and channel.
  #zoom(layerIndex, channel) {
    const result = this.result;
    if (!result) return;
    const layer = result.layers[layerIndex];
    const [h, w, c] = layer.shape;
    const zoomMap = this.zoomMap;
    zoomMap.hidden = false;
    this.zoomValue.hidden = true;
    zoomMap.width = w;
    zoomMap.height = h;
    const x = (channel % layer.columns) * w, y = Math.floor(channel / layer.columns) * h;
    zoomMap.getContext("2d").drawImage(this.#picture(layerIndex), x, y, w, h, 0, 0, w, h);
    zoomMap.dataset.layer = layer.name;
    zoomMap.dataset.channel = String(channel);
    this.zoomed = { layer: layerIndex, channel };
    this.zoomLabel.textContent = `${layer.name} (${layer.kind}), channel ${channel + 1} of ${c}: ${w}\u00d7${h} ` +
      `pixels; white is ${layer.scale.toPrecision(3)}` +
      `${layer.signed ? `, black \u2212${layer.scale.toPrecision(3)}` : ", black 0"}.`;
  }

  // One unit of a dense layer, or one output: its value large, in words, and (for an
  // output) its name.
  #zoomUnit(layerIndex, unit) {
    const layer = this.result?.layers[layerIndex];
    if (!layer) return;
    const value = layer.values[unit];
    const output = layer.kind === "softmax";
    const name = output ? outputNames(this.card, layer.values.length)[unit] : null;
    this.zoomMap.hidden = true;
    this.zoomValue.hidden = false;
    this.zoomValue.replaceChildren(...(output ? [element("span", "zoom-name", name)] : []),
      element("span", "zoom-number", output ? percent(value) : figure(value)));
    this.zoomed = output ? { layer: layerIndex, output: unit } : { layer: layerIndex, unit };
    this.zoomLabel.textContent = output
      ? `${layer.name} (${layer.kind}), output ${unit + 1} of ${layer.values.length}, \u201c${name}\u201d: ` +
        `${percent(value)}.`
      : `${layer.name} (${layer.kind}), unit ${unit + 1} of ${layer.values.length}: ${figure(value)}.`;
    if (!output) this.#markUnit(layerIndex, unit);
  }

  // The unit shown, outlined on its layer's picture.
  #markUnit(layerIndex, unit) {
    const item = this.layers.children[layerIndex];
    const canvas = item.querySelector(".units");
    const marker = item.querySelector(".unit-marker");
    marker.hidden = false;
    marker.style.left = percent((unit % canvas.width) / canvas.width);
    marker.style.top = percent(Math.floor(unit / canvas.width) / canvas.height);
    marker.style.width = percent(1 / canvas.width);
    marker.style.height = percent(1 / canvas.height);
  }

  // Whether a pointer event comes from a pointer that has not moved since the detail opened.
  #resting(event) {
    return event.type.startsWith("pointer") && event.type !== "pointerdown" &&
      `${event.clientX},${event.clientY}` === this.resting;
  }

  #zoomTarget(event) {
    if (this.#resting(event)) return;
    const button = event.target.closest(".map");
    if (button) this.#zoom(Number(button.dataset.layer), Number(button.dataset.channel));
    const row = event.target.closest(".output");
    if (row) this.#zoomUnit(Number(row.dataset.layer), Number(row.dataset.output));
    const units = event.target.closest(".units");
    if (units && event.type === "focusin") {
      const layer = Number(units.dataset.layer);
      this.#zoomUnit(layer, this.zoomed?.layer === layer ? this.zoomed.unit : 0);
    }
  }

  // A dense layer's units: the one under the pointer (or the finger), large.
  #pointUnit(event) {
    const canvas = event.target.closest(".units");
    if (!canvas || !this.result || this.#resting(event)) return;
    const layer = this.result.layers[Number(canvas.dataset.layer)];
    const rect = canvas.getBoundingClientRect();
    const column = Math.min(canvas.width - 1, Math.floor(((event.clientX - rect.left) / rect.width) * canvas.width));
    const row = Math.min(canvas.height - 1, Math.floor(((event.clientY - rect.top) / rect.height) * canvas.height));
    this.#zoomUnit(Number(canvas.dataset.layer), Math.max(0, Math.min(row * canvas.width + column, layer.values.length - 1)));
  }

  // Arrow keys between the maps of a layer, or its units: one Tab stop a layer.
  #arrows(event) {
    const units = event.target.closest(".units");
    if (units) {
      this.#moveUnit(event, units);
      return;
    }
    this.#roam(event, ".map");
  }

  #moveUnit(event, canvas) {
    const layer = Number(canvas.dataset.layer);
    const count = this.result?.layers[layer].values.length ?? 0;
    const unit = this.zoomed?.layer === layer && this.zoomed.unit !== undefined ? this.zoomed.unit : 0;
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: canvas.width, ArrowUp: -canvas.width };
    let next = null;
    if (event.key in moves) next = unit + moves[event.key];
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = count - 1;
    if (next === null || count === 0) return;
    event.preventDefault();
    this.#zoomUnit(layer, Math.max(0, Math.min(count - 1, next)));
  }

  // Arrow keys between buttons of one kind (the overview's columns, a layer's maps):
  // one Tab stop for them all. Across a grid, up and down move by its row.
  #roam(event, selector) {
    const button = event.target.closest(selector);
    if (!button) return;
    const buttons = selector === ".map" ? [...button.parentElement.children]
      : [...this.flow.querySelectorAll(selector)];
    const columns = selector === ".map"
      ? Math.max(1, Math.round(button.parentElement.clientWidth / button.offsetWidth)) : 1;
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
