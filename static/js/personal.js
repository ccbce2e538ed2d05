// @ts-check
// Read with your handwriting: when the person's examples took part in an answer
// (personal), a line under it says so, with the examples it is most like, as the model
// saw them (28x28, light ink on dark).

export class PersonalLine {
  // profile: the Profile, whose list of examples has their pictures.
  constructor({ line, examples }, { profile }) {
    this.line = line;
    this.examples = examples;
    this.profile = profile;
    this.answer = null;  // the digit's answer shown: { personal, nearest }
    this.asked = false;  // the list asked again for an example it lacked
  }

  // One digit's answer (of /predict, or of /read for the digit chosen); null: none.
  show(answer) {
    this.answer = answer && answer.personal ? answer : null;
    this.asked = false;
    this.#paint();
  }

  hide() {
    this.show(null);
  }

  // The profile's examples changed: their pictures too.
  refresh() {
    this.#paint();
  }

  #paint() {
    const answer = this.answer;
    this.line.hidden = !answer || !this.profile.learning;
    if (this.line.hidden) {
      this.examples.replaceChildren();
      return;
    }
    const ids = answer.nearest || [];
    const found = ids.map((id) => this.profile.example(id)).filter(Boolean);
    if (found.length < ids.length && !this.asked) {
      this.asked = true;  // kept since the list was asked for (another tab): ask once more
      this.profile.refresh();
    }
    this.examples.replaceChildren(...found.map((example) => {
      const image = document.createElement("img");
      image.className = "example-image";
      image.src = example.image;
      image.width = image.height = 28;
      image.alt = example.label === "not a digit" ? "your not-a-digit" : `your ${example.label}`;
      image.title = `${example.kind === "correction" ? "Corrected" : "Taught"} as ${example.label}`;
      return image;
    }));
  }
}
