"""`digitpad-serve`: runs uvicorn with the host, port, workers and log level from settings."""

from __future__ import annotations

import logging

import uvicorn

from app.settings import get_settings


def main() -> None:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(
        "app.main:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        access_log=False,  # app.middleware logs one line per request, with its latency
    )


if __name__ == "__main__":
    main()
