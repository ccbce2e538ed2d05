"""Bytes to a Pillow image, within limits, or a `Refusal` that says why not."""

from __future__ import annotations

import weakref
from io import BytesIO

import numpy as np
import pyspng
from PIL import Image, ImageOps, JpegImagePlugin, UnidentifiedImageError

from app.core.errors import Code, Refusal
from app.core.limits import Limits

SUPPORTED_FORMATS = frozenset({"PNG", "JPEG", "WEBP", "GIF", "BMP"})
MIN_SIDE = 8  # smaller images cannot hold a legible digit
# JPEG can decode straight to a reduced size; preprocessing works at this size anyway.
DRAFT_SIDE = 1024
# Pillow keeps every pixel of an image with several bands, or of more than 8 bits,
# in 4 bytes. 16-bit images are counted at 4 too: preprocessing turns them into
# 32-bit floats, with a few copies, which makes them the most costly of all.
ONE_BYTE_MODES = frozenset({"1", "L", "P"})
SPNG_MODES = {"L": 1, "RGB": 3, "RGBA": 4}  # Pillow's mode of a plain 8-bit PNG: its channels
SPNG_MAX_PIXELS = 512 * 512


def decoded_bytes(image: Image.Image) -> int:
    """What the image takes in memory once decoded, as preprocessing will use it."""
    # A transparent grey or palette image is made RGBA to flatten it (app.core.preprocess).
    one_byte = image.mode in ONE_BYTE_MODES and "transparency" not in image.info
    return image.width * image.height * (1 if one_byte else 4)


def progressive_jpeg_bytes(image: Image.Image) -> int:
    """What libjpeg holds to decode a progressive JPEG, known from its header: every DCT
    coefficient of the full image, 2 bytes each, whatever size it is drafted to."""
    if image.format != "JPEG" or not image.info.get("progressive"):
        return 0
    return image.width * image.height * len(image.getbands()) * 2


def _wait_for_a_large_slot(image: Image.Image, limits: Limits) -> None:
    """Holds one of the large-image slots for as long as `image` lives.

    Most of the memory a large image takes goes to preprocessing it, after decode()
    has returned, so the slot is released when the image is freed rather than here.
    CPython frees it as soon as the request is done with it.
    """
    if not limits.large_slots.acquire(timeout=limits.large_image_wait_s):
        raise Refusal(
            Code.BUSY_WITH_LARGE_IMAGES, "too many large images are being processed; try again in a moment"
        )
    weakref.finalize(image, limits.large_slots.release)


def _sniff_document(data: bytes) -> str | None:
    head = data[:512].lstrip().lower()
    if head.startswith(b"%pdf"):
        return "PDF"
    if head.startswith((b"<?xml", b"<svg")) or b"<svg" in head:
        return "SVG"
    return None


def header_pixels(data: bytes) -> int:
    """The pixels an encoded image says it has, read from its header alone; 0 when it
    cannot be read (decode() says why)."""
    try:
        with Image.open(BytesIO(data)) as image:
            return image.width * image.height
    except Exception:
        return 0


def _small_png(data: bytes, image: Image.Image) -> Image.Image | None:
    """A small plain PNG (8-bit grey, RGB or RGBA, no transparency chunk, no EXIF) decoded by
    libspng, the same pixels 3-4x faster than Pillow (0.15 ms for the page's canvas); None
    for every other image, and wherever libspng fails, for Pillow to decode or refuse. Only
    small ones: libspng holds the GIL, so a large one would stall the other threads."""
    if (
        image.format != "PNG"
        or image.mode not in SPNG_MODES
        or image.width * image.height > SPNG_MAX_PIXELS
        or "transparency" in image.info
        or b"eXIf" in data
    ):
        return None
    try:
        pixels = pyspng.load(data)
    except Exception:
        return None
    expected = (image.height, image.width, *((SPNG_MODES[image.mode],) if image.mode != "L" else ()))
    if pixels.dtype != np.uint8 or pixels.shape != expected:
        return None
    return Image.fromarray(pixels, image.mode)


