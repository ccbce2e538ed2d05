// @ts-check
// The page's plain words: percentages, articles, model names, and what the service's
// problems mean to someone drawing.

export const percent = (p) => `${(100 * p).toFixed(1)}%`;

export const capitalise = (text) => (text ? `${text[0].toUpperCase()}${text.slice(1)}` : text);

export const article = (noun) => (/^[aeiou]/i.test(noun) ? "an" : "a");

// "a 7", "an 8", "not a digit".
export const aDigit = (label) => (label === "not a digit" ? label : `${label === "8" ? "an" : "a"} ${label}`);

export const times = (shape) => shape.join("\u00d7");

export const plural = (n, word) => `${n.toLocaleString("en")} ${word}${n === 1 ? "" : "s"}`;

// "the CNN", "the dense network"; a model without a title by its name.
export function theModel(model) {
  return model.title ? `the ${model.title}` : `the \u201c${model.name}\u201d model`;
}

const REASONS = {
  no_ink: "I can't see a digit there: draw a little bigger or darker.",
  too_many_digits: "That's more digits than I read at once.",
  image_too_large: "That image is too large.",
  body_too_large: "That image is too large.",
  unsupported_image_type: "That kind of file isn't supported: use a PNG, JPEG or WebP image.",
  unsupported_media_type: "That kind of file isn't supported: use a PNG, JPEG or WebP image.",
};

export const NOT_AN_IMAGE = "That isn't an image: choose a PNG, JPEG or WebP file.";
export const UNREACHABLE = "Can't reach the digit reader. Is the server running? Try again in a moment.";

// A 4xx or 5xx answer of the API (its body a Problem: detail and code) in words.
export function problemWords(status, problem = {}) {
  const detail = problem.detail || "";
  return REASONS[problem.code] || (detail ? `${capitalise(detail)}.` : `The server answered ${status}.`);
}
