"""Path traversal: no file name a user supplies (an upload's name, a screen's or watchlist's
name, a document title) can make the workbench write outside its folder, and a stored
upload name is only its last path part, without control characters.

The places that build a path or a file name from user text: an import's rejected-rows file
(beside the input, else in the exports folder), the Excel and CSV export names (screen
name, date), the Data page's rejected-rows download (the upload's name), and the CLI's
``--out`` (the user's own choice of path).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hostile import HOSTILE_STRINGS
from sqlalchemy import select

from services.documents import IngestLimits, ingest_file
from services.imports import run_import, source_from_bytes, source_from_path
from services.screening import parse_spec, run_screen
from services.targeting_export import export_screen_to_csv, export_screen_to_excel
from workbench.config import get_settings
from workbench.models import AuditEntry, Document
from workbench.user_input import MAX_NAME, clean_upload_name, safe_stem

TRAVERSAL_NAMES = [
    "../../etc/passwd.csv",
    "/etc/passwd.csv",
    "..\\..\\windows\\win.ini.csv",
    "C:\\Users\\analyst\\deals.csv",
    "sub/dir/deals.csv",
    "deals\x00.csv",
    "..\x00/../deals.csv",
    "\u202evsc.exe.csv",
    "x" * 5000 + ".csv",
    "~/.ssh/authorized_keys.csv",
    "\\\\server\\share\\deals.csv",
]
BAD_ROWS = b"Ticker,Company Name,Employees\nPT1,Path One,12\nPT2,Path Two,lots\n"


def _files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize(("name", "expected"), [
    ("../../etc/passwd", "passwd"), ("/etc/passwd", "passwd"), ("..\\..\\win.ini", "win.ini"),
    ("C:\\x\\deals.xlsx", "deals.xlsx"), ("a\x00b.csv", "ab.csv"), ("..", "upload"), ("", "upload"),
    ("dir/", "dir"), ("\u202ecod.exe", "cod.exe"), ("report 2026.pdf", "report 2026.pdf"),
])  # fmt: skip
def test_an_upload_name_is_cut_to_its_last_plain_part(name, expected):
    assert clean_upload_name(name) == expected


@pytest.mark.parametrize("name", TRAVERSAL_NAMES + HOSTILE_STRINGS)
def test_cleaned_names_and_stems_never_hold_a_path(name):
    for cleaned in (clean_upload_name(name), safe_stem(name, "export")):
        assert cleaned and len(cleaned) <= MAX_NAME
        assert "/" not in cleaned and "\\" not in cleaned and "\x00" not in cleaned
        assert cleaned not in (".", "..")
        assert Path(cleaned).name == cleaned
    assert clean_upload_name("y" * 500 + ".xlsx").endswith(".xlsx")


def test_uploads_with_path_names_import_under_their_plain_name_and_write_no_file(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    everything = tmp_path.parent
    before = _files_under(everything)
    for name in TRAVERSAL_NAMES:
        source = source_from_bytes(name, BAD_ROWS)
        assert source.name == clean_upload_name(name) and source.name.endswith(".csv")
        result = run_import(source, "companies", session_factory=store.session_factory, user="t", skip_invalid=True)
        assert result.rejected == 1 and result.rejected_path is None and result.rejected_csv
    assert _files_under(everything) - before <= {p for p in _files_under(tmp_path) if p.suffix in (".db", ".db-wal",
                                                                                                  ".db-shm")}  # fmt: skip
    with store.session_factory() as s:
        names = set(s.scalars(select(AuditEntry.file_name).where(AuditEntry.action == "import")))
    assert names == {clean_upload_name(n) for n in TRAVERSAL_NAMES}
    assert all("/" not in n and "\\" not in n and "\x00" not in n for n in names)


def test_rejected_rows_of_a_file_on_disk_land_beside_it_even_for_an_odd_name(store, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    odd = folder / "..\\..\\evil.csv"  # backslashes are plain characters in a POSIX file name
    odd.write_bytes(BAD_ROWS)
    result = run_import(source_from_path(odd), "companies", session_factory=store.session_factory, user="t",
                        skip_invalid=True)  # fmt: skip
    assert result.rejected_path is not None and result.rejected_path.parent == folder
    assert _files_under(folder) == {odd, result.rejected_path}
    for outside in (tmp_path, tmp_path.parent):  # where "..\\..\\" would lead if it were a path
        assert not (outside / "evil.rejected.csv").exists() and not (outside / "evil.csv").exists()


def test_documents_uploaded_with_path_names_are_stored_under_their_plain_name(store):
    limits = IngestLimits(max_bytes=1_000_000, max_pages=10)
    for i, name in enumerate(TRAVERSAL_NAMES):
        stored_as = name.replace(".csv", ".txt")
        info = ingest_file(f"Revenue rose {i}% in the quarter to $1.{i} billion.".encode(), stored_as,
                           session_factory=store.session_factory, limits=limits, user="t")  # fmt: skip
        plain = clean_upload_name(stored_as)
        assert info.source == plain and "/" not in info.title and "\\" not in info.title
    with store.session_factory() as s:
        sources = set(s.scalars(select(Document.source)))
        audited = set(s.scalars(select(AuditEntry.file_name).where(AuditEntry.action == "document_upload")))
    assert sources == audited == {clean_upload_name(n.replace(".csv", ".txt")) for n in TRAVERSAL_NAMES}


@pytest.mark.parametrize("screen_name", ["../../etc/cron.d/job", "..\\..\\win", "/abs/path", "a\x00b",
                                         ".", "....", "=cmd|' /C calc'!A0"])  # fmt: skip
def test_export_file_names_built_from_a_screen_name_stay_plain(store, screen_name):
    try:
        spec = parse_spec({"name": screen_name})
    except Exception:  # noqa: BLE001 - a name the spec refuses cannot reach a file name
        return
    result = run_screen(spec, session_factory=store.session_factory, user="t", record_audit=False)
    for exported in (export_screen_to_excel(result, session_factory=store.session_factory, user="t"),
                     export_screen_to_csv(result, session_factory=store.session_factory, user="t")):  # fmt: skip
        name = exported.file_name
        assert Path(name).name == name and "/" not in name and "\\" not in name and not name.startswith(".")


def test_an_export_with_an_explicit_path_writes_that_file_and_nothing_else(store, tmp_path):
    result = run_screen(parse_spec({"name": "../../escape"}), session_factory=store.session_factory, user="t",
                        record_audit=False)  # fmt: skip
    target = tmp_path / "out" / "screen.xlsx"
    before = _files_under(tmp_path)
    export_screen_to_excel(result, session_factory=store.session_factory, user="t", path=target)
    assert _files_under(tmp_path) - before == {target}
    assert not (tmp_path.parent / "escape").exists()
    exports = get_settings().exports_dir
    assert not exports.exists() or all(Path(p).resolve().is_relative_to(exports.resolve())
                                       for p in _files_under(exports))  # fmt: skip
    assert os.path.commonpath([target, tmp_path]) == str(tmp_path)
