"""Documents: ingest, list and filter, summarise with citations, key figures, cited Q&A, exports.

Every sentence shown to a reader is a slice of the stored (normalised) document text and
carries its offsets, so it can be traced to its context. Sentences are recomputed from the
text when needed (segmentation is fast) and their embeddings are kept in a small
in-process cache keyed by the document's hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import re
import threading
import urllib.error
import urllib.request
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from workbench import audit
from workbench.access import PUBLIC, AccessDenied, Viewer, document_visible
from workbench.domain import DocumentType
from workbench.embeddings import Embedder
from workbench.errors import WorkbenchError
from workbench.excel import BankerWorkbook, Column
from workbench.figures import KeyFigure, extract_key_figures
from workbench.loaders import DocumentError, LoadedText, expand_paths, load_bytes, load_pasted, load_path
from workbench.models import Company, DealTeam, Document, StoredSummary
from workbench.progress import ProgressCallback, no_progress
from workbench.summarize import METHOD, SummarySentence, summarize_spans
from workbench.text import NormalisedText, Span, normalise, split_sentences
from workbench.user_input import plain_text, clean_upload_name

_log = logging.getLogger(__name__)

NOT_ENOUGH_EVIDENCE = "not enough evidence in the documents"


# ---------------------------------------------------------------------------------------
# Plain data returned to pages and the CLI


@dataclass(frozen=True)
class IngestLimits:
    max_bytes: int
    max_pages: int

    @classmethod
    def from_settings(cls, settings: Any) -> IngestLimits:
        return cls(max_bytes=int(settings.max_upload_mb) * 1024 * 1024, max_pages=int(settings.doc_max_pages))


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    key: str
    title: str
    doc_type: str
    doc_date: dt.date | None
    company_id: int | None
    company: str | None
    ticker: str | None
    source: str | None
    char_count: int
    sha256: str | None
    created: bool = True
    team_id: int | None = None  # private-side for this deal team when set


@dataclass(frozen=True)
class IngestReport:
    stored: list[DocumentInfo] = field(default_factory=list)
    duplicates: list[DocumentInfo] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, message)
    elapsed_s: float = 0.0
    bytes_read: int = 0


@dataclass(frozen=True)
class DocumentSummary:
    document: DocumentInfo | None
    sentences: list[SummarySentence]
    key_figures: list[KeyFigure]
    sentence_count: int

    def as_json(self, path: str | None = None, source: NormalisedText | None = None) -> dict[str, Any]:
        """The JSON line of ``workbench summarize --json``. With ``source`` (the
        normalisation of the file's text) every offset points into the file's text as read
        rather than into the normalised text: ``raw[start:end]`` is the sentence as it
        stands in the file, line breaks and all; ``text`` is it with whitespace collapsed."""
        def at(start: int, end: int) -> tuple[int, int]:
            return source.span_to_original(start, end) if source is not None else (start, end)

        sentences = []
        for s in self.sentences:
            start, end = at(s.start, s.end)
            sentence_start, sentence_end = at(s.sentence_start, s.sentence_end)
            sentences.append({"text": s.text, "start": start, "end": end, "rank": s.rank, "score": s.score,
                              "sentence_start": sentence_start, "sentence_end": sentence_end})
        figures = []
        for f in self.key_figures:
            data = f.as_dict()
            data["start"], data["end"] = at(f.start, f.end)
            data["sentence_start"], data["sentence_end"] = at(f.sentence_start, f.sentence_end)
            figures.append(data)
        return {"path": path, "offsets": "source" if source is not None else "normalised",
                "sentences": sentences, "key_figures": figures}


@dataclass(frozen=True)
class Context:
    before: str
    sentence: str
    after: str
    start: int
    end: int


@dataclass(frozen=True)
class Citation:
    document_id: int
    title: str
    start: int
    end: int
    text: str  # exactly the document's text[start:end]
    evidence: float


@dataclass(frozen=True)
class GeneratedAnswer:
    text: str
    cited: list[int]  # 1-based passage numbers the answer cites
    unsupported_numbers: list[str]  # numbers not found in the cited passages
    error: str | None = None


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    message: str  # the answer sentences joined, or NOT_ENOUGH_EVIDENCE
    citations: list[Citation]
    generated: GeneratedAnswer | None = None


# ---------------------------------------------------------------------------------------
# Ingestion


def _info(doc: Document, company: Company | None, created: bool = True) -> DocumentInfo:
    return DocumentInfo(
        id=doc.id, key=doc.key, title=doc.title, doc_type=doc.doc_type, doc_date=doc.doc_date,
        company_id=doc.company_id, company=company.name if company else None,
        ticker=company.ticker if company else None, source=doc.source,
        char_count=doc.char_count, sha256=doc.sha256, created=created, team_id=doc.team_id,
    )


def _check_doc_type(doc_type: str) -> str:
    valid = [t.value for t in DocumentType]
    value = (doc_type or "other").strip()
    if value not in valid:
        raise WorkbenchError(f"unknown document type {doc_type!r}; use one of {', '.join(valid)}")
    return value


def _resolve_company(session: Session, company: str | None) -> Company | None:
    if not company or not company.strip():
        return None
    value = plain_text(company, "company")
    found = session.scalars(
        select(Company).where(or_(Company.key == value, func.upper(Company.ticker) == value.upper()))
        .order_by(Company.id).limit(1)
    ).first()
    if found is None:
        raise WorkbenchError(f"no company with ticker or key {value!r}; import or create it first")
    return found


def _store(
    loaded: LoadedText,
    *,
    session_factory: sessionmaker[Session],
    user: str,
    company: str | None,
    doc_type: str,
    doc_date: dt.date | None,
    title: str | None,
    source: str | None,
    viewer: Viewer = PUBLIC,
    team: str | None = None,
) -> DocumentInfo:
    doc_type = _check_doc_type(doc_type)
    if title:
        title = plain_text(title, "title")
    # A NUL can sit deep in a text file or come out of a PDF; PostgreSQL refuses it in text.
    text = normalise(loaded.text.replace("\x00", "")).text
    if not split_sentences(text):
        raise DocumentError(f"{loaded.name}: no sentences found in the text.")
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    with session_factory.begin() as s:
        owner = _resolve_company(s, company)
        team_id = _upload_team(s, team, viewer)
        # The same text is kept once per side of the barrier: a private copy has its own key,
        # and a copy the uploader may not see is neither returned nor named to them.
        base = f"doc:{sha[:40]}" + (f":team-{team_id}" if team_id else "")
        for key in (base, *(f"{base}:{i}" for i in range(1, 10))):
            existing = s.scalars(select(Document).where(Document.key == key)).first()
            if existing is None:
                break
            if existing.team_id == team_id and viewer.may_see_team(existing.team_id):
                existing_owner = s.get(Company, existing.company_id) if existing.company_id else None
                return _info(existing, existing_owner, created=False)
        else:
            raise DocumentError(f"{loaded.name}: this text is stored too many times already")
        doc = Document(
            key=key,
            team_id=team_id,
            company_id=owner.id if owner else None,
            doc_type=doc_type,
            title=(title or loaded.title or loaded.name).replace("\x00", "")[:400],
            doc_date=doc_date,
            source=(source or loaded.name)[:400],
            text=text,
            char_count=len(text),
            sha256=sha,
        )
        s.add(doc)
        s.flush()
        audit.record(
            s, user=user, action="document_upload", object_type="document", object_ref=key,
            row_count=1, file_name=loaded.name[:400], file_sha256=sha,
            details={"file_type": loaded.file_type, "pages": loaded.pages, "bytes": loaded.size_bytes,
                     "chars": len(text), "doc_type": doc_type, "team": team if team_id else None},
        )
        return _info(doc, owner)


def _upload_team(session: Session, team: str | None, viewer: Viewer) -> int | None:
    if not team or not team.strip():
        return None
    team_id = session.scalar(select(DealTeam.id).where(DealTeam.name == team.strip()))
    if team_id is None or not viewer.may_see_team(team_id):
        raise AccessDenied(f"{viewer.user} is not on a deal team named {team.strip()[:120]!r}: "
                           "a document is private-side only for a team of the uploader")
    return int(team_id)


def ingest_file(
    data: bytes,
    name: str,
    *,
    session_factory: sessionmaker[Session],
    limits: IngestLimits,
    user: str,
    company: str | None = None,
    doc_type: str = "other",
    doc_date: dt.date | None = None,
    title: str | None = None,
    viewer: Viewer = PUBLIC,
    team: str | None = None,
) -> DocumentInfo:
    """Read an uploaded file and store it as one document; DocumentError and nothing stored
    when it cannot be read. The same text stored twice is kept once (``created`` is False).
    The uploaded name is only a label: it is cut to its last path part before it is kept."""
    name = clean_upload_name(name)
    loaded = load_bytes(data, name, max_bytes=limits.max_bytes, max_pages=limits.max_pages)
    return _store(loaded, session_factory=session_factory, user=user, company=company,
                  doc_type=doc_type, doc_date=doc_date, title=title, source=name, viewer=viewer, team=team)


def ingest_text(
    text: str,
    *,
    title: str,
    session_factory: sessionmaker[Session],
    limits: IngestLimits,
    user: str,
    company: str | None = None,
    doc_type: str = "other",
    doc_date: dt.date | None = None,
    source: str | None = None,
    viewer: Viewer = PUBLIC,
    team: str | None = None,
) -> DocumentInfo:
    """Store pasted text as a document (private-side for ``team``, one of the viewer's, when given)."""
    loaded = load_pasted(text, title=title, max_bytes=limits.max_bytes)
    return _store(loaded, session_factory=session_factory, user=user, company=company,
                  doc_type=doc_type, doc_date=doc_date, title=title, source=source or "pasted",
                  viewer=viewer, team=team)


def ingest_paths(
    paths: Sequence[Path],
    *,
    session_factory: sessionmaker[Session],
    limits: IngestLimits,
    user: str,
    company: str | None = None,
    doc_type: str = "other",
    doc_date: dt.date | None = None,
    progress: ProgressCallback = no_progress,
    viewer: Viewer = PUBLIC,
    team: str | None = None,
) -> IngestReport:
    """Store files and the supported files of folders, one transaction per document: a bad
    file is reported and skipped, the others are stored."""
    import time

    started = time.perf_counter()
    _check_doc_type(doc_type)
    files = expand_paths(list(paths))
    stored: list[DocumentInfo] = []
    duplicates: list[DocumentInfo] = []
    failed: list[tuple[str, str]] = []
    read = 0
    for i, path in enumerate(files):
        progress(i / max(len(files), 1), f"Reading {path.name}")
        try:
            loaded = load_path(path, max_bytes=limits.max_bytes, max_pages=limits.max_pages)
            read += loaded.size_bytes
            info = _store(loaded, session_factory=session_factory, user=user, company=company,
                          doc_type=doc_type, doc_date=doc_date, title=None, source=str(path),
                          viewer=viewer, team=team)
        except WorkbenchError as exc:
            failed.append((str(path), str(exc)))
            continue
        (stored if info.created else duplicates).append(info)
    progress(1.0, f"{len(stored)} documents stored")
    return IngestReport(stored, duplicates, failed, time.perf_counter() - started, read)


# ---------------------------------------------------------------------------------------
# Reading


def list_documents(
    *,
    session_factory: sessionmaker[Session],
    company: str | None = None,
    doc_type: str | None = None,
    query: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: int = 500,
    viewer: Viewer = PUBLIC,
) -> pd.DataFrame:
    """Documents, newest first, filtered by company (ticker, key or name part), type,
    title words and date range."""
    stmt = (
        select(Document.id, Document.title, Document.doc_type, Document.doc_date, Company.name,
               Company.ticker, Document.source, Document.char_count, Document.created_at)
        .outerjoin(Company, Company.id == Document.company_id)
        .where(document_visible(viewer))
    )
    if company and company.strip():
        value = plain_text(company, "company filter")
        stmt = stmt.where(or_(func.upper(Company.ticker) == value.upper(), Company.key == value,
                              func.lower(Company.name).contains(value.lower(), autoescape=True)))
    if doc_type:
        stmt = stmt.where(Document.doc_type == _check_doc_type(doc_type))
    if query and query.strip():
        stmt = stmt.where(func.lower(Document.title).contains(plain_text(query, "title filter").lower(),
                                                              autoescape=True))  # fmt: skip
    if date_from:
        stmt = stmt.where(Document.doc_date >= date_from)
    if date_to:
        stmt = stmt.where(Document.doc_date <= date_to)
    stmt = stmt.order_by(Document.doc_date.desc().nulls_last(), Document.id.desc()).limit(limit)
    with session_factory() as s:
        rows = s.execute(stmt).all()
    return pd.DataFrame(
        rows,
        columns=["id", "title", "doc_type", "doc_date", "company", "ticker", "source", "chars", "added"],
    )


def _load(session: Session, document_id: int, viewer: Viewer) -> tuple[Document, Company | None]:
    doc = session.get(Document, document_id)
    if doc is None or not viewer.may_see_team(doc.team_id):  # a hidden document is not found either
        raise WorkbenchError(f"no document with id {document_id}")
    owner = session.get(Company, doc.company_id) if doc.company_id else None
    return doc, owner


def get_document(document_id: int, *, session_factory: sessionmaker[Session],
                 viewer: Viewer = PUBLIC) -> tuple[DocumentInfo, str]:  # fmt: skip
    """A document's description and its stored text."""
    with session_factory() as s:
        doc, owner = _load(s, document_id, viewer)
        return _info(doc, owner), doc.text


def sentence_context(text: str, start: int, end: int, window: int = 400) -> Context:
    """The sentence at [start, end) with up to ``window`` characters either side."""
    if not (0 <= start <= end <= len(text)):
        raise WorkbenchError("the citation does not point inside the document")
    lo = max(0, start - window)
    hi = min(len(text), end + window)
    return Context(text[lo:start], text[start:end], text[end:hi], start, end)


# ---------------------------------------------------------------------------------------
# Summaries and key figures

class _Lru:
    """A small thread-safe LRU shared by every session of the process."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._pending: dict[tuple[Any, ...], threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Any:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get_or_compute(self, key: tuple[Any, ...], compute: Any) -> Any:
        """The cached value, or compute() once however many sessions ask for it at once.

        Without this, users who open the same new document together would each summarise it.
        """
        value = self.get(key)
        if value is not None:
            return value
        with self._lock:
            pending = self._pending.setdefault(key, threading.Lock())
        try:
            with pending:  # the first caller computes; the others wait, then find it cached
                value = self.get(key)
                if value is None:
                    value = compute()
                    self.put(key, value)
                return value
        finally:
            with self._lock:
                if self._pending.get(key) is pending and not pending.locked():
                    del self._pending[key]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


# Sentence vectors of a text, once a question was asked about it.
_VECTORS = _Lru(64)
# Summaries are a pure function of (model, text, length): Streamlit reruns the page on
# every click, and re-summarising cost ~0.7 s of CPU each time, with several users at once.
_SUMMARIES = _Lru(256)


def clear_summary_caches() -> None:
    """Forget cached summaries and sentence vectors (benchmarks time the work itself)."""
    _VECTORS.clear()
    _SUMMARIES.clear()


def _text_key(text: str, embedder: Embedder) -> tuple[str, str]:
    return (embedder.name, hashlib.sha256(text.encode("utf-8")).hexdigest())


def _cached_vectors(text: str, embedder: Embedder) -> np.ndarray | None:
    return _VECTORS.get(_text_key(text, embedder))  # type: ignore[no-any-return]


def _sentence_vectors(text: str, spans: Sequence[Span], embedder: Embedder) -> np.ndarray:
    key = _text_key(text, embedder)
    cached = _VECTORS.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    vectors = embedder.encode([text[s.start : s.end] for s in spans])
    _VECTORS.put(key, vectors)
    return vectors


def summarize_text(
    text: str,
    *,
    embedder: Embedder,
    max_sentences: int | None = 5,
    max_words: int | None = None,
    normalised: bool = False,
    clauses: bool = False,
) -> tuple[str, DocumentSummary]:
    """Summary and key figures of a text; returns the normalised text the offsets point
    into. ``clauses``: pieces may be clauses of a sentence (highlights) instead of whole
    sentences."""
    _check_length(max_sentences, max_words)
    if not normalised:
        text = normalise(text).text
    key = (*_text_key(text, embedder), max_sentences, max_words, clauses)
    return text, _SUMMARIES.get_or_compute(
        key, lambda: _compute_summary(text, embedder, max_sentences, max_words, clauses))


def _compute_summary(text: str, embedder: Embedder, max_sentences: int | None,
                     max_words: int | None, clauses: bool = False) -> DocumentSummary:  # fmt: skip
    spans = split_sentences(text)
    # vectors of every sentence exist once a question was asked; otherwise the summariser
    # embeds only its candidate sentences, which is what keeps a long transcript fast
    vectors = _cached_vectors(text, embedder) if spans else None
    sentences = summarize_spans(text, spans, embedder, max_sentences=max_sentences,
                                max_words=max_words, vectors=vectors, clauses=clauses)
    return DocumentSummary(None, sentences, extract_key_figures(text, spans), len(spans))


def _check_length(max_sentences: int | None, max_words: int | None) -> None:
    if max_sentences is not None and max_sentences < 1:
        raise WorkbenchError("--max-sentences must be at least 1")
    if max_words is not None and max_words < 1:
        raise WorkbenchError("--max-words must be at least 1")


def _length(max_sentences: int | None, max_words: int | None, clauses: bool = False) -> str:
    size = f"words={max_words}" if max_words is not None else f"sentences={max_sentences}"
    return f"{size};clauses" if clauses else size


def _read_stored(session_factory: sessionmaker[Session], document_id: int, sha: str,
                 embedder: Embedder, length: str) -> DocumentSummary | None:  # fmt: skip
    with session_factory() as s:
        payload = s.scalar(select(StoredSummary.payload).where(
            StoredSummary.document_id == document_id, StoredSummary.text_sha256 == sha,
            StoredSummary.model_name == embedder.name, StoredSummary.method == METHOD,
            StoredSummary.length == length))  # fmt: skip
    if payload is None:
        return None
    return DocumentSummary(None, [SummarySentence(**x) for x in payload["sentences"]],
                           [KeyFigure(**x) for x in payload["key_figures"]], int(payload["sentence_count"]))  # fmt: skip


def _write_stored(session_factory: sessionmaker[Session], document_id: int, sha: str, embedder: Embedder,
                  length: str, summary: DocumentSummary) -> None:  # fmt: skip
    """Keep a computed summary for every replica. Best effort: a reader whose write fails
    (another replica stored it first, a read-only or full database) still gets its summary."""
    payload = {"sentences": [asdict(x) for x in summary.sentences],
               "key_figures": [asdict(x) for x in summary.key_figures], "sentence_count": summary.sentence_count}  # fmt: skip
    try:
        with session_factory.begin() as s:
            s.add(StoredSummary(document_id=document_id, text_sha256=sha, model_name=embedder.name,
                                method=METHOD, length=length, payload=payload))  # fmt: skip
    except IntegrityError:
        pass  # stored meanwhile by another session or replica: the same summary
    except SQLAlchemyError as exc:
        _log.warning("summary of document %s not stored: %s", document_id, exc.__class__.__name__)


def summarize_document(
    document_id: int,
    *,
    session_factory: sessionmaker[Session],
    embedder: Embedder,
    max_sentences: int | None = 5,
    max_words: int | None = None,
    viewer: Viewer = PUBLIC,
    clauses: bool = False,
) -> DocumentSummary:
    """Ranked summary sentences with offsets into the stored text, and the key figures;
    ``clauses`` for highlights cut from sentences instead of whole sentences."""
    info, text = get_document(document_id, session_factory=session_factory, viewer=viewer)
    _check_length(max_sentences, max_words)
    name, sha = _text_key(text, embedder)
    length = _length(max_sentences, max_words, clauses)

    def stored_or_computed() -> DocumentSummary:
        # Another replica (or this one before a restart) may have summarised it already.
        found = _read_stored(session_factory, document_id, sha, embedder, length)
        if found is None:
            found = _compute_summary(text, embedder, max_sentences, max_words, clauses)
            _write_stored(session_factory, document_id, sha, embedder, length, found)
        return found

    summary = _SUMMARIES.get_or_compute((name, sha, max_sentences, max_words, clauses), stored_or_computed)
    return DocumentSummary(info, summary.sentences, summary.key_figures, summary.sentence_count)


def summary_frame(summary: DocumentSummary) -> pd.DataFrame:
    return pd.DataFrame(
        [{"rank": s.rank, "score": s.score, "sentence": s.text, "start": s.start, "end": s.end,
          "sentence_start": s.sentence_start, "sentence_end": s.sentence_end} for s in summary.sentences],
        columns=["rank", "score", "sentence", "start", "end", "sentence_start", "sentence_end"],
    )


def figures_frame(figures: Sequence[KeyFigure]) -> pd.DataFrame:
    cols = ["figure", "kind", "metric", "period", "guidance", "value", "value_high", "unit",
            "start", "end", "sentence"]
    return pd.DataFrame(
        [{"figure": f.text, "kind": f.kind, "metric": f.metric, "period": f.period,
          "guidance": f.guidance, "value": f.value, "value_high": f.value_high, "unit": f.unit,
          "start": f.start, "end": f.end, "sentence": f.sentence} for f in figures],
        columns=cols,
    )


# ---------------------------------------------------------------------------------------
# Exports


def export_summary_excel(summary: DocumentSummary, *, session_factory: sessionmaker[Session], user: str) -> bytes:
    """Workbook with the summary and the key figures; the export is audited."""
    doc = summary.document
    whole = all(s.is_whole_sentence for s in summary.sentences)
    book = BankerWorkbook()
    cover = [("Document", doc.title if doc else ""), ("Company", (doc.company if doc else None) or ""),
             ("Type", doc.doc_type if doc else ""), ("Exported by", user),
             ("Exported at", dt.datetime.now(dt.UTC).replace(tzinfo=None))]
    book.add_table("Summary", summary_frame(summary), [
        Column("rank", "Rank", "int"), Column("score", "Score", "number"),
        Column("sentence", "Sentence (verbatim)" if whole else "Sentence or clause of one (verbatim)", "text",
               width=100),
        Column("start", "Start", "int"), Column("end", "End", "int"),
        Column("sentence_start", "Whole sentence start", "int"), Column("sentence_end", "Whole sentence end", "int"),
    ], cover=cover, heading="Document summary")
    book.add_table("Key figures", figures_frame(summary.key_figures), [
        Column("figure", "Figure (verbatim)"), Column("kind", "Kind"), Column("metric", "Metric"),
        Column("period", "Period"), Column("guidance", "Guidance"), Column("value", "Value", "number"),
        Column("value_high", "High", "number"), Column("unit", "Unit"), Column("start", "Start", "int"),
        Column("end", "End", "int"), Column("sentence", "Sentence", width=100),
    ])
    data = book.to_bytes()
    _audit_export(summary, "xlsx", data, session_factory=session_factory, user=user)
    return data


def export_summary_markdown(summary: DocumentSummary, *, session_factory: sessionmaker[Session], user: str) -> str:
    """Markdown with the summary (each sentence cited by offsets) and the key figures."""
    doc = summary.document
    lines = [f"# Summary: {doc.title if doc else 'document'}", ""]
    if doc:
        lines += [f"- Company: {doc.company or '-'}", f"- Type: {doc.doc_type}",
                  f"- Date: {doc.doc_date or '-'}", f"- Source: {doc.source or '-'}", ""]
    for s in summary.sentences:
        lines.append(f"{s.rank}. {s.text.replace(chr(10), ' ')} [chars {s.start}-{s.end}, score {s.score:.3f}]")
    lines += ["", "## Key figures", "", "| figure | metric | period | guidance | sentence at |",
              "| --- | --- | --- | --- | --- |"]
    for f in summary.key_figures:
        cell = f.text.replace("|", "\\|")
        lines.append(f"| {cell} | {f.metric or ''} | {f.period or ''} | {'yes' if f.guidance else ''} | "
                     f"{f.sentence_start}-{f.sentence_end} |")
    text = "\n".join(lines) + "\n"
    _audit_export(summary, "md", text.encode("utf-8"), session_factory=session_factory, user=user)
    return text


def _audit_export(summary: DocumentSummary, fmt: str, data: bytes, *, session_factory: sessionmaker[Session], user: str) -> None:
    with session_factory.begin() as s:
        audit.record(
            s, user=user, action="export", object_type="document_summary",
            object_ref=summary.document.key if summary.document else None,
            row_count=len(summary.sentences) + len(summary.key_figures),
            file_name=f"summary.{fmt}", file_sha256=audit.file_sha256(data=data),
            details={"format": fmt, "sentences": len(summary.sentences), "figures": len(summary.key_figures)},
        )


# ---------------------------------------------------------------------------------------
# Q&A

_STOPWORDS = frozenset(
    """a an the of in on for to and or by with at from as is are was were be been being do does
    did what which who whom whose when where why how much many this that these those it its
    their our your his her they we you i me my there than then into over about per any all
    can could would should will shall may might has have had not no yes tell give show""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")


def _terms(text: str) -> list[str]:
    out = []
    for t in _TOKEN.findall(text.lower()):
        if t in _STOPWORDS:
            continue
        # a light stem so that "revenues" meets "revenue" and "expected" meets "expects"
        for suffix in ("ing", "ed", "es", "s"):
            if len(t) > len(suffix) + 3 and t.endswith(suffix):
                t = t[: -len(suffix)]
                break
        out.append(t)
    return out


def _bm25(query: list[str], docs: list[list[str]], k1: float = 1.2, b: float = 0.75) -> np.ndarray:
    n = len(docs)
    scores = np.zeros(n)
    if not n or not query:
        return scores
    lengths = np.array([len(d) for d in docs], dtype=float)
    avg = lengths.mean() or 1.0
    df = Counter(t for d in docs for t in set(d))
    counts = [Counter(d) for d in docs]
    for term in set(query):
        if term not in df:
            continue
        idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
        tf = np.array([c.get(term, 0) for c in counts], dtype=float)
        scores += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths / avg))
    return scores