def _first_jpeg_frame(data: bytes) -> JpegImagePlugin.JpegImageFile:
    """A multi-picture JPEG (MPO, what some phones and stereo cameras write) as its first
    frame: an ordinary JPEG, followed by the others, which Pillow's MPO reader would
    count as an animation."""
    try:
        return JpegImagePlugin.JpegImageFile(BytesIO(data))
    except Exception as exc:
        raise Refusal(Code.UNDECODABLE_IMAGE, f"corrupt image: {exc}") from exc


def decode(data: bytes, limits: Limits) -> Image.Image:
    """Opens, checks and fully loads an image, with its EXIF orientation applied.

    Large images (`limits.large_image_bytes` and more) wait for a slot, which they hold
    until they are freed.
    """
    max_pixels = limits.max_pixels
    if not data:
        raise Refusal(Code.EMPTY_IMAGE, "empty image")
    document = _sniff_document(data)
    if document:
        raise Refusal(
            Code.UNSUPPORTED_IMAGE_TYPE, f"{document} is not supported; send a PNG, JPEG or WebP image"
        )
    # Pillow raises a zoo of exception types on hostile input; every one of them
    # means "this is not a readable image", so they are all mapped to one error.
    try:
        image = Image.open(BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise Refusal(Code.IMAGE_TOO_LARGE, f"image has too many pixels (limit {max_pixels})") from exc
    except UnidentifiedImageError as exc:
        raise Refusal(Code.UNDECODABLE_IMAGE, "not a readable PNG, JPEG, WebP, GIF or BMP image") from exc
    except Exception as exc:
        raise Refusal(Code.UNDECODABLE_IMAGE, f"corrupt image: {exc}") from exc

    if image.format == "MPO":
        image = _first_jpeg_frame(data)
    if image.format not in SUPPORTED_FORMATS:
        raise Refusal(
            Code.UNSUPPORTED_IMAGE_TYPE, f"{image.format} images are not supported; send PNG, JPEG or WebP"
        )
    width, height = image.size
    if width * height > max_pixels:
        raise Refusal(
            Code.IMAGE_TOO_LARGE, f"image is {width}x{height}: too many pixels (limit {max_pixels})"
        )
    if min(width, height) < MIN_SIDE:
        raise Refusal(Code.TOO_SMALL, f"image is {width}x{height}; each side needs at least {MIN_SIDE} px")
    if getattr(image, "is_animated", False):
        raise Refusal(Code.ANIMATED, "animated images are not supported; send a single frame")

    coefficients = progressive_jpeg_bytes(image)
    try:
        if image.format == "JPEG":
            image.draft(image.mode, (DRAFT_SIDE, DRAFT_SIDE))  # sets the size the decoder will produce
            # What one decoded pixel is in the sent image, for boxes (app.core.segment) in its pixels.
            image.info["scale"] = width / image.width
    except Exception as exc:
        raise Refusal(Code.UNDECODABLE_IMAGE, f"corrupt image: {exc}") from exc
    size = max(decoded_bytes(image), coefficients)
    if size > limits.max_decoded_bytes:
        raise Refusal(
            Code.IMAGE_TOO_LARGE,
            f"image is {image.width}x{image.height} {image.mode}: {size} bytes decoded "
            f"(limit {limits.max_decoded_bytes}); send a smaller or 8-bit image",
        )
    if size >= limits.large_image_bytes:
        _wait_for_a_large_slot(image, limits)

    fast = _small_png(data, image)
    if fast is not None:
        return fast
    try:
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
        return image
    except Image.DecompressionBombError as exc:
        raise Refusal(Code.IMAGE_TOO_LARGE, f"image has too many pixels (limit {max_pixels})") from exc
    except Exception as exc:
        raise Refusal(Code.UNDECODABLE_IMAGE, f"corrupt image: {exc}") from exc
