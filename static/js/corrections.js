// @ts-check
// Correct it in one tap: under every reading of a digit model, "Wrong? It's …" with the
// ten digits and "not a digit". A tap keeps the drawing the page sent to /read with what
// it really is (a correction, for the profile), for the digit of a number chosen, and the
// pad is read again, with it. While learning is off, a tap asks to turn it on first.

import { aDigit } from "./words.js";

const LABELS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "not a digit"];

export class Corrections {
  // profile: the Profile; ask: its Ask, in the row; onKept(): a correction was kept.
  constructor({ panel, title, choices, status }, { profile, ask, onKept }) {
    this.panel = panel;
    this.title = title;
    this.choices = choices;
    this.status = status;
    this.profile = profile;
    this.ask = ask;
    this.onKept = onKept;
    this.shown = null;  // { reading, image, model, selected } of the reading on screen
    this.busy = false;
    choices.replaceChildren(...LABELS.map((label) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = label.length === 1 ? "choice" : "choice choice-words";
      button.textContent = label;
      button.dataset.label = label;
      button.addEventListener("click", () => this.correct(label));
      return button;
    }));
  }

  // A reading on screen (/read): the row under it, for its digit `selected`.
  show(reading, image, model, selected) {
    this.shown = { reading, image, model, selected };
    this.panel.hidden = false;
    this.#words();
  }

  select(selected) {
    if (!this.shown) return;
    this.shown.selected = selected;
    this.#words();
  }

  // Nothing read (nothing drawn, a problem, a model that reads something else).
  hide() {
    this.shown = null;
    this.panel.hidden = true;
    this.edited();
  }

  // The drawing changed: what was said of the one before goes.
  edited() {
    this.status.textContent = "";
    this.ask.hide();
  }

  async correct(label) {
    const shown = this.shown;
    if (!shown || this.busy) return;
    if (!this.profile.learning) {
      this.status.textContent = "";
      this.ask.show(() => this.correct(label));
      return;
    }
    this.ask.hide();
    const { reading, image, model, selected } = shown;
    const several = reading.digits.length > 1;
    const what = aDigit(label);
    this.#busy(true);
    this.status.textContent = `Keeping it as ${what}\u2026`;
    const kept = await this.profile.keep(image, {
      label, kind: "correction", part: several ? selected : null, model: model.name,
    });
    this.#busy(false);
    this.status.textContent = kept.ok
      ? `Kept: ${several ? `digit ${selected + 1} is` : "it's"} ${what}. Read again with your handwriting.`
      : `Not kept: ${kept.words}`;
    if (kept.ok) this.onKept();
  }

  #words() {
    const { reading, selected } = this.shown;
    const n = reading.digits.length;
    this.title.textContent = n > 1 ? `Wrong? Digit ${selected + 1} of ${n} is` : "Wrong? It's";
  }

  #busy(on) {
    this.busy = on;
    this.panel.setAttribute("aria-busy", String(on));
  }
}