def _rank(values: np.ndarray) -> np.ndarray:
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values), dtype=float)
    ranks[order] = np.arange(1, len(values) + 1)
    return ranks


def answer_question(
    question: str,
    *,
    session_factory: sessionmaker[Session],
    embedder: Embedder,
    document_id: int | None = None,
    company: str | None = None,
    min_evidence: float = 0.45,
    top_k: int = 3,
    llm: LlmEndpoint | None = None,
    max_documents: int = 50,
    viewer: Viewer = PUBLIC,
) -> Answer:
    """Best supporting sentences for a question, with citations, from one document or a
    company's documents; 'not enough evidence' when the best is below ``min_evidence``.
    Keyword (BM25) and embedding rankings are fused by reciprocal rank."""
    question = (question or "").strip()
    if not question:
        raise WorkbenchError("ask a question first")
    if document_id is None and not (company or "").strip():
        raise WorkbenchError("choose a document or a company to ask about")
    with session_factory() as s:
        if document_id is not None:
            doc, _ = _load(s, document_id, viewer)
            docs = [(doc.id, doc.title, doc.text)]
        else:
            owner = _resolve_company(s, company)
            rows = s.execute(
                select(Document.id, Document.title, Document.text)
                .where(Document.company_id == owner.id, document_visible(viewer))  # type: ignore[union-attr]
                .order_by(Document.doc_date.desc().nulls_last(), Document.id.desc())
                .limit(max_documents)
            ).all()
            docs = [(r[0], r[1], r[2]) for r in rows]
    passages: list[tuple[int, str, Span, str]] = []
    vectors: list[np.ndarray] = []
    for doc_id, title, text in docs:
        spans = split_sentences(text)
        if not spans:
            continue
        vectors.append(_sentence_vectors(text, spans, embedder))
        passages.extend((doc_id, title, sp, text[sp.start : sp.end]) for sp in spans)
    if not passages:
        return Answer(question, False, NOT_ENOUGH_EVIDENCE, [])
    matrix = np.vstack(vectors)
    q_vec = embedder.encode([question])[0]
    cosine = matrix @ q_vec
    q_terms = _terms(question)
    passage_terms = [_terms(p[3]) for p in passages]
    keyword = _bm25(q_terms, passage_terms)
    fused = 1.0 / (60 + _rank(cosine)) + 1.0 / (60 + _rank(keyword))
    unique_q = set(q_terms)
    order = np.argsort(-fused, kind="stable")[: max(top_k * 4, 10)]
    citations: list[Citation] = []
    for i in order:
        coverage = len(unique_q & set(passage_terms[i])) / len(unique_q) if unique_q else 0.0
        evidence = 0.6 * max(float(cosine[i]), 0.0) + 0.4 * coverage
        doc_id, title, span, text = passages[i]
        if evidence >= min_evidence:
            citations.append(Citation(doc_id, title, span.start, span.end, text, round(evidence, 4)))
        if len(citations) >= top_k:
            break
    if not citations:
        return Answer(question, False, NOT_ENOUGH_EVIDENCE, [])
    generated = generate_answer(question, citations, llm) if llm is not None and llm.url else None
    return Answer(question, True, " ".join(c.text.replace("\n", " ") for c in citations), citations, generated)


