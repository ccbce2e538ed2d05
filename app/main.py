"""The FastAPI application: `uvicorn app.main:app`, or the `digitpad-serve` command."""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from PIL import Image

from app import api, page
from app.classifier import Classifier
from app.middleware import BodyTooLarge, LimitBodySize, SecurityHeadersAndLog
from app.settings import ROOT, Settings, get_settings

log = logging.getLogger("digitpad")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    Image.MAX_IMAGE_PIXELS = settings.max_pixels  # Pillow's own decompression-bomb guard

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.classifier = None
        try:
            classifier = Classifier.load(settings)
            classifier.warm_up()
            app.state.classifier = classifier
            log.info("model %s loaded (%s backend)", classifier.version, settings.backend)
        except (OSError, ValueError, KeyError) as exc:  # /ready and /predict answer 503
            log.error("model not loaded from %s: %s", settings.model_dir, exc)
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
    app.state.classifier = None
    app.include_router(api.router)
    app.include_router(page.router)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")

    @app.exception_handler(BodyTooLarge)
    async def body_too_large(_: Request, exc: BodyTooLarge) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=413)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return JSONResponse({"detail": problems}, status_code=422)

    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"])
    app.add_middleware(LimitBodySize, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeadersAndLog)
    return app


app = create_app()
