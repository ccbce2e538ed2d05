// The mode switch: what the pad reads, digits or clothes; one radio button a task,
// arrow keys between them. Each mode's own words are in the page, marked data-for, and
// shown by the body's data-mode.

export class ModeSwitch {
  // models: every model served ({ name, task, task_title, title }); onChange(model):
  // the model of the mode chosen.
  constructor(inputs, models, { onChange }) {
    this.inputs = inputs;
    this.models = models;
    for (const input of inputs) input.addEventListener("change", () => onChange(this.model));
  }

  // The model of the mode chosen: the first of its task; with no switch (one task), the
  // first model.
  get model() {
    const checked = this.inputs.find((input) => input.checked);
    return this.models.find((m) => m.name === checked?.value) || this.models[0] || null;
  }

  show(model) {
    document.body.dataset.mode = model.task;
  }

  // The pad's label in the mode (the page's words), or null to keep the page's.
  padLabel(model) {
    return this.inputs.find((i) => i.value === model.name)?.dataset.padLabel || null;
  }
}
