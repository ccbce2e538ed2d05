// digitpad: draw on the pad, and the service's reading appears as you draw: one
// digit, or a number with a box over each digit; or, switched to clothes, a piece of
// clothing read by the second model.
"use strict";

const EXPORT_SIZE = 280;     // px of the PNG sent to the service
const LIVE_INTERVAL = 150;   // ms between predictions while the pen moves
const PEN_WIDTH = 1 / 14;    // of the pad's side: a finger's width on a phone
const INK = "#111827";
const percent = (p) => `${(100 * p).toFixed(1)}%`;

const pad = document.getElementById("pad");
const wrap = document.getElementById("pad-wrap");
const hint = document.getElementById("hint");
const ctx = pad.getContext("2d");
const predictionEl = document.getElementById("prediction");
const answerEl = document.getElementById("answer");
const summaryEl = document.getElementById("summary");
const guessEl = document.getElementById("guess");
const barsEl = document.getElementById("bars");
const boxesEl = document.getElementById("boxes");
const detailEl = document.getElementById("detail");
const timingEl = document.getElementById("timing");
const errorEl = document.getElementById("error");
const seen = document.getElementById("seen");
const bars = [...document.querySelectorAll(".bar")];
const undoButton = document.getElementById("undo");
const clearButton = document.getElementById("clear");
const uploadInput = document.getElementById("upload");
const modeInputs = [...document.querySelectorAll('input[name="mode"]')];

const state = {
  strokes: [],        // each a list of {x, y} in CSS pixels of the pad
  current: null,      // the stroke being drawn
  background: null,   // an uploaded image, drawn under the strokes
  sent: 0,            // sequence number of the latest request
  shown: 0,           // sequence number of the response on screen
  inFlight: false,
  lastLive: 0,
  reading: null,      // the latest answer of /read
  sentImage: null,   // what it answered: the body sent, and the pad as sent
  selected: 0,        // which of its digits the bars and the 28x28 view show
  mode: "digits",     // which model reads the pad: digits, or fashion (clothes)
  file: null,         // the uploaded file on the pad, to read again in the other mode
};

// ---- drawing ---------------------------------------------------------------

function padSize() {
  return pad.clientWidth;
}

function resizePad() {
  const ratio = window.devicePixelRatio || 1;
  const size = padSize();
  pad.width = Math.round(size * ratio);
  pad.height = Math.round(size * ratio);
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  redraw();
  if (state.reading && state.reading.digits.length > 1) drawBoxes(state.reading.digits);
}

function strokeStyle() {
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.lineWidth = padSize() * PEN_WIDTH;
  ctx.strokeStyle = INK;
  ctx.fillStyle = INK;
}

function drawStroke(points) {
  strokeStyle();
  if (points.length === 1) {
    ctx.beginPath();
    ctx.arc(points[0].x, points[0].y, ctx.lineWidth / 2, 0, 2 * Math.PI);
    ctx.fill();
    return;
  }
  // Quadratic curves through the midpoints: smooth lines from sparse pointer events.
  ctx.beginPath();
  ctx.moveTo(points[0].x, points[0].y);
  for (let i = 1; i < points.length - 1; i++) {
    const mid = { x: (points[i].x + points[i + 1].x) / 2, y: (points[i].y + points[i + 1].y) / 2 };
    ctx.quadraticCurveTo(points[i].x, points[i].y, mid.x, mid.y);
  }
  const last = points[points.length - 1];
  ctx.lineTo(last.x, last.y);
  ctx.stroke();
}

function drawBackground(target, size) {
  const image = state.background;
  const scale = Math.min(size / image.width, size / image.height);
  const w = image.width * scale, h = image.height * scale;
  target.drawImage(image, (size - w) / 2, (size - h) / 2, w, h);
}

function redraw() {
  const size = padSize();
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, size, size);
  if (state.background) drawBackground(ctx, size);
  for (const stroke of state.strokes) drawStroke(stroke);
  if (state.current) drawStroke(state.current);
}

function isEmpty() {
  return !state.background && state.strokes.length === 0 && !state.current;
}

