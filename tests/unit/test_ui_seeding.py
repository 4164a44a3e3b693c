"""First launch on an empty store: the demo is seeded once, however many tabs open at once."""

from __future__ import annotations

import threading
import time

import pytest
import streamlit as st
from sqlalchemy import func, select

import workbench.demo
from workbench import ui
from workbench.config import get_settings
from workbench.db import make_engine, make_session_factory, migrate
from workbench.models import Company


def test_two_sessions_opening_an_empty_store_at_once_seed_it_once(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WORKBENCH_DEMO_ON_EMPTY", "true")
    get_settings.cache_clear()
    st.cache_resource.clear()
    migrate(make_engine(get_settings().resolved_database_url))
    seeded: list[int] = []

    def slow_seed(factory, _size, **_kwargs):
        time.sleep(0.3)  # long enough for the other session to find the store still empty
        with factory.begin() as s:
            s.add(Company(key=f"C{len(seeded)}", name="Seeded"))
        seeded.append(1)

    monkeypatch.setattr(workbench.demo, "seed_demo", slow_seed)
    errors: list[BaseException] = []

    def open_app() -> None:
        try:
            ui.ensure_store()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_app) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    st.cache_resource.clear()
    assert not errors and seeded == [1]
    engine = make_engine(get_settings().resolved_database_url)
    with make_session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(Company)) == 1
    engine.dispose()
