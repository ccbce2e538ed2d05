"""The one error type the image path raises, with the HTTP status it maps to and a
stable machine-readable code (the API's `{"detail": ..., "code": ...}`).

Decoding, preprocessing and segmentation raise nothing else for any input, which
is what lets the service promise a 4xx (never a 500) for bad images.
"""

from __future__ import annotations


class ImageError(Exception):
    status_code = 400
    code = "bad_image"

    def __init__(self, detail: str, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.code


class UndecodableImage(ImageError):
    status_code = 400
    code = "undecodable_image"


class ImageTooLarge(ImageError):
    status_code = 413
    code = "image_too_large"


class UnsupportedImageType(ImageError):
    status_code = 415
    code = "unsupported_image_type"


class UnprocessableImage(ImageError):
    """Decodes fine but holds nothing readable (animated, tiny, blank, too many digits)."""

    status_code = 422
    code = "unprocessable_image"


class ServiceBusy(ImageError):
    status_code = 503
    code = "busy"


class ApiError(Exception):
    """A request the API refuses: its HTTP status, its words and its stable code."""

    def __init__(self, status_code: int, detail: str, code: str) -> None:
        super().__init__(detail)
        self.status_code, self.detail, self.code = status_code, detail, code

    @classmethod
    def of(cls, error: ImageError) -> ApiError:
        return cls(error.status_code, error.detail, error.code)