function updateControls() {
  hint.hidden = !isEmpty();
  undoButton.disabled = state.strokes.length === 0;
  clearButton.disabled = isEmpty();
}

function pointFrom(event) {
  const rect = pad.getBoundingClientRect();
  return { x: event.clientX - rect.left, y: event.clientY - rect.top };
}

pad.addEventListener("pointerdown", (event) => {
  if (event.button !== 0) return;
  event.preventDefault();
  pad.setPointerCapture(event.pointerId);
  state.current = [pointFrom(event)];
  redraw();
  updateControls();
});

pad.addEventListener("pointermove", (event) => {
  if (!state.current) return;
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
  for (const e of events.length ? events : [event]) state.current.push(pointFrom(e));
  redraw();
  const now = performance.now();
  if (!state.inFlight && now - state.lastLive >= LIVE_INTERVAL) {
    state.lastLive = now;
    predictDrawing();
  }
});

function endStroke() {
  if (!state.current) return;
  state.strokes.push(state.current);
  state.current = null;
  redraw();
  updateControls();
  predictDrawing();
}
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointercancel", endStroke);

function undo() {
  if (state.strokes.length === 0) return;
  state.strokes.pop();
  afterEdit();
}

function clear() {
  state.strokes = [];
  state.current = null;
  state.background = null;
  state.file = null;
  afterEdit();
}

function afterEdit() {
  redraw();
  updateControls();
  if (isEmpty()) showEmpty();
  else predictDrawing();
}

undoButton.addEventListener("click", undo);
clearButton.addEventListener("click", clear);
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    clear();
  } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z" && !event.shiftKey) {
    event.preventDefault();
    undo();
  }
});

// ---- talking to the service -----------------------------------------------

function exportDrawing() {
  const out = document.createElement("canvas");
  out.width = out.height = EXPORT_SIZE;
  out.getContext("2d").drawImage(pad, 0, 0, EXPORT_SIZE, EXPORT_SIZE);
  return out;
}

async function predictDrawing() {
  if (isEmpty()) return;
  const canvas = exportDrawing();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  await predict(blob, { "Content-Type": "image/png" }, canvas);
}

async function predictFile(file) {
  const body = new FormData();
  body.append("file", file);
  await predict(body, {}, null);
}

// Where a box in the sent image's pixels lies on the pad, in CSS pixels.
function padRect(box) {
  const size = padSize();
  if (state.background && state.strokes.length === 0) {
    const image = state.background;
    const scale = Math.min(size / image.width, size / image.height);
    const dx = (size - image.width * scale) / 2, dy = (size - image.height * scale) / 2;
    return box.map((v, i) => v * scale + (i === 0 ? dx : i === 1 ? dy : 0));
  }
  return box.map((v) => (v * size) / EXPORT_SIZE);
}

// Responses can arrive out of order; only one newer than what is shown is drawn, and
// only in the mode it was asked in. Digits go to /read (a number is several digits);
// clothes to /predict with their model. `canvas` is the pad as sent (null for an
// uploaded file), for a look inside one digit.
async function predict(body, headers, canvas) {
  const seq = ++state.sent;
  const mode = state.mode;
  state.inFlight = true;
  const started = performance.now();
  try {
    if (canvas && mode === "digits") lookInsideBeside(body, headers);
    const url = mode === "digits" ? "read?include_input=true" : `predict?model=${mode}&include_input=true`;
    const response = await fetch(url, { method: "POST", body, headers });
    const result = await response.json().catch(() => ({}));
    if (seq < state.shown || mode !== state.mode) return;
    state.shown = seq;
    if (!response.ok) {
      showProblem(response.status, result);
      return;
    }
    state.sentImage = { body, headers, canvas };
    if (mode === "digits") showResult(result, performance.now() - started);
    else showClass(result, performance.now() - started);
  } catch (error) {
    if (seq < state.shown) return;
    state.shown = seq;
    showError("Can't reach the digit reader. Is the server running? Try again in a moment.");
  } finally {
    if (seq === state.sent) state.inFlight = false;
  }
}

