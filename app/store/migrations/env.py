"""Alembic's environment: migrations run on the connection app.store.database gives them
(digitpad-serve migrates on start), or, from the `alembic` command, on the database the
settings name (DIGITPAD_DATABASE_URL, or the SQLite file in DIGITPAD_DATA_DIR)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from app.settings import get_settings
from app.store.tables import Base


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters a table by copying it
    )
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    run(given)
else:
    with create_engine(get_settings().database()).connect() as connection:
        run(connection)
