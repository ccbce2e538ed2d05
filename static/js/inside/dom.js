// @ts-check
// The little the look inside's parts all do to the page: make an element, paint grey
// levels on a canvas, move between buttons with the arrow keys.

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * Grey levels on a canvas, row by row; cells past the last value stay clear.
 * @param {HTMLCanvasElement} canvas
 * @param {number[]} values  0 to 255
 */
export function paintGrey(canvas, values) {
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(canvas.width, canvas.height);
  values.forEach((grey, i) => image.data.set([grey, grey, grey, 255], 4 * i));
  ctx.putImageData(image, 0, 0);
}

/**
 * Arrow keys, Home and End between buttons of one kind (the overview's columns, a layer's
 * maps): one Tab stop for them all, the last one focused. Across a grid of `columns`, up
 * and down move by its row.
 * @param {KeyboardEvent} event
 * @param {HTMLElement} button  the one the key was pressed on
 * @param {HTMLElement[]} buttons
 * @param {number} [columns]
 */
export function roam(event, button, buttons, columns = 1) {
  const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns, ArrowUp: -columns };
  const index = buttons.indexOf(button);
  let next = null;
  if (event.key in moves) next = index + moves[event.key];
  else if (event.key === "Home") next = 0;
  else if (event.key === "End") next = buttons.length - 1;
  if (next === null) return;
  event.preventDefault();
  const target = buttons[Math.max(0, Math.min(buttons.length - 1, next))];
  button.tabIndex = -1;
  target.tabIndex = 0;
  target.focus();
}
