"""Hostile text typed into the pages' filters and search boxes: a message, never a traceback,
and the tables intact."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from hostile import table_counts

from workbench.models import Company

_UI = Path(__file__).resolve().parents[1] / "ui" / "conftest.py"
_spec = importlib.util.spec_from_file_location("ui_fixtures", _UI)
ui = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ui)
# The UI layer's fixtures: clean Streamlit caches per test (autouse), the app's own store.
_fresh_streamlit_caches = ui._fresh_streamlit_caches
app_store = ui.app_store
seeded_app_store = ui.seeded_app_store

TYPED = ["'; DROP TABLE companies; --", "%_", "a\x00b", "<script>alert(1)</script>", "{{7*7}}"]


@pytest.fixture(autouse=True)
def _hashing_embedder(monkeypatch):
    monkeypatch.setenv("WORKBENCH_EMBEDDER", "hashing")  # pages must not need torch here


def _open(page: str):
    at = ui.make_app()
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _shown(at) -> str:
    return " ".join(e.value for e in [*at.error, *at.warning, *at.info, *at.caption])


def test_data_page_browse_filter_shows_a_message_for_hostile_text(app_store):
    with app_store.begin() as s:
        s.add(Company(key="LIT", name="Growth 100%_sure Ltd"))
        s.add(Company(key="ZEB", name="Zebra Widgets"))
    before = table_counts(app_store)
    at = _open("pages/data.py")
    at.multiselect(key="browse_filters_companies").set_value(["name"]).run()
    for value in TYPED:
        at.text_input(key="f_companies_name_txt").input(value).run()
        assert not at.exception, (value, at.exception)
        shown = _shown(at)
        if value == "%_":
            assert "1 rows match" in shown
        elif value == "a\x00b":
            assert "control or invalid character" in shown
        else:
            assert "0 rows match" in shown, (value, shown)
    assert table_counts(app_store) == before


def test_documents_page_filters_and_question_show_a_message_for_hostile_text(seeded_app_store, app_store):
    at = _open("pages/documents.py")
    # Opening the page summarises (and stores the summary of) the first document: a read.
    before = table_counts(app_store)
    for value in TYPED:
        at.text_input(key="doc_filter_company").input(value).run()
        assert not at.exception, (value, at.exception)
        at.text_input(key="doc_filter_company").input("").run()
        at.text_input(key="doc_filter_title").input(value).run()
        assert not at.exception, (value, at.exception)
        assert _shown(at).strip()
        at.text_input(key="doc_filter_title").input("").run()
    at.text_input(key="doc_question").input("a\x00b ' OR 1=1 --").run()
    assert not at.exception, at.exception
    assert table_counts(app_store) == before


def test_monitor_company_search_shows_a_message_for_hostile_text(seeded_app_store, app_store):
    before = table_counts(app_store)
    at = _open("pages/monitor.py")
    at.radio(key="mon_view").set_value("Charts").run()
    for value in TYPED:
        at.text_input(key="mon_chart_q").input(value).run()
        assert not at.exception, (value, at.exception)
        assert _shown(at).strip()
    assert table_counts(app_store) == before