# ---------------------------------------------------------------------------------------
# Optional generative answer through an OpenAI-compatible endpoint


@dataclass(frozen=True)
class LlmEndpoint:
    url: str
    model: str
    api_key: str | None = None
    timeout_s: float = 60.0

    @classmethod
    def from_settings(cls, settings: Any) -> LlmEndpoint | None:
        import os

        if not settings.llm_url:
            return None
        return cls(settings.llm_url, settings.llm_model, os.environ.get(settings.llm_api_key_env) or None)


_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
_CITE = re.compile(r"\[(\d{1,3})\]")


def _numbers(text: str) -> list[str]:
    return [m.group().rstrip(",") for m in _NUMBER.finditer(_CITE.sub(" ", text))]


def _as_float(number: str) -> float | None:
    try:
        return float(number.replace(",", ""))
    except ValueError:
        return None


def unsupported_numbers(answer: str, passages: Sequence[str]) -> list[str]:
    """Numbers in ``answer`` that appear in none of ``passages`` (compared as values)."""
    known = {_as_float(n) for p in passages for n in _numbers(p)}
    return [n for n in _numbers(answer) if _as_float(n) not in known]


def generate_answer(question: str, citations: Sequence[Citation], llm: LlmEndpoint) -> GeneratedAnswer:
    """Ask the endpoint to answer from the numbered passages only, citing them as [n]; flag
    every number in the answer that the cited passages do not contain."""
    numbered = "\n".join(f"[{i}] {c.text}" for i, c in enumerate(citations, start=1))
    payload = {
        "model": llm.model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": (
                "Answer only from the numbered passages. Cite every claim with its passage "
                "number in square brackets, like [1]. Copy figures exactly. If the passages "
                "do not answer the question, say so.")},
            {"role": "user", "content": f"Passages:\n{numbered}\n\nQuestion: {question}"},
        ],
    }
    headers = {"Content-Type": "application/json"}
    if llm.api_key:
        headers["Authorization"] = f"Bearer {llm.api_key}"
    request = urllib.request.Request(
        llm.url.rstrip("/") + "/chat/completions", data=json.dumps(payload).encode("utf-8"),
        headers=headers, method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=llm.timeout_s) as response:  # noqa: S310 - URL from settings
            body = json.loads(response.read().decode("utf-8"))
        text = str(body["choices"][0]["message"]["content"]).strip()
    except (urllib.error.URLError, TimeoutError, OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        return GeneratedAnswer("", [], [], error=f"the generative endpoint failed: {exc.__class__.__name__}: {exc}")
    cited = sorted({int(n) for n in _CITE.findall(text) if 1 <= int(n) <= len(citations)})
    sources = [citations[i - 1].text for i in cited]
    flagged = unsupported_numbers(text, sources)
    return GeneratedAnswer(text, cited, flagged, error=None if cited else "the answer cites no passage")


