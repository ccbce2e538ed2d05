"""An image out of a request body, in any of the three forms the API takes: a multipart
upload, the raw bytes, or JSON with a data URL, base64 or the page's strokes."""

from __future__ import annotations

import base64
import binascii
import re

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from app.core.errors import Code, Refusal
from app.core.ink import MAX_POINTS, Ink, Source
from app.web.schemas import PredictRequest
from app.web.work import Work

# MAX_POINTS points written out in full ("[-1234.5678901234, 2345.6789012345], " is 40 bytes),
# with room to spare: the page sends a tenth of a pixel, 14 bytes a point.
MAX_INK_BYTES = 64 * MAX_POINTS
# JSON up to this size is parsed on the event loop (a drawing of the page's, some kB: well
# under a millisecond); larger in the pool, where a slow one holds up no other request.
INLINE_JSON_BYTES = 16 * 1024
DATA_URL = re.compile(r"^data:(?P<type>[\w.+-]+/[\w.+-]+)?(;[\w=.+-]+)*?;base64,", re.IGNORECASE)
IMAGE_BODY = {"schema": {"type": "string", "format": "binary"}}
# The OpenAPI description of such a body (the route reads it itself).
OPENAPI = {
    "required": True,
    "description": "The image, any of three ways: a multipart upload in the field `file`, the raw "
    "bytes with an image/* content type, or JSON with a data URL or base64 string (`image`) or the "
    "drawing's strokes (`ink`).",
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
        "image/png": IMAGE_BODY,
        "image/jpeg": IMAGE_BODY,
        "image/webp": IMAGE_BODY,
        "application/json": {"schema": {"$ref": "#/components/schemas/PredictRequest"}},
    },
}


def _decode_base64(text: str) -> bytes:
    match = DATA_URL.match(text)
    if match and match["type"] and not match["type"].lower().startswith("image/"):
        raise Refusal(Code.UNSUPPORTED_MEDIA_TYPE, f"data URL of type {match['type']} is not an image")
    payload = text[match.end() :] if match else text
    try:
        return base64.b64decode(re.sub(r"\s+", "", payload), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Refusal(Code.BAD_BASE64, "field 'image' is not valid base64 or a base64 data URL") from exc


def _from_json(raw: bytes) -> Source:
    try:
        body = PredictRequest.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise Refusal(
            Code.BAD_JSON,
            'JSON body must be {"image": "<data URL or base64>"} or {"ink": {...}}; '
            f"{'.'.join(map(str, first['loc'])) or 'body'}: {first['msg']}",
        ) from exc
    if body.ink is not None:
        return Ink(body.ink.width, body.ink.height, body.ink.pen, body.ink.strokes)
    assert body.image is not None  # the model's validator: one of the two
    return _decode_base64(body.image)


async def image_source(request: Request, work: Work) -> Source:
    """The encoded image, or the strokes of a drawing; large JSON is parsed (and its base64
    decoded) in `work`'s pool."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        async with request.form(max_files=1, max_fields=10) as form:  # closes the upload's spool file
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise Refusal(Code.MISSING_FILE, "multipart body has no file in the field 'file'")
            return await upload.read()
    if content_type == "application/json":
        raw = await request.body()
        # Strokes are arrays, and an image's JSON has none: any array in a body this large,
        # its key spelled however it is ("\u0069nk"), is a drawing past the caps.
        if len(raw) > MAX_INK_BYTES and b"[" in raw:
            raise Refusal(Code.BODY_TOO_LARGE, f"a drawing's JSON (ink) is at most {MAX_INK_BYTES} bytes")
        return _from_json(raw) if len(raw) <= INLINE_JSON_BYTES else await work.pooled(_from_json, raw)
    if content_type.startswith("image/"):
        return await request.body()
    raise Refusal(
        Code.UNSUPPORTED_MEDIA_TYPE,
        "send the image as multipart/form-data (field 'file'), image/* bytes, or application/json",
    )
