"""Fixtures for AppTest: a clean Streamlit cache per test, the app's own store, seeded or not.

The root conftest points WORKBENCH_DATA_DIR at a tmp folder, so the app's default SQLite
store (the one `workbench.ui` opens) is a fresh file per test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from workbench.config import get_settings
from workbench.db import make_engine, make_session_factory, migrate
from workbench.demo import DemoSize, DemoSummary, seed_demo

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "streamlit_app.py"
# Large enough that every page has something to show, small enough to seed in a blink.
SMALL_DEMO = DemoSize(companies=60, deals=120, documents=6, price_years=1, seed=7)


def make_app(timeout: float = 60) -> AppTest:
    # An absolute path: a relative one resolves against the test file, not the checkout.
    return AppTest.from_file(str(APP), default_timeout=timeout)


@pytest.fixture
def app() -> Callable[[], AppTest]:
    return make_app


def _clear_streamlit_caches() -> None:
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture(autouse=True)
def _fresh_streamlit_caches(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Cached engines and overviews outlive an AppTest; each test starts from nothing."""
    # Seeding the demo on first launch is opt-in here: most tests want to control the store.
    monkeypatch.setenv("WORKBENCH_DEMO_ON_EMPTY", "false")
    get_settings.cache_clear()
    _clear_streamlit_caches()
    yield
    _clear_streamlit_caches()
    get_settings.cache_clear()


@pytest.fixture
def app_store() -> Iterator[sessionmaker[Session]]:
    """The app's default store (under the tmp data folder), migrated and empty."""
    engine = make_engine(get_settings().resolved_database_url)
    migrate(engine)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def seeded_app_store(app_store: sessionmaker[Session]) -> DemoSummary:
    """The app's default store holding the small demo universe; returns what was seeded."""
    return seed_demo(app_store, SMALL_DEMO)
