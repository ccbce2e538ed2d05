"""Learn from everyone, end to end, timed step by step: "users" teach and correct through
POST /examples with half of Semeion's digits (for this measurement only: the shipped model
never trains on Semeion), then the owner exports, reviews, fine-tunes, gates and promotes;
the promoted version, as the service then serves it, reads the other half through /read,
and MNIST's test set.

    python -m benchmarks.loop [--data-dir ../shared/data/mnist] [--epochs 2] [--profiles 10]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from app.settings import Settings
from app.web.main import create_app
from support.drawing import encode
from support.paths import ROOT
from training.data import load_mnist, load_semeion
from training.evaluate import DEFAULT_SEMEION, SHARED_DATA

PNG = {"content-type": "image/png"}


def step(name: str, started: float) -> float:
    now = time.perf_counter()
    print(f"  {name}: {now - started:.1f} s", flush=True)
    return now


def read_accuracy(client: TestClient, images: list[bytes], labels: np.ndarray) -> tuple[float, set[str]]:
    right, versions = 0, set()
    for image, label in zip(images, labels, strict=True):
        answer = client.post("/read", content=image, headers=PNG).json()
        right += answer.get("number") == str(label)
        versions.add(answer["model_version"])
    return right / len(images), versions


def command(data: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DIGITPAD_DATA_DIR": str(data)}
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    print("\n".join(f"    {line}" for line in (result.stdout + result.stderr).strip().splitlines()[-12:]))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=SHARED_DATA / "mnist")
    parser.add_argument("--semeion", type=Path, default=DEFAULT_SEMEION)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--profiles", type=int, default=10, help="users the first half is taught by")
    parser.add_argument("--only-head", action="store_true", help="fine-tune the dense layers only")
    parser.add_argument(
        "--work", type=Path, default=None, help="where to keep everything (default: a new folder)"
    )
    args = parser.parse_args(argv)

    work = args.work or Path(tempfile.mkdtemp(prefix="digitpad-loop-"))
    data, export, candidate = work / "data", work / "export", work / "candidate"
    bin_ = Path(sys.executable).parent
    images, labels = load_semeion(args.semeion)
    order = np.random.default_rng(0).permutation(len(labels))
    taught, rest = order[: len(order) // 2], order[len(order) // 2 :]
    pngs = [encode(image) for image in images]
    mnist = load_mnist(args.data_dir)
    mnist_pngs = [encode(Image.fromarray(255 - x)) for x in mnist.x_test]
    print(
        f"Semeion: {len(taught)} images taught by {args.profiles} users, {len(rest)} read after; work in {work}"
    )

    started = time.perf_counter()
    settings = Settings(data_dir=data, examples_per_minute=100_000)
    with TestClient(create_app(settings)) as client:
        before, _ = read_accuracy(client, [pngs[i] for i in rest], labels[rest])
        corrections = 0
        for n, i in enumerate(taught):
            who = {"Digitpad-Profile": f"semeion-user-{n % args.profiles:02d}-0123456789"}
            reading = client.post("/read", content=pngs[i], headers={**PNG, **who}).json()
            kind = "example" if reading.get("number") == str(labels[i]) else "correction"
            corrections += kind == "correction"
            stored = client.post(
                f"/examples?label={labels[i]}&kind={kind}", content=pngs[i], headers={**PNG, **who}
            )
            assert stored.status_code == 201, stored.text
    print(f"before: the other half read {before:.2%}; {corrections} of the taught were corrections")
    now = step("teach and correct through the API", started)
    assert command(data, str(bin_ / "digitpad-data"), "export", "--out", str(export)).returncode == 0
    now = step("export", now)
    assert (
        command(data, str(bin_ / "digitpad-data"), "review", "--out", str(work / "review.png")).returncode
        == 0
    )
    now = step("review (nothing dropped: these labels are Semeion's own)", now)
    train = command(
        data,
        str(bin_ / "digitpad-train"),
        "--init-from",
        str(ROOT / "models" / "digits"),
        "--extra-data",
        str(export),
        "--epochs",
        str(args.epochs),
        "--learning-rate",
        str(args.learning_rate),
        "--data-dir",
        str(args.data_dir),
        "--out",
        str(candidate),
        *(["--only-head"] if args.only_head else []),
    )
    assert train.returncode == 0
    now = step("fine-tune", now)
    card = json.loads((candidate / "model_card.json").read_text())
    assert command(data, str(bin_ / "digitpad-models"), "add", str(candidate)).returncode == 0
    promoted = command(data, str(bin_ / "digitpad-models"), "promote", card["version"])
    now = step(f"add and gate: {'promoted' if promoted.returncode == 0 else 'REFUSED'}", now)
    with TestClient(create_app(Settings(data_dir=data))) as client:
        after, versions = read_accuracy(client, [pngs[i] for i in rest], labels[rest])
        mnist_after, _ = read_accuracy(client, mnist_pngs, mnist.y_test)
    step("read the other half and MNIST test with the version served", now)
    shipped = json.loads((ROOT / "models" / "digits" / "model_card.json").read_text())["metrics"]
    print(
        f"served {sorted(versions)}: the other half of Semeion {before:.2%} -> {after:.2%}; MNIST test through "
        f"/read {mnist_after:.2%} (card: {shipped['mnist_test']['accuracy']:.2%} -> "
        f"{card['metrics']['mnist_test']['accuracy']:.2%}); held-out non-digits rejected "
        f"{shipped['negatives_rejected_mean']:.2%} -> {card['metrics']['negatives_rejected_mean']:.2%}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
