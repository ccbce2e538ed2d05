// digitpad: draw on the pad, and the service's reading appears as you draw: one
// digit, or a number with a box over each digit.
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

const state = {
  strokes: [],        // each a list of {x, y} in CSS pixels of the pad
  current: null,      // the stroke being drawn
  background: null,   // an uploaded image, drawn under the strokes
  sent: 0,            // sequence number of the latest request
  shown: 0,           // sequence number of the response on screen
  inFlight: false,
  lastLive: 0,
  reading: null,      // the latest answer of /read
  selected: 0,        // which of its digits the bars and the 28x28 view show
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
  return new Promise((resolve) => out.toBlob(resolve, "image/png"));
}

async function predictDrawing() {
  if (isEmpty()) return;
  const blob = await exportDrawing();
  await predict(blob, { "Content-Type": "image/png" });
}

async function predictFile(file) {
  const body = new FormData();
  body.append("file", file);
  await predict(body, {});
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

// Responses can arrive out of order; only one newer than what is shown is drawn.
async function predict(body, headers) {
  const seq = ++state.sent;
  state.inFlight = true;
  const started = performance.now();
  try {
    const response = await fetch("read?include_input=true", { method: "POST", body, headers });
    const result = await response.json().catch(() => ({}));
    if (seq < state.shown) return;
    state.shown = seq;
    if (!response.ok) {
      showProblem(response.status, result);
      return;
    }
    showResult(result, performance.now() - started);
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

// ---- start --------------------------------------------------------------------

new ResizeObserver(resizePad).observe(pad);
resizePad();
updateControls();
