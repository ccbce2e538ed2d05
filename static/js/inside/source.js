// @ts-check
// The overview's first column: the 28x28 pixels the network is given, and which of them
// mattered to its answer (occlusion: /explain's attribution).

import { paintGrey } from "./dom.js";

/** @typedef {import("./layers.js").Explanation} Explanation */

const FOR = [220, 38, 38];      // red: hiding this ink lowers the answer's odds
const AGAINST = [37, 99, 235];  // blue: it raises them

export class Source {
  /**
   * @param {{ input: HTMLCanvasElement, heatmap: HTMLCanvasElement, legendFor: HTMLElement }} parts
   */
  constructor({ input, heatmap, legendFor }) {
    this.input = input;
    this.heatmap = heatmap;
    this.legendFor = legendFor;
  }

  /** @param {Explanation} result */
  show(result) {
    paintGrey(this.input, result.input.flat().map((v) => Math.round(255 * v)));
    this.#paintHeatmap(result);
  }

  clear() {
    for (const canvas of [this.input, this.heatmap]) canvas.getContext("2d").clearRect(0, 0, 28, 28);
    delete this.heatmap.dataset.digit;
    this.legendFor.textContent = "for";
  }

  // Red for, blue against, over a faint copy of the ink; the stronger, the more opaque.
  /** @param {Explanation} result */
  #paintHeatmap(result) {
    const ctx = this.heatmap.getContext("2d");
    const image = ctx.createImageData(28, 28);
    const input = result.input.flat();
    result.attribution.flat().forEach((a, i) => {
      const paper = 255 - 70 * input[i];
      const colour = a >= 0 ? FOR : AGAINST;
      const t = Math.min(1, Math.abs(a));
      image.data.set([...colour.map((c) => Math.round(paper + (c - paper) * t)), 255], 4 * i);
    });
    ctx.putImageData(image, 0, 0);
    this.heatmap.dataset.digit = String(result.digit);
    this.legendFor.textContent = `for ${result.label}`;
  }
}
