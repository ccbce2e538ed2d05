"""The README (and the design pages in docs/) as a user reads them: every curl and Python
example runs as written, from the repository root, against a live server, and answers
what the page says it answers; the JSON samples, the settings, the flags and the models'
figures are the service's and the repository's own; the README stays short, and every
link in it leads somewhere."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.paths import ROOT

README_PATH = ROOT / "README.md"
README = README_PATH.read_text()
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README_PATH, *DOCS]
MAX_README_LINES = 260
ANSWER = "# → "  # the line after a curl command: what it answers
PORT = "127.0.0.1:8000"  # where the examples expect the service; the tests' server is elsewhere


@dataclass(frozen=True)
class Example:
    where: str  # file:line, for the test's id
    code: str  # a curl command (continuation lines joined) or a Python program
    answer: str  # what it shows it answers: a curl command's `# → ...`, a program's last comment


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def curl_examples(path: Path) -> list[Example]:
    """Every curl command in the page's sh blocks (continuation lines joined), with the
    answer the line after it shows."""
    text = path.read_text()
    examples = []
    for block in re.finditer(r"```sh\n(.*?)```", text, flags=re.DOTALL):
        first, lines = line_of(text, block.start(1)), block[1].splitlines()
        i = 0
        while i < len(lines):
            start, command = i, lines[i]
            while command.endswith("\\") and i + 1 < len(lines):
                i += 1
                command = command[:-1] + " " + lines[i]
            i += 1
            following = lines[i].strip() if i < len(lines) else ""
            if command.strip().startswith("curl "):
                answer = following.removeprefix(ANSWER) if following.startswith(ANSWER) else ""
                examples.append(Example(f"{path.name}:{first + start}", command.strip(), answer))
    return examples


def python_examples(path: Path) -> list[Example]:
    """Every Python block of the page, with the output its last line's comment shows."""
    text = path.read_text()
    examples = []
    for block in re.finditer(r"```python\n(.*?)```", text, flags=re.DOTALL):
        shown = re.search(r"#\s*(.*?)\s*$", block[1].strip().splitlines()[-1])
        examples.append(
            Example(f"{path.name}:{line_of(text, block.start(1))}", block[1], shown[1] if shown else "")
        )
    return examples


def params(examples: list[Example]) -> list:
    return [pytest.param(example, id=example.where) for example in examples]


def on_port(code: str, live_server: str) -> str:
    return code.replace(PORT, live_server.removeprefix("http://"))


def assert_answers(shown: str, output: str) -> None:
    """A JSON object shown: the answer has each of its fields, with that value. Anything
    else (Prometheus' text): one of the answer's lines is exactly that."""
    try:
        expected = json.loads(shown)
    except json.JSONDecodeError:
        assert shown in output.splitlines(), f"no line {shown!r} in the answer"
        return
    assert isinstance(expected, dict), shown
    answer = json.loads(output)
    for field, value in expected.items():
        assert field in answer, (field, answer)
        assert_same(value, answer[field])


