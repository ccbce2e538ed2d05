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
from app.core.ink import Ink, Source
from app.web.schemas import PredictRequest

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


async def image_source(request: Request) -> Source:
    """The encoded image, or the strokes of a drawing."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        async with request.form(max_files=1, max_fields=10) as form:  # closes the upload's spool file
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise Refusal(Code.MISSING_FILE, "multipart body has no file in the field 'file'")
            return await upload.read()
    if content_type == "application/json":
        try:
            body = PredictRequest.model_validate_json(await request.body())
        except ValidationError as exc:
            raise Refusal(
                Code.BAD_JSON, 'JSON body must be {"image": "<data URL or base64>"} or {"ink": {...}}'
            ) from exc
        if body.ink is not None:
            return Ink(body.ink.width, body.ink.height, body.ink.pen, body.ink.strokes)
        assert body.image is not None  # the model's validator: one of the two
        return _decode_base64(body.image)
    if content_type.startswith("image/"):
        return await request.body()
    raise Refusal(
        Code.UNSUPPORTED_MEDIA_TYPE,
        "send the image as multipart/form-data (field 'file'), image/* bytes, or application/json",
    )
