// @ts-check
// The mode switch: what the pad is for: reading digits or clothes, or teaching the digit
// model a person's handwriting (Teach: the digit model reads the pad as in its own mode,
// and the page asks for digits to keep). One radio button a mode, arrow keys between
// them. Each mode's own words are in the page, marked data-for, and shown by the body's
// data-mode (and data-teaching); the parts for one of its model's abilities, marked
// data-needs, by the body's data-can.

export class ModeSwitch {
  // models: every model served ({ name, task, task_title, noun, title, can }); onChange(model):
  // the model of the mode chosen (the same model for Teach as for its task's mode).
  constructor(inputs, models, { onChange }) {
    this.inputs = inputs;
    this.models = models;
    for (const input of inputs) input.addEventListener("change", () => onChange(this.model));
  }

  get #checked() {
    return this.inputs.find((input) => input.checked) || null;
  }

  // The model of the mode chosen: the first of its task; with no switch (one task), the
  // first model.
  get model() {
    const checked = this.#checked;
    return this.models.find((m) => m.name === checked?.value) || this.models[0] || null;
  }

  // Whether the mode chosen is Teach.
  get teaching() {
    return this.#checked?.dataset.teach === "on";
  }

  show(model) {
    document.body.dataset.mode = model.task;
    document.body.dataset.can = Object.keys(model.can).filter((ability) => model.can[ability]).join(" ");
    document.body.toggleAttribute("data-teaching", this.teaching);
  }

  // The pad's label in the mode (the page's words), or null to keep the page's.
  padLabel(model) {
    const checked = this.#checked;
    const input = checked?.value === model.name ? checked : this.inputs.find((i) => i.value === model.name);
    return input?.dataset.padLabel || null;
  }
}
