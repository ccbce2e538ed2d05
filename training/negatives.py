"""What is not a digit: the outliers the model learns to reject (outlier exposure,
Hendrycks et al., ICLR 2019), as an 11th class.

Five sources, each split by *kind* into what training sees and what is held out,
so that the reported rejection rate is about kinds of non-digit never seen:
letters and symbols rendered from fonts (whole fonts held out), letters drawn
stroke by stroke from Hershey's single-line fonts (whole fonts held out),
procedural doodles (whole doodle kinds held out), Fashion-MNIST (whole classes
held out), and numbers of two to five digits (training digits vs MNIST's test
digits).
Characters people write like a digit (O and 0, l and 1, Z and 2, S and 5, ...)
are never negatives.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from app.core.tasks import DIGITS, FASHION_LABELS, NOT_A_DIGIT, SEVERAL_DIGITS
from training import drawn, handwritten, paper, parallel
from training.data import DataError, load_fashion

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FONT_DIR = Path("/usr/share/fonts")
FONT_PACKAGES = (
    "fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf fonts-comic-neue fonts-humor-sans "
    "fonts-dkg-handwriting fonts-breip fonts-bwht fonts-femkeklaver fonts-dancingscript "
    "fonts-kaushanscript fonts-kristi"
)

# Not O o I l i J j Z z S s B G b g q Q, which people write like digits, nor, as some
# write their 0 open, 9 with a curled stem and a crossed 7: C c D U u p f.
LETTERS = "AEFHKLMNPRTVWXYadehkmnrtvwxy"
GREEK = "αγμπτφψωΔΞΠΣΩ"  # not β δ θ Γ or sigma (an o), nor λ Λ (a 1 with a long flag)
SYMBOLS = "+\N{MULTIPLICATION SIGN}÷=#%&*@?<>€£¥★♥♪☺✓→←√≠±≈¶©®‰"  # not | / \ ! ( ) [ ] $ § ∞ Ø ∫ , . ^ ~
CHARACTERS = LETTERS + GREEK + SYMBOLS

# Font files (under FONT_DIR) by family; the held-out families are handwriting,
# print and script, so each style is tested on a face never seen.
TRAIN_FONTS = {
    "dejavu": "truetype/dejavu/DejaVu*.ttf",
    "liberation": "truetype/liberation2/Liberation*.ttf",
    "freefont": "truetype/freefont/Free*.ttf",
    "comic_neue": "opentype/comic-neue/ComicNeue-*.otf",
    "humor_sans": "truetype/humor-sans/Humor-Sans.ttf",
    "dkg": "truetype/fifthhorseman/dkg*.ttf",
    "breip": "truetype/breip/*.ttf",
    "bwht": "opentype/bwht/BecauseWe[BCL]*.otf",
    "dancing_script": "opentype/dancingscript/*.otf",
}
HELDOUT_FONTS = {
    "bwht_organize": "opentype/bwht/BecauseWeOrganize-Regular.otf",
    "femkeklaver": "truetype/femkeklaver/femkeklaver.ttf",
    "kaushan_script": "opentype/kaushanscript/*.otf",
    "kristi": "truetype/kristi/Kristi.ttf",
}
# Hershey's vector fonts: letters as a pen draws them, one line per stroke.
TRAIN_HERSHEY = ("futural", "futuram", "scripts", "scriptc", "rowmans", "timesr")
HELDOUT_HERSHEY = ("cursive", "timesi")
HERSHEY_CHARACTERS = LETTERS + "+=#%&*@?<>"
# Hershey's Greek fonts map Latin keys to Greek letters: these are alpha, gamma, epsilon, zeta,
# eta, kappa, mu, nu, pi, tau, phi, chi, psi, omega and capital Delta, Xi, Pi, Sigma, Phi, Psi,
# Omega; not beta, delta, theta, iota, lambda, omicron, rho, sigma or upsilon (like 8, 6, 0, 1,
# 9 or u), nor capital Gamma or Lambda (a 7, a 1).
GREEK_KEYS = "acefgjlmnpsuvwxDNPRUWX"
TRAIN_GREEK = ("greek", "greekc")
HELDOUT_GREEK = ("greeks",)
HELDOUT_FASHION = (5, 8)  # sandal, bag
HELDOUT_DOODLES = ("star", "spiral", "cross_hatching", "house", "stick_figure", "sun", "car", "umbrella")


@dataclass(frozen=True)
class Counts:
    """How many negatives of each source to make for training (held-out sets are fixed)."""

    fonts: int = 5000
    strokes: int = 5000
    doodles: int = 5000
    greek: int = 3000
    scenes: int = 4000  # several doodles or letters in one drawing
    fashion: int = 2000
    numbers: int = 3000

    def scaled(self, factor: float) -> Counts:
        return Counts(*(max(10, int(n * factor)) for n in self.__dict__.values()))


def font_files(families: dict[str, str]) -> dict[str, list[Path]]:
    found = {name: sorted(FONT_DIR.glob(pattern)) for name, pattern in families.items()}
    missing = [name for name, files in found.items() if not files]
    if missing:
        raise DataError(
            f"fonts not found in {FONT_DIR}: {', '.join(missing)} "
            f"(install them: apt-get install {FONT_PACKAGES})"
        )
    return found


def _covered(path: Path) -> str:
    """The characters the font really has (a missing one would render as a box)."""
    from fontTools.ttLib import TTFont

    cmap = TTFont(path, lazy=True).getBestCmap()
    return "".join(c for c in CHARACTERS if ord(c) in cmap)


def render_character(path: Path, character: str, size: int = 96) -> Image.Image:
    font = ImageFont.truetype(str(path), size)
    image = Image.new("L", (3 * size, 3 * size), 255)
    ImageDraw.Draw(image).text((1.5 * size, 1.5 * size), character, font=font, fill=0, anchor="mm")
    return image


def characters(families: list[list[Path]], n: int, rng: np.random.Generator) -> list[Image.Image]:
    """Characters from font families taken in turn at random, so that a family of
    twenty files (DejaVu's) weighs no more than a handwriting font of one."""
    charsets = [[_covered(path) for path in files] for files in families]
    images: list[Image.Image] = []
    while len(images) < n:
        family = int(rng.integers(len(families)))
        i = int(rng.integers(len(families[family])))
        if charsets[family][i]:
            path, charset = families[family][i], charsets[family][i]
            image = render_character(path, str(rng.choice(list(charset))))
            if np.asarray(image).min() < 128:  # some fonts map a character to an empty glyph
                images.append(image)
    return images


def stroked_letters(
    fonts: tuple[str, ...], n: int, rng: np.random.Generator, keys: str = HERSHEY_CHARACTERS
) -> list[Image.Image]:
    """Letters and symbols drawn stroke by stroke, from Hershey's single-line fonts."""
    return [drawn.draw_strokes(rng, strokes) for strokes in _hershey_strokes(fonts, n, rng, keys)]


@functools.cache
def _hershey_font(name: str) -> Any:
    """A Hershey font, read once: each read unpacks the package's whole archive."""
    from HersheyFonts import HersheyFonts

    font = HersheyFonts()
    font.load_default_font(name)
    return font


def _hershey_strokes(
    fonts: tuple[str, ...], n: int, rng: np.random.Generator, keys: str
) -> list[list[drawn.Stroke]]:
    loaded = [_hershey_font(name) for name in fonts]
    characters: list[list[drawn.Stroke]] = []
    while len(characters) < n:
        font = loaded[int(rng.integers(len(loaded)))]
        strokes = [s for s in font.strokes_for_text(str(rng.choice(list(keys)))) if len(s) > 1]
        if strokes:
            characters.append(strokes)
    return characters


def scenes(kinds: list[str], fonts: tuple[str, ...], n: int, rng: np.random.Generator) -> list[Image.Image]:
    """Two to four doodles or letters in one drawing, side by side or scattered, of mixed
    sizes: a drawing of several things is not a number, as none of them is a digit."""
    images = []
    for _ in range(n):
        count = int(rng.integers(2, 5))
        letters = _hershey_strokes(fonts, count, rng, HERSHEY_CHARACTERS)
        strokes: list[drawn.Stroke] = []
        x = 0.0
        for i in range(count):
            thing: list[drawn.Stroke] = letters[i]
            if rng.random() < 0.5:  # a doodle, unless it is all filled shapes (a blob, a dot)
                thing = drawn.DOODLES[kinds[int(rng.integers(len(kinds)))]](rng)[0] or thing
            points = np.concatenate([np.asarray(s, dtype=np.float64) for s in thing])
            low, side = points.min(axis=0), max(float(np.ptp(points, axis=0).max()), 1e-9)
            size, y = rng.uniform(0.6, 1.2), rng.uniform(-0.5, 0.5)
            strokes += [
                [(x + (px - low[0]) / side * size, y + (py - low[1]) / side * size) for px, py in s]
                for s in thing
            ]
            x += size * rng.uniform(0.2, 1.3)  # overlapping the one before, or beside it
        images.append(drawn.draw_strokes(rng, strokes))
    return images


def doodles(kinds: list[str], n: int, rng: np.random.Generator) -> list[Image.Image]:
    return [drawn.draw(rng, drawn.DOODLES[kinds[i % len(kinds)]]) for i in range(n)]


def numbers(digits: np.ndarray, n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Two to five MNIST digits side by side, apart, close, touching or overlapping:
    not one digit (reading numbers depends on it: a touching pair must not pass
    for one digit)."""
    images = []
    for _ in range(n):
        parts = [ink_crop(digits[i]) for i in rng.integers(len(digits), size=int(rng.integers(2, 6)))]
        height = max(p.shape[0] for p in parts)
        offsets, x = [], 0
        for part in parts:
            offsets.append((x, int(rng.integers(0, height // 5 + 1))))
            x = max(x + 2, x + part.shape[1] + round(rng.uniform(-0.15, 0.4) * height))
        canvas = np.zeros((height + height // 5 + 1, x + height), dtype=np.uint8)
        for (left, top), part in zip(offsets, parts, strict=True):
            window = canvas[top : top + part.shape[0], left : left + part.shape[1]]
            np.maximum(window, part, out=window)
        images.append(canvas)
    return images


def ink_crop(digit: np.ndarray) -> np.ndarray:
    """An MNIST-style digit (white on black) cropped to its ink."""
    rows, cols = np.flatnonzero(digit.max(axis=1) > 40), np.flatnonzero(digit.max(axis=0) > 40)
    return digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def fashion(
    images: np.ndarray, labels: np.ndarray, classes: tuple[int, ...], n: int | None, rng: np.random.Generator
) -> np.ndarray:
    chosen = np.flatnonzero(np.isin(labels, classes))
    if n is not None:
        chosen = rng.choice(chosen, size=min(n, len(chosen)), replace=False)
    return images[np.sort(chosen)]


def training_negatives(
    counts: Counts, mnist_train: np.ndarray, fashion_dir: Path, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(n, 28, 28) preprocessed non-digits from the training kinds of every source, and
    their labels: NOT_A_DIGIT, or SEVERAL_DIGITS for numbers."""
    rng = np.random.default_rng(seed)
    fonts = list(font_files(TRAIN_FONTS).values())
    kinds = [kind for kind in drawn.DOODLES if kind not in HELDOUT_DOODLES]
    fmnist = load_fashion(fashion_dir)
    trained_classes = tuple(c for c in range(10) if c not in HELDOUT_FASHION)
    parts = [
        parallel.inputs(DIGITS, characters(fonts, counts.fonts, rng)),
        parallel.inputs(DIGITS, stroked_letters(TRAIN_HERSHEY, counts.strokes, rng)),
        parallel.inputs(DIGITS, doodles(kinds, counts.doodles, rng)),
        parallel.inputs(DIGITS, stroked_letters(TRAIN_GREEK, counts.greek, rng, GREEK_KEYS)),
        parallel.inputs(DIGITS, scenes(kinds, TRAIN_HERSHEY, counts.scenes, rng)),
        parallel.inputs(
            DIGITS, fashion(fmnist.x_train, fmnist.y_train, trained_classes, counts.fashion, rng)
        ),
    ]
    several = parallel.inputs(DIGITS, numbers(mnist_train, counts.numbers, rng))
    labels = np.r_[np.full(sum(map(len, parts)), NOT_A_DIGIT), np.full(len(several), SEVERAL_DIGITS)]
    return np.concatenate([*parts, several]), labels.astype(np.uint8)


def heldout_negatives(
    mnist_test: np.ndarray,
    fashion_dir: Path,
    seed: int,
    per_source: int = 1000,
    handwritten_dir: Path | None = None,
) -> dict[str, np.ndarray]:
    """Held-out kinds of non-digit, by source name: what the rejection rate is measured on;
    with `handwritten_dir`, the held-out kinds and sources of the real handwritten ones too
    (training.handwritten), drawn on a seed of their own, so that the evaluation command
    makes the same sets as training."""
    rng = np.random.default_rng(seed + 1)
    made: dict[str, list[Image.Image] | np.ndarray] = {}  # drawn in turn, as they draw on `rng`
    for name, files in font_files(HELDOUT_FONTS).items():
        made[f"font:{name}"] = characters([files], per_source // 2, rng)
    for name in HELDOUT_HERSHEY:
        made[f"strokes:{name}"] = stroked_letters((name,), per_source // 2, rng)
    for name in HELDOUT_GREEK:
        made[f"strokes:{name}"] = stroked_letters((name,), per_source // 2, rng, GREEK_KEYS)
    for kind in HELDOUT_DOODLES:
        made[f"doodle:{kind}"] = doodles([kind], per_source // 2, rng)
    made["scenes:heldout"] = scenes(list(HELDOUT_DOODLES), HELDOUT_HERSHEY, per_source // 2, rng)
    fmnist = load_fashion(fashion_dir)
    for label in HELDOUT_FASHION:
        made[f"fashion:{FASHION_LABELS[label]}"] = fashion(
            fmnist.x_test, fmnist.y_test, (label,), per_source // 2, rng
        )
    # then preprocessed all at once, on every core
    preprocessed = parallel.inputs(DIGITS, [image for images in made.values() for image in images])
    ends = np.cumsum([len(images) for images in made.values()])
    sets = dict(zip(made, np.split(preprocessed, ends[:-1]), strict=True))
    drawn_kinds = np.concatenate([x for name, x in sets.items() if not name.startswith("fashion")])
    sets["paper:heldout"], _ = paper.photographed(
        drawn_kinds, np.zeros(len(drawn_kinds), np.uint8), per_source // 2, rng, paper.HELDOUT
    )
    sets["numbers:mnist_test"] = parallel.inputs(DIGITS, numbers(mnist_test, per_source, rng))
    if handwritten_dir is not None:
        _, kept_apart = handwritten.split(handwritten.load(handwritten_dir), seed)
        pens = parallel.inputs(DIGITS, mnist_test[: handwritten.MNIST_SHARES])
        sets |= handwritten.heldout_sets(kept_apart, pens, np.random.default_rng(seed + 2), per_source)
    return sets
