// @ts-check
// Upload: an image from the file picker, dropped on the pad, or pasted anywhere.

import { NOT_AN_IMAGE } from "./words.js";

export class Upload {
  // onImage(file): an image to read; onProblem(words): something that isn't one.
  constructor({ input, dropZone }, { onImage, onProblem }) {
    const use = (file) => {
      if (!file) return;
      if (file.type.startsWith("image/")) onImage(file);
      else onProblem(NOT_AN_IMAGE);
    };
    input.addEventListener("change", () => {
      use(input.files[0]);
      input.value = "";  // the same file again is a change too
    });
    dropZone.addEventListener("dragover", (event) => {
      event.preventDefault();
      dropZone.classList.add("dragging");
    });
    dropZone.addEventListener("dragleave", () => dropZone.classList.remove("dragging"));
    dropZone.addEventListener("drop", (event) => {
      event.preventDefault();
      dropZone.classList.remove("dragging");
      use(event.dataTransfer.files[0]);
    });
    document.addEventListener("paste", (event) => {
      const item = [...(event.clipboardData?.items || [])].find((i) => i.type.startsWith("image/"));
      if (item) use(item.getAsFile());
    });
  }
}
