// @ts-check
// The drawing pad: strokes drawn with mouse, finger or pen (pointer events), an uploaded
// picture under them, undo and clear, and what the service is sent: the strokes, or a PNG.

/**
 * What the service is sent (see DrawingPad.image), and once shown, the uploaded picture.
 * @typedef {object} Image
 * @property {BodyInit} body
 * @property {Record<string, string>} headers
 * @property {HTMLCanvasElement | null} [canvas]
 * @property {Promise<HTMLImageElement | null>} [ready]
 * @property {HTMLImageElement | null} [picture]
 */

const EXPORT_SIZE = 280;   // px of the PNG sent to the service
const PEN_WIDTH = 1 / 14;  // of the pad's side: a finger's width on a phone
const INK = "#111827";
const PAPER = "#ffffff";

// The canvas as a PNG Blob, encoded at once. Not toBlob(): Chromium encodes that in the
// page's idle time, and while the page is busy (a look inside repainting) it waits up to a
// second to start, and up to five to finish: the answer to the last stroke came that late.
export function png(canvas) {
  const url = canvas.toDataURL("image/png");
  const bytes = Uint8Array.from(atob(url.slice(url.indexOf(",") + 1)), (c) => c.charCodeAt(0));
  return new Blob([bytes], { type: "image/png" });
}

export class DrawingPad {
  // onEdit: the drawing changed (a stroke ended, undo, clear); onMove: the pen moved
  // while drawing; onResize: the pad changed size (what lies over it must follow).
  constructor({ pad, wrap, hint, undoButton, clearButton }, { onEdit, onMove, onResize }) {
    this.pad = pad;
    this.wrap = wrap;
    this.hint = hint;
    this.undoButton = undoButton;
    this.clearButton = clearButton;
    this.onEdit = onEdit;
    this.onMove = onMove;
    this.onResize = onResize;
    this.ctx = pad.getContext("2d");
    this.strokes = [];    // each a list of {x, y} in CSS pixels of the pad
    this.current = null;  // the stroke being drawn
    this.picture = null;  // an uploaded image, drawn under the strokes, once loaded
    this.file = null;     // that image's file, sent as it is while nothing is drawn over it
    this.loading = null;  // resolves to the picture once loaded

    pad.addEventListener("pointerdown", (event) => this.#down(event));
    pad.addEventListener("pointermove", (event) => this.#move(event));
    pad.addEventListener("pointerup", () => this.#up());
    pad.addEventListener("pointercancel", () => this.#up());
    undoButton.addEventListener("click", () => this.undo());
    clearButton.addEventListener("click", () => this.clear());
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        this.clear();
      } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z" && !event.shiftKey) {
        event.preventDefault();
        this.undo();
      }
    });
    new ResizeObserver(() => {
      this.#fit();
      this.onResize();
    }).observe(pad);
    this.#fit();
    this.#updateControls();
  }

  get size() {
    return this.pad.clientWidth;
  }

  get isEmpty() {
    return !this.file && this.strokes.length === 0 && !this.current;
  }

  get isDrawing() {
    return this.current !== null;
  }

  setLabel(label) {
    if (label) this.pad.setAttribute("aria-label", label);
  }

  undo() {
    if (this.strokes.length === 0) return;
    this.strokes.pop();
    this.#edited();
  }

  clear() {
    this.strokes = [];
    this.current = null;
    this.picture = null;
    this.file = null;
    this.#edited();
  }

  // An image file on the pad, in place of the drawing. Resolves to the image once the
  // pad shows it, or to null if the browser can't show it (the service may still read it).
  setPicture(file) {
    this.strokes = [];
    this.current = null;
    this.picture = null;
    this.file = file;
    this.#updateControls();
    this.loading = new Promise((resolve) => {
      const url = URL.createObjectURL(file);
      const image = new Image();
      image.onload = () => {
        if (this.file === file) {
          this.picture = image;
          this.#redraw();
        }
        resolve(image);
      };
      image.onerror = () => {
        URL.revokeObjectURL(url);
        resolve(null);
      };
      image.src = url;
    });
    return this.loading;
  }

