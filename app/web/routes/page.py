"""The HTML pages: the drawing pad at / and the API docs at /docs."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from app.settings import ROOT
from app.web.deps import RegistryDep

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=ROOT / "templates")


@router.get("/", response_class=HTMLResponse)
async def index(request: Request, registry: RegistryDep) -> HTMLResponse:
    # The page's switch shows one mode per task (its first model reads the pad); the other
    # models of a task can read the same drawing beside it, to compare.
    models = [
        {
            "name": model.name,
            "task": model.task.name,
            "task_title": model.task.title,
            "noun": model.task.noun,
            "title": model.title,
            "can": asdict(model.can),
        }
        for model in registry.loaded()
    ]
    modes, seen = [], set()
    for model in models:
        if model["task"] not in seen:
            seen.add(model["task"])
            modes.append(model)
    default = registry.loaded()[0] if registry.loaded() else None
    context = {"model_version": default.version if default else None, "modes": modes, "models": models}
    return templates.TemplateResponse(request, "index.html", context)


@router.get("/favicon.ico")
async def favicon() -> FileResponse:
    # Browsers ask for /favicon.ico whatever the page's <link rel="icon"> says: the same mark.
    return FileResponse(
        ROOT / "static" / "favicon.svg",
        media_type="image/svg+xml",
        headers={"cache-control": "public, max-age=86400"},
    )


@router.get("/docs", response_class=HTMLResponse)
async def docs(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "docs.html", {"openapi_url": request.app.openapi_url})
