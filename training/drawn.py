"""Procedural drawings: doodles and scribbles (non-digits), and European 1s with a
long flag (a digit MNIST has few of). Each is drawn as pen strokes with a wobbly
hand, then goes through the shared preprocessing like any drawing."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

CANVAS = 112  # px; the preprocessing rescales whatever is drawn
Stroke = list[tuple[float, float]]  # points in the unit square, (x, y) from the top left
Drawing = tuple[list[Stroke], list[list[tuple[float, float]]]]  # strokes, filled polygons


def render(strokes: list[Stroke], filled: list[list[tuple[float, float]]], width: float) -> Image.Image:
    """Dark ink on white, as a canvas or a scan gives it."""
    image = Image.new("L", (CANVAS, CANVAS), 255)
    pen = ImageDraw.Draw(image)
    scale = CANVAS * 0.8

    def to_px(p: tuple[float, float]) -> tuple[float, float]:
        return CANVAS * 0.1 + p[0] * scale, CANVAS * 0.1 + p[1] * scale

    w = max(1, round(width * CANVAS))
    for polygon in filled:
        pen.polygon([to_px(p) for p in polygon], fill=0)
    for stroke in strokes:
        points = [to_px(p) for p in stroke]
        if len(points) > 1:
            pen.line(points, fill=0, width=w, joint="curve")
        for x, y in points[:1] + points[-1:]:  # round caps
            pen.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=0)
    return image


def wobble(rng: np.random.Generator, stroke: Stroke, amount: float = 0.015) -> Stroke:
    """A hand's tremor: the stroke resampled densely and bent by smooth noise."""
    points = np.asarray(stroke, dtype=np.float64)
    if len(points) < 2:
        return stroke
    lengths = np.r_[0, np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))]
    samples = np.linspace(0, lengths[-1], max(2, int(lengths[-1] * 40)))
    dense = np.stack([np.interp(samples, lengths, points[:, i]) for i in range(2)], axis=1)
    noise = np.cumsum(rng.normal(0, amount, dense.shape), axis=0)
    noise -= np.linspace(0, 1, len(dense))[:, None] * noise[-1]  # ends stay put
    return [tuple(p) for p in dense + noise * 0.5]


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 24) -> Stroke:
    t = np.linspace(start, end, n)
    return list(zip(cx + rx * np.cos(t), cy + ry * np.sin(t), strict=True))


def _polygon(rng: np.random.Generator, corners: int, irregular: float) -> list[tuple[float, float]]:
    angles = (
        np.sort(rng.uniform(0, 2 * np.pi, corners))
        if irregular
        else np.linspace(0, 2 * np.pi, corners + 1)[:-1]
    )
    radii = 0.5 * (1 - irregular * rng.random(corners))
    start = rng.uniform(0, 2 * np.pi)
    return [
        (0.5 + r * np.cos(a + start), 0.5 + r * np.sin(a + start)) for a, r in zip(angles, radii, strict=True)
    ]


def scribble(rng: np.random.Generator) -> Drawing:
    return [[tuple(p) for p in rng.random((rng.integers(8, 30), 2))]], []


def zigzag(rng: np.random.Generator) -> Drawing:
    # Four or more segments: two would be a Z, which is how people write a 2.
    n = int(rng.integers(5, 10))
    xs = np.linspace(0, 1, n)
    ys = np.where(np.arange(n) % 2 == 0, rng.uniform(0.2, 0.4), rng.uniform(0.6, 0.8)) + rng.normal(
        0, 0.05, n
    )
    return [list(zip(xs, ys, strict=True))], []


def wave(rng: np.random.Generator) -> Drawing:
    t = np.linspace(0, 1, 60)
    periods = rng.uniform(2, 4)
    return [list(zip(t, 0.5 + rng.uniform(0.1, 0.3) * np.sin(2 * np.pi * periods * t), strict=True))], []


