"""The FastAPI application: `uvicorn --factory app.web.main:create_app`, or the
`digitpad-serve` command. Importing this module makes nothing: no app, no data folder.

`create_app` is stateless: everything an app needs (settings, limits, models) hangs off
the app itself, so two apps in one process keep their own."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from threadpoolctl import threadpool_limits

from app.core.classifier import Classifier
from app.core.errors import Refusal
from app.serving.follower import Follower
from app.serving.profiles import Profiles
from app.serving.registry import Registry
from app.settings import ROOT, Settings, get_settings
from app.web import metrics, problems
from app.web.middleware.access_log import AccessLog
from app.web.middleware.body_size import LimitBodySize
from app.web.middleware.body_time import LimitBodyTime
from app.web.middleware.head import HeadAsGet
from app.web.middleware.headers import SecurityHeaders
from app.web.middleware.server_errors import ServerErrors
from app.web.oip import routes as oip
from app.web.routes import examples, page, reading, service
from app.web.schemas import PredictRequest
from app.web.work import STORE_THREADS, Work

log = logging.getLogger("digitpad")
# Request bodies the routes read themselves (several content types), documented by reference.
BODY_SCHEMAS = (PredictRequest, *oip.BODY_SCHEMAS)


def _version() -> str:
    try:
        return package_version("digitpad")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"


def _openapi_with_bodies(app: FastAPI) -> None:
    default = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = default()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in BODY_SCHEMAS:
                definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(definition.pop("$defs", {}))
                components[model.__name__] = definition
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None, models: Iterable[Classifier] | None = None) -> FastAPI:
    """The app; it loads the models the settings list at start-up, unless given them loaded."""
    settings = settings or get_settings()
    given = None if models is None else Registry(settings.models, models)
    store = settings.store()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # NumPy's BLAS on one thread: a request's products are small (app.core.personal), and
        # threads woken for each fight the requests' own for the cores (10x slower under load).
        threadpool_limits(1, user_api="blas")
        registry = given or Registry.load(
            settings.model_folders(), settings.backend, settings.limits(), settings.model_dir / "numbers"
        )
        if settings.metrics:
            for model in registry.loaded():
                metrics.record_model(model.name, model.version)
        app.state.registry = registry
        try:
            await asyncio.to_thread(store.database.migrate)  # a slow database holds no one's event loop
        except Refusal as exc:  # reading goes on; storing answers 503 and migrates once it can
            log.error("examples' database not ready: %s", exc.detail)
        follower = None
        if given is None:  # models it loaded itself: it serves their promoted versions
            follower = Follower(
                store.versions,
                registry,
                settings.backend,
                settings.limits(),
                settings.model_poll_s,
                on_swap=(lambda name, now, before: metrics.record_model(name, now, before))
                if settings.metrics
                else None,
            )
            registry.fetch = follower.earlier
            await asyncio.to_thread(follower.check)
            follower.start()
        # Classification is CPU-bound: more threads than cores add only memory (one
        # malloc arena each), so it gets a small pool of its own.
        storing = ThreadPoolExecutor(STORE_THREADS, thread_name_prefix="store")
        with ThreadPoolExecutor(2 * (os.cpu_count() or 1), thread_name_prefix="classify") as executor:
            app.state.work = Work(executor, settings.inline_pixels, storing, settings.store_timeout_s)
            yield
        # Threads a frozen database holds are not waited for: they end when it answers.
        storing.shutdown(wait=False, cancel_futures=True)
        if follower is not None:
            follower.stop()
        store.database.close()

    app = FastAPI(
        title="digitpad",
        summary="Draw a digit, watch a neural network read it.",
        version=_version(),
        lifespan=lifespan,
        telemetry={"tracing": settings.telemetry, "metrics": settings.telemetry, "logs": settings.telemetry},
        redirect_slashes=False,  # a redirect would name the Host the client sent
        docs_url=None,  # served by app.web.routes.page from local files, not a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.registry = Registry(settings.models, [])
    app.state.examples = store.examples
    app.state.profiles = Profiles(store.examples, settings.profile_cache_mb * 1024 * 1024)
    app.include_router(reading.router)
    app.include_router(examples.router)
    app.include_router(service.router)
    app.include_router(oip.router)
    app.include_router(page.router)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    problems.install(app)
    _openapi_with_bodies(app)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"])
    app.add_middleware(LimitBodySize, max_bytes=settings.max_body_bytes)
    app.add_middleware(LimitBodyTime, timeout=settings.body_timeout_s)
    app.add_middleware(HeadAsGet)
    app.add_middleware(ServerErrors)
    app.add_middleware(SecurityHeaders, static_max_age_s=settings.static_max_age_s)
    app.add_middleware(AccessLog, count=settings.metrics)
    return app