@pytest.mark.skipif(not shutil.which("curl"), reason="curl not installed")
@pytest.mark.parametrize("example", params([e for page in PAGES for e in curl_examples(page)]))
def test_curl_example_answers_what_it_shows(live_server, example):
    assert example.answer, f"{example.where}: show the answer on the line after the command, `{ANSWER}...`"
    command = on_port(example.code, live_server).replace("curl ", "curl --silent --show-error ", 1)
    result = subprocess.run(
        ["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    assert_answers(example.answer, result.stdout)


@pytest.mark.parametrize("example", params([e for page in PAGES for e in python_examples(page)]))
def test_python_example_prints_what_its_comment_says(live_server, example):
    assert example.answer, f"{example.where}: end the example with a comment showing what it prints"
    result = subprocess.run(
        [sys.executable, "-c", on_port(example.code, live_server)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == example.answer


def test_the_readme_shows_every_kind_of_request():
    """The examples above run only if there are some: the README has each kind."""
    commands = [example.code for example in curl_examples(README_PATH)]
    assert python_examples(README_PATH), "the README shows no Python example"
    predict = [c for c in commands if f"{PORT}/predict" in c]
    assert any("-F file=@" in c for c in predict), "/predict with a multipart upload"
    assert any("--data-binary @" in c and "Content-Type: image/" in c for c in predict), (
        "/predict with raw bytes"
    )
    assert any("application/json" in c and '\\"image\\"' in c for c in predict), "/predict with JSON"
    assert any("?model=fashion" in c for c in predict), "/predict of the clothes model"
    for route in ("/read", "/explain", "/model", "/v2/models/digits/infer", "/metrics"):
        assert any(re.search(rf"{re.escape(PORT + route)}\b", c) for c in commands), route
    assert any('"code"' in example.answer for example in curl_examples(README_PATH)), "an error"


def test_readme_sample_answers_are_the_services(client):
    """The README's JSON samples are what the service answers, field for field."""
    samples = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", README, flags=re.DOTALL)]
    read = [sample for sample in samples if "number" in sample]
    predicted = [sample for sample in samples if "digit" in sample and "number" not in sample]
    assert len(read) == 1 and len(predicted) == 1, "one sample answer of /predict and one of /read"

    def answer(route: str, image: str) -> dict:
        body = (ROOT / "docs" / image).read_bytes()
        return client.post(route, content=body, headers={"content-type": "image/png"}).json()

    assert_same(predicted[0], answer("/predict", "seven.png"))
    assert_same(read[0], answer("/read", "2026.png"))


def section(heading: str) -> str:
    """The README's section under `## heading`, up to the next one."""
    start = README.index(f"\n## {heading}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end > 0 else None]


def test_readme_documents_every_setting():
    from app.settings import Settings

    table = section("Settings")
    variables = {f"DIGITPAD_{name.upper()}" for name in Settings.model_fields}
    assert not [name for name in sorted(variables) if f"`{name}`" not in table]
    mentioned = {name for page in PAGES for name in re.findall(r"DIGITPAD_[A-Z_]*[A-Z]", page.read_text())}
    assert mentioned <= variables, f"no such setting: {sorted(mentioned - variables)}"


def shown_default(value: object) -> str | None:
    """A setting's default as the settings table writes it; None where it is not a plain value."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | str):
        return str(value)
    if isinstance(value, list) and value:
        return ",".join(map(str, value))
    return None


def test_readme_settings_table_shows_each_default():
    from app.settings import Settings

    wrong = []
    for row in section("Settings").splitlines():
        cells = row.split(" | ")
        variables = re.findall(r"`DIGITPAD_(\w+)`", cells[0])
        defaults = re.findall(r"`([^`]*)`", cells[1]) if len(cells) > 1 else []
        if not variables or len(variables) != len(defaults):
            continue
        for name, default in zip(variables, defaults, strict=True):
            field = Settings.model_fields[name.lower()]
            expected = shown_default(field.get_default(call_default_factory=True))
            if expected is not None and default != expected:
                wrong.append(f"DIGITPAD_{name}: {default} (default: {expected})")
    assert not wrong


def test_readme_names_every_flag_of_digitpad_serve():
    result = subprocess.run(
        [sys.executable, "-m", "app.cli.serve", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    flags = set(re.findall(r"(--[a-z][a-z-]+)", result.stdout)) - {"--help"}
    assert flags, result.stdout
    assert not [flag for flag in sorted(flags) if flag not in section("Running it")]


MODEL_FOLDERS = {
    "digits": ROOT / "models" / "digits",
    "fashion": ROOT / "models" / "fashion",
    "dense": ROOT / "models" / "dense",
}


def card_figures(card: dict) -> list[str]:
    """A model card's headline figures, as the README writes them."""
    metrics = card["metrics"]
    figures = [f"{card['parameters']:,}"]
    if "mnist_test" in metrics:
        figures += [f"{metrics[name]['accuracy']:.2%}" for name in ("mnist_test", "usps", "semeion")]
        figures.append(f"{metrics['negatives_rejected_mean']:.1%}")
    else:
        figures.append(f"{metrics['test']['accuracy']:.2%}")
    return figures


@pytest.mark.parametrize("name", MODEL_FOLDERS)
def test_readme_reports_each_models_figures_from_its_card(name):
    rows = [line for line in section("The models").splitlines() if line.startswith(f"| `{name}` |")]
    assert len(rows) == 1, f"one row for ?model={name}"
    card = MODEL_FOLDERS[name] / "model_card.json"
    if not card.is_file():  # not trained yet: the README must not make figures up
        assert "TODO" in rows[0]
        return
    assert "TODO" not in rows[0], f"{card} exists: put its figures in the README"
    figures = card_figures(json.loads(card.read_text()))
    assert not [figure for figure in figures if figure not in rows[0]], (figures, rows[0])


def test_the_readme_is_a_short_guide():
    lines = len(README.splitlines())
    assert lines <= MAX_README_LINES, f"{lines} lines; the design belongs in docs/"


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.DOTALL)
    return {slug(heading) for heading in re.findall(r"^#+ (.*)$", text, flags=re.MULTILINE)}


def links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.DOTALL)
    return re.findall(r"\]\(([^)\s]+)\)", text)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_link_leads_somewhere(page):
    broken = []
    for link in links(page):
        if re.match(r"[a-z]+://", link):
            continue
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        if not path.exists() or (anchor and path.suffix == ".md" and anchor not in anchors(path)):
            broken.append(link)
    assert not broken


def test_the_readme_links_every_design_page():
    linked = {(ROOT / link.partition("#")[0]).resolve() for link in links(README_PATH)}
    assert DOCS and not [page.name for page in DOCS if page.resolve() not in linked]


def assert_same(ours, theirs) -> None:
    """Equal, numbers within 1e-6: the samples are rounded to 1e-7, and another CPU's
    vector instructions may round the last digits differently."""
    if isinstance(ours, dict):
        assert isinstance(theirs, dict) and ours.keys() == theirs.keys(), (ours, theirs)
        for key in ours:
            assert_same(ours[key], theirs[key])
    elif isinstance(ours, list):
        assert isinstance(theirs, list) and len(ours) == len(theirs), (ours, theirs)
        for a, b in zip(ours, theirs, strict=True):
            assert_same(a, b)
    elif isinstance(ours, float):
        assert ours == pytest.approx(theirs, abs=1e-6)
    else:
        assert ours == theirs
