// @ts-check
// The result: the answer in a line of words and a big digit (or number, or name), the
// bars of its probabilities, the 28x28 image the model saw, and over the pad a box per
// digit of a number: choosing a digit, by its box's tag or by its character in the big
// number, shows that digit's bars.

import { article, percent } from "./words.js";

// A list of bars, one a label of the model's card (label, track and value), for the
// model the service calls `model`.
export function buildBars(list, card, model) {
  list.replaceChildren(...card.labels.map((label, index) => {
    const bar = document.createElement("li");
    bar.className = "bar";
    bar.dataset.index = String(index);
    if (card.can?.reject) bar.dataset.digit = label;  // a model that says "not a digit" reads digits
    bar.innerHTML = '<span class="bar-label"></span><span class="bar-track"><span class="bar-fill"></span></span>' +
      '<span class="bar-value">\u2013</span>';
    bar.querySelector(".bar-label").textContent = label;
    return bar;
  }));
  list.dataset.model = model;
}

export function paintBars(list, probabilities, top, muted = false) {
  list.classList.toggle("muted", muted);
  [...list.children].forEach((bar, i) => {
    const p = probabilities[i] ?? 0;
    bar.querySelector(".bar-fill").style.width = percent(p);
    bar.querySelector(".bar-value").textContent = percent(p);
    bar.classList.toggle("top", i === top);
  });
}

export function clearBars(list) {
  list.classList.remove("muted");
  for (const bar of list.children) {
    bar.querySelector(".bar-fill").style.width = "0";
    bar.querySelector(".bar-value").textContent = "\u2013";
    bar.classList.remove("top");
  }
}

// A box's tag: its digit, at least 24x24 CSS px to the finger.
function tag(label) {
  const span = document.createElement("span");
  span.className = "box-tag";
  span.textContent = label;
  return span;
}

export class Result {
  // onSelect(index): a digit of a number was chosen.
  constructor({ answer, prediction, summary, guess, timing, error, detail, bars, boxes, seen }, { onSelect }) {
    this.answer = answer;
    this.prediction = prediction;
    this.summary = summary;
    this.guess = guess;
    this.timing = timing;
    this.error = error;
    this.detail = detail;
    this.bars = bars;
    this.boxes = boxes;
    this.seen = seen;
    this.onSelect = onSelect;
    this.reading = null;   // the latest answer of /read
    this.image = null;     // what it answered: the image sent
    this.selected = 0;     // which of its digits the bars and the 28x28 view show
  }

  // The bars for the model of the mode, from its card.
  useCard(model, card) {
    if (this.bars.dataset.model !== model.name) buildBars(this.bars, card, model.name);
  }

  // What a digit model said (/read): one digit, a number, or not a digit.
  showReading(reading, image, elapsed, padRect) {
    this.error.hidden = true;
    this.reading = reading;
    this.image = image;
    const digits = reading.digits;
    this.selected = Math.min(this.selected, digits.length - 1);
    const single = digits.length === 1;
    const readable = reading.number !== null;
    // Not a digit: say so, and keep the best guess quiet rather than a big confident number.
    this.answer.classList.toggle("not-digit", !readable);
    this.answer.classList.toggle("unsure", readable && !reading.sure);
    this.answer.classList.toggle("number", digits.length > 2);
    this.prediction.dataset.isDigit = String(readable);
    this.prediction.dataset.sure = String(reading.sure);
    this.#showNumber(readable ? reading.number : "?");
    this.guess.hidden = readable;
    const guess = digits.map((d) => (d.is_digit ? d.label : "?")).join("");
    if (readable && single) {
      this.summary.textContent = reading.sure
        ? `It's a ${digits[0].label}, ${percent(digits[0].confidence)} sure.`
        : `Looks like a ${digits[0].label}, but I'm not sure.`;
    } else if (readable) {
      this.summary.textContent = reading.sure
        ? `It's ${reading.number}: ${digits.length} digits.`
        : `Looks like ${reading.number}, but I'm not sure of every digit.`;
    } else if (single) {
      this.summary.textContent = reading.sure
        ? "That doesn't look like a digit."
        : "I'm not sure that's a digit.";
      this.guess.textContent = `Best guess, if it is one: ${digits[0].label} ` +
        `(${percent(digits[0].not_digit_score)} sure it isn't).`;
    } else {
      this.summary.textContent = `That doesn't look like a number: ${reading.reason}.`;
      this.guess.textContent = `Best guess, if it is one: ${guess}.`;
    }
    this.#timing(elapsed);
    this.layBoxes(padRect);
    this.#showDigit();
  }

