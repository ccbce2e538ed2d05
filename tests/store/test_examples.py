"""The examples' store on both databases it runs on, SQLite (embedded) and a real
PostgreSQL server (a throw-away cluster, support/postgres.py): migrations from empty,
the caps, profiles kept apart, concurrent writers, a killed server and a database outage."""

from __future__ import annotations

import os
import signal
import stat
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, inspect, text

from app.core.errors import Code, Refusal
from app.settings import Settings
from app.store.database import Database
from app.store.examples import Caps, Examples, profile_key
from app.web.main import create_app
from support import postgres
from support.drawing import draw, encode
from support.servers import running_server

ONE = np.zeros((28, 28), np.float32)
ONE[4:24, 13:15] = 1
SEVEN = encode(draw(7))
PNG = {"content-type": "image/png"}


def profile(name: str) -> dict[str, str]:
    return {"Digitpad-Profile": f"{name}-profile-0123456789"}


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[postgres.Postgres]:
    if not postgres.available():
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    with postgres.postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'examples.db'}"
        return
    server: postgres.Postgres = request.getfixturevalue("postgres_server")
    yield server.url
    database = Database(server.url)
    with database.engine.begin() as connection:
        connection.execute(
            text("DROP TABLE IF EXISTS examples, model_versions, promotions, counts, alembic_version")
        )
    database.close()


def store(url: str, per_profile: int = 100, total: int = 1000, per_minute: int = 1000) -> Examples:
    return Examples(Database(url), Caps(per_profile, total, per_minute))


def add(examples: Examples, who: str, label: int = 1) -> int:
    return examples.add(who, label, "example", ONE, "digits", "v1", "1").id


def test_the_sqlite_database_is_made_for_its_user_only(tmp_path):
    umask = os.umask(0o022)  # the usual: files 0644 unless made otherwise
    try:
        with TestClient(create_app(Settings(data_dir=tmp_path))) as client:
            stored = client.post("/examples?label=7", content=SEVEN, headers={**PNG, **profile("mode")})
            assert stored.status_code == 201
            made = [tmp_path / f"digitpad.db{suffix}" for suffix in ("", "-wal", "-shm")]
            assert [oct(stat.S_IMODE(path.stat().st_mode)) for path in made] == [oct(0o600)] * 3
    finally:
        os.umask(umask)


def test_migrations_make_the_tables_from_empty_and_run_again_harmlessly(database_url):
    database = Database(database_url)
    database.migrate()
    Database(database_url).migrate()  # another process, later: nothing to do
    tables = inspect(database.engine).get_table_names()
    assert {"examples", "counts", "alembic_version"} <= set(tables)
    with database.engine.connect() as connection:
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == "0003"
    database.close()


def test_the_migration_to_a_running_total_counts_the_examples_already_kept(database_url):
    from alembic import command
    from alembic.config import Config

    from app.store.database import MIGRATIONS

    database = Database(database_url)
    with database.engine.connect() as connection:  # a store as the version before kept it
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        connection.commit()
    database._migrated = True  # as 0002 left it: examples, no counts
    examples = Examples(database, Caps(100, 1000, 1000))
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO examples (profile, label, kind, image, model, model_version, answer, created) "
                "VALUES ('p', 1, 'example', :image, 'digits', 'v1', '1', CURRENT_TIMESTAMP)"
            ),
            [{"image": b"x"}] * 3,
        )
    database._migrated = False
    database.migrate()
    with database.engine.connect() as connection:
        assert connection.scalar(text("SELECT value FROM counts WHERE name = 'examples'")) == 3
    examples.caps = Caps(100, 4, 1000)
    assert [_try_add(examples) for _ in range(2)] == ["stored", Code.STORE_FULL]
    database.close()


def test_an_example_is_kept_with_its_image_and_only_a_hash_of_the_profile(database_url):
    examples = store(database_url)
    stored = examples.add("someone-0123456789", 7, "correction", ONE, "digits", "v1", "1")
    [kept] = examples.kept("someone-0123456789")
    assert (kept.id, kept.label, kept.kind, kept.answer, kept.model_version) == (
        stored.id,
        7,
        "correction",
        "1",
        "v1",
    )
    assert kept.created == stored.created.replace(microsecond=kept.created.microsecond)
    assert kept.image.startswith(b"\x89PNG")
    with examples.database.engine.connect() as connection:
        assert connection.scalar(text("SELECT profile FROM examples")) == profile_key("someone-0123456789")
        assert "someone" not in str(connection.execute(text("SELECT * FROM examples")).all())