function showResult(reading, elapsed) {
  if (isEmpty()) return showEmpty();
  errorEl.hidden = true;
  state.reading = reading;
  state.selected = Math.min(state.selected, reading.digits.length - 1);
  const digits = reading.digits;
  const single = digits.length === 1;
  const readable = reading.number !== null;
  // Not a digit: say so, and keep the best guess quiet rather than a big confident number.
  answerEl.classList.toggle("not-digit", !readable);
  answerEl.classList.toggle("number", digits.length > 2);
  predictionEl.dataset.isDigit = String(readable);
  predictionEl.textContent = readable ? reading.number : "?";
  guessEl.hidden = readable;
  if (single && readable) {
    summaryEl.textContent = `It's a ${digits[0].digit}, ${percent(digits[0].confidence)} sure.`;
  } else if (readable) {
    summaryEl.textContent = `It's ${reading.number}: ${digits.length} digits.`;
  } else if (single || digits.every((d) => !d.is_digit)) {
    summaryEl.textContent = "That doesn't look like a digit.";
    guessEl.textContent = `Best guess, if it is one: ${digits.map((d) => d.digit).join("")} ` +
      `(${percent(Math.min(...digits.map((d) => d.not_digit_score)))} sure it isn't).`;
  } else {
    const odd = digits.map((d, i) => (d.is_digit ? null : i + 1)).filter((i) => i !== null);
    summaryEl.textContent = `Part ${odd.join(", ")} of ${digits.length} doesn't look like a digit.`;
    guessEl.textContent = `Best guess: ${digits.map((d) => (d.is_digit ? d.digit : "?")).join("")}.`;
  }
  timingEl.textContent = `Read in ${Math.round(elapsed)} ms`;
  predictionEl.dataset.latencyMs = elapsed.toFixed(1);
  drawBoxes(single ? [] : digits);
  showDetail();
  followInside();
}

// What a model of other things than digits said: its class, by name, and its bars.
function showClass(answer, elapsed) {
  if (isEmpty()) return showEmpty();
  errorEl.hidden = true;
  state.reading = null;
  answerEl.classList.remove("not-digit", "number");
  delete predictionEl.dataset.isDigit;
  predictionEl.textContent = answer.label;
  guessEl.hidden = true;
  const article = /^[aeiou]/i.test(answer.label) ? "an" : "a";
  summaryEl.textContent = `It looks like ${article} ${answer.label}, ${percent(answer.confidence)} sure.`;
  timingEl.textContent = `Read in ${Math.round(elapsed)} ms`;
  predictionEl.dataset.latencyMs = elapsed.toFixed(1);
  boxesEl.replaceChildren();
  detailEl.textContent = "";
  barsEl.classList.remove("muted");
  answer.probabilities.forEach((p, i) => {
    bars[i].querySelector(".bar-fill").style.width = percent(p);
    bars[i].querySelector(".bar-value").textContent = percent(p);
    bars[i].classList.toggle("top", i === answer.index);
  });
  drawSeen(answer.input);
}

// One button per digit over the pad: its reading as a label; choosing it shows its bars.
function drawBoxes(digits) {
  boxesEl.replaceChildren(...digits.map((d, i) => {
    const [x, y, w, h] = padRect(d.box);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "box";
    button.classList.toggle("odd", !d.is_digit);
    button.classList.toggle("selected", i === state.selected);
    button.style.left = `${x}px`;
    button.style.top = `${y}px`;
    button.style.width = `${w}px`;
    button.style.height = `${h}px`;
    const label = d.is_digit ? String(d.digit) : "?";
    button.dataset.label = label;
    button.setAttribute("aria-label", `Digit ${i + 1}: ${d.is_digit ? d.digit : "not a digit"}`);
    button.addEventListener("click", () => select(i));
    return button;
  }));
}

function select(index) {
  state.selected = index;
  [...boxesEl.children].forEach((b, i) => b.classList.toggle("selected", i === index));
  showDetail();
  followInside();
}

