"""A profile's examples: stored within the caps and the rate, listed, forgotten.

A profile is known here only by a hash of its id: whoever reads the database cannot
read or delete a profile's examples through the service."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from PIL import Image
from sqlalchemy import Connection, Row, delete, func, insert, select, update

from app.core.errors import Code, Refusal
from app.core.personal import Example
from app.store.database import Database
from app.store.tables import CountRow, ExampleRow

KINDS = ("example", "correction")  # taught in teach mode; a reading corrected
# Asked before every reading with a profile, so asked of the driver itself: through
# SQLAlchemy's connection and statement it took 0.2 ms, through the driver 0.04.
REVISION = "SELECT count(*), coalesce(max(id), 0) FROM examples WHERE profile = {}"
TOTAL = "examples"  # the counts row of the examples the store keeps


@dataclass(frozen=True)
class Caps:
    per_profile: int  # examples a profile may keep
    total: int  # examples the whole store may keep
    per_minute: int  # examples a profile may store in any minute


@dataclass(frozen=True)
class Stored:
    id: int
    label: int  # a digit, or app.core.tasks.NOT_A_DIGIT
    kind: str
    answer: str  # what the model said when it was stored
    model: str
    model_version: str
    created: datetime
    image: bytes  # the 28x28 the model read, as a grey PNG, white ink on black


def profile_key(profile: str) -> str:
    return hashlib.sha256(profile.encode()).hexdigest()


def png(model_input: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.rint(np.clip(model_input, 0, 1) * 255).astype(np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def model_input(image: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(image)), np.float32) / 255


def _stored(row: Row) -> Stored:
    created = row.created if row.created.tzinfo else row.created.replace(tzinfo=UTC)  # SQLite keeps no zone
    return Stored(row.id, row.label, row.kind, row.answer, row.model, row.model_version, created, row.image)


def _count(connection: Connection, change: int) -> int:
    """The store's total changed by `change` examples, in the writer's transaction; how many
    examples changed."""
    if change:
        connection.execute(
            update(CountRow).where(CountRow.name == TOTAL).values(value=CountRow.value + change)
        )
    return abs(change)


class Examples:
    def __init__(self, database: Database, caps: Caps) -> None:
        self.database = database
        self.caps = caps

    def add(
        self,
        profile: str,
        label: int,
        kind: str,
        model_input: np.ndarray,
        model: str,
        model_version: str,
        answer: str,
    ) -> Stored:
        """Stored and committed, or refused whole: PROFILE_FULL, STORE_FULL, TOO_MANY_REQUESTS,
        STORE_UNAVAILABLE."""
        key = profile_key(profile)
        now = datetime.now(UTC)
        with self.database.writing(key) as connection:
            mine = select(func.count()).select_from(ExampleRow).where(ExampleRow.profile == key)
            recent = connection.scalar(mine.where(ExampleRow.created > now - timedelta(minutes=1))) or 0
            if recent >= self.caps.per_minute:
                raise Refusal(
                    Code.TOO_MANY_REQUESTS,
                    f"at most {self.caps.per_minute} examples a minute for a profile; wait a moment",
                )
            if (connection.scalar(mine) or 0) >= self.caps.per_profile:
                raise Refusal(
                    Code.PROFILE_FULL,
                    f"this profile keeps {self.caps.per_profile} examples, the most it may: "
                    "delete some to teach more",
                )
            # The total's row locked (FOR UPDATE; SQLite's writers are serialised already) until the
            # commit: a writer of another profile waits for it, and reads the total it leaves.
            total = connection.scalar(select(CountRow.value).where(CountRow.name == TOTAL).with_for_update())
            if (total or 0) >= self.caps.total:
                raise Refusal(Code.STORE_FULL, "the examples' store is full; no more can be kept")
            image = png(model_input)
            stored = connection.scalar(
                insert(ExampleRow)
                .values(
                    profile=key,
                    label=label,
                    kind=kind,
                    image=image,
                    model=model,
                    model_version=model_version,
                    answer=answer,
                    created=now,
                )
                .returning(ExampleRow.id)
            )
            assert stored is not None
            _count(connection, 1)
            return Stored(stored, label, kind, answer, model, model_version, now, image)

    def kept(self, profile: str) -> list[Stored]:
        """The profile's examples, oldest first."""
        query = (
            select(ExampleRow.__table__)
            .where(ExampleRow.profile == profile_key(profile))
            .order_by(ExampleRow.id)
        )
        with self.database.reading() as connection:
            return [_stored(row) for row in connection.execute(query)]

    def forget(self, profile: str) -> int:
        """Deletes every example of the profile; how many there were."""
        key = profile_key(profile)
        with self.database.writing(key) as connection:
            return _count(
                connection, -connection.execute(delete(ExampleRow).where(ExampleRow.profile == key)).rowcount
            )

    def delete(self, profile: str, example: int) -> bool:
        """Deletes one of the profile's examples; whether it had it."""
        key = profile_key(profile)
        with self.database.writing(key) as connection:
            query = delete(ExampleRow).where(ExampleRow.profile == key, ExampleRow.id == example)
            return _count(connection, -connection.execute(query).rowcount) > 0

    def everything(self) -> list[tuple[str, Stored]]:
        """Every profile's examples, oldest first, with their profile's hash: for the owner."""
        query = select(ExampleRow.__table__).order_by(ExampleRow.id)
        with self.database.reading() as connection:
            return [(row.profile, _stored(row)) for row in connection.execute(query)]

    def by_ids(self, ids: list[int]) -> list[Stored]:
        """These examples, whoever's they are, oldest first (those deleted since are left out)."""
        query = select(ExampleRow.__table__).where(ExampleRow.id.in_(ids)).order_by(ExampleRow.id)
        with self.database.reading() as connection:
            return [_stored(row) for row in connection.execute(query)]

    def drop(self, ids: list[int]) -> int:
        """Deletes these examples, whoever's they are (the owner's review); how many there were."""
        with self.database.writing("") as connection:
            return _count(
                connection, -connection.execute(delete(ExampleRow).where(ExampleRow.id.in_(ids))).rowcount
            )

    def revision(self, profile: str) -> tuple[int, int]:
        """(how many, the newest id): changes whenever an example is added or deleted."""
        row = self.database.fetch_one(REVISION, profile_key(profile))
        assert row is not None  # an aggregate always has its one row
        count, newest = row
        return int(count), int(newest)

    def inputs(self, profile: str, known: set[int]) -> tuple[list[int], list[Example]]:
        """The ids of all the profile's examples, and those not in `known` with their images."""
        key = profile_key(profile)
        with self.database.reading() as connection:
            ids = list(connection.scalars(select(ExampleRow.id).where(ExampleRow.profile == key)))
            new = [i for i in ids if i not in known]
            query = select(ExampleRow.id, ExampleRow.label, ExampleRow.image).where(ExampleRow.id.in_(new))
            rows = connection.execute(query).all() if new else []
        return ids, [Example(row.id, row.label, model_input(row.image)) for row in rows]
