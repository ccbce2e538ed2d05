// @ts-check
// Teach mode: the page asks for a digit ("Draw a 7"), one after the other through the
// ten, as Quick, Draw! asks for words; Keep keeps the drawing as that digit (an example,
// for the profile), clears the pad and asks for the next; Skip asks for the next without
// keeping. What it has learnt, a count a digit, is also how to choose the digit to teach.
// "Forget my handwriting" deletes every example. While learning is off, Keep asks to turn
// it on first.

import { aDigit, plural } from "./words.js";

const DIGITS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

export class Teach {
  // profile: the Profile; ask: its Ask, in the panel; model(): the model reading the pad;
  // image(): what the pad would send (a promise, see DrawingPad.image); isEmpty(): whether
  // the pad is; onKept(): a drawing was kept (the pad is cleared for the next one);
  // onForgotten(): every example was deleted.
  constructor(
    { panel, prompt, hintDigit, keepButton, skipButton, status, learnt, learntNote, forgetButton },
    { profile, ask, model, image, isEmpty, onKept, onForgotten },
  ) {
    this.panel = panel;
    this.prompt = prompt;
    this.hintDigit = hintDigit;
    this.keepButton = keepButton;
    this.skipButton = skipButton;
    this.status = status;
    this.learnt = learnt;
    this.learntNote = learntNote;
    this.forgetButton = forgetButton;
    this.profile = profile;
    this.ask = ask;
    this.model = model;
    this.image = image;
    this.isEmpty = isEmpty;
    this.onKept = onKept;
    this.onForgotten = onForgotten;
    this.on = false;
    this.asked = 0;  // the digit asked for, an index of DIGITS
    this.busy = false;
    keepButton.addEventListener("click", () => this.keep());
    skipButton.addEventListener("click", () => this.#ask(this.asked + 1));
    forgetButton.addEventListener("click", () => this.forget());
    learnt.replaceChildren(...DIGITS.map((digit, index) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "learnt-digit";
      button.dataset.digit = digit;
      button.innerHTML = '<span class="learnt-label"></span><span class="learnt-count"></span>';
      button.querySelector(".learnt-label").textContent = digit;
      button.addEventListener("click", () => this.#ask(index));
      item.append(button);
      return item;
    }));
    this.#ask(0, false);
    this.showCounts();
  }

  // Teach mode on or off.
  use(on) {
    this.on = on;
    this.panel.hidden = !on;
    this.status.textContent = "";
    this.ask.hide();
    this.edited();
  }

  // The pad changed: Keep wants a drawing.
  edited() {
    this.keepButton.disabled = this.busy || this.isEmpty();
  }

  // What it has learnt: the profile's count of each digit (and of "not a digit").
  showCounts() {
    const learning = this.profile.learning;
    const counts = this.profile.counts;
    for (const button of this.learnt.querySelectorAll(".learnt-digit")) {
      const n = counts[button.dataset.digit] || 0;
      button.querySelector(".learnt-count").textContent = learning ? `: ${plural(n, "example")}` : "";
      button.classList.toggle("has-examples", learning && n > 0);
    }
    const others = counts["not a digit"] || 0;
    this.learntNote.textContent = !learning
      ? "Learning is off: nothing is kept."
      : others ? `Not a digit: ${plural(others, "example")}.` : "";
  }

  async keep() {
    if (this.busy || this.isEmpty()) return;
    if (!this.profile.learning) {
      this.status.textContent = "";
      this.ask.show(() => this.keep());
      return;
    }
    this.ask.hide();
    const digit = DIGITS[this.asked];
    this.#busy(true);
    this.status.textContent = `Keeping your ${digit}\u2026`;
    const kept = await this.profile.keep(await this.image(), { label: digit, kind: "example", model: this.model().name });
    this.#busy(false);
    if (!kept.ok) {
      this.status.textContent = `Not kept: ${kept.words}`;
      return;
    }
    this.#ask(this.asked + 1, false);
    this.status.textContent = `Kept your ${digit}. Now draw ${aDigit(DIGITS[this.asked])}.`;
    this.onKept();
  }

  async forget() {
    if (this.busy) return;
    this.ask.hide();
    this.#busy(true);
    const forgotten = await this.profile.forget();
    this.#busy(false);
    if (!forgotten.ok) {
      this.status.textContent = `Not forgotten: ${forgotten.words}`;
      return;
    }
    this.status.textContent = forgotten.deleted
      ? `Forgot your handwriting: ${plural(forgotten.deleted, "example")} deleted.`
      : "Nothing to forget: no example is kept.";
    this.onForgotten();
  }

  // Ask for a digit (the one after 9 is 0); what was said of the last one goes, unless kept.
  #ask(index, clearStatus = true) {
    this.asked = (index + DIGITS.length) % DIGITS.length;
    const digit = DIGITS[this.asked];
    this.prompt.textContent = `Draw ${aDigit(digit)}`;
    this.hintDigit.textContent = aDigit(digit);
    for (const button of this.learnt.querySelectorAll(".learnt-digit")) {
      button.setAttribute("aria-pressed", String(button.dataset.digit === digit));
    }
    if (clearStatus) this.status.textContent = "";
  }

  #busy(on) {
    this.busy = on;
    this.forgetButton.disabled = on;
    this.edited();
  }
}
