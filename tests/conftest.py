"""Fixtures: the app in process (TestClient) and one real server for the session."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.settings import Settings
from app.web.main import create_app
from support.servers import running_server

# What the service writes (its examples' database), in a folder of the test run's own: the
# in-process apps and the servers the tests start (they inherit the environment) alike.
os.environ.setdefault("DIGITPAD_DATA_DIR", tempfile.mkdtemp(prefix="digitpad-test-data-"))


@pytest.fixture(scope="session")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    with running_server() as server:
        yield server.url