def hatching(rng: np.random.Generator) -> Drawing:
    angle = rng.uniform(0, np.pi)
    direction, normal = np.array([np.cos(angle), np.sin(angle)]), np.array([-np.sin(angle), np.cos(angle)])
    strokes = []
    for offset in np.linspace(-0.35, 0.35, int(rng.integers(3, 8))):
        centre = 0.5 + offset * normal
        strokes.append([tuple(centre - 0.4 * direction), tuple(centre + 0.4 * direction)])
    return strokes, []


def cross_hatching(rng: np.random.Generator) -> Drawing:
    first, _ = hatching(rng)
    second, _ = hatching(rng)
    return first + second, []


def blob(rng: np.random.Generator) -> Drawing:
    return [], [_polygon(rng, int(rng.integers(5, 12)), 0.5)]


def filled_box(rng: np.random.Generator) -> Drawing:
    w, h = rng.uniform(0.3, 1), rng.uniform(0.3, 1)
    return [], [[(0, 0), (w, 0), (w, h), (0, h)]]


def dot(rng: np.random.Generator) -> Drawing:
    return [], [_arc(0.5, 0.5, 0.5, 0.5 * rng.uniform(0.8, 1.2), 0, 2 * np.pi)]


def outline(rng: np.random.Generator) -> Drawing:
    """A triangle or a square (no circles, ellipses or pentagons: that is how a 0 looks)."""
    corners = _polygon(rng, int(rng.choice([3, 4])), 0.0)
    return [corners + corners[:1]], []


def star(rng: np.random.Generator) -> Drawing:
    points = int(rng.choice([5, 6, 7]))
    angles = np.linspace(0, 2 * np.pi, 2 * points + 1) + rng.uniform(0, np.pi)
    radii = np.where(np.arange(2 * points + 1) % 2 == 0, 0.5, rng.uniform(0.18, 0.3))
    return [list(zip(0.5 + radii * np.cos(angles), 0.5 + radii * np.sin(angles), strict=True))], []


def heart(rng: np.random.Generator) -> Drawing:
    t = np.linspace(0, 2 * np.pi, 60)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return [list(zip(0.5 + x / 34, 0.5 + y / 34, strict=True))], []


def smiley(rng: np.random.Generator) -> Drawing:
    face = _arc(0.5, 0.5, 0.5, 0.5, 0, 2 * np.pi, 40)
    eyes = [[(0.35, 0.35), (0.35, 0.4)], [(0.65, 0.35), (0.65, 0.4)]]
    mouth = _arc(0.5, 0.55, 0.22, rng.uniform(0.08, 0.2), 0.15 * np.pi, 0.85 * np.pi)
    return [face, *eyes, mouth], []


def sun(rng: np.random.Generator) -> Drawing:
    rays = []
    for a in np.linspace(0, 2 * np.pi, int(rng.integers(6, 12)), endpoint=False):
        rays.append(
            [(0.5 + 0.3 * np.cos(a), 0.5 + 0.3 * np.sin(a)), (0.5 + 0.5 * np.cos(a), 0.5 + 0.5 * np.sin(a))]
        )
    return [_arc(0.5, 0.5, 0.22, 0.22, 0, 2 * np.pi), *rays], []


def arrow(rng: np.random.Generator) -> Drawing:
    # Not near vertical: an upright arrow is a 1 with two flags.
    angle = rng.choice([-1, 1]) * rng.uniform(0, np.pi / 3) + rng.choice([0, np.pi])
    d = np.array([np.cos(angle), np.sin(angle)])
    tail, tip = 0.5 - 0.45 * d, 0.5 + 0.45 * d
    barbs = [tip - 0.25 * np.array([np.cos(angle + s), np.sin(angle + s)]) for s in (0.5, -0.5)]
    return [[tuple(tail), tuple(tip)], [tuple(barbs[0]), tuple(tip), tuple(barbs[1])]], []


def cross(rng: np.random.Generator) -> Drawing:
    return [[(0, 0), (1, 1)], [(1, rng.uniform(0, 0.2)), (rng.uniform(0, 0.2), 1)]], []


