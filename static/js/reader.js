// @ts-check
// The reader: everything the page asks the service. /read (the digits of a number) for
// the model of the mode where it can read numbers, else /predict (one answer; the
// clothes), the same for the model it is compared with, /explain for a look inside, /model for a model's card, fetched once.
// Readings carry the headers the profile asks for (its Digitpad-Profile while learning).
// Drawing sends a request every LIVE_INTERVAL while the pen moves; answers can arrive out
// of order, and only one newer than the answer on screen, for the model still reading, is
// shown.

import { UNREACHABLE, problemWords } from "./words.js";

/**
 * What a model can do beyond telling its classes apart (the page's list of models and
 * GET /model: can): the page branches on these, never on a task's name.
 * @typedef {object} Abilities
 * @property {boolean} reject  says "not a digit" and "several digits" after its labels
 * @property {boolean} read_numbers  /read cuts a drawing into its digits and reads the number
 * @property {boolean} learn_personally  a person's examples adjust its answers (/examples)
 * @property {boolean} look_inside  /explain shows what its layers do with a drawing
 */

/**
 * A model the service serves, as the page lists them (#app's data-models).
 * @typedef {object} Model
 * @property {string | null} name  null: the service's default
 * @property {string} task
 * @property {string} task_title
 * @property {string} [noun]
 * @property {string | null} title
 * @property {Abilities} can
 */

/**
 * What the page uses of a model's card (GET /model).
 * @typedef {object} Card
 * @property {string[]} labels
 * @property {string[]} [outputs]  the labels, then for a model that rejects "not a digit" and "several digits"
 * @property {string} [title]
 * @property {Abilities} [can]
 */

/** @typedef {import("./pad.js").Image} Image */

const LIVE_INTERVAL = 150;  // ms between predictions while the pen moves

// An endpoint for a model (?model=NAME; none: the service's default), with more of a query.
function endpoint(path, model, query = {}) {
  const params = new URLSearchParams(model ? { model, ...query } : query).toString();
  return params ? `${path}?${params}` : path;
}

// The service's answer: ok, status and its JSON body ({} if it has none). headers: more
// than the image's own.
async function post(url, image, signal, headers = {}) {
  const response = await fetch(url, { method: "POST", body: image.body, headers: { ...image.headers, ...headers }, signal });
  const body = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, body };
}

export class Reader {
  // onSend(image): a request leaves; onAnswer(answer): the mode's model answered, and
  // is newest: { model, card, kind: "reading" (/read) or "class" (/predict), result,
  // image, elapsed }; onPartner(answer, partner): the compared model's answer for that
  // same image ({ model, card, result } or { model, problem }); onProblem(words).
  // partner(): the model compared with, or null; headers(): what a reading sends beside
  // its body (the profile's).
  constructor({ partner, headers = () => ({}), onSend, onAnswer, onPartner, onProblem }) {
    this.partner = partner;
    this.headers = headers;
    this.onSend = onSend;
    this.onAnswer = onAnswer;
    this.onPartner = onPartner;
    this.onProblem = onProblem;
    /** @type {Model | null} */
    this.model = null;    // the model reading the pad
    this.cards = new Map();
    this.sent = 0;        // sequence number of the latest request
    this.shown = 0;       // sequence number of the answer on screen
    this.inFlight = false;
    this.lastLive = 0;
  }

  // A model's card (GET /model?model=NAME): its labels, outputs, task and title. Asked
  // once; asked again after a failure.
  card(name) {
    if (!this.cards.has(name)) {
      const card = fetch(endpoint("model", name)).then((response) => {
        if (!response.ok) throw new Error(`model ${name}: ${response.status}`);
        return response.json();
      });
      card.catch(() => this.cards.delete(name));  // asked again next time
      this.cards.set(name, card);
    }
    return this.cards.get(name);
  }

  // While the pen moves: a new request at most every LIVE_INTERVAL, and none while one
  // is on its way (a slow server gets fewer, not a queue).
  live(image) {
    const now = performance.now();
    if (this.inFlight || now - this.lastLive < LIVE_INTERVAL) return;
    this.lastLive = now;
    this.read(image());
  }

  // Whatever is still on its way is now out of date.
  cancel() {
    this.shown = ++this.sent;
    this.inFlight = false;
  }

  async read(pending) {
    const image = await pending;
    const seq = ++this.sent;
    const model = this.model;
    const partner = this.partner();
    if (!model) return;
    this.inFlight = true;
    this.onSend(image, model);
    const started = performance.now();
    const kind = model.can.read_numbers ? "reading" : "class";
    const headers = this.headers();
    const main = post(endpoint(kind === "reading" ? "read" : "predict", model.name, { include_input: true }), image, undefined, headers);
    const other = partner ? this.#partner(partner, image, headers) : null;  // never rejects
    try {
      const { ok, status, body } = await main;
      const elapsed = performance.now() - started;
      const card = ok ? await this.card(model.name).catch(() => null) : null;  // null: the bars as they are
      image.picture = await image.ready;
      if (seq < this.shown || model !== this.model) return;
      this.shown = seq;
      if (!ok) {
        this.onProblem(problemWords(status, body));
        return;
      }
      const answer = { model, card, kind, result: body, image, elapsed };
      this.onAnswer(answer);
      if (other) {
        const compared = await other;
        if (seq === this.shown && partner === this.partner()) this.onPartner(answer, compared);
      }
    } catch (error) {
      if (seq < this.shown) return;
      this.shown = seq;
      this.onProblem(UNREACHABLE);
    } finally {
      if (seq === this.sent) this.inFlight = false;
    }
  }

  // The compared model's answer, read as the mode's model reads (/read where it reads
  // numbers); a problem in words.
  /**
   * @param {Model} model
   * @param {Image} image
   * @param {Record<string, string>} headers
   */
  async #partner(model, image, headers) {
    try {
      const { ok, status, body } = await post(endpoint(model.can.read_numbers ? "read" : "predict", model.name), image, undefined, headers);
      if (!ok) return { model, problem: problemWords(status, body) };
      return { model, card: await this.card(model.name).catch(() => null), result: body };
    } catch (error) {
      return { model, problem: UNREACHABLE };
    }
  }

  // A look inside (/explain): every layer's outputs for one digit; null once aborted.
  /**
   * @param {Model} model
   * @param {Image} image
   * @param {AbortSignal} signal
   */
  async explain(model, image, signal) {
    try {
      return await post(endpoint("explain", model.name), image, signal);
    } catch (error) {
      if (signal.aborted) return null;
      throw error;
    }
  }
}
