"""Documents end to end on each backend: ingest, list, summarise, key figures, Q&A, exports."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from services.documents import (
    NOT_ENOUGH_EVIDENCE,
    IngestLimits,
    LlmEndpoint,
    answer_question,
    clear_summary_caches,
    export_summary_excel,
    export_summary_markdown,
    get_document,
    ingest_file,
    ingest_paths,
    ingest_text,
    list_documents,
    sentence_context,
    summarize_document,
)
from workbench.embeddings import HashingEmbedder
from workbench.errors import WorkbenchError
from workbench.loaders import DocumentError
from workbench.models import AuditEntry, Company, Document, StoredSummary

LIMITS = IngestLimits(max_bytes=2_000_000, max_pages=50)
EMBEDDER = HashingEmbedder(256)
CALL = (
    "Good morning and welcome to the Acme third quarter call. "
    "Third quarter revenue was $1.52 billion, up 7% year-over-year. "
    "Adjusted earnings per share were $1.01, compared with $0.87 last year. "
    "Gross margin expanded 120 basis points to 41.5%. "
    "For fiscal 2022, we expect revenue of $6.1 billion to $6.3 billion. "
    "Our new plant in Ohio will start production in the second half. "
    "Thank you, operator, we will now take questions."
)


def _company(store, ticker="ACME", name="Acme Corp") -> int:
    with store.session_factory.begin() as s:
        c = Company(key=ticker, name=name, ticker=ticker)
        s.add(c)
        s.flush()
        return c.id


def _count(store, model) -> int:
    with store.session_factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def _ingest_call(store, **kw):
    return ingest_text(CALL, title="Acme Q3 call", session_factory=store.session_factory, limits=LIMITS,
                       user="analyst", company=kw.get("company", "ACME"), doc_type="transcript",
                       doc_date=dt.date(2021, 10, 28))


def test_pasted_text_is_stored_normalised_with_company_type_date_and_audit(store):
    _company(store)
    info = ingest_text("Revenue  rose\n\n\n5%   in Q3.", title="Note", session_factory=store.session_factory,
                       limits=LIMITS, user="analyst", company="acme", doc_type="research",
                       doc_date=dt.date(2021, 1, 4))
    _, text = get_document(info.id, session_factory=store.session_factory)
    assert text == "Revenue rose\n\n5% in Q3."
    assert (info.ticker, info.doc_type, info.doc_date, info.char_count) == ("ACME", "research", dt.date(2021, 1, 4), len(text))
    with store.session_factory() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "document_upload")).one()
    assert entry.user == "analyst" and entry.object_ref == info.key


def test_same_text_twice_is_stored_once(store):
    _company(store)
    first = _ingest_call(store)
    second = _ingest_call(store)
    assert first.created and not second.created and first.id == second.id
    assert _count(store, Document) == 1


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [(b"%PDF-1.4 broken", "bad.pdf", "damaged"), (b"", "empty.txt", "empty"), (b"x", "a.exe", "not supported")],
)
def test_bad_file_stores_nothing_and_says_why(store, data, name, message):
    with pytest.raises(DocumentError, match=message):
        ingest_file(data, name, session_factory=store.session_factory, limits=LIMITS, user="analyst")
    assert _count(store, Document) == 0 and _count(store, AuditEntry) == 0


def test_unknown_company_or_type_is_refused_and_nothing_stored(store):
    with pytest.raises(WorkbenchError, match="no company"):
        ingest_text(CALL, title="x", session_factory=store.session_factory, limits=LIMITS, user="a", company="NOPE")
    with pytest.raises(WorkbenchError, match="unknown document type"):
        ingest_text(CALL, title="x", session_factory=store.session_factory, limits=LIMITS, user="a", doc_type="memo")
    assert _count(store, Document) == 0


def test_documents_filter_by_company_type_title_and_date(store):
    _company(store)
    _company(store, "BETA", "Beta Inc")
    _ingest_call(store)
    ingest_text("Beta revenue grew 3% in 2020.", title="Beta annual report", session_factory=store.session_factory,
                limits=LIMITS, user="a", company="BETA", doc_type="10-K", doc_date=dt.date(2021, 2, 1))
    sf = store.session_factory
    assert list(list_documents(session_factory=sf)["title"]) == ["Acme Q3 call", "Beta annual report"]
    assert list(list_documents(session_factory=sf, company="beta")["title"]) == ["Beta annual report"]
    assert list(list_documents(session_factory=sf, doc_type="transcript")["ticker"]) == ["ACME"]
    assert list(list_documents(session_factory=sf, query="ANNUAL")["title"]) == ["Beta annual report"]
    assert list(list_documents(session_factory=sf, date_to=dt.date(2021, 3, 1))["title"]) == ["Beta annual report"]
    assert list_documents(session_factory=sf, company="100%_'; drop").empty


def test_summary_and_figures_point_into_the_stored_text(store):
    _company(store)
    info = _ingest_call(store)
    summary = summarize_document(info.id, session_factory=store.session_factory, embedder=EMBEDDER, max_sentences=3)
    _, text = get_document(info.id, session_factory=store.session_factory)
    assert [s.rank for s in summary.sentences] == [1, 2, 3]
    for s in summary.sentences:
        assert text[s.start : s.end] == s.text
        ctx = sentence_context(text, s.start, s.end, window=30)
        assert ctx.sentence == s.text and len(ctx.before) <= 30
    assert {f.text for f in summary.key_figures} >= {"$1.52 billion", "$6.1 billion to $6.3 billion", "41.5%"}
    assert all(text[f.start : f.end] == f.text for f in summary.key_figures)


class _Counting(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__(256)
        self.calls = 0

    def encode(self, texts, **kwargs):  # type: ignore[no-untyped-def]
        self.calls += 1
        return super().encode(texts, **kwargs)


def test_a_summary_is_stored_once_and_served_to_every_process_without_the_model(store):
    clear_summary_caches()  # summaries of the same text by earlier tests live in this process
    _company(store)
    info = _ingest_call(store)
    sf, model = store.session_factory, _Counting()
    first = summarize_document(info.id, session_factory=sf, embedder=model, max_sentences=3)
    assert model.calls == 1
    clear_summary_caches()  # as another replica, or this one after a restart
    again = summarize_document(info.id, session_factory=sf, embedder=model, max_sentences=3)
    assert model.calls == 1, "served from the store, not summarised again"
    assert (again.sentences, again.key_figures, again.sentence_count) == (
        first.sentences, first.key_figures, first.sentence_count)
    assert again.document == first.document
    # Another length is another summary; the same length again is not stored twice.
    summarize_document(info.id, session_factory=sf, embedder=model, max_words=30)
    clear_summary_caches()
    summarize_document(info.id, session_factory=sf, embedder=model, max_sentences=3)
    with sf() as s:
        rows = s.scalars(select(StoredSummary).order_by(StoredSummary.id)).all()
    assert [r.length for r in rows] == ["sentences=3", "words=30"]
    assert {r.model_name for r in rows} == {model.name} and all(r.text_sha256 for r in rows)


def test_a_stored_summary_of_an_older_text_or_method_is_not_served(store, monkeypatch):
    clear_summary_caches()  # summaries of the same text by earlier tests live in this process
    _company(store)
    info = _ingest_call(store)
    sf, model = store.session_factory, _Counting()
    summarize_document(info.id, session_factory=sf, embedder=model, max_sentences=2)
    with sf.begin() as s:
        s.get(Document, info.id).text = CALL.replace("$1.52 billion", "$1.61 billion")
    clear_summary_caches()
    changed = summarize_document(info.id, session_factory=sf, embedder=model, max_sentences=2)
    assert model.calls == 2
    assert any("$1.61 billion" in f.text for f in changed.key_figures)
    import services.documents as documents

    monkeypatch.setattr(documents, "METHOD", "next-method")
    clear_summary_caches()
    summarize_document(info.id, session_factory=sf, embedder=model, max_sentences=2)
    assert model.calls == 3 and _count(store, StoredSummary) == 3


def test_a_summary_that_cannot_be_stored_is_still_shown(store, monkeypatch):
    clear_summary_caches()  # summaries of the same text by earlier tests live in this process
    _company(store)
    info = _ingest_call(store)
    sf = store.session_factory
    from sqlalchemy.exc import OperationalError

    import services.documents as documents

    def disk_full(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("database or disk is full"))

    monkeypatch.setattr(documents.StoredSummary, "__init__", disk_full)
    summary = summarize_document(info.id, session_factory=sf, embedder=_Counting(), max_sentences=2)
    assert len(summary.sentences) == 2 and _count(store, StoredSummary) == 0


def test_exports_hold_the_summary_and_figures_and_are_audited(store):
    _company(store)
    info = _ingest_call(store)
    summary = summarize_document(info.id, session_factory=store.session_factory, embedder=EMBEDDER, max_sentences=3)
    workbook = load_workbook(io.BytesIO(export_summary_excel(summary, session_factory=store.session_factory, user="analyst")))
    assert workbook.sheetnames == ["Summary", "Key figures"]
    cells = [c.value for row in workbook["Summary"].iter_rows() for c in row]
    assert summary.sentences[0].text in cells
    markdown = export_summary_markdown(summary, session_factory=store.session_factory, user="analyst")
    assert summary.sentences[0].text in markdown and "$6.1 billion to $6.3 billion" in markdown
    with store.session_factory() as s:
        formats = sorted(e.details["format"] for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "export")))
    assert formats == ["md", "xlsx"]


def test_question_is_answered_with_cited_sentences(store):
    _company(store)
    info = _ingest_call(store)
    answer = answer_question("What revenue do you expect for fiscal 2022?", session_factory=store.session_factory,
                             embedder=EMBEDDER, document_id=info.id, min_evidence=0.3)
    assert answer.answered
    top = answer.citations[0]
    _, text = get_document(info.id, session_factory=store.session_factory)
    assert text[top.start : top.end] == top.text
    assert top.text == "For fiscal 2022, we expect revenue of $6.1 billion to $6.3 billion."


def test_question_without_support_gets_not_enough_evidence(store):
    _company(store)
    info = _ingest_call(store)
    answer = answer_question("Who won the football cup in Brazil?", session_factory=store.session_factory,
                             embedder=EMBEDDER, document_id=info.id, min_evidence=0.3)
    assert not answer.answered and answer.message == NOT_ENOUGH_EVIDENCE and answer.citations == []


def test_company_scope_searches_all_of_its_documents(store):
    _company(store)
    _ingest_call(store)
    ingest_text("Acme will pay a quarterly dividend of $0.25 per share in January.", title="Dividend note",
                session_factory=store.session_factory, limits=LIMITS, user="a", company="ACME")
    answer = answer_question("quarterly dividend per share", session_factory=store.session_factory,
                             embedder=EMBEDDER, company="ACME", min_evidence=0.3)
    assert answer.citations[0].title == "Dividend note"


class _FakeChat(BaseHTTPRequestHandler):
    reply = ""
    seen: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append(body)
        data = json.dumps({"choices": [{"message": {"content": type(self).reply}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        return None


@pytest.fixture
def fake_llm():
    server = HTTPServer(("127.0.0.1", 0), _FakeChat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_generated_answer_cites_passages_and_flags_numbers_not_in_them(store, fake_llm):
    _company(store)
    info = _ingest_call(store)
    _FakeChat.reply = "Revenue is expected at $6.1 billion to $6.3 billion [1], with margins near 45% [1]."
    llm = LlmEndpoint(f"http://127.0.0.1:{fake_llm.server_port}/v1", "local-model")
    answer = answer_question("What revenue do you expect for fiscal 2022?", session_factory=store.session_factory,
                             embedder=EMBEDDER, document_id=info.id, min_evidence=0.3, llm=llm)
    assert answer.generated is not None
    assert answer.generated.cited == [1]
    assert answer.generated.unsupported_numbers == ["45"]
    assert _FakeChat.seen[-1]["model"] == "local-model"
    assert answer.citations[0].text in _FakeChat.seen[-1]["messages"][1]["content"]


def test_unreachable_endpoint_keeps_the_extractive_answer(store):
    _company(store)
    info = _ingest_call(store)
    llm = LlmEndpoint("http://127.0.0.1:9/v1", "m", timeout_s=2)
    answer = answer_question("What revenue do you expect for fiscal 2022?", session_factory=store.session_factory,
                             embedder=EMBEDDER, document_id=info.id, min_evidence=0.3, llm=llm)
    assert answer.answered and answer.generated is not None and answer.generated.error


def test_folder_ingestion_stores_good_files_and_reports_bad_ones(store, tmp_path):
    (tmp_path / "a.txt").write_text("CONTENT_1:\nRevenue grew 5% in fiscal 2020.", encoding="utf-8")
    (tmp_path / "b.md").write_text("# Note\n\nEBITDA was $30 million.", encoding="utf-8")
    (tmp_path / "c.pdf").write_bytes(b"not a pdf")
    report = ingest_paths([tmp_path], session_factory=store.session_factory, limits=LIMITS, user="a",
                          doc_type="10-K")
    assert len(report.stored) == 2 and [p for p, _ in report.failed] == [str(tmp_path / "c.pdf")]
    assert _count(store, Document) == 2


def test_real_filings_ingest_without_markers(store, shared_data):
    paths = sorted((shared_data / "filings" / "10k_item1a").glob("*.txt"))[:3]
    report = ingest_paths(paths, session_factory=store.session_factory, limits=LIMITS, user="a", doc_type="10-K")
    assert len(report.stored) == 3 and not report.failed
    _, text = get_document(report.stored[0].id, session_factory=store.session_factory)
    assert "CONTENT_" not in text and "&#146;" not in text


@pytest.mark.model
def test_real_model_answers_a_filing_question_with_a_citation(sqlite_store, shared_data):
    from workbench.embeddings import load_embedder

    path = sorted((shared_data / "filings" / "10k_item1a").glob("aapl_2015*.txt"))[0]
    report = ingest_paths([path], session_factory=sqlite_store.session_factory, limits=LIMITS, user="a", doc_type="10-K")
    doc_id = report.stored[0].id
    embedder = load_embedder("all-MiniLM-L6-v2")
    answer = answer_question("Who distributes the company's products?", session_factory=sqlite_store.session_factory,
                             embedder=embedder, document_id=doc_id)
    assert answer.answered and "distribut" in answer.citations[0].text
    unrelated = answer_question("What is the recipe for chocolate cake?", session_factory=sqlite_store.session_factory,
                                embedder=embedder, document_id=doc_id)
    assert not unrelated.answered


def test_cli_summarize_prints_one_json_line_per_document_with_verbatim_sentences(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from workbench.cli import app
    from workbench.config import get_settings

    monkeypatch.setenv("WORKBENCH_EMBEDDER", "hashing")
    get_settings.cache_clear()
    (tmp_path / "calls").mkdir()
    (tmp_path / "calls" / "q3.txt").write_text(CALL, encoding="utf-8")
    (tmp_path / "calls" / "q4.md").write_text("Q4 revenue was $1.6 billion. We expect growth of 5% to 7% in 2022.",
                                              encoding="utf-8")
    result = CliRunner().invoke(app, ["summarize", str(tmp_path / "calls"), "--max-sentences", "2", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(d["path"]).name for d in lines] == ["q3.txt", "q4.md"]
    first = lines[0]
    assert [s["rank"] for s in first["sentences"]] == [1, 2]
    assert all(CALL[s["start"] : s["end"]] == s["text"] for s in first["sentences"])
    assert {"text", "start", "end", "kind", "metric", "period"} <= set(first["key_figures"][0])


def _summarize_json(tmp_path, monkeypatch, *args):
    from typer.testing import CliRunner

    from workbench.cli import app
    from workbench.config import get_settings

    monkeypatch.setenv("WORKBENCH_EMBEDDER", "hashing")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["summarize", *map(str, args), "--json"])
    return result, [json.loads(line) for line in result.stdout.splitlines()]


def test_cli_summarize_json_offsets_point_into_the_file_as_written(tmp_path, monkeypatch):
    raw = ("CONTENT_1:   Third quarter revenue\nwas $1.52 billion,   up 7% year-over-year.\n\n"
           "CONTENT_2: Adjusted earnings per share were $1.01,\r\ncompared with $0.87 last year.\n"
           "We opened a new office in Austin.")
    path = tmp_path / "call.txt"
    path.write_bytes(raw.encode("utf-8"))
    result, lines = _summarize_json(tmp_path, monkeypatch, path, "--max-sentences", "2")
    assert result.exit_code == 0, result.output
    (doc,) = lines
    assert doc["offsets"] == "source" and len(doc["sentences"]) == 2
    for s in doc["sentences"]:
        # the file's own characters, line breaks and runs of spaces included
        assert " ".join(raw[s["start"] : s["end"]].split()) == " ".join(s["text"].split())
        assert raw[s["start"] : s["end"]] != s["text"] or "\n" not in raw[s["start"] : s["end"]]
    assert any("\n" in raw[s["start"] : s["end"]] for s in doc["sentences"])
    for f in doc["key_figures"]:
        assert raw[f["start"] : f["end"]] == f["text"]
        assert f["sentence"] and " ".join(raw[f["sentence_start"] : f["sentence_end"]].split()) == " ".join(
            f["sentence"].split())


def test_cli_summarize_json_gives_a_failed_document_its_own_line(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text(CALL, encoding="utf-8")
    (tmp_path / "b.pdf").write_bytes(b"not a pdf")
    (tmp_path / "c.md").write_text("Q4 revenue was $1.6 billion.", encoding="utf-8")
    result, lines = _summarize_json(tmp_path, monkeypatch, tmp_path)
    assert result.exit_code == 1
    assert [Path(d["path"]).name for d in lines] == ["a.txt", "b.pdf", "c.md"]
    assert lines[1]["error"] and "sentences" not in lines[1]
    assert lines[0]["sentences"] and lines[2]["sentences"]


def test_cli_summarize_clauses_gives_highlights_inside_their_sentences(tmp_path, monkeypatch):
    path = tmp_path / "q3.txt"
    path.write_text(CALL, encoding="utf-8")
    _, (whole,) = _summarize_json(tmp_path, monkeypatch, path, "--max-sentences", "3")
    _, (cut,) = _summarize_json(tmp_path, monkeypatch, path, "--max-sentences", "3", "--clauses")
    assert all((s["start"], s["end"]) == (s["sentence_start"], s["sentence_end"]) for s in whole["sentences"])
    for s in cut["sentences"]:
        assert s["sentence_start"] <= s["start"] < s["end"] <= s["sentence_end"]
        assert CALL[s["start"] : s["end"]] == s["text"]


def test_cli_ingest_stores_files_and_fails_on_a_bad_one(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from workbench.cli import app
    from workbench.config import get_settings

    get_settings.cache_clear()
    (tmp_path / "a.txt").write_text(CALL, encoding="utf-8")
    (tmp_path / "b.pdf").write_bytes(b"not a pdf")
    result = CliRunner().invoke(app, ["ingest", str(tmp_path / "a.txt"), str(tmp_path / "b.pdf"), "--type", "transcript",
                                      "--date", "2021-10-28"])
    assert result.exit_code == 1
    assert "1 documents stored" in result.stdout


@pytest.mark.parametrize(("length", "message"), [({"max_sentences": 0}, "--max-sentences"), ({"max_words": -5}, "--max-words")])
def test_a_summary_length_below_one_is_refused_and_nothing_stored(store, length, message):
    _company(store)
    info = _ingest_call(store)
    with pytest.raises(WorkbenchError, match=f"{message} must be at least 1"):
        summarize_document(info.id, session_factory=store.session_factory, embedder=EMBEDDER, **length)
    assert _count(store, StoredSummary) == 0