def spiral(rng: np.random.Generator) -> Drawing:
    turns = rng.uniform(2, 4)
    t = np.linspace(0, 2 * np.pi * turns, 120)
    r = 0.5 * t / t[-1]
    return [list(zip(0.5 + r * np.cos(t), 0.5 + r * np.sin(t), strict=True))], []


def house(rng: np.random.Generator) -> Drawing:
    roof = rng.uniform(0.2, 0.45)
    walls = [(0.1, roof), (0.1, 1), (0.9, 1), (0.9, roof), (0.1, roof), (0.5, 0), (0.9, roof)]
    door = [(0.4, 1), (0.4, 0.7), (0.6, 0.7), (0.6, 1)]
    return [walls, door], []


def stick_figure(rng: np.random.Generator) -> Drawing:
    head = _arc(0.5, 0.15, 0.13, 0.13, 0, 2 * np.pi)
    arm = rng.uniform(0.3, 0.6)
    return [
        head,
        [(0.5, 0.28), (0.5, 0.7)],
        [(0.2, arm), (0.5, 0.4), (0.8, arm)],
        [(0.25, 1), (0.5, 0.7), (0.75, 1)],
    ], []


def cloud(rng: np.random.Generator) -> Drawing:
    bumps = int(rng.integers(3, 6))
    stroke: Stroke = []
    for cx in np.linspace(0.15, 0.85, bumps):
        stroke += _arc(cx, 0.45, 0.7 / bumps / 2 + 0.03, rng.uniform(0.1, 0.2), np.pi, 2 * np.pi, 12)
    return [[*stroke, (0.85, 0.65), (0.15, 0.65), stroke[0]]], []


def flower(rng: np.random.Generator) -> Drawing:
    petals = int(rng.integers(5, 9))
    strokes = [_arc(0.5, 0.35, 0.08, 0.08, 0, 2 * np.pi, 16)]
    for a in np.linspace(0, 2 * np.pi, petals, endpoint=False):
        cx, cy = 0.5 + 0.18 * np.cos(a), 0.35 + 0.18 * np.sin(a)
        strokes.append(_arc(cx, cy, 0.1, 0.1, 0, 2 * np.pi, 16))
    return [*strokes, [(0.5, 0.55), (0.5, 1.0)], [(0.5, 0.8), (0.7, 0.7)]], []


def tree(rng: np.random.Generator) -> Drawing:
    crown, _ = cloud(rng)
    crown = [[(x, y - 0.25) for x, y in crown[0]]]
    return [*crown, [(0.45, 0.42), (0.45, 1.0)], [(0.55, 0.42), (0.55, 1.0)]], []


def fish(rng: np.random.Generator) -> Drawing:
    body = _arc(0.45, 0.5, 0.35, rng.uniform(0.15, 0.25), 0, 2 * np.pi, 30)
    tail = [(0.8, 0.5), (1.0, 0.3), (1.0, 0.7), (0.8, 0.5)]
    return [body, tail, [(0.25, 0.45), (0.26, 0.46)]], []


def cat(rng: np.random.Generator) -> Drawing:
    head = _arc(0.5, 0.6, 0.35, 0.3, 0, 2 * np.pi, 36)
    ears = [[(0.22, 0.42), (0.25, 0.1), (0.42, 0.32)], [(0.58, 0.32), (0.75, 0.1), (0.78, 0.42)]]
    whiskers = [
        [(0.05, 0.6), (0.35, 0.65)],
        [(0.65, 0.65), (0.95, 0.6)],
        [(0.05, 0.75), (0.35, 0.7)],
        [(0.65, 0.7), (0.95, 0.75)],
    ]
    return [head, *ears, *whiskers, [(0.38, 0.52), (0.39, 0.53)], [(0.62, 0.52), (0.63, 0.53)]], []


