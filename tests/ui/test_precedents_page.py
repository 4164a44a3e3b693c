"""The Precedents page under AppTest: search, explain, pin and exclude, export; no torch."""

from __future__ import annotations

import sys

import pytest
from sqlalchemy import select

from workbench.config import get_settings
from workbench.models import AuditEntry, Deal



@pytest.fixture(autouse=True)
def _hashing_embedder(monkeypatch):
    # The page reads WORKBENCH_EMBEDDER through the cached settings: the word-hashing stand-in keeps torch out.
    monkeypatch.setenv("WORKBENCH_EMBEDDER", "hashing")
    get_settings.cache_clear()


def _page(app):
    at = app()
    at.run()
    at.switch_page("pages/precedents.py").run()
    assert not at.exception, at.exception
    return at


def _click(at, label: str):
    return [b for b in at.button if b.label == label][0].click().run()


def test_describes_a_situation_then_explains_pins_excludes_and_exports(app, seeded_app_store, app_store):
    torch_before = "torch" in sys.modules
    at = _page(app)
    # Widgets inside a form commit with its submit button, so no run() between them.
    at.text_area(key="pr_text").set_value("sponsor carve-out of a chemicals business")
    at.multiselect(key="pr_types").set_value(["ma"])
    _click(at, "Find precedents")
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    hits = at.dataframe[0].value
    assert len(hits) > 0 and "part_text" in hits.columns
    assert len(at.get("plotly_chart")) == 2
    first, second = list(hits["key"][:2])
    stats = at.dataframe[2].value.set_index("metric")
    n_before = int(stats.loc["EV ($m)", "n"])
    at.multiselect(key="pr_exclude").set_value([first]).run()
    assert int(at.dataframe[2].value.set_index("metric").loc["EV ($m)", "n"]) == n_before - 1
    at.button(key="pr_prep_xlsx").click().run()
    assert not at.exception, at.exception
    assert any(getattr(d, "label", "") == "Download Excel" for d in at.get("download_button"))
    with app_store() as s:
        exports = [a for a in s.scalars(select(AuditEntry)) if a.action == "export"]
    assert len(exports) == 1 and exports[0].object_type == "precedents"
    assert first not in exports[0].details["keys"] and second in exports[0].details["keys"]
    if not torch_before:  # AppTest runs the page in this process
        assert "torch" not in sys.modules, "the page loaded torch with WORKBENCH_EMBEDDER=hashing"


def test_more_like_a_deal_excludes_that_deal(app, seeded_app_store, app_store):
    at = _page(app)
    at.radio(key="pr_mode").set_value("More like a deal")
    at.selectbox(key="pr_deal").select_index(0)
    _click(at, "Find precedents")
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    picked = at.selectbox(key="pr_deal").value.rsplit("[", 1)[1].rstrip("]")
    hits = at.dataframe[0].value
    assert len(hits) > 0 and picked not in set(hits["key"])
    assert hits["part_sector"].max() > 0  # the picked deal's sector counts for its neighbours


def test_empty_query_shows_a_clear_error_and_no_results(app, seeded_app_store):
    at = _page(app)
    _click(at, "Find precedents")
    assert not at.exception
    assert any("describe the situation" in e.value for e in at.error)


def test_empty_store_says_how_to_get_deals(app, app_store):
    at = _page(app)
    assert any("No deals" in i.value for i in at.info)


def test_deals_imported_in_this_process_are_offered_at_once(app, seeded_app_store, app_store):
    at = _page(app)
    before = at.selectbox(key="pr_deal").options
    with app_store.begin() as s:
        s.add(Deal(key="NEW-1", name="Fresh carve-out", deal_type="ma", description="A carve-out."))
    at.run()
    assert at.selectbox(key="pr_deal").options == before  # the shared labels are cached...
    from workbench import ui

    ui.forget_store_reads()  # ...until an import or the seeding says the store changed
    at.run()
    assert "Fresh carve-out [NEW-1]" in at.selectbox(key="pr_deal").options


def test_target_multiples_score_and_explain_the_multiples_part(app, seeded_app_store):
    at = _page(app)
    at.text_area(key="pr_text").set_value("acquisition")
    at.number_input(key="pr_target_ev_ebitda").set_value(10.0)
    at.number_input(key="pr_target_ev_revenue").set_value(2.0)
    _click(at, "Find precedents")
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    hits = at.dataframe[0].value
    assert "part_multiples" in hits.columns and hits["part_multiples"].max() > 0
    at.selectbox(key="pr_explain").set_value(int(hits["part_multiples"].to_numpy().argmax())).run()
    why = at.dataframe[1].value.set_index("part")
    assert why.loc["Multiples", "points"] > 0
    assert "vs 10x" in why.loc["Multiples", "evidence"] and "vs 2x" in why.loc["Multiples", "evidence"]


def test_deals_imported_on_the_data_page_are_indexed_for_precedents(app, seeded_app_store, app_store):
    from services.precedents import engine_from_settings
    from workbench.embeddings import build_embedder

    at = app()
    at.run()
    at.switch_page("pages/data.py").run()
    at.selectbox(key="import_kind").set_value("deals").run()
    data = (b"Deal ID,Deal Name,Deal Type,Announced Date,Deal Value\n"
            b"NEW-Z,Zirconium sands miner bought,ma,2026-06-02,10\n")  # fmt: skip
    at.file_uploader(key="import_file").upload("deals.csv", data, "text/csv").run()
    at.button(key="import_go").click().run()
    assert not at.exception, at.exception
    assert "Imported 1 deals" in " ".join(s.value for s in at.success)
    assert any("precedents index" in c.value and "deals embedded" in c.value for c in at.caption)
    # The saved index already holds every deal: a fresh process has nothing to embed or add.
    cfg = get_settings()
    status = engine_from_settings(cfg).refresh(session_factory=app_store, embedder=build_embedder(cfg))
    assert status.embedded.embedded == 0 and status.index.action == "fresh"
    assert status.index.count == seeded_app_store.deals + 1