  // What a model of other things than digits said (/predict): its class, by name.
  showClass(answer, elapsed) {
    this.error.hidden = true;
    this.reading = null;
    this.image = null;
    this.answer.classList.remove("not-digit", "number");
    delete this.prediction.dataset.isDigit;
    this.#showNumber(answer.label);
    this.guess.hidden = true;
    this.summary.textContent = `It looks like ${article(answer.label)} ${answer.label}, ${percent(answer.confidence)} sure.`;
    this.#timing(elapsed);
    this.boxes.replaceChildren();
    this.detail.textContent = "";
    paintBars(this.bars, answer.probabilities, answer.index);
    this.#drawSeen(answer.input);
  }

  // One button per digit of a number over the pad, its reading as its tag (a finger's
  // target: only the tag takes the pointer, so the pen draws inside the box); choosing
  // it shows its bars. Again whenever the pad changes size.
  layBoxes(padRect) {
    const digits = this.reading && this.reading.digits.length > 1 ? this.reading.digits : [];
    this.boxes.replaceChildren(...digits.map((d, i) => {
      const [x, y, w, h] = padRect(d.box, this.image);
      const button = document.createElement("button");
      button.type = "button";
      button.className = "box";
      button.classList.toggle("odd", !d.is_digit);
      button.classList.toggle("selected", i === this.selected);
      button.style.left = `${x}px`;
      button.style.top = `${y}px`;
      button.style.width = `${w}px`;
      button.style.height = `${h}px`;
      button.dataset.label = d.is_digit ? d.label : "?";
      button.append(tag(button.dataset.label));
      button.setAttribute("aria-label", `Digit ${i + 1}: ${d.is_digit ? d.label : "not a digit"}`);
      button.addEventListener("click", () => this.select(i));
      return button;
    }));
  }

  select(index) {
    this.selected = index;
    [...this.boxes.children].forEach((b, i) => b.classList.toggle("selected", i === index));
    this.#markCharacter();
    this.#showDigit();
    this.onSelect(index);
  }

  reset() {
    this.#showNumber("");
    delete this.prediction.dataset.latencyMs;
    delete this.prediction.dataset.isDigit;
    this.answer.classList.remove("not-digit", "number");
    this.guess.hidden = true;
    this.reading = null;
    this.image = null;
    this.selected = 0;
    this.boxes.replaceChildren();
    this.detail.textContent = "";
    this.timing.textContent = "";
    clearBars(this.bars);
    this.seen.getContext("2d").clearRect(0, 0, 28, 28);
  }

  showEmpty() {
    this.reset();
    this.error.hidden = true;
    this.summary.textContent = "Nothing drawn yet.";
  }

  showError(message) {
    this.reset();
    this.summary.textContent = "No prediction.";
    this.error.textContent = message;
    this.error.hidden = false;
  }

  // The big answer. A number's digits are buttons: a larger target than a box's tag,
  // and the keyboard's way to a digit beside the boxes. Otherwise it is only a picture
  // of the summary's words, hidden from screen readers.
  #showNumber(text) {
    const digits = this.reading?.digits;
    const choosable = digits && digits.length > 1 && this.reading.number === text;
    if (!choosable) {
      this.prediction.textContent = text;
      this.prediction.setAttribute("aria-hidden", "true");
      this.prediction.removeAttribute("role");
      this.prediction.removeAttribute("aria-label");
      return;
    }
    this.prediction.removeAttribute("aria-hidden");
    if (this.prediction.querySelector(".character") && this.prediction.textContent === text) {
      this.#markCharacter();  // the same number read again: the buttons kept, and the focus on them
      return;
    }
    this.prediction.setAttribute("role", "group");  // not the live status an <output> is: the summary says it
    this.prediction.setAttribute("aria-label", "The number's digits: choose one to see its probabilities");
    this.prediction.replaceChildren(...[...text].map((character, i) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "character";
      button.textContent = character;
      button.setAttribute("aria-label", `Digit ${i + 1} of ${text.length}: ${character}`);
      button.addEventListener("click", () => this.select(i));
      return button;
    }));
    this.#markCharacter();
  }

  #markCharacter() {
    [...this.prediction.querySelectorAll(".character")].forEach((button, i) => {
      button.setAttribute("aria-pressed", String(i === this.selected));
    });
  }

  #timing(elapsed) {
    this.timing.textContent = `Read in ${Math.round(elapsed)} ms`;
    this.prediction.dataset.latencyMs = elapsed.toFixed(1);
  }

  // The bars and the 28x28 view of the selected digit.
  #showDigit() {
    const digits = this.reading.digits;
    const d = digits[this.selected];
    this.detail.textContent = digits.length > 1 ? `Digit ${this.selected + 1} of ${digits.length}` : "";
    paintBars(this.bars, d.probabilities, d.digit, !d.is_digit);
    if (d.input) this.#drawSeen(d.input);
  }

  #drawSeen(input) {
    if (!input) return;
    const ctx = this.seen.getContext("2d");
    const image = ctx.createImageData(28, 28);
    input.flat().forEach((v, i) => {
      const level = Math.round(255 * v);
      image.data.set([level, level, level, 255], 4 * i);
    });
    ctx.putImageData(image, 0, 0);
  }
}
