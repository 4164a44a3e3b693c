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


def _data_page():
    _seed()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=30)
    at.run()
    at.switch_page("pages/data.py").run()
    return at


def _stored_names() -> set[str]:
    engine = make_engine(get_settings().resolved_database_url)
    with make_session_factory(engine)() as s:
        names = set(s.scalars(select(Company.name)))
    engine.dispose()
    return names


def test_a_header_the_importer_cannot_place_is_mapped_in_the_form_then_imported():
    at = _data_page()
    data = b"Firm Label,Issuer Code\nMapped Co,MAPD\n"
    at.file_uploader(key="import_file").upload("odd.csv", data, "text/csv").run()
    # the required name has no column yet: the error says where to map it, nothing is stored
    assert any("no column for the required companies field(s) name" in e.value and "column mapping" in e.value
               for e in at.error)
    at.selectbox(key="map_companies_name").set_value("Firm Label").run()
    at.selectbox(key="map_companies_key").set_value("Issuer Code").run()
    assert not at.error and not at.exception
    assert {m.label: m.value for m in at.metric}["Valid"] == "1"
    at.button(key="import_go").click().run()
    assert "Mapped Co" in _stored_names()


def test_bad_rows_are_listed_with_their_reasons_and_only_skip_invalid_imports_the_rest():
    at = _data_page()
    data = b"Ticker,Company Name,Market Cap ($mm)\nGOOD,Good Co,10\nBAD,Bad Co,lots\n"
    at.file_uploader(key="import_file").upload("mixed.csv", data, "text/csv").run()
    assert {m.label: m.value for m in at.metric}["Invalid"] == "1"
    assert any("1 rows are invalid" in w.value for w in at.warning)
    errors = next(df.value for df in at.dataframe if "reason" in df.value.columns)
    assert list(errors["row"]) == [3] and "lots" in " ".join(map(str, errors.iloc[0]))
    # without skip: rejected whole, with a message a page user can act on, nothing stored
    at.button(key="import_go").click().run()
    message = " ".join(e.value for e in at.error)
    assert "Nothing was imported" in message and "Skip invalid rows" in message
    assert "Good Co" not in _stored_names()
    # with skip: the valid row is stored and the rejected one offered for download
    at.checkbox(key="import_skip").check().run()
    at.button(key="import_go").click().run()
    assert not at.exception
    assert "Good Co" in _stored_names() and "Bad Co" not in _stored_names()
    assert "1 rejected" in " ".join(s.value for s in at.success)
    assert at.get("download_button"), "the rejected rows can be downloaded"


@pytest.mark.parametrize(("setting", "limit", "warned"), [("50", 50, False), ("500", 200, True)])
def test_the_uploader_takes_the_smaller_of_the_setting_and_the_server_limit(monkeypatch, setting, limit, warned):
    monkeypatch.setenv("WORKBENCH_MAX_UPLOAD_MB", setting)
    get_settings.cache_clear()
    at = _data_page()
    assert at.file_uploader(key="import_file").proto.max_upload_size_mb == limit
    assert any("STREAMLIT_SERVER_MAX_UPLOAD_SIZE=500" in c.value for c in at.caption) is warned
