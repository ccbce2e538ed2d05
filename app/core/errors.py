"""The one error vocabulary: every refusal, of the core and of the web alike, is a
`Refusal` with a `Code` from this enum and words for a person.

The core says what went wrong and never how it travels: the HTTP status of each code,
and the body it is written in, are decided in one place, app.web.problems.
"""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """Stable and machine-readable: clients may branch on these."""

    # The image
    EMPTY_IMAGE = "empty_image"
    UNDECODABLE_IMAGE = "undecodable_image"
    IMAGE_TOO_LARGE = "image_too_large"
    UNSUPPORTED_IMAGE_TYPE = "unsupported_image_type"
    ANIMATED = "animated"
    TOO_SMALL = "too_small"
    NO_INK = "no_ink"
    TOO_MANY_DIGITS = "too_many_digits"
    BUSY = "busy"
    BUSY_WITH_LARGE_IMAGES = "busy_with_large_images"
    # The request
    BODY_TOO_LARGE = "body_too_large"
    BODY_TIMEOUT = "body_timeout"
    HEAD_TOO_LARGE = "head_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    UNSUPPORTED_CONTENT_ENCODING = "unsupported_content_encoding"
    MISSING_FILE = "missing_file"
    BAD_JSON = "bad_json"
    BAD_BASE64 = "bad_base64"
    BAD_INK = "bad_ink"
    INVALID_REQUEST = "invalid_request"
    BAD_REQUEST = "bad_request"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    # Open Inference Protocol tensors
    BAD_INPUT_NAME = "bad_input_name"
    BAD_OUTPUT_NAME = "bad_output_name"
    BAD_DATATYPE = "bad_datatype"
    BAD_SHAPE = "bad_shape"
    BAD_DATA = "bad_data"
    BAD_BINARY_DATA = "bad_binary_data"
    BATCH_TOO_LARGE = "batch_too_large"
    # What people teach
    BAD_PROFILE = "bad_profile"
    NO_SUCH_PART = "no_such_part"
    UNKNOWN_EXAMPLE = "unknown_example"
    PROFILE_FULL = "profile_full"
    STORE_FULL = "store_full"
    TOO_MANY_REQUESTS = "too_many_requests"
    STORE_UNAVAILABLE = "store_unavailable"
    # Models and the service
    UNKNOWN_MODEL = "unknown_model"
    MODEL_NOT_LOADED = "model_not_loaded"
    LAYERS_MODEL_NOT_LOADED = "layers_model_not_loaded"
    NOT_A_DIGIT_MODEL = "not_a_digit_model"
    METRICS_DISABLED = "metrics_disabled"
    INSUFFICIENT_STORAGE = "insufficient_storage"
    INTERNAL_ERROR = "internal_error"


class Refusal(Exception):
    """What the service will not do, and why: a code and words for a person.

    Decoding, preprocessing and segmentation raise nothing else for any input, which is
    what lets the service promise a 4xx (never a 500) for bad images."""

    def __init__(self, code: Code, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail

    def __repr__(self) -> str:
        return f"Refusal({self.code.value!r}, {self.detail!r})"

    def within(self, prefix: str) -> Refusal:
        """The same refusal with its words prefixed (which image of a batch, say)."""
        return Refusal(self.code, f"{prefix}: {self.detail}")
