"""The HTML pages: the drawing pad at / and the API docs at /docs."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.deps import ModelsDep
from app.settings import DIGITS, ROOT

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=ROOT / "templates")
MODE_TITLES = {DIGITS: "Digits", "fashion": "Clothes"}


@router.get("/", response_class=HTMLResponse)
async def index(request: Request, models: ModelsDep) -> HTMLResponse:
    digits = models.get(DIGITS)
    # The page's switch: what each loaded model reads, and its classes' names for the bars.
    modes = [{"name": name, "title": MODE_TITLES.get(name, name), "labels": model.card.labels}
             for name, model in models.items()]
    return templates.TemplateResponse(
        request, "index.html", {"model_version": digits.version if digits else None, "modes": modes})


@router.get("/docs", response_class=HTMLResponse)
async def docs(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "docs.html", {"openapi_url": request.app.openapi_url})
