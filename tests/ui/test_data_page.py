"""The Data page renders the store's rows in Browse and the import form, without exceptions."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from workbench.config import get_settings
from workbench.db import make_engine, make_session_factory, migrate
from workbench.models import Company

ROOT = Path(__file__).resolve().parents[2]


# Streamlit caches are cleared and first-launch seeding is off: tests/ui/conftest.py.


def _seed() -> None:
    engine = make_engine(get_settings().resolved_database_url)
    migrate(engine)
    with make_session_factory(engine).begin() as s:
        s.add(Company(key="ZEBRA", name="Zebra Widgets", ticker="ZBW", market_cap_usd_m=123.0))
        s.add(Company(key="HOSTILE", name="'; DROP TABLE companies; --", ticker="HST"))
    engine.dispose()


def test_browse_tab_shows_the_stored_rows_and_the_import_form_renders():
    _seed()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=30)
    at.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    frames = [df.value for df in at.dataframe]
    names = {n for frame in frames if "name" in frame.columns for n in frame["name"]}
    assert {"Zebra Widgets", "'; DROP TABLE companies; --"} <= names
    assert "2 rows match" in " ".join(c.value for c in at.caption)
    assert at.selectbox(key="import_kind").value == "companies"


def test_browse_filter_narrows_the_rows():
    _seed()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=30)
    at.run()
    at.switch_page("pages/data.py").run()
    at.multiselect(key="browse_filters_companies").set_value(["name"]).run()
    at.text_input(key="f_companies_name_txt").input("zebra").run()
    assert not at.exception
    assert "1 rows match" in " ".join(c.value for c in at.caption)


def test_upload_previews_once_then_imports_into_the_store(monkeypatch: pytest.MonkeyPatch):
    import services.imports

    _seed()
    calls: list[str] = []
    real_preview = services.imports.preview_import

    def counted(*args, **kwargs):
        calls.append("preview")
        return real_preview(*args, **kwargs)

    monkeypatch.setattr(services.imports, "preview_import", counted)
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=30)
    at.run()
    at.switch_page("pages/data.py").run()
    data = b"Ticker,Company Name,Market Cap ($mm)\nZEBRA,Zebra Widgets Renamed,150\nNEWCO,New Co,5\n"
    at.file_uploader(key="import_file").upload("firms.csv", data, "text/csv").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows"] == "2" and metrics["Updates"] == "1"
    # A rerun from another widget reuses the preview instead of reading the file again.
    at.checkbox(key="import_skip").check().run()
    assert calls == ["preview"]
    at.button(key="import_go").click().run()
    assert not at.exception
    assert "Imported" in " ".join(s.value for s in at.success)
    engine = make_engine(get_settings().resolved_database_url)
    with make_session_factory(engine)() as s:
        names = set(s.scalars(select(Company.name)))
    engine.dispose()
    assert {"Zebra Widgets Renamed", "New Co"} <= names