def test_profiles_are_kept_apart(database_url):
    examples = store(database_url)
    mine = add(examples, "mine-0123456789ab")
    add(examples, "yours-0123456789ab")
    assert [e.id for e in examples.kept("mine-0123456789ab")] == [mine]
    assert not examples.delete("yours-0123456789ab", mine)  # not theirs to delete
    assert examples.forget("yours-0123456789ab") == 1
    assert [e.id for e in examples.kept("mine-0123456789ab")] == [mine]


@pytest.mark.parametrize(
    ("caps", "code"),
    [
        ({"per_profile": 3}, Code.PROFILE_FULL),
        ({"total": 3}, Code.STORE_FULL),
        ({"per_minute": 3}, Code.TOO_MANY_REQUESTS),
    ],
)
def test_over_a_cap_nothing_is_written(database_url, caps, code):
    examples = store(database_url, **caps)
    for _ in range(3):
        add(examples, "capped-0123456789")
    with pytest.raises(Refusal) as refused:
        add(examples, "capped-0123456789")
    assert refused.value.code is code
    assert len(examples.kept("capped-0123456789")) == 3
    if code is not Code.STORE_FULL:
        add(examples, "another-0123456789")  # the caps are a profile's own


def test_concurrent_writers_of_one_profile_never_pass_its_cap(database_url):
    examples = store(database_url, per_profile=20)
    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(lambda _: _try_add(examples), range(40)))
    assert outcomes.count("stored") == 20 and outcomes.count(Code.PROFILE_FULL) == 20
    assert len(examples.kept("racing-0123456789")) == 20


def test_concurrent_writers_of_many_profiles_never_pass_the_stores_cap(database_url):
    examples = store(database_url, total=50)
    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(lambda i: _try_add(examples, f"writer{i % 16}-0123456789"), range(100)))
    assert outcomes.count("stored") == 50 and outcomes.count(Code.STORE_FULL) == 50
    assert len(examples.everything()) == 50


def test_the_stores_total_follows_what_is_deleted(database_url):
    examples = store(database_url, total=4)
    ids = [add(examples, "counted-0123456789") for _ in range(3)] + [add(examples, "other-0123456789")]
    assert _try_add(examples, "late-0123456789") == Code.STORE_FULL
    assert examples.delete("counted-0123456789", ids[0]) and examples.drop([ids[1]]) == 1
    assert examples.forget("other-0123456789") == 1
    assert [_try_add(examples, "late-0123456789") for _ in range(4)] == ["stored"] * 3 + [Code.STORE_FULL]


def test_a_full_disk_under_sqlite_is_a_507_not_a_503(tmp_path):
    url = f"sqlite:///{tmp_path / 'digitpad.db'}"
    with TestClient(create_app(Settings(database_url=url))) as client:
        assert (
            client.post("/examples?label=7", content=SEVEN, headers={**PNG, **profile("full")}).status_code
            == 201
        )
        engine = client.app.state.examples.database.engine  # type: ignore[attr-defined]
        with engine.connect() as connection:
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar()

        @event.listens_for(engine, "connect")
        def no_room(dbapi_connection, _record):  # as a disk with no block left: the file may not grow
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

        engine.dispose()
        answers = [
            client.post("/examples?label=7", content=SEVEN, headers={**PNG, **profile(f"full{i}")})
            for i in range(40)
        ]
        assert {answer.status_code for answer in answers} <= {201, 507} and answers[-1].status_code == 507
        assert answers[-1].json()["code"] == "insufficient_storage"


def _try_add(examples: Examples, who: str = "racing-0123456789") -> str:
    try:
        add(examples, who)
    except Refusal as exc:
        return exc.code
    return "stored"


def test_the_api_keeps_profiles_apart_and_forgets_on_request(database_url):
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        created = client.post("/examples?label=7", content=SEVEN, headers={**PNG, **profile("alice")})
        assert created.status_code == 201, created.text
        example = created.json()
        assert example["label"] == "7" and example["kind"] == "example" and example["answer"] == "7"
        assert example["image"].startswith("data:image/png;base64,")
        assert client.get("/examples", headers=profile("bob")).json() == {"examples": [], "counts": {}}
        gone = client.delete(f"/examples/{example['id']}", headers=profile("bob"))
        assert (gone.status_code, gone.json()["code"]) == (404, "unknown_example")
        assert client.get("/examples", headers=profile("alice")).json()["counts"] == {"7": 1}
        assert client.delete("/examples", headers=profile("alice")).json() == {"deleted": 1}
        assert client.get("/examples", headers=profile("alice")).json()["examples"] == []


