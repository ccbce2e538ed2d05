// The page's plain words (static/js/words.js): percentages, articles, model names, and
// what the service's problems mean to someone drawing.

import assert from "node:assert/strict";
import test from "node:test";

import { aDigit, article, capitalise, percent, plural, problemWords, theModel, times } from "../../static/js/words.js";

test("numbers and shapes in words", () => {
  assert.equal(percent(0.9876), "98.8%");
  assert.equal(plural(1, "example"), "1 example");
  assert.equal(plural(1280, "parameter"), "1,280 parameters");
  assert.equal(times([24, 24, 40]), "24\u00d724\u00d740");
});

test("a digit, a thing and a model, with their articles", () => {
  assert.deepEqual(["7", "8", "not a digit"].map(aDigit), ["a 7", "an 8", "not a digit"]);
  assert.deepEqual(["Ankle boot", "Trouser"].map(article), ["an", "a"]);
  assert.equal(capitalise("the CNN"), "The CNN");
  assert.equal(theModel({ name: "dense", title: "dense network" }), "the dense network");
  assert.equal(theModel({ name: "mine", title: null }), "the \u201cmine\u201d model");
});

test("the service's problems in words: by their code, else their detail, else the status", () => {
  assert.match(problemWords(422, { code: "no_ink", detail: "no ink" }), /^I can't see a digit there/);
  assert.equal(problemWords(400, { code: "other", detail: "bad query" }), "Bad query.");
  assert.equal(problemWords(502), "The server answered 502.");
});
