"""All service settings, read from environment variables (prefix DIGITPAD_)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.core.limits import Limits
from app.store import Store
from app.store.database import Database
from app.store.examples import Caps, Examples
from app.store.versions import CARD, Versions

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = "digits"
# Each worker holds its models (~190 MB): more cores than this are for more processes or pods.
MAX_WORKERS = 4


def default_workers() -> int:
    """One worker per core this process may run on (a container's cpuset, not the host's),
    at most MAX_WORKERS: one process runs Python on one core at a time."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DIGITPAD_", protected_namespaces=())

    model_dir: Path = Field(
        ROOT / "models",
        description="the models' folder: each in a sub-folder of its name (`digits/`, `fashion/`, ...)",
    )
    models: Annotated[list[str], NoDecode] = Field(
        ["digits", "fashion", "dense"],
        description="the models to serve, comma-separated, each in model_dir/<name>: digits (the CNN), fashion "
        "(clothes, Fashion-MNIST), dense (the dense network, for comparison); the first is the default of ?model=",
    )
    backend: Literal["litert", "keras"] = "litert"
    max_body_bytes: int = Field(10 * 1024 * 1024, gt=0, description="largest request body accepted")
    max_pixels: int = Field(40_000_000, gt=0, description="largest image accepted, in pixels")
    max_digits: int = Field(20, gt=0, description="most digits /read reads in one image (more: 422)")
    max_batch: int = Field(
        256,
        gt=0,
        description="most images in one Open Inference Protocol request (/v2/models/.../infer; more: 413)",
    )
    # Pixels alone do not bound the cost of an image: a 16-bit or RGBA pixel takes
    # several times the memory of a grey one, decoded and while it is preprocessed.
    max_decoded_bytes: int = Field(
        64 * 1024 * 1024,
        gt=0,
        description="largest image accepted, in bytes once decoded: width x height x 1 for 1-bit, grey and "
        "palette images, x 4 for the rest (RGB, RGBA, 16- and 32-bit); more: 413",
    )
    large_image_bytes: int = Field(
        16 * 1024 * 1024,
        gt=0,
        description="decoded size from which an image counts as large (see max_large_images)",
    )
    max_large_images: int = Field(
        2, gt=0, description="large images decoded and preprocessed at once, per worker process"
    )
    # A large image waits in one of the classification threads, which every request
    # needs: waiting long would let a burst of large images hold up small ones.
    large_image_wait_s: float = Field(
        0.0, ge=0, description="how long a large image may wait for its turn; then the request gets a 503"
    )
    # Slow clients: without these, a connection that trickles its request holds a
    # socket and a task for as long as it likes.
    header_timeout_s: float = Field(
        10.0, gt=0, description="time a connection has to send a complete request head (digitpad-serve only)"
    )
    max_header_bytes: int = Field(
        16 * 1024, gt=0, description="largest request head (URL and headers); more: 431 (digitpad-serve only)"
    )
    body_timeout_s: float = Field(
        30.0, gt=0, description="time a request has to send its whole body once the app reads it; more: 408"
    )
    keep_alive_s: int = Field(5, gt=0, description="how long an idle keep-alive connection stays open")
    static_max_age_s: int = Field(
        300,
        ge=0,
        description="how long browsers may cache /static files without asking (not versioned: short)",
    )
    data_dir: Path = Field(
        ROOT / "data",
        description="where the service keeps what it writes: the embedded database of examples (SQLite)",
    )
    database_url: str | None = Field(
        None,
        description="the examples' database, if not SQLite in data_dir: postgresql+psycopg://user:password@host/db "
        "(several workers on several machines, or pods, share it)",
    )
    # A database that is slow or frozen must not hold requests: no request waits longer than
    # this for it, nor PostgreSQL runs a statement longer (statement_timeout).
    store_timeout_s: float = Field(
        5.0,
        gt=0,
        description="how long a request waits for the examples' database (a pooled connection, each "
        "PostgreSQL statement, the whole call); then a 503",
    )
    profile_wait_s: float = Field(
        0.2,
        gt=0,
        description="how long a reading waits for its profile's examples; then it answers without them "
        "(personal false, and the response header Digitpad-Profile-Skipped)",
    )
    max_examples_per_profile: int = Field(1000, gt=0, description="examples one profile may keep (more: 409)")
    max_examples: int = Field(1_000_000, gt=0, description="examples the whole store may keep (more: 507)")
    examples_per_minute: int = Field(
        120, gt=0, description="examples one profile may store in any minute (more: 429)"
    )
    profile_cache_mb: int = Field(
        64,
        gt=0,
        description="memory each worker process keeps profiles' examples in, as the network sees them, in MiB; "
        "the least recently used are dropped first, and read from the database again when needed",
    )
    model_poll_s: float = Field(
        2.0, gt=0, description="how often each worker asks the database which version of each model to serve"
    )
    host: str = "127.0.0.1"
    # PORT too, as container platforms set it.
    port: int = Field(8000, validation_alias=AliasChoices("DIGITPAD_PORT", "PORT"))
    workers: int = Field(
        default_factory=default_workers,
        ge=1,
        description=f"worker processes: by default one per core this process may use, at most {MAX_WORKERS}",
    )
    inline_pixels: int = Field(
        512 * 512,
        ge=0,
        description="images up to this many pixels are read on the event loop, where a thread hop would "
        "cost as much as the reading; larger ones in a thread pool (0: every one)",
    )
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    cors_origins: list[str] = Field(
        default_factory=list, description="origins allowed by CORS; none by default"
    )
    # Off by default: with it on, every request looks up the OpenTelemetry providers
    # even when none is configured.
    telemetry: bool = Field(False, description="FastAPI's OpenTelemetry traces, metrics and logs")
    metrics: bool = Field(True, description="count requests and answers, served at GET /metrics (false: 404)")
    require_model: bool = Field(
        True, description="digitpad-serve refuses to start without a model (false: it starts and answers 503)"
    )

    @field_validator("models", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return (
            [name.strip() for name in value.split(",") if name.strip()] if isinstance(value, str) else value
        )

    @field_validator("models")
    @classmethod
    def _known_names(cls, names: list[str]) -> list[str]:
        if not names or len(set(names)) != len(names) or not all(n.isidentifier() for n in names):
            raise ValueError("list one or more distinct model names, like digits,fashion")
        return names

    def model_folder(self, name: str) -> Path:
        folder = self.model_dir / name
        # Until the next release: the digit model's files in model_dir itself, as before.
        if name == DEFAULT_MODEL and not (folder / CARD).is_file() and (self.model_dir / CARD).is_file():
            return self.model_dir
        return folder

    def model_folders(self) -> dict[str, Path]:
        return {name: self.model_folder(name) for name in self.models}

    def database(self) -> str:
        """The examples' database URL: the setting's, or SQLite in data_dir."""
        return self.database_url or f"sqlite:///{self.data_dir / 'digitpad.db'}"

    def caps(self) -> Caps:
        return Caps(self.max_examples_per_profile, self.max_examples, self.examples_per_minute)

    def store(self) -> Store:
        """The database these settings name (not connected until first used), and what is kept in it."""
        database = Database(self.database(), self.store_timeout_s)
        return Store(
            database, Examples(database, self.caps()), Versions(database, None, self.model_folders())
        )

    def limits(self) -> Limits:
        """What one image may cost, for the core."""
        return Limits(
            max_pixels=self.max_pixels,
            max_decoded_bytes=self.max_decoded_bytes,
            large_image_bytes=self.large_image_bytes,
            max_large_images=self.max_large_images,
            large_image_wait_s=self.large_image_wait_s,
            max_digits=self.max_digits,
        )


class SettingsError(Exception):
    """A setting's value is invalid; the message names the environment variable that was set."""


def environment_variable(name: str) -> str:
    """The variable a setting (named by its field or one of its aliases) was read
    from: an alias that is set (PORT), or DIGITPAD_<NAME>."""
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias
        names = [c for c in alias.choices if isinstance(c, str)] if isinstance(alias, AliasChoices) else []
        if name == field or name in names:
            return next((n for n in names if n in os.environ), f"DIGITPAD_{field.upper()}")
    return name


@lru_cache
def get_settings() -> Settings:
    """The settings; raises SettingsError, one line, for an invalid value."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = environment_variable(str(error["loc"][0]) if error["loc"] else "")
            problems.append(f"{name}={os.environ.get(name, '')!r}: {error['msg']}")
        raise SettingsError("; ".join(problems)) from None