// The bars and the 28x28 view of the selected digit.
function showDetail() {
  const digits = state.reading.digits;
  const d = digits[state.selected];
  detailEl.textContent = digits.length > 1 ? `Digit ${state.selected + 1} of ${digits.length}` : "";
  barsEl.classList.toggle("muted", !d.is_digit);
  d.probabilities.forEach((p, digit) => {
    bars[digit].querySelector(".bar-fill").style.width = percent(p);
    bars[digit].querySelector(".bar-value").textContent = percent(p);
    bars[digit].classList.toggle("top", digit === d.digit);
  });
  if (d.input) drawSeen(d.input);
}

function drawSeen(input) {
  const seenCtx = seen.getContext("2d");
  const image = seenCtx.createImageData(28, 28);
  input.flat().forEach((v, i) => {
    const level = Math.round(255 * v);
    image.data.set([level, level, level, 255], 4 * i);
  });
  seenCtx.putImageData(image, 0, 0);
}

function resetResult() {
  predictionEl.textContent = "";
  delete predictionEl.dataset.latencyMs;
  delete predictionEl.dataset.isDigit;
  answerEl.classList.remove("not-digit", "number");
  barsEl.classList.remove("muted");
  guessEl.hidden = true;
  state.reading = null;
  state.selected = 0;
  boxesEl.replaceChildren();
  detailEl.textContent = "";
  timingEl.textContent = "";
  for (const bar of bars) {
    bar.querySelector(".bar-fill").style.width = "0";
    bar.querySelector(".bar-value").textContent = "–";
    bar.classList.remove("top");
  }
  seen.getContext("2d").clearRect(0, 0, 28, 28);
  clearInside();
}

function showEmpty() {
  state.shown = ++state.sent;  // whatever is still on its way is now stale
  state.inFlight = false;
  resetResult();
  errorEl.hidden = true;
  summaryEl.textContent = "Nothing drawn yet.";
}

function showError(message) {
  resetResult();
  summaryEl.textContent = "No prediction.";
  errorEl.textContent = message;
  errorEl.hidden = false;
}

function showProblem(status, problem) {
  const reasons = {
    no_ink: "I can't see a digit there: draw a little bigger or darker.",
    too_many_digits: "That's more digits than I read at once.",
    image_too_large: "That image is too large.",
    body_too_large: "That image is too large.",
    unsupported_image_type: "That kind of file isn't supported: use a PNG, JPEG or WebP image.",
    unsupported_media_type: "That kind of file isn't supported: use a PNG, JPEG or WebP image.",
  };
  const detail = problem.detail || "";
  showError(reasons[problem.code] ||
    (detail ? `${detail[0].toUpperCase()}${detail.slice(1)}.` : `The server answered ${status}.`));
}

// ---- look inside: every layer of the network, for the drawing on the pad ----------

const insideEl = document.getElementById("inside");
const insideStatus = document.getElementById("inside-status");
const insideInput = document.getElementById("inside-input");
const heatmap = document.getElementById("heatmap");
const legendFor = document.getElementById("legend-for");
const layersEl = document.getElementById("layers");
const zoomMap = document.getElementById("zoom-map");
const zoomLabel = document.getElementById("zoom-label");
const OUTPUT_NAMES = [..."0123456789", "not a digit", "several digits"];
const UNIT_COLUMNS = 32;  // units per row of a dense layer's picture
const inside = {
  request: null,      // the AbortController of the latest /explain request
  body: null,         // and what it sent
  result: null,       // the latest answer of /explain
  builtFor: "",       // the layers the list below was built for
  zoomed: null,       // [layer, channel] of the map shown large
  renders: 0,
};

const times = (shape) => shape.join("\u00d7");
const plural = (n, word) => `${n.toLocaleString("en")} ${word}${n === 1 ? "" : "s"}`;

// One line of plain words per kind of layer.
function caption(layer, previous) {
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
    case "flatten": return `Flatten: the maps before, laid end to end as one row of ${layer.shape[0]} numbers ` +
      "(shown in rows of 32).";
    case "dense": return `Dense: ${layer.shape[0]} units, each a weighted sum of every number before: here the ` +
      "parts found so far are combined into evidence for whole digits.";
    case "dropout": return "Dropout: in training it switched off units at random, so that no single unit could " +
      "be relied on; when reading, it passes everything through unchanged.";
    case "softmax": return `Softmax: ${layer.shape[0]} scores turned into probabilities that add up to 1: the ten ` +
      "digits, \u201cnot a digit\u201d and \u201cseveral digits\u201d.";
    default: return "";
  }
}

