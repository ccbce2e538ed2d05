"""Bytes to a Pillow image, within limits, or an `ImageError` that says why not."""

from __future__ import annotations

import warnings
from io import BytesIO

from PIL import Image, ImageOps, UnidentifiedImageError

from app.errors import ImageTooLarge, UndecodableImage, UnprocessableImage, UnsupportedImageType

SUPPORTED_FORMATS = frozenset({"PNG", "JPEG", "WEBP", "GIF", "BMP"})
MIN_SIDE = 8  # smaller images cannot hold a legible digit
# JPEG can decode straight to a reduced size; preprocessing works at this size anyway.
DRAFT_SIDE = 1024
# decode() refuses over-limit images itself (413), so Pillow's warning is only noise.
warnings.simplefilter("ignore", Image.DecompressionBombWarning)


def _sniff_document(data: bytes) -> str | None:
    head = data[:512].lstrip().lower()
    if head.startswith(b"%pdf"):
        return "PDF"
    if head.startswith((b"<?xml", b"<svg")) or b"<svg" in head:
        return "SVG"
    return None


def decode(data: bytes, max_pixels: int) -> Image.Image:
    """Opens, checks and fully loads an image, with its EXIF orientation applied."""
    if not data:
        raise UndecodableImage("empty image")
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
        raise UnprocessableImage(f"image is {width}x{height}; each side needs at least {MIN_SIDE} px")
    if getattr(image, "is_animated", False):
        raise UnprocessableImage("animated images are not supported; send a single frame")

    try:
        if image.format == "JPEG":
            image.draft(image.mode, (DRAFT_SIDE, DRAFT_SIDE))
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
        return image
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"image has too many pixels (limit {max_pixels})") from exc
    except Exception as exc:
        raise UndecodableImage(f"corrupt image: {exc}") from exc
