"""The database: an engine for SQLite or PostgreSQL, its tables kept at the latest
migration, and transactions that either commit whole or refuse with a code.

SQLite is set for many writers and no loss: write-ahead logging (readers never wait for
the writer), a full sync at each commit (a commit survives the process and the machine
dying), writers serialised from their first statement (BEGIN IMMEDIATE: two writers never
both read a count and both insert past a cap) and a busy timeout for them to wait in.
PostgreSQL serialises a profile's writers with an advisory lock on the profile."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from app.core.errors import Code, Refusal

log = logging.getLogger("digitpad")
MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 10_000  # how long a SQLite writer waits for another before it fails
CONNECT_TIMEOUT_S = 3  # how long a PostgreSQL connection may take: a request waits that long at most
STATEMENT_TIMEOUT_S = (
    5.0  # a statement PostgreSQL runs longer than this is cancelled (DIGITPAD_STORE_TIMEOUT_S)
)
# TCP keepalives: a connection to a machine that vanished (no reset ever comes) is found dead
# after KEEPALIVE_IDLE_S + KEEPALIVE_COUNT x KEEPALIVE_INTERVAL_S, not after the kernel's two hours.
KEEPALIVE_IDLE_S = 10
KEEPALIVE_INTERVAL_S = 5
KEEPALIVE_COUNT = 3
MIGRATION_LOCK = 0x6469676974  # "digit": PostgreSQL's advisory lock, while one process migrates


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling off: the "begin" event below issues BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=FULL",
        f"busy_timeout={BUSY_TIMEOUT_MS}",
        "foreign_keys=ON",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get("writing", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, timeout_s: float = STATEMENT_TIMEOUT_S) -> Engine:
    """An engine for `url`; a SQLite file is made if missing (its folder too), readable by
    this user only. On PostgreSQL no statement runs, and no one waits for a pooled
    connection, longer than `timeout_s`."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            # People's handwriting: SQLite would make the file 0644 (and its -wal and -shm
            # files, which take the file's mode). One already there keeps its own.
            os.close(os.open(parsed.database, os.O_RDONLY | os.O_CREAT, 0o600))
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # pre_ping: a connection the server closed (a restart) is replaced, not failed. Without
    # the timeouts a slow server holds a request, and the connection it took, for as long
    # as it likes (SQLAlchemy's pool waits 30 s for a connection by default).
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_timeout=timeout_s,
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_S,
            "options": f"-c statement_timeout={round(timeout_s * 1000)}",
            "keepalives": 1,
            "keepalives_idle": KEEPALIVE_IDLE_S,
            "keepalives_interval": KEEPALIVE_INTERVAL_S,
            "keepalives_count": KEEPALIVE_COUNT,
        },
    )


SQLITE_FULL = 13  # sqlite3's "database or disk is full"
POSTGRES_DISK_FULL = "53100"  # SQLSTATE disk_full


def disk_full(exc: Exception) -> bool:
    """Whether the database refused for want of disk (SQLite's or PostgreSQL's)."""
    cause = getattr(exc, "orig", None) or exc
    return (
        getattr(cause, "sqlite_errorcode", None) == SQLITE_FULL
        or getattr(cause, "sqlstate", None) == POSTGRES_DISK_FULL
    )


def unavailable(exc: Exception) -> Refusal:
    """The refusal for a database error: out of disk (507: it will not pass by trying again
    soon), or unavailable (503)."""
    if disk_full(exc):
        log.error("the examples' database has no space left: %s", str(exc).splitlines()[0])
        return Refusal(
            Code.INSUFFICIENT_STORAGE, "no space left for the examples' database; none can be kept"
        )
    log.warning("database unavailable: %s", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    return Refusal(Code.STORE_UNAVAILABLE, "the examples' database is unavailable; try again later")


class Database:
    """One database, migrated on first use."""

    def __init__(self, url: str, timeout_s: float = STATEMENT_TIMEOUT_S) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.engine = make_engine(url, timeout_s)
        self.dialect = self.engine.dialect.name
        self._migrated = False
        self._lock = threading.Lock()

    def migrate(self) -> None:
        """The tables at the latest migration; raises Refusal(STORE_UNAVAILABLE) if the
        database cannot be reached. Several processes may call it at once: one migrates."""
        with self._lock:
            if self._migrated:
                return
            try:
                with self._migration_lock(), self.engine.connect() as connection:
                    config = Config()
                    config.set_main_option("script_location", str(MIGRATIONS))
                    config.attributes["connection"] = connection
                    command.upgrade(config, "head")
                    connection.commit()
            except (SQLAlchemyError, OSError) as exc:
                raise unavailable(exc) from exc
            self._migrated = True

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        if self.dialect == "sqlite":
            database = make_url(self.url).database
            if not database or database == ":memory:":
                yield
                return
            with open(f"{database}.migrating", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                yield
            return
        with self.engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                connection.commit()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read-only transaction; raises Refusal(STORE_UNAVAILABLE)."""
        self.migrate()
        try:
            with self.engine.connect() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise unavailable(exc) from exc

    def fetch_one(self, sql: str, *values: object) -> tuple | None:
        """The first row of a query written for the driver, its placeholders `{}`: the cheapest
        way to ask. Raises Refusal(STORE_UNAVAILABLE)."""
        self.migrate()
        placeholder = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        try:
            connection = self.engine.raw_connection()
            try:
                cursor = connection.cursor()
                cursor.execute(sql.format(*[placeholder] * len(values)), values)
                row = cursor.fetchone()
                cursor.close()
            finally:
                connection.close()  # back to the pool, its transaction rolled back
        except SQLAlchemyError as exc:
            raise unavailable(exc) from exc
        except Exception as exc:  # the driver's own errors: sqlite3's or psycopg's
            if type(exc).__module__.split(".")[0] in ("sqlite3", "psycopg"):
                raise unavailable(exc) from exc
            raise
        return None if row is None else tuple(row)

    @contextmanager
    def writing(self, profile: str) -> Iterator[Connection]:
        """A transaction that commits whole when the block ends without an exception, the
        only writer of `profile` meanwhile; raises Refusal(STORE_UNAVAILABLE)."""
        self.migrate()
        try:
            with self.engine.connect().execution_options(writing=True) as connection, connection.begin():
                if self.dialect == "postgresql":
                    key = zlib.crc32(profile.encode())
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
                yield connection
        except SQLAlchemyError as exc:
            raise unavailable(exc) from exc

    def close(self) -> None:
        self.engine.dispose()
