"""All service settings, read from environment variables (prefix DIGITPAD_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DIGITPAD_", protected_namespaces=())

    model_dir: Path = ROOT / "models"
    backend: Literal["litert", "keras"] = "litert"
    max_body_bytes: int = Field(10 * 1024 * 1024, gt=0, description="largest request body accepted")
    max_pixels: int = Field(40_000_000, gt=0, description="largest image accepted, in pixels")
    max_digits: int = Field(20, gt=0, description="most digits /read reads in one image (more: 422)")
    host: str = "127.0.0.1"
    # PORT too, as container platforms set it.
    port: int = Field(8000, validation_alias=AliasChoices("DIGITPAD_PORT", "PORT"))
    workers: int = Field(1, ge=1)
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    cors_origins: list[str] = Field(default_factory=list, description="origins allowed by CORS; none by default")
    # Off by default: with it on, every request looks up the OpenTelemetry providers
    # even when none is configured.
    telemetry: bool = Field(False, description="FastAPI's OpenTelemetry traces, metrics and logs")


@lru_cache
def get_settings() -> Settings:
    return Settings()
