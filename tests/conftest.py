"""Fixtures shared by every test layer.

`store` gives a migrated, empty store. Integration tests run on SQLite and, when
WORKBENCH_TEST_DATABASE_URL names a PostgreSQL database, again on PostgreSQL, each test in
a schema of its own that is dropped afterwards (so tests can run in parallel).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from workbench.config import get_settings
from workbench.db import make_engine, make_session_factory, migrate

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = (ROOT.parent / "shared" / "data").resolve()
PG_URL_ENV = "WORKBENCH_TEST_DATABASE_URL"


@dataclass
class Store:
    url: str
    backend: str
    engine: Engine
    session_factory: sessionmaker[Session]


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reads or writes the developer's real data folder or database."""
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("WORKBENCH_DATABASE_URL", raising=False)
    monkeypatch.setenv("WORKBENCH_USER", "test-user")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real public data not found at {SHARED_DATA} (only present next to the project checkout)")
    return SHARED_DATA


def _sqlite_store(tmp_path: Path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    migrate(engine)
    yield Store(url, "sqlite", engine, make_session_factory(engine))
    engine.dispose()


def _postgres_store() -> Iterator[Store]:
    base_url = os.environ.get(PG_URL_ENV)
    if not base_url:
        pytest.skip(f"{PG_URL_ENV} is not set: PostgreSQL run skipped (CI sets it)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(base_url)

    @event.listens_for(engine, "connect")
    def _search_path(dbapi_connection, _record):  # every pooled connection sees only its schema
        with dbapi_connection.cursor() as cur:
            cur.execute(f'SET search_path TO "{schema}"')
        dbapi_connection.commit()

    migrate(engine)
    url = make_url(base_url).render_as_string(hide_password=False)
    yield Store(url, "postgresql", engine, make_session_factory(engine))
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated empty store, on each backend in turn."""
    if request.param == "sqlite":
        yield from _sqlite_store(tmp_path)
    else:
        yield from _postgres_store()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A migrated empty SQLite store, for unit tests that need real SQL but one backend."""
    yield from _sqlite_store(tmp_path)
