"""The router: every registered page runs, every page file is registered, first launch seeds."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import func, select

import workbench.demo
from workbench.config import get_settings
from workbench.db import make_engine, make_session_factory
from workbench.models import Company, Deal

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "streamlit_app.py"
TINY_DEMO = workbench.demo.DemoSize(companies=60, deals=120, documents=6, price_years=1)


def registered_pages() -> list[str]:
    """The paths of st.Page("pages/...") calls in the router, read without running it."""
    tree = ast.parse(APP.read_text(encoding="utf-8"))
    paths = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "Page"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            paths.append(node.args[0].value)
    return paths


PAGES = registered_pages()


def test_the_router_registers_pages_and_home_is_one_of_them():
    assert "pages/home.py" in PAGES
    assert len(PAGES) == len(set(PAGES)), "a page is registered twice"


def test_every_page_file_is_registered_and_every_registered_page_exists():
    files = {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_")}
    orphans = sorted(files - set(PAGES))
    missing = sorted(set(PAGES) - files)
    assert orphans == [], (
        f"page files not listed in streamlit_app.py (Streamlit ignores them): {orphans}"
    )
    assert missing == [], f"streamlit_app.py lists pages that do not exist: {missing}"


@pytest.mark.parametrize("page", PAGES)
def test_every_registered_page_runs_without_exception_on_a_seeded_store(
    app, seeded_app_store, page
):
    at = app().run()
    assert not at.exception, f"the default page failed before switching to {page}"

    at.switch_page(page).run()

    assert not at.exception, f"{page}: {[e.value for e in at.exception]}"
    assert not at.error, f"{page} shows an error: {[e.value for e in at.error]}"


def test_first_launch_on_an_empty_store_seeds_the_demo_universe(app, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DEMO_ON_EMPTY", "true")
    get_settings.cache_clear()
    # The app seeds DemoSize(seed=...) with its defaults; a tiny universe keeps the test fast.
    monkeypatch.setattr(
        workbench.demo,
        "DemoSize",
        lambda seed: dataclasses.replace(TINY_DEMO, seed=seed),
    )

    at = app().run()

    assert not at.exception
    engine = make_engine(get_settings().resolved_database_url)
    with make_session_factory(engine)() as s:
        companies = s.scalar(select(func.count()).select_from(Company))
        deals = s.scalar(select(func.count()).select_from(Deal))
    engine.dispose()
    assert (companies, deals) == (60, 120)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Companies"] == "60", "Home shows the freshly seeded store, not a cached empty one"


def test_an_empty_store_is_left_empty_when_demo_on_empty_is_off(app, app_store):
    at = app().run()

    assert not at.exception
    with app_store() as s:
        assert s.scalar(select(func.count()).select_from(Company)) == 0
