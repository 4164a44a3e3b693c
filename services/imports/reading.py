"""Files in: size and type checks, text decoding, CSV and XLSX rows as text cells."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from workbench.audit import file_sha256
from workbench.config import get_settings
from workbench.errors import WorkbenchError
from workbench.loaders import decode_unicode_bom
from workbench.user_input import clean_upload_name

EXTENSIONS = (".csv", ".xlsx")
# What a damaged XLSX raises while it is opened or its rows are read: a broken zip (bad
# deflate data, an unknown compression method, a cut file), broken XML (SyntaxError is the
# base of both ElementTree's and lxml's parse errors), parts missing or of the wrong type.
XLSX_ERRORS = (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, SyntaxError, KeyError, IndexError,
               OSError, ValueError, TypeError, AttributeError)  # fmt: skip


def _xlsx_damage(exc: Exception) -> str:
    return "corrupt compressed data" if isinstance(exc, zlib.error) else exc.__class__.__name__
# Tried in order: UTF-8 (a BOM is dropped), then the Windows and ISO Western code pages that
# Excel "Save as CSV" produces. latin-1 decodes any byte, so it is the last resort.
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
# Document text can be long; the upload limit bounds a single cell anyway.
csv.field_size_limit(64 * 1024 * 1024)


@dataclass(frozen=True)
class ImportSource:
    """One file to import: its name, its bytes and, for a file on disk, its path."""

    name: str
    data: bytes
    path: Path | None = None

    @property
    def sha256(self) -> str:
        return file_sha256(data=self.data)

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()


@dataclass
class RawTable:
    columns: list[str]
    # (row number in the file with the header as row 1, cells as text or None)
    rows: list[tuple[int, list[str | None]]]
    encoding: str  # the text encoding used, or "xlsx"
    header_row: int = 1
    notes: list[str] = field(default_factory=list)
    # rows whose shape is wrong (too many cells): row number -> reason
    broken: dict[int, str] = field(default_factory=dict)


def _limit_bytes() -> int:
    return get_settings().max_upload_mb * 1024 * 1024


def _check_name(name: str) -> None:
    if Path(name).suffix.lower() not in EXTENSIONS:
        raise WorkbenchError(f"{name}: only .csv and .xlsx files can be imported")


def _check_size(name: str, size: int) -> None:
    limit = get_settings().max_upload_mb
    if size > _limit_bytes():
        raise WorkbenchError(f"{name} is {size / 1024 / 1024:,.1f} MB, over the {limit} MB limit "
                             "(WORKBENCH_MAX_UPLOAD_MB)")  # fmt: skip
    if size == 0:
        raise WorkbenchError(f"{name} is empty (0 bytes)")


def source_from_path(path: Path | str) -> ImportSource:
    """Read a file from disk after checking its extension and size."""
    path = Path(path)
    _check_name(path.name)
    if not path.is_file():
        raise WorkbenchError(f"{path}: no such file")
    _check_size(path.name, path.stat().st_size)
    return ImportSource(path.name, path.read_bytes(), path)


def source_from_bytes(name: str, data: bytes) -> ImportSource:
    """An uploaded file; its name is only a label, cut to its last path part."""
    name = clean_upload_name(name)
    _check_name(name)
    _check_size(name, len(data))
    return ImportSource(name, data)


def decode(data: bytes) -> tuple[str, str]:
    marked = decode_unicode_bom(data)  # Excel's "Unicode text" is UTF-16 with a byte-order mark
    if marked is not None:
        return marked
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), ("utf-8" if encoding == "utf-8-sig" else encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _header(cells: list[str | None], name: str) -> list[str]:
    columns: list[str] = []
    for i, cell in enumerate(cells, start=1):
        text = (cell or "").replace("\x00", "").strip()
        columns.append(text or f"column_{i}")
    while columns and columns[-1].startswith("column_") and not (cells[len(columns) - 1] or "").strip():
        columns.pop()  # trailing empty header cells (Excel leaves them)
    seen: set[str] = set()
    for c in columns:
        if c.lower() in seen:
            raise WorkbenchError(f"{name}: the header names column {c!r} twice")
        seen.add(c.lower())
    if not columns:
        raise WorkbenchError(f"{name}: the header row is empty")
    return columns


def _strip_nul(cells: list[str | None], row: int, notes: list[str], counter: list[int]) -> list[str | None]:
    out: list[str | None] = []
    for cell in cells:
        if cell is not None and "\x00" in cell:
            counter[0] += 1
            if counter[0] <= 5:
                notes.append(f"row {row}: NUL bytes removed from a cell")
            cell = cell.replace("\x00", "")
        out.append(cell)
    return out


def _finish(columns: list[str], body: list[tuple[int, list[str | None]]], encoding: str, name: str,
            notes: list[str], header_row: int) -> RawTable:  # fmt: skip
    table = RawTable(columns, [], encoding, header_row, notes)
    nul = [0]
    width = len(columns)
    for row, cells in body:
        if all(c is None or not c.strip() for c in cells):
            continue  # blank lines carry nothing; row numbers of later rows stay true
        cells = _strip_nul(cells, row, notes, nul)
        extra = [c for c in cells[width:] if c is not None and c.strip()]
        if extra:
            table.broken[row] = f"{len(cells)} cells but the header has {width} columns"
        cells = (cells + [None] * width)[:width]
        table.rows.append((row, cells))
    if nul[0] > 5:
        notes.append(f"NUL bytes removed from {nul[0]} cells in all")
    if not table.rows:
        raise WorkbenchError(f"{name} has a header but no data rows")
    return table


def read_table(source: ImportSource) -> RawTable:
    """Rows of a CSV or the first sheet of an XLSX, as text cells with their file row numbers."""
    _check_name(source.name)
    _check_size(source.name, len(source.data))
    if source.suffix == ".xlsx":
        return _read_xlsx(source)
    return _read_csv(source)


def _read_csv(source: ImportSource) -> RawTable:
    text, encoding = decode(source.data)
    notes: list[str] = []
    if encoding != "utf-8":
        notes.append(f"the file is not UTF-8: read as {encoding}")
    # NUL bytes break the csv module; they are removed per cell below, so mark them first.
    reader = csv.reader(io.StringIO(text.replace("\x00", "\ufffe"), newline=""))
    try:
        records = list(reader)
    except csv.Error as exc:
        raise WorkbenchError(f"{source.name}: not a readable CSV file ({exc})") from None
    records = [[c.replace("\ufffe", "\x00") for c in r] for r in records]
    start = 0
    while start < len(records) and not any(c.strip() for c in records[start]):
        start += 1
    if start == len(records):
        raise WorkbenchError(f"{source.name} is empty: no header row")
    columns = _header(list(records[start]), source.name)
    # Row numbers count records, the first record is row 1 (a quoted cell may span lines).
    body = [(i + 1, list(r)) for i, r in enumerate(records) if i > start]
    return _finish(columns, body, encoding, source.name, notes, start + 1)


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _read_xlsx(source: ImportSource) -> RawTable:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(source.data), read_only=True, data_only=True)
    except XLSX_ERRORS as exc:
        raise WorkbenchError(f"{source.name}: not a readable XLSX workbook ({_xlsx_damage(exc)})") from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise WorkbenchError(f"{source.name}: the workbook has no sheet")
        rows = [[_cell_text(v) for v in r] for r in sheet.iter_rows(values_only=True)]
    except XLSX_ERRORS as exc:  # the sheet's rows are read lazily: damage shows up here
        raise WorkbenchError(f"{source.name}: the XLSX workbook is damaged ({_xlsx_damage(exc)})") from None
    finally:
        workbook.close()
    notes = []
    if len(workbook.sheetnames) > 1:
        notes.append(f"read the first sheet ({workbook.sheetnames[0]!r}) of {len(workbook.sheetnames)}")
    start = 0
    while start < len(rows) and not any(c and c.strip() for c in rows[start]):
        start += 1
    if start == len(rows):
        raise WorkbenchError(f"{source.name} is empty: no header row")
    columns = _header(rows[start], source.name)
    body = [(i + 1, r) for i, r in enumerate(rows) if i > start]
    return _finish(columns, body, "xlsx", source.name, notes, start + 1)
