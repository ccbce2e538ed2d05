// @ts-check
// The comparison: a second model of the same task (the dense network beside the CNN)
// reads every drawing too, when the switch is on; the page says what each of them says,
// and shows the second one's bars beside the first's. Off by default; remembered.

import { buildBars, clearBars, paintBars } from "./result.js";
import { capitalise, percent, theModel } from "./words.js";

const STORAGE_KEY = "digitpad.compare";

function remembered() {
  try {
    return localStorage.getItem(STORAGE_KEY) === "on";
  } catch (error) {
    return false;  // storage off: off, as by default
  }
}

function remember(on) {
  try {
    localStorage.setItem(STORAGE_KEY, on ? "on" : "off");
  } catch (error) {
    // storage off: not remembered
  }
}

// What one answer says, in words: "the dense network says 4 (71.0%)".
function says(model, answer) {
  if (answer.is_digit === false) {
    return `${theModel(model)} says it isn't a digit (${percent(answer.not_digit_score)} sure)`;
  }
  return `${theModel(model)} says ${answer.label} (${percent(answer.confidence)})`;
}

// What /read said: one digit as /predict would; a number as a number.
function reads(model, reading) {
  if (reading.digits.length === 1) return says(model, reading.digits[0]);
  if (reading.number !== null) return `${theModel(model)} reads ${reading.number}`;
  return `${theModel(model)} says part of it isn't a digit`;
}

// A model's title from its card when it has one, else from the page's list.
const titled = (model, card) => ({ ...model, title: card?.title || model.title });

export class Comparison {
  // models: every model served; cards(name): a model's card; onChange(on): switched.
  constructor({ control, toggle, label, summary, mainTitle, set, title, bars }, models, { cards, onChange }) {
    this.control = control;
    this.toggle = toggle;
    this.label = label;
    this.summary = summary;
    this.mainTitle = mainTitle;
    this.set = set;
    this.title = title;
    this.bars = bars;
    this.models = models;
    this.cards = cards;
    this.model = null;      // the model of the mode
    this.available = null;  // the model it can be compared with, or null
    toggle.checked = remembered();
    toggle.addEventListener("change", () => {
      remember(toggle.checked);
      this.#layout();
      onChange(toggle.checked);
    });
  }

  // The model compared with the mode's model, while the switch is on; else null.
  get partner() {
    return this.toggle.checked ? this.available : null;
  }

  // The mode's model: the switch is there when another model of its task is served.
  useModel(model) {
    this.model = model;
    this.available = this.models.find((m) => m.task === model.task && m.name !== model.name) || null;
    this.control.hidden = !this.available;
    if (this.available) this.label.textContent = `Compare with ${theModel(this.available)}`;
    this.#layout();
  }

  // The mode's model answered (answer: see Reader), and the compared one (compared).
  show(answer, compared) {
    if (!this.partner || compared.model !== this.partner) return;
    const main = titled(answer.model, answer.card);
    const other = titled(compared.model, compared.card);
    this.mainTitle.textContent = capitalise(main.title || main.name);
    this.title.textContent = capitalise(other.title || other.name);
    const mainWords = answer.kind === "reading" ? reads(main, answer.result) : says(main, answer.result);
    if (compared.problem) {
      this.summary.textContent = `${capitalise(theModel(other))} couldn't read it: ${compared.problem}`;
      clearBars(this.bars);
      return;
    }
    const otherWords = compared.result.digits ? reads(other, compared.result) : says(other, compared.result);
    this.summary.textContent = `${capitalise(otherWords)}, ${mainWords}.`;
    if (compared.card && this.bars.dataset.model !== other.name) buildBars(this.bars, compared.card, other.name);
    // A number's bars: those of the digit in the same place as the one the page shows.
    const digits = compared.result.digits;
    const result = digits ? digits[Math.min(answer.selected ?? 0, digits.length - 1)] : compared.result;
    if (!result) {
      clearBars(this.bars);
      return;
    }
    paintBars(this.bars, result.probabilities, result.digit ?? result.index, result.is_digit === false);
  }

  clear() {
    this.summary.textContent = "";
    clearBars(this.bars);
  }

  // Shown while on: the second set of bars, and a title over each set.
  #layout() {
    const partner = this.partner;
    this.set.hidden = !partner;
    this.mainTitle.hidden = !partner;
    this.summary.hidden = !partner;
    if (!partner) {
      this.clear();
      return;
    }
    const main = this.model;
    this.mainTitle.textContent = capitalise(main.title || main.name);
    this.title.textContent = capitalise(partner.title || partner.name);
    this.cards(partner.name).then((card) => {
      if (this.partner === partner && this.bars.dataset.model !== partner.name) buildBars(this.bars, card, partner.name);
    }).catch(() => {});
  }
}