def car(rng: np.random.Generator) -> Drawing:
    roof = rng.uniform(0.25, 0.4)
    body = [
        (0, 0.75),
        (0, 0.5),
        (0.25, 0.5),
        (0.35, roof),
        (0.7, roof),
        (0.8, 0.5),
        (1, 0.5),
        (1, 0.75),
        (0, 0.75),
    ]
    wheels = [_arc(x, 0.8, 0.1, 0.1, 0, 2 * np.pi, 16) for x in (0.22, 0.78)]
    return [body, *wheels], []


def boat(rng: np.random.Generator) -> Drawing:
    hull = [(0, 0.65), (1, 0.65), (0.8, 0.9), (0.2, 0.9), (0, 0.65)]
    sail = [(0.5, 0.6), (0.5, 0.05), (rng.uniform(0.15, 0.3), 0.55), (0.5, 0.55)]
    return [hull, sail], []


def umbrella(rng: np.random.Generator) -> Drawing:
    canopy = _arc(0.5, 0.45, 0.5, rng.uniform(0.3, 0.4), np.pi, 2 * np.pi, 30)
    handle = [(0.5, 0.45), (0.5, 0.9), *_arc(0.42, 0.9, 0.08, 0.08, 0, np.pi, 8)]
    return [[*canopy, canopy[0]], handle], []


def cup(rng: np.random.Generator) -> Drawing:
    body = [(0.1, 0.2), (0.2, 0.9), (0.7, 0.9), (0.8, 0.2), (0.1, 0.2)]
    handle = _arc(0.8, 0.5, 0.15, 0.18, -np.pi / 2, np.pi / 2, 12)
    steam = [[(x, 0.12), (x + 0.05, 0.05), (x, 0.0)] for x in (0.35, 0.55)]
    return [body, handle, *steam[: int(rng.integers(0, 3))]], []


def envelope(rng: np.random.Generator) -> Drawing:
    h = rng.uniform(0.5, 0.7)
    return [[(0, 0), (1, 0), (1, h), (0, h), (0, 0)], [(0, 0), (0.5, h * 0.6), (1, 0)]], []


def tic_tac_toe(rng: np.random.Generator) -> Drawing:
    a, b = rng.uniform(0.25, 0.4), rng.uniform(0.6, 0.75)
    return [[(a, 0), (a, 1)], [(b, 0), (b, 1)], [(0, a), (1, a)], [(0, b), (1, b)]], []


DOODLES: dict[str, Callable[[np.random.Generator], Drawing]] = {
    "scribble": scribble,
    "zigzag": zigzag,
    "wave": wave,
    "hatching": hatching,
    "blob": blob,
    "filled_box": filled_box,
    "dot": dot,
    "outline": outline,
    "heart": heart,
    "smiley": smiley,
    "arrow": arrow,
    "cross": cross,
    "cloud": cloud,
    "flower": flower,
    "tree": tree,
    "fish": fish,
    "cat": cat,
    "tic_tac_toe": tic_tac_toe,
    "boat": boat,
    "cup": cup,
    "envelope": envelope,
    # Kinds held out of training, to measure rejection of kinds never seen.
    "star": star,
    "spiral": spiral,
    "cross_hatching": cross_hatching,
    "house": house,
    "stick_figure": stick_figure,
    "sun": sun,
    "car": car,
    "umbrella": umbrella,
}


def draw(rng: np.random.Generator, kind: Callable[[np.random.Generator], Drawing]) -> Image.Image:
    strokes, filled = kind(rng)
    return render([wobble(rng, s) for s in strokes], filled, rng.uniform(0.03, 0.09))


def draw_strokes(rng: np.random.Generator, strokes: list[Stroke]) -> Image.Image:
    """Strokes in any coordinates (y down), fitted into the unit square, drawn by hand."""
    points = np.concatenate([np.asarray(s, dtype=np.float64) for s in strokes])
    low, side = points.min(axis=0), max(float(np.ptp(points, axis=0).max()), 1e-9)
    unit = [[tuple((np.asarray(p) - low) / side) for p in s] for s in strokes]
    return render([wobble(rng, s, 0.008) for s in unit], [], rng.uniform(0.03, 0.08))