function isMaps(layer) {
  return layer.shape.length === 3;
}

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

// The list of layers, built once for the served model: later answers only repaint it.
function buildLayers(layers) {
  layersEl.replaceChildren(...layers.map((layer, index) => {
    const item = element("li", "layer");
    item.dataset.kind = layer.kind;
    item.dataset.name = layer.name;
    const title = element("h3", "layer-title");
    title.append(element("span", "layer-name", layer.name), element("span", "layer-kind", layer.kind),
      element("span", "layer-shape", `${times(layer.shape)} \u00b7 ${plural(layer.parameters, "parameter")}`));
    item.append(title, element("p", "layer-caption", caption(layer, index > 0)));
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
      OUTPUT_NAMES.slice(0, layer.shape[0]).forEach((name) => {
        const row = element("li", "output");
        row.append(element("span", "output-name", name), element("span", "bar-track"), element("span", "bar-value", "\u2013"));
        row.children[1].append(element("span", "bar-fill"));
        outputs.append(row);
      });
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
  inside.builtFor = layers.map((l) => l.name).join();
}

// A grey level as the API sends it: 0 at mid-grey for a signed layer, else at black.
function level(value, layer) {
  const unit = layer.scale > 0 ? value / layer.scale : 0;
  return Math.round(layer.signed ? 127.5 + 127.5 * unit : 255 * unit);
}

// Resolves once every layer's new picture is decoded and on screen.
function paintLayers(result) {
  const pictures = [];
  result.layers.forEach((layer, index) => {
    const item = layersEl.children[index];
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
      const canvas = item.querySelector("canvas");
      const image = canvas.getContext("2d").createImageData(canvas.width, canvas.height);
      layer.values.forEach((value, i) => {
        const grey = level(value, layer);
        image.data.set([grey, grey, grey, 255], 4 * i);
      });
      canvas.getContext("2d").putImageData(image, 0, 0);
    }
  });
  return Promise.all(pictures);
}

function paintInput(input) {
  const image = insideInput.getContext("2d").createImageData(28, 28);
  input.flat().forEach((v, i) => {
    const grey = Math.round(255 * v);
    image.data.set([grey, grey, grey, 255], 4 * i);
  });
  insideInput.getContext("2d").putImageData(image, 0, 0);
}

// Red for, blue against, over a faint copy of the ink; the stronger, the more opaque.
function paintHeatmap(result) {
  const image = heatmap.getContext("2d").createImageData(28, 28);
  const input = result.input.flat();
  result.attribution.flat().forEach((a, i) => {
    const paper = 255 - 70 * input[i];
    const colour = a >= 0 ? [220, 38, 38] : [37, 99, 235];
    const t = Math.min(1, Math.abs(a));
    image.data.set([...colour.map((c) => Math.round(paper + (c - paper) * t)), 255], 4 * i);
  });
  heatmap.getContext("2d").putImageData(image, 0, 0);
  heatmap.dataset.digit = String(result.digit);
  legendFor.textContent = `for ${result.digit}`;
}

// One feature map, large, with its layer and channel.
function zoom(layerIndex, channel) {
  const result = inside.result;
  if (!result) return;
  const layer = result.layers[layerIndex];
  const [h, w, c] = layer.shape;
  zoomMap.width = w;
  zoomMap.height = h;
  const x = (channel % layer.columns) * w, y = Math.floor(channel / layer.columns) * h;
  const picture = layersEl.children[layerIndex].querySelector(".maps-image");
  zoomMap.getContext("2d").drawImage(picture, x, y, w, h, 0, 0, w, h);
  zoomMap.dataset.layer = layer.name;
  zoomMap.dataset.channel = String(channel);
  inside.zoomed = [layerIndex, channel];
  zoomLabel.textContent = `${layer.name} (${layer.kind}), channel ${channel + 1} of ${c}: ${w}\u00d7${h} pixels; ` +
    `white is ${layer.scale.toPrecision(3)}${layer.signed ? `, black \u2212${layer.scale.toPrecision(3)}` : ", black 0"}.`;
}

function zoomTarget(event) {
  const button = event.target.closest(".map");
  if (button) zoom(Number(button.dataset.layer), Number(button.dataset.channel));
}
layersEl.addEventListener("pointerover", zoomTarget);
layersEl.addEventListener("focusin", zoomTarget);
layersEl.addEventListener("click", zoomTarget);

// A dense layer's units: the one under the pointer, in words.
layersEl.addEventListener("pointermove", (event) => {
  const canvas = event.target.closest(".units");
  if (!canvas || !inside.result) return;
  const layer = inside.result.layers[Number(canvas.dataset.layer)];
  const rect = canvas.getBoundingClientRect();
  const column = Math.floor(((event.clientX - rect.left) / rect.width) * canvas.width);
  const row = Math.floor(((event.clientY - rect.top) / rect.height) * canvas.height);
  const unit = Math.min(row * canvas.width + column, layer.values.length - 1);
  zoomLabel.textContent = `${layer.name} (${layer.kind}), unit ${unit + 1} of ${layer.values.length}: ` +
    `${layer.values[unit]}.`;
});

// Arrow keys between the maps of a layer: one Tab stop a layer, not one a map.
layersEl.addEventListener("keydown", (event) => {
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
});

async function showInside(result, elapsed, signal) {
  inside.result = result;
  if (inside.builtFor !== result.layers.map((l) => l.name).join()) buildLayers(result.layers);
  paintInput(result.input);
  paintHeatmap(result);
  await paintLayers(result);
  if (signal.aborted) return;  // a newer drawing's pictures replaced these meanwhile
  layersEl.hidden = false;
  if (inside.zoomed) zoom(...inside.zoomed);  // the map chosen, as it is now
  const answer = result.is_digit ? `reads it as a ${result.digit}` : `doesn't see a digit (best guess ${result.digit})`;
  insideStatus.textContent = `The network ${answer}: ${result.layers.length} layers, looked inside in ` +
    `${Math.round(elapsed)} ms.`;
  insideEl.dataset.rendered = String(++inside.renders);
}

// What to explain: the image sent to /read; for a number, the chosen digit's box of it.
async function insideRequest() {
  const { body, headers, canvas } = state.sentImage;
  const digits = state.reading.digits;
  if (digits.length === 1) return { body, headers };
  const [x, y, w, h] = digits[state.selected].box;
  const crop = document.createElement("canvas");
  const crop2d = crop.getContext("2d");
  if (canvas) {  // the pad: white paper around the digit's box
    const margin = Math.round(0.2 * Math.max(w, h));
    crop.width = w + 2 * margin;
    crop.height = h + 2 * margin;
    crop2d.fillStyle = "#ffffff";
    crop2d.fillRect(0, 0, crop.width, crop.height);
    crop2d.drawImage(canvas, x, y, w, h, margin, margin, w, h);
  } else {  // an uploaded image: its own paper around the box, as far as the image goes
    const image = state.background;
    const margin = Math.round(0.2 * Math.max(w, h));
    const left = Math.max(0, x - margin), top = Math.max(0, y - margin);
    crop.width = Math.min(image.naturalWidth, x + w + margin) - left;
    crop.height = Math.min(image.naturalHeight, y + h + margin) - top;
    crop2d.drawImage(image, left, top, crop.width, crop.height, 0, 0, crop.width, crop.height);
  }
  return { body: await new Promise((resolve) => crop.toBlob(resolve, "image/png")), headers: { "Content-Type": "image/png" } };
}

// Follows the drawing, stroke by stroke (not while the pen moves: a look inside takes the
// server ~17 ms, and one still running when the pen lifts would delay the one that
// counts). A new reading cancels the look inside at the one before, whose drawing is out
// of date, rather than waiting for it.
function followInside() {
  if (!insideEl.open || !state.reading || !state.sentImage || state.current) return;
  const single = state.reading.digits.length === 1;
  if (single && inside.body === state.sentImage.body) return;  // on its way already, sent beside /read
  lookInside(insideRequest());
}

// While the drawing is one digit, the pad's image goes to /explain as it goes to /read,
// side by side, rather than after /read's answer.
function lookInsideBeside(body, headers) {
  if (insideEl.open && state.reading?.digits.length === 1 && !state.current) {
    lookInside(Promise.resolve({ body, headers }));
  }
}

async function lookInside(requestBody) {
  inside.request?.abort();
  const request = new AbortController();
  inside.request = request;
  const started = performance.now();
  try {
    const { body, headers } = await requestBody;
    inside.body = body;
    const response = await fetch("explain", { method: "POST", body, headers, signal: request.signal });
    const result = await response.json().catch(() => ({}));
    if (request.signal.aborted) return;
    if (!response.ok) {
      insideStatus.textContent = result.detail ? `Can't look inside: ${result.detail}.` : `The server answered ${response.status}.`;
      return;
    }
    await showInside(result, performance.now() - started, request.signal);
  } catch (error) {
    if (!request.signal.aborted) insideStatus.textContent = "Can't reach the network to look inside. Try again in a moment.";
  }
}

function clearInside() {
  inside.request?.abort();
  inside.body = null;
  inside.result = null;
  insideStatus.textContent = "Draw something to look inside.";
  for (const canvas of [insideInput, heatmap]) canvas.getContext("2d").clearRect(0, 0, 28, 28);
  delete heatmap.dataset.digit;
  layersEl.hidden = true;  // kept, to be repainted: building it again costs more
  zoomMap.width = zoomMap.height = 1;
  delete zoomMap.dataset.layer;
  inside.zoomed = null;
  zoomLabel.textContent = "Point at, tap or Tab to a map below to see it large.";
}

insideEl.addEventListener("toggle", () => {
  if (insideEl.open) followInside();
});

// ---- uploads: file picker, drag and drop, paste -----------------------------

function useImageFile(file) {
  if (!file) return;
  if (!file.type.startsWith("image/")) {
    showError("That isn't an image: choose a PNG, JPEG or WebP file.");
    return;
  }
  const url = URL.createObjectURL(file);
  const image = new Image();
  image.onload = () => {
    state.background = image;
    state.strokes = [];
    redraw();
    updateControls();
  };
  image.onerror = () => URL.revokeObjectURL(url);
  image.src = url;
  state.file = file;
  predictFile(file);
}

uploadInput.addEventListener("change", () => {
  useImageFile(uploadInput.files[0]);
  uploadInput.value = "";
});

wrap.addEventListener("dragover", (event) => {
  event.preventDefault();
  wrap.classList.add("dragging");
});
wrap.addEventListener("dragleave", () => wrap.classList.remove("dragging"));
wrap.addEventListener("drop", (event) => {
  event.preventDefault();
  wrap.classList.remove("dragging");
  useImageFile(event.dataTransfer.files[0]);
});

document.addEventListener("paste", (event) => {
  const item = [...(event.clipboardData?.items || [])].find((i) => i.type.startsWith("image/"));
  if (item) useImageFile(item.getAsFile());
});

// ---- what to read: digits, or clothes ------------------------------------------

// The mode's texts are in the page, marked data-for; the body's data-mode shows them.
function setMode(mode) {
  state.mode = mode;
  document.body.dataset.mode = mode;
  const labels = JSON.parse(modeInputs.find((input) => input.value === mode).dataset.labels);
  bars.forEach((bar, i) => { bar.querySelector(".bar-label").textContent = labels[i]; });
  pad.setAttribute("aria-label", mode === "digits" ? "Drawing pad: draw a digit here with mouse, finger or pen"
    : "Drawing pad: draw a piece of clothing here with mouse, finger or pen");
  resetResult();
  if (isEmpty()) showEmpty();
  else if (state.file && state.strokes.length === 0) predictFile(state.file);
  else predictDrawing();
}

modeInputs.forEach((input) => input.addEventListener("change", () => setMode(input.value)));

// ---- start --------------------------------------------------------------------

new ResizeObserver(resizePad).observe(pad);
resizePad();
updateControls();
