"""Persistence, and nothing else: the examples and corrections of each profile, and the
model versions with their promotions, in SQLite (embedded, the default) or PostgreSQL,
through SQLAlchemy, its tables made by Alembic's migrations. Web-free: the service's
routes and tools call it, the core never does."""

from __future__ import annotations

from dataclasses import dataclass

from app.store.database import Database
from app.store.examples import Examples
from app.store.versions import Versions


@dataclass(frozen=True)
class Store:
    """One database and what is kept in it."""

    database: Database
    examples: Examples
    versions: Versions