def european_one(rng: np.random.Generator) -> Image.Image:
    """A 1 with a flag from its top down to the left, short or reaching far down
    (a Λ with a straight right leg: the long up-stroke), often with a foot."""
    # A top leaning right and a flat flag make a 7; a 1's stem stands up and its flag falls.
    slant = rng.uniform(-0.1, 0.06)
    top, bottom = (0.5 + slant, 0.0), (0.5 - slant, 1.0)
    length, angle = rng.uniform(0.2, 1.0), np.deg2rad(rng.uniform(30, 80))
    flag = (top[0] - length * np.cos(angle), top[1] + length * np.sin(angle))
    strokes = [[flag, top, bottom]]
    if rng.random() < 0.2:  # the stem curls out to the right at its foot, in one stroke
        hook = rng.uniform(0.1, 0.25)
        strokes = [[flag, top, (bottom[0], 1.0 - hook), (bottom[0] + hook, 1.0)]]
    elif rng.random() < 0.4:
        foot = rng.uniform(0.15, 0.3)
        strokes.append([(bottom[0] - foot, 1.0), (bottom[0] + foot, 1.0)])
    return render([wobble(rng, s) for s in strokes], [], rng.uniform(0.04, 0.09))


def european_seven(rng: np.random.Generator) -> Image.Image:
    """A 7 crossed through the middle, as much of Europe writes it."""
    left, right = rng.uniform(0.0, 0.2), rng.uniform(0.8, 1.0)
    foot = rng.uniform(0.25, 0.55)
    bar_y = rng.uniform(0.4, 0.6)
    bar_x = right + (foot - right) * bar_y  # where the stem crosses the bar's height
    half = rng.uniform(0.15, 0.3)
    strokes = [
        [(left, rng.uniform(0, 0.08)), (right, 0.0), (foot, 1.0)],
        [(bar_x - half, bar_y), (bar_x + half * 0.8, bar_y - 0.02)],
    ]
    return render([wobble(rng, s) for s in strokes], [], rng.uniform(0.04, 0.09))


def open_four(rng: np.random.Generator) -> Image.Image:
    """A 4 whose top is open: a stroke down and across, then the stem down through it."""
    stem_x, bar_y = rng.uniform(0.6, 0.8), rng.uniform(0.5, 0.7)
    start = (rng.uniform(0.1, 0.4), 0.0)
    strokes = [
        [start, (rng.uniform(0.0, 0.15), bar_y), (1.0, bar_y - rng.uniform(0, 0.05))],
        [(stem_x + rng.uniform(-0.05, 0.1), rng.uniform(0.0, 0.2)), (stem_x, 1.0)],
    ]
    return render([wobble(rng, s) for s in strokes], [], rng.uniform(0.04, 0.09))


def looped_nine(rng: np.random.Generator) -> Image.Image:
    """A 9 drawn as a loop and a stem in one stroke: a stem straight down, curled at its
    foot, or like a Greek rho, its loop on a stem that starts at the loop's left."""
    radius = rng.uniform(0.2, 0.3)
    cx, cy = 0.5, radius + 0.02
    rho = rng.random() < 0.3
    start = np.pi if rho else 0.0
    loop = _arc(cx, cy, radius * rng.uniform(0.8, 1.1), radius, start, start + 2 * np.pi, 30)
    if rho:
        stem = [(cx - radius, cy), (cx - radius + rng.uniform(-0.05, 0.05), 1.0)]
    else:
        foot = rng.uniform(-0.25, 0.15)
        stem = [(cx + radius, cy), (cx + radius * 0.9, 0.85), (cx + radius * 0.9 + foot, 1.0)]
    return render([wobble(rng, [*loop, *stem])], [], rng.uniform(0.03, 0.08))
