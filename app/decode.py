"""Bytes to a Pillow image, within limits, or an `ImageError` that says why not."""

from __future__ import annotations

import threading
import warnings
import weakref
from dataclasses import dataclass, field
from io import BytesIO

from PIL import Image, ImageOps, UnidentifiedImageError

from app.errors import ImageTooLarge, ServiceBusy, UndecodableImage, UnprocessableImage, UnsupportedImageType

SUPPORTED_FORMATS = frozenset({"PNG", "JPEG", "WEBP", "GIF", "BMP"})
MIN_SIDE = 8  # smaller images cannot hold a legible digit
# JPEG can decode straight to a reduced size; preprocessing works at this size anyway.
DRAFT_SIDE = 1024
# decode() refuses over-limit images itself (413), so Pillow's warning is only noise.
warnings.simplefilter("ignore", Image.DecompressionBombWarning)
# Pillow keeps every pixel of an image with several bands, or of more than 8 bits,
# in 4 bytes. 16-bit images are counted at 4 too: preprocessing turns them into
# 32-bit floats, with a few copies, which makes them the most costly of all.
ONE_BYTE_MODES = frozenset({"1", "L", "P"})


class DecoderBusy(ServiceBusy):
    code = "busy_with_large_images"


@dataclass(frozen=True)
class DecodeLimits:
    """What images may cost (the service sets them from its settings
    max_decoded_bytes, large_image_bytes, max_large_images and large_image_wait_s)."""

    max_bytes: int = 64 * 1024 * 1024
    large_bytes: int = 16 * 1024 * 1024
    large_slots: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(2))
    large_wait_s: float = 0.0


# One set per process, as what they protect is the process's memory.
_limits = DecodeLimits()


def configure(limits: DecodeLimits) -> None:
    global _limits
    _limits = limits


def decoded_bytes(image: Image.Image) -> int:
    """What the image takes in memory once decoded, as preprocessing will use it."""
    # A transparent grey or palette image is made RGBA to flatten it (app.preprocess).
    one_byte = image.mode in ONE_BYTE_MODES and "transparency" not in image.info
    return image.width * image.height * (1 if one_byte else 4)


def _wait_for_a_large_slot(image: Image.Image, limits: DecodeLimits) -> None:
    """Holds one of the large-image slots for as long as `image` lives.

    Most of the memory a large image takes goes to preprocessing it, after decode()
    has returned, so the slot is released when the image is freed rather than here.
    CPython frees it as soon as the request is done with it.
    """
    if not limits.large_slots.acquire(timeout=limits.large_wait_s):
        raise DecoderBusy("too many large images are being processed; try again in a moment")
    weakref.finalize(image, limits.large_slots.release)


def _sniff_document(data: bytes) -> str | None:
    head = data[:512].lstrip().lower()
    if head.startswith(b"%pdf"):
        return "PDF"
    if head.startswith((b"<?xml", b"<svg")) or b"<svg" in head:
        return "SVG"
    return None


def decode(data: bytes, max_pixels: int, limits: DecodeLimits | None = None) -> Image.Image:
    """Opens, checks and fully loads an image, with its EXIF orientation applied.

    Large images (`limits.large_bytes` and more) wait for a slot, which they hold
    until they are freed; `limits` defaults to the ones `configure` set.
    """
    limits = limits or _limits
    if not data:
        raise UndecodableImage("empty image", "empty_image")
    document = _sniff_document(data)
    if document:
        raise UnsupportedImageType(f"{document} is not supported; send a PNG, JPEG or WebP image")
    # Pillow raises a zoo of exception types on hostile input; every one of them
    # means "this is not a readable image", so they are all mapped to one error.
    try:
        image = Image.open(BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"image has too many pixels (limit {max_pixels})") from exc
    except UnidentifiedImageError as exc:
        raise UndecodableImage("not a readable PNG, JPEG, WebP, GIF or BMP image") from exc
    except Exception as exc:
        raise UndecodableImage(f"corrupt image: {exc}") from exc

    if image.format not in SUPPORTED_FORMATS:
        raise UnsupportedImageType(f"{image.format} images are not supported; send PNG, JPEG or WebP")
    width, height = image.size
    if width * height > max_pixels:
        raise ImageTooLarge(f"image is {width}x{height}: too many pixels (limit {max_pixels})")
    if min(width, height) < MIN_SIDE:
        raise UnprocessableImage(f"image is {width}x{height}; each side needs at least {MIN_SIDE} px", "too_small")
    if getattr(image, "is_animated", False):
        raise UnprocessableImage("animated images are not supported; send a single frame", "animated")

    try:
        if image.format == "JPEG":
            image.draft(image.mode, (DRAFT_SIDE, DRAFT_SIDE))  # sets the size the decoder will produce
            # What one decoded pixel is in the sent image, for boxes (app.segment) in its pixels.
            image.info["scale"] = width / image.width
    except Exception as exc:
        raise UndecodableImage(f"corrupt image: {exc}") from exc
    size = decoded_bytes(image)
    if size > limits.max_bytes:
        raise ImageTooLarge(
            f"image is {image.width}x{image.height} {image.mode}: {size} bytes decoded "
            f"(limit {limits.max_bytes}); send a smaller or 8-bit image"
        )
    if size >= limits.large_bytes:
        _wait_for_a_large_slot(image, limits)

    try:
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
        return image
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"image has too many pixels (limit {max_pixels})") from exc
    except Exception as exc:
        raise UndecodableImage(f"corrupt image: {exc}") from exc
