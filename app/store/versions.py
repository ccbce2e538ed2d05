"""Model versions: each a folder's files (card, LiteRT model, layers model) kept in the
database, where every worker and pod can fetch them, and promotions, the newest of which
names the version a model serves. A model never promoted serves its shipped folder
(`models/`), whose version is addressable too.

A version is fetched once per process into a temporary folder of that process's own
(<tmp>/digitpad-versions-*/<name>/<version>/), then loaded from there: the data folder may
be read-only, or shared by pods, and the database has every version anyway."""

from __future__ import annotations

import atexit
import errno
import io
import json
import logging
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from app.core.card import ModelCard
from app.core.errors import Code, Refusal
from app.store.database import Database
from app.store.tables import ModelVersionRow, PromotionRow

log = logging.getLogger("digitpad")
CARD = "model_card.json"
# A plain name: a folder's, never a path, one line (fullmatch: "$" would let a final newline by).
VERSION = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class Promotion:
    version: str
    promoted: datetime
    note: str


def files_of(folder: Path, card: ModelCard) -> list[Path]:
    """What a version is: its card and the LiteRT files it serves."""
    names = [CARD, f"{card.name}.tflite", f"{card.name}_layers.tflite"]
    return [folder / name for name in names if (folder / name).is_file()]


def _zip(paths: list[Path]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            archive.write(path, path.name)
    return buffer.getvalue()


def transient(exc: Exception) -> bool:
    """Whether loading a version failed for a reason that may pass (the database away, a
    full or read-only disk) rather than for the version's own (a missing or corrupt file)."""
    if isinstance(exc, Refusal):
        return exc.code is Code.STORE_UNAVAILABLE
    return isinstance(exc, OSError) and exc.errno not in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR)


class Versions:
    def __init__(self, database: Database, cache: Path | None, shipped: dict[str, Path]) -> None:
        self.database = database
        # A folder per version fetched from the database; None: a temporary folder per process.
        self._cache = cache
        self._cache_pid = os.getpid()
        self.shipped = shipped  # each model's folder in models/: its version until one is promoted

    @property
    def cache(self) -> Path:
        """Where fetched versions are unpacked: made on first use, and again in a forked worker,
        whose folder is its own (removed when it exits)."""
        if self._cache is None or self._cache_pid != os.getpid():
            self._cache = Path(tempfile.mkdtemp(prefix="digitpad-versions-"))
            self._cache_pid = os.getpid()
            atexit.register(shutil.rmtree, self._cache, True)
        return self._cache

    def shipped_card(self, name: str) -> ModelCard:
        return ModelCard.read(self.shipped[name] / CARD)

    def add(self, name: str, folder: Path) -> ModelCard:
        """Keeps the folder's version of model `name`; Refusal(INVALID_REQUEST) if it has it,
        or if the version is not a plain name (it names a folder, a metric's label, a URL's part)."""
        card = ModelCard.read(folder / CARD)
        if not VERSION.fullmatch(card.version):
            raise Refusal(
                Code.INVALID_REQUEST,
                f"version {card.version!r}: a version is 1-64 letters, digits, '.', '_' and '-', "
                "not starting with '.'",
            )
        with self.database.writing(name) as connection:
            try:
                connection.execute(
                    insert(ModelVersionRow).values(
                        name=name,
                        version=card.version,
                        card=card.model_dump_json(),
                        files=_zip(files_of(folder, card)),
                        created=datetime.now(UTC),
                    )
                )
            except IntegrityError as exc:
                raise Refusal(Code.INVALID_REQUEST, f"{name} already has version {card.version}") from exc
        return card

    def cards(self, name: str) -> list[ModelCard]:
        """The shipped version and every version kept, oldest first."""
        query = select(ModelVersionRow.card).where(ModelVersionRow.name == name).order_by(ModelVersionRow.id)
        with self.database.reading() as connection:
            kept = [ModelCard.model_validate_json(card) for card in connection.scalars(query)]
        shipped = self.shipped_card(name)
        return [shipped, *[card for card in kept if card.version != shipped.version]]

    def card(self, name: str, version: str) -> ModelCard | None:
        return next((card for card in self.cards(name) if card.version == version), None)

    def promotions(self, name: str) -> list[Promotion]:
        """Newest first."""
        query = (
            select(PromotionRow.version, PromotionRow.promoted, PromotionRow.note)
            .where(PromotionRow.name == name)
            .order_by(PromotionRow.id.desc())
        )
        with self.database.reading() as connection:
            return [Promotion(*row) for row in connection.execute(query)]

    def serving(self, name: str) -> str:
        """The version model `name` serves: the newest promoted, or the shipped one."""
        row = self.database.fetch_one(
            "SELECT version FROM promotions WHERE name = {} ORDER BY id DESC LIMIT 1", name
        )
        return self.shipped_card(name).version if row is None else str(row[0])

    def promote(self, name: str, version: str, note: str) -> None:
        if self.card(name, version) is None:
            raise Refusal(Code.UNKNOWN_MODEL, f"no version {version} of {name}: digitpad-models list")
        with self.database.writing(name) as connection:
            connection.execute(
                insert(PromotionRow).values(name=name, version=version, promoted=datetime.now(UTC), note=note)
            )

    def folder(self, name: str, version: str) -> Path:
        """The version's files in a folder of their own: fetched from the database the first
        time. Refusal(UNKNOWN_MODEL) for a version it does not have."""
        if version == self.shipped_card(name).version:
            return self.shipped[name]
        if not VERSION.fullmatch(version):
            raise Refusal(Code.UNKNOWN_MODEL, f"no version {version!r} of {name}")
        target = self.cache / name / version
        if (target / CARD).is_file():
            return target
        query = select(ModelVersionRow.files).where(
            ModelVersionRow.name == name, ModelVersionRow.version == version
        )
        with self.database.reading() as connection:
            files = connection.scalar(query)
        if files is None:
            raise Refusal(Code.UNKNOWN_MODEL, f"no version {version} of {name}")
        target.parent.mkdir(parents=True, exist_ok=True)
        # Unpacked beside it, then renamed: another process never sees half a folder.
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{version}-"))
        try:
            with zipfile.ZipFile(io.BytesIO(files)) as archive:
                for member in archive.namelist():
                    if Path(member).name != member:  # a name with a folder in it: not ours
                        raise ValueError(f"version {version}: unexpected file {member!r}")
                archive.extractall(staging)
            json.loads((staging / CARD).read_text())
            staging.rename(target)
        except OSError:
            if not (target / CARD).is_file():
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return target
