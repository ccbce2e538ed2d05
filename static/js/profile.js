// @ts-check
// Whose handwriting: the "Learn my handwriting" switch, the profile it names, and the
// examples kept for it (/examples). Off by default, and while off nothing is kept, asked
// or sent: no id is made, no request goes to /examples, and readings carry no
// Digitpad-Profile header. Turned on, the page makes a random, unguessable id (16 bytes
// from crypto.getRandomValues, as base64url), keeps it in this browser, and names it in
// every reading, so the service reads with the person's examples. Turned off, the id is
// kept: on again, the examples come back.

import { UNREACHABLE, problemWords } from "./words.js";

const ID_KEY = "digitpad.profile";
const LEARN_KEY = "digitpad.learn";
const HEADER = "Digitpad-Profile";

function stored(key) {
  try {
    return localStorage.getItem(key);
  } catch (error) {
    return null;  // storage off: nothing kept
  }
}

function store(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch (error) {
    // storage off: kept for this visit only
  }
}

// 16 random bytes as base64url: 22 of [A-Za-z0-9_-].
function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const VALID_ID = /^[A-Za-z0-9_-]{16,128}$/;

// A problem with /examples in words: { ok: false, words }.
const problem = (words) => ({ ok: false, words });

export class Profile {
  // toggle: the switch's checkbox. onLearning(on): switched; onExamples(): the examples
  // kept changed (or were fetched).
  constructor({ toggle }, { onLearning, onExamples }) {
    this.toggle = toggle;
    this.onLearning = onLearning;
    this.onExamples = onExamples;
    this.id = null;          // made when learning is first turned on
    this.examples = [];      // the profile's examples, oldest first (GET /examples)
    this.counts = {};        // how many of each label
    this.byId = new Map();
    this.fetched = 0;        // the latest list asked for
    const id = stored(ID_KEY);
    this.learning = stored(LEARN_KEY) === "on" && id !== null && VALID_ID.test(id);
    if (this.learning) this.id = id;
    toggle.checked = this.learning;
    toggle.addEventListener("change", () => this.setLearning(toggle.checked));
  }

  // Learning on: an id (made now if this browser has none yet), and the examples listed.
  setLearning(on) {
    if (on && !this.id) {
      const kept = stored(ID_KEY);
      this.id = kept && VALID_ID.test(kept) ? kept : newId();
      store(ID_KEY, this.id);
    }
    if (this.learning !== on) store(LEARN_KEY, on ? "on" : "off");
    this.learning = on;
    this.toggle.checked = on;
    if (on) {
      this.refresh();
    } else {
      this.#forgetList();
      this.onExamples();
    }
    this.onLearning(on);
  }

  // What a reading sends beside its body: the profile's header while learning, else none.
  headers() {
    return this.learning ? { [HEADER]: this.id } : {};
  }

  example(id) {
    return this.byId.get(id) || null;
  }

  // The examples kept, asked again; the newest list asked for wins.
  async refresh() {
    if (!this.learning) return;
    const asked = ++this.fetched;
    try {
      const response = await fetch("examples", { headers: this.headers() });
      if (!response.ok || asked !== this.fetched || !this.learning) return;
      const { examples, counts } = await response.json();
      this.examples = examples;
      this.counts = counts;
      this.byId = new Map(examples.map((e) => [e.id, e]));
      this.onExamples();
    } catch (error) {
      // the list stays as it was: the next store or refresh asks again
    }
  }

  // Keep a drawing as `label` ("0".."9" or "not a digit"): kind "example" (taught) or
  // "correction"; part: which digit of a number (none: the whole drawing); model: the
  // model that read it (null: the default). image: what the page sent to read (see
  // DrawingPad.image). { ok: true, example } or { ok: false, words }.
  async keep(image, { label, kind, part = null, model = null }) {
    if (!this.learning) return problem("Learning is off.");
    const query = { label, kind, ...(part === null ? {} : { part: String(part) }), ...(model ? { model } : {}) };
    try {
      const response = await fetch(`examples?${new URLSearchParams(query)}`, {
        method: "POST", body: image.body, headers: { ...image.headers, ...this.headers() },
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) return problem(problemWords(response.status, body));
      await this.refresh();
      return { ok: true, example: body };
    } catch (error) {
      return problem(UNREACHABLE);
    }
  }

  // Forget my handwriting: every example of the profile deleted, learning on or off (an
  // id kept while it is off names them still). { ok, deleted } or { ok: false, words }.
  async forget() {
    const kept = stored(ID_KEY);
    const id = this.id || (kept && VALID_ID.test(kept) ? kept : null);
    if (!id) return { ok: true, deleted: 0 };  // none made: nothing was ever kept
    try {
      const response = await fetch("examples", { method: "DELETE", headers: { [HEADER]: id } });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) return problem(problemWords(response.status, body));
      this.fetched++;  // a list asked for before is out of date
      this.#forgetList();
      this.onExamples();
      return { ok: true, deleted: body.deleted ?? 0 };
    } catch (error) {
      return problem(UNREACHABLE);
    }
  }

  #forgetList() {
    this.examples = [];
    this.counts = {};
    this.byId = new Map();
  }
}

// Asking to turn learning on, where the person tried to teach while it is off: the
// switch's sentence, and a button that turns it on and does what was asked.
export class Ask {
  constructor({ box, button }, profile) {
    this.box = box;
    this.button = button;
    this.profile = profile;
    this.then = null;
    button.addEventListener("click", () => {
      const then = this.then;
      this.hide();
      this.profile.setLearning(true);
      if (then) then();
    });
  }

  show(then) {
    this.then = then;
    this.box.hidden = false;
    this.button.focus();
  }

  hide() {
    this.then = null;
    this.box.hidden = true;
  }
}
