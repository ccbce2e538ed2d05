"""`digitpad-models`: which version of a model the service serves.

    digitpad-models add FOLDER           keep a trained folder (card, .tflite, layers model) as a version
    digitpad-models list                 the versions, their figures, and which one serves
    digitpad-models promote VERSION      serve it, if it passes the gate (--force: even if not); latest:
                                         the version added last
    digitpad-models rollback             serve the version promoted before the current one

Running services pick a promotion up within DIGITPAD_MODEL_POLL_S, every worker and pod,
without a restart.

The gate compares the candidate with the version served: on the fixed suite (MNIST test,
USPS, Semeion, the held-out kinds of non-digit, from each card's evaluation) it may be at
most 0.1 point worse on any; on the collected examples its training held out (the card's
data.extra.heldout_ids, read from the database now) it must be better."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.card import Metrics, ModelCard
from app.core.classifier import Classifier
from app.core.errors import Code, Refusal
from app.core.preprocess import SIZE
from app.core.tasks import NOT_A_DIGIT
from app.settings import Settings, get_settings
from app.store.examples import Examples, model_input
from app.store.versions import Versions

TOLERANCE = 0.001  # a fixed-suite figure may fall this much (0.1 point), no more
SUITE = {"mnist_test": "MNIST test", "usps": "USPS", "semeion": "Semeion"}


@dataclass(frozen=True)
class Figure:
    name: str
    serving: float | None
    candidate: float | None
    must_beat: bool  # better, rather than at most TOLERANCE worse

    @property
    def passes(self) -> bool:
        if self.candidate is None or self.serving is None:
            return False
        if self.must_beat:
            return self.candidate > self.serving
        return self.candidate >= self.serving - TOLERANCE

    def row(self) -> str:
        def shown(value: float | None) -> str:
            return "-" if value is None else f"{value:.2%}"

        rule = "better" if self.must_beat else "at most 0.1 point worse"
        return f"| {self.name} | {shown(self.serving)} | {shown(self.candidate)} | {rule} | {'pass' if self.passes else 'FAIL'} |"


def suite(card: ModelCard) -> dict[str, float | None]:
    metrics = card.metrics
    if not isinstance(metrics, Metrics):
        return {}
    figures: dict[str, float | None] = {}
    for key, name in SUITE.items():
        scores = getattr(metrics, key)
        figures[name] = None if scores is None else scores.accuracy
    figures["held-out non-digits rejected"] = metrics.negatives_rejected_mean
    return figures


def collected_accuracy(model: Classifier, examples: Examples, ids: list[int]) -> tuple[float | None, int]:
    """The share of these collected examples the model reads as the person labelled them."""
    kept = examples.by_ids(ids)
    if not kept:
        return None, 0
    results = model.classify_inputs(np.stack([model_input(e.image) for e in kept]))
    right = [
        (not r.is_digit) if e.label == NOT_A_DIGIT else bool(r.is_digit and r.digit == e.label)
        for e, r in zip(kept, results, strict=True)
    ]
    return float(np.mean(right)), len(kept)


def gate(
    versions: Versions, examples: Examples, name: str, version: str, backend: str = "litert"
) -> list[Figure]:
    serving_version = versions.serving(name)
    serving, candidate = versions.card(name, serving_version), versions.card(name, version)
    assert serving is not None
    if candidate is None:
        raise Refusal(Code.UNKNOWN_MODEL, f"no version {version} of {name}: digitpad-models list")
    ours, theirs = suite(serving), suite(candidate)
    figures = [Figure(key, ours.get(key), theirs.get(key), False) for key in ours]
    heldout = [int(i) for i in (candidate.data.get("extra") or {}).get("heldout_ids", [])]
    old = Classifier.load(name, versions.folder(name, serving_version), backend)
    try:
        new = Classifier.load(name, versions.folder(name, version), backend)
    except (OSError, ValueError, KeyError) as exc:
        raise Refusal(
            Code.MODEL_NOT_LOADED, f"version {version} does not load, so it is not promoted: {exc}"
        ) from exc
    before, n = collected_accuracy(old, examples, heldout)
    after, _ = collected_accuracy(new, examples, heldout)
    figures.append(Figure(f"collected examples held out ({n})", before, after, True))
    return figures


def shape_problem(model: Classifier) -> str | None:
    """Where the network's input or output disagrees with its card or its task: a model
    with the wrong number of outputs loads and runs, and reads every image wrong."""
    card, task = model.card, model.task
    wanted = (SIZE, SIZE, 1)
    if tuple(card.input.shape) != wanted:
        return f"its card's input is {card.input.shape}; the service gives {list(wanted)}"
    if card.output.shape[-1:] != [task.outputs]:
        return f"its card's output is {card.output.shape}; task {task.name} has {task.outputs} outputs"
    try:
        outputs = model.predictor.predict(np.zeros((1, SIZE, SIZE), np.float32))
    except (ValueError, RuntimeError) as exc:  # the interpreter's input is not (1, 28, 28, 1)
        return f"the network does not take a {SIZE}x{SIZE} image: {exc}"
    if outputs.shape != (1, task.outputs):
        return f"the network has {outputs.shape[-1]} outputs; its card ({card.task}) says {task.outputs}"
    return None


def picked_up(settings: Settings) -> str:
    # Workers report nowhere what they serve: the promotion is all this command can vouch for.
    return (
        f"running services load it within DIGITPAD_MODEL_POLL_S ({settings.model_poll_s:g} s); a worker "
        "that cannot keeps its version and logs why (tried again at each poll where the cause may pass)"
    )


def table(figures: list[Figure]) -> str:
    return "\n".join(
        ["| figure | serving | candidate | rule | |", "|---|---|---|---|---|", *(f.row() for f in figures)]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="digitpad-models", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--name", default="digits", help="the model (default: %(default)s)")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="keep a trained folder as a version")
    add.add_argument("folder", type=Path)
    commands.add_parser("list", help="the versions, their figures, and which one serves")
    promote = commands.add_parser("promote", help="serve a version, if it passes the gate")
    promote.add_argument("version", help="a version, or latest: the one added last")
    promote.add_argument("--force", action="store_true", help="promote even if the gate refuses")
    commands.add_parser("rollback", help="serve the version promoted before the current one")
    args = parser.parse_args(argv)

    settings = get_settings()
    if args.name not in settings.models:
        print(
            f"error: no model {args.name}; this service serves {', '.join(settings.models)}", file=sys.stderr
        )
        return 2
    try:
        store = settings.store()
    except OSError as exc:  # the SQLite database's folder cannot be made
        print(f"error: {settings.database()}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    try:
        return _run(args, store.versions, store.examples, settings)
    except Refusal as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, versions: Versions, examples: Examples, settings: Settings) -> int:
    name = args.name
    if args.command == "add":
        try:  # a version that does not load, or not as its card says, is refused before it is kept
            model = Classifier.load(name, args.folder, settings.backend)
            problem = shape_problem(model)
            if problem is None:
                model.warm_up()
        except (OSError, ValueError, KeyError) as exc:
            problem = str(exc)
        if problem is not None:
            print(f"error: {args.folder}: not a model the service can load: {problem}", file=sys.stderr)
            return 2
        card = versions.add(name, args.folder)
        print(f"kept {name} version {card.version}; digitpad-models promote {card.version} serves it")
    elif args.command == "list":
        serving = versions.serving(name)
        print("| version | created | MNIST test | USPS | Semeion | non-digits rejected | |")
        print("|---|---|---|---|---|---|---|")
        for card in versions.cards(name):
            scores = suite(card)
            shown = ["-" if v is None else f"{v:.2%}" for v in scores.values()] or ["-"] * 4
            mark = "serving" if card.version == serving else ""
            print(f"| {card.version} | {card.created[:16]} | {' | '.join(shown)} | {mark} |")
    elif args.command == "promote":
        if args.version == "latest":
            args.version = versions.cards(name)[-1].version
        figures = gate(versions, examples, name, args.version, settings.backend)
        print(table(figures))
        failed = [f.name for f in figures if not f.passes]
        if failed and not args.force:
            print(f"refused: {', '.join(failed)} (--force promotes it anyway)", file=sys.stderr)
            return 1
        note = table(figures) + (f"\nforced over: {', '.join(failed)}" if failed else "")
        versions.promote(name, args.version, note)
        print(
            f"{name} version {args.version} promoted"
            + (f" (forced over {', '.join(failed)})" if failed else "")
            + f"; {picked_up(settings)}"
        )
    else:
        history = versions.promotions(name)
        if not history:
            print(f"error: {name} has never been promoted: it serves its shipped version", file=sys.stderr)
            return 2
        current = history[0].version
        earlier = next(
            (p.version for p in history[1:] if p.version != current), versions.shipped_card(name).version
        )
        versions.promote(name, earlier, f"rollback from {current}")
        print(f"{name} version {earlier} promoted again (was {current}); {picked_up(settings)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
