"""Where every refusal becomes an HTTP answer: the status of each code, and the one
body it is written in: `{"detail", "code"}` for the API, the Open Inference Protocol's
`{"error", "code"}` under /v2. The exception handlers, the middleware's early refusals
and digitpad-serve's own 431 all write through here."""

from __future__ import annotations

import errno
import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from app.core.errors import Code, Refusal

log = logging.getLogger("digitpad")
OIP_PREFIX = "/v2/"

STATUS: dict[Code, int] = {
    Code.EMPTY_IMAGE: 400,
    Code.UNDECODABLE_IMAGE: 400,
    Code.IMAGE_TOO_LARGE: 413,
    Code.UNSUPPORTED_IMAGE_TYPE: 415,
    Code.ANIMATED: 422,
    Code.TOO_SMALL: 422,
    Code.NO_INK: 422,
    Code.TOO_MANY_DIGITS: 422,
    Code.BUSY: 503,
    Code.BUSY_WITH_LARGE_IMAGES: 503,
    Code.BODY_TOO_LARGE: 413,
    Code.BODY_TIMEOUT: 408,
    Code.HEAD_TOO_LARGE: 431,
    Code.UNSUPPORTED_MEDIA_TYPE: 415,
    Code.UNSUPPORTED_CONTENT_ENCODING: 415,
    Code.MISSING_FILE: 422,
    Code.BAD_JSON: 422,
    Code.BAD_BASE64: 422,
    Code.BAD_INK: 422,
    Code.INVALID_REQUEST: 422,
    Code.BAD_REQUEST: 400,
    Code.NOT_FOUND: 404,
    Code.METHOD_NOT_ALLOWED: 405,
    Code.BAD_INPUT_NAME: 400,
    Code.BAD_OUTPUT_NAME: 400,
    Code.BAD_DATATYPE: 400,
    Code.BAD_SHAPE: 400,
    Code.BAD_DATA: 400,
    Code.BAD_BINARY_DATA: 400,
    Code.BATCH_TOO_LARGE: 413,
    Code.BAD_PROFILE: 422,
    Code.NO_SUCH_PART: 422,
    Code.UNKNOWN_EXAMPLE: 404,
    Code.PROFILE_FULL: 409,
    Code.STORE_FULL: 507,
    Code.TOO_MANY_REQUESTS: 429,
    Code.STORE_UNAVAILABLE: 503,
    Code.UNKNOWN_MODEL: 404,
    Code.MODEL_NOT_LOADED: 503,
    Code.LAYERS_MODEL_NOT_LOADED: 503,
    Code.NOT_A_DIGIT_MODEL: 422,
    Code.METRICS_DISABLED: 404,
    Code.INSUFFICIENT_STORAGE: 507,
    Code.INTERNAL_ERROR: 500,
}
# Statuses Starlette raises itself (routing, its multipart parser), as codes.
HTTP_STATUS_CODES = {
    400: Code.BAD_REQUEST,
    404: Code.NOT_FOUND,
    405: Code.METHOD_NOT_ALLOWED,
    413: Code.BODY_TOO_LARGE,
    415: Code.UNSUPPORTED_MEDIA_TYPE,
    422: Code.INVALID_REQUEST,
}
# Under /v2 a malformed tensor is a bad request, as every other tensor error of the protocol.
OIP_STATUS = {**STATUS, Code.BAD_BASE64: 400}
# A connection that must not serve another request: the rest of its body may still come.
CLOSE = {"connection": "close"}
# When to try again, in seconds, for refusals that pass.
RETRY_AFTER = {Code.TOO_MANY_REQUESTS: "60", Code.STORE_UNAVAILABLE: "5"}


# The codes of a request that sends an image, whatever the route does with it.
IMAGE_CODES = (
    Code.EMPTY_IMAGE,
    Code.UNDECODABLE_IMAGE,
    Code.IMAGE_TOO_LARGE,
    Code.UNSUPPORTED_IMAGE_TYPE,
    Code.ANIMATED,
    Code.TOO_SMALL,
    Code.NO_INK,
    Code.BUSY_WITH_LARGE_IMAGES,
    Code.BODY_TOO_LARGE,
    Code.BODY_TIMEOUT,
)
BODY_CODES = (Code.UNSUPPORTED_MEDIA_TYPE, Code.MISSING_FILE, Code.BAD_JSON, Code.BAD_BASE64, Code.BAD_INK)


def documented(model: type, *codes: Code) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI responses of a route that may refuse with `codes`: each status, its codes."""
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(STATUS[code], []).append(code.value)
    return {
        status: {"model": model, "description": "code: " + ", ".join(names)}
        for status, names in sorted(by_status.items())
    }


def body(path: str, code: Code, detail: str) -> bytes:
    """The error's JSON for a request to `path`."""
    words = "error" if path.startswith(OIP_PREFIX) else "detail"
    return json.dumps({words: detail, "code": code.value}, ensure_ascii=False, separators=(",", ":")).encode()


def status(path: str, code: Code) -> int:
    return (OIP_STATUS if path.startswith(OIP_PREFIX) else STATUS)[code]


def response(path: str, code: Code, detail: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body(path, code, detail),
        status_code=status(path, code),
        headers=headers,
        media_type="application/json",
    )


def refusal_response(request: Request, refusal: Refusal) -> Response:
    headers = CLOSE if refusal.code is Code.BODY_TIMEOUT else None
    if refusal.code in RETRY_AFTER:
        headers = {"retry-after": RETRY_AFTER[refusal.code]}
    return response(request.url.path, refusal.code, refusal.detail, headers)


def install(app: FastAPI) -> None:
    """The exception handlers: each kind of error the app may raise, answered in the vocabulary."""

    @app.exception_handler(Refusal)
    async def refused(request: Request, exc: Refusal) -> Response:
        return refusal_response(request, exc)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        code = HTTP_STATUS_CODES.get(
            exc.status_code, Code.BAD_REQUEST if exc.status_code < 500 else Code.INTERNAL_ERROR
        )
        answer = response(request.url.path, code, str(exc.detail), dict(exc.headers or {}))
        answer.status_code = exc.status_code
        return answer

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return response(request.url.path, Code.INVALID_REQUEST, problems)

    @app.exception_handler(OSError)
    async def os_error(request: Request, exc: OSError) -> Response:
        if exc.errno != errno.ENOSPC:
            raise exc  # a 500, from app.web.middleware.server_errors
        # An upload spooled to a full disk, say: the request may succeed later, or elsewhere.
        log.warning("no space left on device while answering %s", request.url.path)
        return response(
            request.url.path, Code.INSUFFICIENT_STORAGE, "no space left on the server; try again later"
        )
