"""Fixtures of the security checks; the hostile strings and files are in hostile.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hostile import TINY_DEMO

from workbench.demo import DemoSummary, seed_demo


@pytest.fixture
def seeded(store) -> Iterator[tuple[object, DemoSummary]]:
    """The `store` (SQLite, then PostgreSQL) holding a tiny demo universe."""
    yield store, seed_demo(store.session_factory, TINY_DEMO)
