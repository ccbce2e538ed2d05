// @ts-check
// digitpad: draw on the pad, and the service's reading appears as you draw: one digit,
// or a number with a box over each digit; or, switched to clothes, a piece of clothing
// read by the second model; or, compared, what a second digit model makes of it too.
// With "Learn my handwriting" on, a reading can be corrected in one tap, Teach asks for
// digits to keep, and readings use what was kept.
// This module only finds the page's parts and wires them together.

import { Comparison } from "./compare.js";
import { Corrections } from "./corrections.js";
import { LookInside } from "./inside.js";
import { ModeSwitch } from "./modes.js";
import { DrawingPad } from "./pad.js";
import { PersonalLine } from "./personal.js";
import { Ask, Profile } from "./profile.js";
import { Reader } from "./reader.js";
import { Result } from "./result.js";
import { Teach } from "./teach.js";
import { Upload } from "./upload.js";

/** @typedef {import("./reader.js").Model} Model */

// A part of the page, by its id: what kind of element each is, templates/index.html says.
/** @type {(id: string) => any} */
const $ = (id) => document.getElementById(id);

// Every model the service has loaded, in its order.
/** @type {Model[]} */
const models = JSON.parse($("app").dataset.models || "[]");

const pad = new DrawingPad(
  { pad: $("pad"), wrap: $("pad-wrap"), hint: $("hint"), undoButton: $("undo"), clearButton: $("clear") },
  {
    onEdit: () => {
      corrections.edited();
      teach.edited();
      readPad();
    },
    onMove: () => reader.live(() => pad.image()),
    onResize: () => result.layBoxes(padRect),
  },
);
const padRect = (box, image) => pad.padRect(box, image);

const profile = new Profile({ toggle: $("learn") }, {
  onLearning: () => readPad(),
  onExamples: () => {
    teach.showCounts();
    personal.refresh();
  },
});

const reader = new Reader({
  partner: () => comparison.partner,
  headers: () => profile.headers(),
  onSend: (image, model) => inside.beside(image, model),
  onAnswer: (answer) => show(answer),
  onPartner: (answer, compared) => comparison.show({ ...answer, selected: result.selected }, compared),
  onProblem: (words) => showProblem(words),
});

const result = new Result(
  {
    answer: $("answer"), prediction: $("prediction"), summary: $("summary"), guess: $("guess"), timing: $("timing"),
    error: $("error"), detail: $("detail"), bars: $("bars"), boxes: $("boxes"), seen: $("seen"),
  },
  {
    onSelect: (index) => {
      inside.follow(result.reading, result.image, index);
      corrections.select(index);
      personal.show(result.reading.digits[index]);
    },
  },
);

const personal = new PersonalLine({ line: $("personal"), examples: $("personal-examples") }, { profile });

const corrections = new Corrections(
  { panel: $("corrections"), title: $("correct-title"), choices: $("correct-choices"), status: $("correct-status") },
  { profile, ask: new Ask({ box: $("correct-ask"), button: $("correct-ask-on") }, profile), onKept: () => readPad() },
);

const teach = new Teach(
  {
    panel: $("teach"), prompt: $("teach-prompt"), hintDigit: $("teach-hint-digit"), keepButton: $("teach-keep"),
    skipButton: $("teach-skip"), status: $("teach-status"), learnt: $("learnt"), learntNote: $("learnt-note"),
    forgetButton: $("forget"),
  },
  {
    profile,
    ask: new Ask({ box: $("teach-ask"), button: $("teach-ask-on") }, profile),
    model: () => reader.model,
    image: () => pad.image(),
    isEmpty: () => pad.isEmpty,
    onKept: () => pad.clear(),
    onForgotten: () => readPad(),
  },
);

const inside = new LookInside(
  {
    panel: $("inside"), status: $("inside-status"), input: $("inside-input"), heatmap: $("heatmap"),
    legendFor: $("legend-for"), layers: $("layers"), zoomMap: $("zoom-map"), zoomLabel: $("zoom-label"),
    overview: $("overview"), flow: $("flow"), detail: $("inside-detail"), zoomValue: $("zoom-value"),
  },
  { reader, isDrawing: () => pad.isDrawing },
);

const comparison = new Comparison(
  {
    control: $("compare-switch"), toggle: $("compare"), label: $("compare-label"), summary: $("compare-summary"),
    mainTitle: $("bars-title"), set: $("compare-set"), title: $("compare-title"), bars: $("compare-bars"),
  },
  models,
  { cards: (name) => reader.card(name), onChange: (on) => (on ? readPad() : null) },
);

new Upload({ input: $("upload"), dropZone: $("pad-wrap") }, {
  onImage: (file) => {
    pad.setPicture(file);
    reader.read(pad.image());
  },
  onProblem: (words) => showProblem(words),
});

const modes = new ModeSwitch([...document.querySelectorAll('input[name="mode"]')], models, {
  onChange: (model) => useMode(model),
});

function readPad() {
  if (pad.isEmpty) showEmpty();
  else reader.read(pad.image());
}

function show(answer) {
  if (pad.isEmpty) return showEmpty();
  if (answer.card) result.useCard(answer.model, answer.card);
  if (answer.kind === "reading") {
    result.showReading(answer.result, answer.image, answer.elapsed, padRect);
    inside.follow(answer.result, answer.image, result.selected);
    corrections.show(answer.result, answer.image, answer.model, result.selected);
    personal.show(answer.result.digits[result.selected]);
  } else {
    result.showClass(answer.result, answer.elapsed);
    corrections.hide();
    personal.hide();
  }
}

function showEmpty() {
  reader.cancel();
  result.showEmpty();
  inside.clear();
  comparison.clear();
  corrections.hide();
  personal.hide();
}

function showProblem(words) {
  result.showError(words);
  inside.clear();
  comparison.clear();
  corrections.hide();
  personal.hide();
}

// Another mode: its words, its model's bars, and what is on the pad read again by it.
// Teach and its task's mode share a model: between them, the reading stays.
/** @param {Model} model */
async function useMode(model, readAgain = true) {
  modes.show(model);
  pad.setLabel(modes.padLabel(model));
  teach.use(modes.teaching);
  if (model === reader.model) return;
  reader.model = model;
  if (model.can.look_inside) inside.useModel(model);
  comparison.useModel(model);
  result.reset();
  inside.clear();
  comparison.clear();
  corrections.hide();
  personal.hide();
  reader.card(model.name).then((card) => {
    if (reader.model === model) result.useCard(model, card);
  }).catch(() => {});  // the bars are built with the first answer
  if (readAgain) readPad();
}

// No model listed: the service's default model, taken for a digit model.
/** @type {Model} */
const DEFAULT = {
  name: null, task: "digits", task_title: "Digits", title: null,
  can: { reject: true, read_numbers: true, learn_personally: true, look_inside: true },
};
useMode(modes.model || DEFAULT, false);
profile.refresh();  // what was kept, while learning is on