  // What to send: the file while nothing is drawn over it; a drawing's strokes (the
  // service draws them as the pad does, sparing a PNG's encoding here and its decoding
  // there); the pad as a PNG where strokes are drawn over a picture. An image is { body,
  // headers, canvas: the pad as sent, EXPORT_SIZE square (null for a file), ready:
  // resolves to the uploaded picture once the pad shows it (null for a drawing) }.
  async image() {
    if (this.file && this.strokes.length === 0 && !this.current) {
      const body = new FormData();
      body.append("file", this.file);
      return { body, headers: {}, canvas: null, ready: this.loading };
    }
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = EXPORT_SIZE;
    canvas.getContext("2d").drawImage(this.pad, 0, 0, EXPORT_SIZE, EXPORT_SIZE);
    const ready = Promise.resolve(null);
    if (this.picture) return { body: png(canvas), headers: { "Content-Type": "image/png" }, canvas, ready };
    return { body: JSON.stringify({ ink: this.#ink() }), headers: { "Content-Type": "application/json" }, canvas, ready };
  }

  // The strokes in the sent image's pixels (EXPORT_SIZE square), to a tenth of one.
  #ink() {
    const scale = EXPORT_SIZE / this.size;
    const round = (v) => Math.round(v * scale * 10) / 10;
    const strokes = [...this.strokes, ...(this.current ? [this.current] : [])];
    return {
      width: EXPORT_SIZE,
      height: EXPORT_SIZE,
      pen: EXPORT_SIZE * PEN_WIDTH,
      strokes: strokes.map((stroke) => stroke.map((p) => [round(p.x), round(p.y)])),
    };
  }

  // Where a box in the sent image's pixels lies on the pad, in CSS pixels.
  padRect(box, image) {
    const size = this.size;
    const picture = image.picture;  // set once ready
    if (picture) {
      const scale = Math.min(size / picture.width, size / picture.height);
      const dx = (size - picture.width * scale) / 2, dy = (size - picture.height * scale) / 2;
      return box.map((v, i) => v * scale + (i === 0 ? dx : i === 1 ? dy : 0));
    }
    return box.map((v) => (v * size) / EXPORT_SIZE);
  }

  #edited() {
    this.#redraw();
    this.#updateControls();
    this.onEdit();
  }

  #point(event) {
    const rect = this.pad.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  #down(event) {
    if (event.button !== 0) return;
    event.preventDefault();
    this.pad.setPointerCapture(event.pointerId);
    this.current = [this.#point(event)];
    this.#redraw();
    this.#updateControls();
  }

  #move(event) {
    if (!this.current) return;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const e of events.length ? events : [event]) this.current.push(this.#point(e));
    this.#redraw();
    this.onMove();
  }

  #up() {
    if (!this.current) return;
    this.strokes.push(this.current);
    this.current = null;
    this.#edited();
  }

  #fit() {
    const ratio = window.devicePixelRatio || 1;
    const size = this.size;
    this.pad.width = Math.round(size * ratio);
    this.pad.height = Math.round(size * ratio);
    this.ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    this.#redraw();
  }

  #updateControls() {
    this.hint.hidden = !this.isEmpty;
    this.undoButton.disabled = this.strokes.length === 0;
    this.clearButton.disabled = this.isEmpty;
  }

  #redraw() {
    const { ctx, size } = this;
    ctx.fillStyle = PAPER;
    ctx.fillRect(0, 0, size, size);
    if (this.picture) {
      const picture = this.picture;
      const scale = Math.min(size / picture.width, size / picture.height);
      const w = picture.width * scale, h = picture.height * scale;
      ctx.drawImage(picture, (size - w) / 2, (size - h) / 2, w, h);
    }
    for (const stroke of this.strokes) this.#stroke(stroke);
    if (this.current) this.#stroke(this.current);
  }

  #stroke(points) {
    const { ctx } = this;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.lineWidth = this.size * PEN_WIDTH;
    ctx.strokeStyle = INK;
    ctx.fillStyle = INK;
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
}
