"""The FastAPI application: `uvicorn app.main:app`, or the `digitpad-serve` command."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from PIL import Image
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import api, decode, metrics, oip, page
from app.classifier import Classifier
from app.errors import ApiError
from app.explain import Explainer
from app.middleware import BodyReadTimeout, BodyTooLarge, LimitBodySize, LimitBodyTime, SecurityHeadersAndLog
from app.schemas import PredictRequest
from app.settings import DIGITS, ROOT, Settings, get_settings

log = logging.getLogger("digitpad")
HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


# Request bodies the routes read themselves (several content types), documented by reference.
BODY_SCHEMAS = (PredictRequest, oip.InferenceRequest)


def problem(request: Request, status: int, detail: str, code: str,
            headers: dict[str, str] | None = None) -> JSONResponse:
    """The one error shape (app.schemas.Problem); under /v2, the Open Inference
    Protocol's, with the same code (app.oip.ErrorBody)."""
    if request.url.path.startswith(oip.router.prefix + "/"):
        body = {"error": detail, "code": code}
    else:
        body = {"detail": detail, "code": code}
    return JSONResponse(body, status_code=status, headers=headers)


def _load_models(settings: Settings) -> dict[str, Classifier]:
    """Each model the settings list, warmed up; one that fails to load is left out (its
    requests, and /ready, answer 503)."""
    models = {}
    for name in settings.models:
        try:
            model = Classifier.load(settings, name)
            model.warm_up()
        except (OSError, ValueError, KeyError) as exc:
            log.error("model %s not loaded from %s: %s", name, settings.model_folder(name), exc)
            continue
        models[name] = model
        metrics.record_model(name, model.version)
        log.info("model %s version %s loaded (%s backend)", name, model.version, settings.backend)
    return models


def _load_explainer(settings: Settings, models: dict[str, Classifier]) -> Explainer | None:
    """The digit model's layers model for /explain, warmed up, so that the first look
    inside is as quick as the rest; None without it (/explain tries again, then 503)."""
    digits = models.get(DIGITS)
    if digits is None:
        return None
    try:
        return Explainer.load(settings.model_dir, digits.card, digits.max_pixels)
    except (OSError, ValueError) as exc:
        log.warning("layers model not loaded (/explain answers 503): %s", exc)
        return None


def _openapi_with_bodies(app: FastAPI) -> None:
    default = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = default()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in BODY_SCHEMAS:
                definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(definition.pop("$defs", {}))
                components[model.__name__] = definition
        return app.openapi_schema

    app.openapi = openapi


def create_app(settings: Settings | None = None, models: Iterable[Classifier] | None = None) -> FastAPI:
    """The app; it loads the models the settings list at start-up, unless given them loaded."""
    settings = settings or get_settings()
    preloaded = {model.name: model for model in models} if models is not None else None
    Image.MAX_IMAGE_PIXELS = settings.max_pixels  # Pillow's own decompression-bomb guard
    decode.configure(decode.DecodeLimits(
        settings.max_decoded_bytes, settings.large_image_bytes,
        threading.BoundedSemaphore(settings.max_large_images), settings.large_image_wait_s,
    ))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.models = preloaded if preloaded is not None else _load_models(settings)
        app.state.explainer = None if preloaded is not None else _load_explainer(settings, app.state.models)
        # Classification is CPU-bound: more threads than cores add only memory (one
        # malloc arena each), so it gets a small pool of its own.
        with ThreadPoolExecutor(2 * (os.cpu_count() or 1), thread_name_prefix="classify") as executor:
            app.state.executor = executor
            yield

    app = FastAPI(
        title="digitpad",
        summary="Draw a digit, watch a neural network read it.",
        version="1.0.0",
        lifespan=lifespan,
        telemetry={"tracing": settings.telemetry, "metrics": settings.telemetry, "logs": settings.telemetry},
        docs_url=None,  # served by app.page from local files, not a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.models = {}
    app.include_router(api.router)
    app.include_router(oip.router)
    app.include_router(page.router)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")

    @app.exception_handler(ApiError)
    @app.exception_handler(oip.OipError)
    async def api_error(request: Request, exc: ApiError | oip.OipError) -> JSONResponse:
        return problem(request, exc.status_code, exc.detail, exc.code)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return problem(request, exc.status_code, str(exc.detail), code, exc.headers)

    @app.exception_handler(BodyTooLarge)
    async def body_too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return problem(request, 413, str(exc), "body_too_large")

    @app.exception_handler(BodyReadTimeout)
    async def body_read_timeout(request: Request, exc: BodyReadTimeout) -> JSONResponse:
        # The rest of the body may still come: the connection cannot serve another request.
        return problem(request, 408, str(exc), "body_timeout", {"connection": "close"})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return problem(request, 422, problems, "invalid_request")

    _openapi_with_bodies(app)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"])
    app.add_middleware(LimitBodySize, max_bytes=settings.max_body_bytes)
    app.add_middleware(LimitBodyTime, timeout=settings.body_timeout_s)
    app.add_middleware(SecurityHeadersAndLog, static_max_age_s=settings.static_max_age_s, count=settings.metrics)
    return app


app = create_app()
