"""The one error type the image path raises, with the HTTP status it maps to.

Decoding and preprocessing raise nothing else for any input, which is what lets
the service promise a 4xx (never a 500) for bad images.
"""

from __future__ import annotations


class ImageError(Exception):
    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class UndecodableImage(ImageError):
    status_code = 400


class ImageTooLarge(ImageError):
    status_code = 413


class UnsupportedImageType(ImageError):
    status_code = 415


class UnprocessableImage(ImageError):
    """Decodes fine but holds no single readable digit (animated, tiny, blank)."""

    status_code = 422