def test_many_writers_on_sqlite_lose_nothing_and_get_no_5xx():
    """32 clients at once on a server of two worker processes sharing one SQLite file."""
    folder = tempfile.mkdtemp(prefix="digitpad-writers-")
    with running_server(DIGITPAD_DATA_DIR=folder, DIGITPAD_WORKERS="2") as server:

        def write(i: int) -> list[int]:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                return [
                    client.post(
                        "/examples?label=7", content=SEVEN, headers={**PNG, **profile(f"w{i}")}
                    ).status_code
                    for _ in range(5)
                ]

        with ThreadPoolExecutor(32) as pool:
            statuses = [status for batch in pool.map(write, range(32)) for status in batch]
        assert statuses == [201] * 160
        counts = [
            len(httpx.get(f"{server.url}/examples", headers=profile(f"w{i}")).json()["examples"])
            for i in range(32)
        ]
        assert counts == [5] * 32


def test_a_killed_server_loses_no_acknowledged_example():
    folder = tempfile.mkdtemp(prefix="digitpad-killed-")
    env = {"DIGITPAD_DATA_DIR": folder, "DIGITPAD_EXAMPLES_PER_MINUTE": "1000"}
    with running_server(**env) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        acknowledged = []
        for _ in range(200):
            answer = client.post("/examples?label=7", content=SEVEN, headers={**PNG, **profile("kept")})
            assert answer.status_code == 201
            acknowledged.append(answer.json()["id"])
        os.kill(server.process.pid, signal.SIGKILL)  # no shutdown, no flush: as a crash or an OOM kill
        server.process.wait()
    with running_server(**env) as server:
        kept = httpx.get(f"{server.url}/examples", headers=profile("kept")).json()["examples"]
    assert [example["id"] for example in kept] == acknowledged


def test_with_postgresql_down_reading_works_and_storing_says_503_until_it_is_back(postgres_server):
    env = {"DIGITPAD_DATABASE_URL": postgres_server.url}
    with running_server(**env) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        taught = client.post("/examples?label=7", content=SEVEN, headers={**PNG, **profile("outage")})
        assert taught.status_code == 201
        postgres_server.stop()
        try:
            read = client.post("/read", content=SEVEN, headers={**PNG, **profile("outage")})
            assert read.status_code == 200 and read.json()["number"] == "7"
            refused = client.post("/examples?label=7", content=SEVEN, headers={**PNG, **profile("outage")})
            assert refused.status_code == 503 and refused.json()["code"] == "store_unavailable"
            assert refused.headers["retry-after"]
        finally:
            postgres_server.start()
        again = client.post("/examples?label=7", content=SEVEN, headers={**PNG, **profile("outage")})
        assert again.status_code == 201
        assert len(client.get("/examples", headers=profile("outage")).json()["examples"]) == 2


def test_with_postgresql_frozen_the_service_answers_at_once_and_reads_without_the_profile(postgres_server):
    """A server that stops answering (SIGSTOP: its connections open, nothing said on them)
    holds no request longer than its deadline, and never the event loop."""
    env = {"DIGITPAD_DATABASE_URL": postgres_server.url, "DIGITPAD_STORE_TIMEOUT_S": "1"}
    mine = {**PNG, **profile("frozen")}
    with running_server(**env) as server, httpx.Client(base_url=server.url, timeout=5) as client:
        assert client.post("/examples?label=7", content=SEVEN, headers=mine).status_code == 201
        assert client.post("/predict", content=SEVEN, headers=mine).json()["personal"] is True
        with postgres_server.frozen(), ThreadPoolExecutor(3) as pool:
            # Unauthenticated, and each a look-up of a version in the database.
            misses = [
                pool.submit(client.get, f"/v2/models/digits/versions/made-up-{i}/ready") for i in range(3)
            ]
            time.sleep(0.3)
            started = time.monotonic()
            health = client.get("/health")
            health_s = time.monotonic() - started
            started = time.monotonic()
            read = client.post("/predict", content=SEVEN, headers=mine)
            read_s = time.monotonic() - started
            started = time.monotonic()
            listed = client.get("/examples", headers=profile("frozen"))
            listed_s = time.monotonic() - started
            statuses = {miss.result().status_code for miss in misses}
        assert health.status_code == 200 and health_s < 0.2, health_s
        assert read.status_code == 200 and read_s < 0.5, read_s
        assert read.json()["personal"] is False and read.json()["digit"] == 7
        assert "digitpad-profile-skipped" in read.headers
        assert listed.status_code == 503 and listed.json()["code"] == "store_unavailable"
        assert listed_s < 2, listed_s
        assert statuses <= {404, 503}
        # Woken, it serves the profile again.
        assert client.post("/examples?label=7", content=SEVEN, headers=mine).status_code == 201
        assert len(client.get("/examples", headers=profile("frozen")).json()["examples"]) == 2
