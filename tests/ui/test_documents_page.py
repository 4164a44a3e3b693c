"""The Documents page: list, cited summary with context, key figures, Q&A, paste to store."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from services.documents import IngestLimits, ingest_text
from workbench.models import AuditEntry, Company, Document

CALL = (
    "Good morning and welcome to the Acme third quarter call. "
    "Third quarter revenue was $1.52 billion, up 7% year-over-year. "
    "Adjusted earnings per share were $1.01, compared with $0.87 last year. "
    "For fiscal 2022, we expect revenue of $6.1 billion to $6.3 billion. "
    "Thank you, operator, we will now take questions."
)


@pytest.fixture(autouse=True)
def _hashing_embedder(monkeypatch):
    # the page must not need torch to be tested
    monkeypatch.setenv("WORKBENCH_EMBEDDER", "hashing")


@pytest.fixture
def stored(app_store):
    with app_store.begin() as s:
        s.add(Company(key="ACME", name="Acme Corp", ticker="ACME"))
    ingest_text(CALL, title="Acme Q3 call", session_factory=app_store,
                limits=IngestLimits(max_bytes=1_000_000, max_pages=10), user="analyst",
                company="ACME", doc_type="transcript", doc_date=dt.date(2021, 10, 28))
    return app_store


def _open(app):
    at = app()
    at.run()
    at.switch_page("pages/documents.py").run()
    assert not at.exception, at.exception
    return at


def test_page_shows_a_cited_summary_and_key_figures(app, stored):
    at = _open(app)
    labels = [e.label for e in at.expander]
    assert any("we expect revenue of $6.1 billion to $6.3 billion" in label for label in labels)
    figures = at.dataframe[1].value
    assert "$6.1 billion to $6.3 billion" in list(figures["figure"])
    assert any("<mark>" in h.proto.body for h in at.get("html"))


def test_question_box_answers_with_a_citation_or_says_there_is_not_enough_evidence(app, stored):
    at = _open(app)
    at.text_input(key="doc_question").input("What revenue do you expect for fiscal 2022?").run()
    assert not at.exception
    assert any("6.1 billion to \\$6.3 billion" in m.value for m in at.markdown)
    assert any("Acme Q3 call" in c.value and "evidence" in c.value for c in at.caption)
    at.text_input(key="doc_question").input("Who won the football cup in Brazil?").run()
    assert any("Not enough evidence" in w.value for w in at.warning)


def test_pasting_text_stores_a_document_and_audits_it(app, stored):
    at = _open(app)
    at.text_input(key="doc_paste_title").input("Beta note")
    at.text_area(key="doc_paste_text").input("Beta revenue grew 3% to $200 million in 2020.")
    at.button(key="doc_store_paste").click().run()
    assert not at.exception
    assert any("Stored Beta note" in s.value for s in at.success)
    with stored() as s:
        assert "Beta note" in s.scalars(select(Document.title)).all()
        assert s.scalars(select(AuditEntry.action)).all().count("document_upload") == 2


def test_empty_paste_shows_an_error_and_stores_nothing(app, stored):
    at = _open(app)
    at.button(key="doc_store_paste").click().run()
    assert any("empty" in e.value for e in at.error)
    with stored() as s:
        assert len(s.scalars(select(Document.id)).all()) == 1


def test_page_without_documents_says_how_to_add_one(app, app_store):
    at = _open(app)
    assert any("No documents yet" in i.value for i in at.info)


def test_summary_is_whole_sentences_until_highlights_are_asked_for(app, stored):
    at = _open(app)
    sentences = [e.label.split(". ", 1)[1] for e in at.expander]
    assert sentences and all(s in CALL and s.endswith(".") and "(clause)" not in s for s in sentences)
    at.toggle(key="doc_clauses").set_value(True).run()
    assert not at.exception, at.exception
    labels = [e.label for e in at.expander]
    assert any(label.endswith("(clause)") for label in labels)
    # a clause is shown in bold inside its whole marked sentence
    assert any("<mark>" in h.proto.body and "<b>" in h.proto.body for h in at.get("html"))


def test_date_filter_narrows_the_list_and_says_when_nothing_matches(app, stored):
    ingest_text("Revenue was $2 billion in 2019.", title="Old note", session_factory=stored,
                limits=IngestLimits(max_bytes=1_000_000, max_pages=10), user="analyst",
                doc_type="research", doc_date=dt.date(2019, 5, 1))
    at = _open(app)
    assert set(at.dataframe[0].value["title"]) == {"Acme Q3 call", "Old note"}
    assert "source" in at.dataframe[0].value.columns
    at.date_input(key="doc_filter_from").set_value(dt.date(2021, 1, 1)).run()
    assert list(at.dataframe[0].value["title"]) == ["Acme Q3 call"]
    at.date_input(key="doc_filter_to").set_value(dt.date(2021, 6, 30)).run()
    assert any("No document matches" in i.value for i in at.info)
