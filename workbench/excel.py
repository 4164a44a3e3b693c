"""Banker-style Excel workbooks: a cover block, formatted tables, a provenance sheet.

Reused by every export (screens, precedents, pitch packs). Tables get number formats by
column kind ($m ``#,##0.0``, multiples ``0.0"x"``, percentages ``0.0%``), a bold frozen
header, an autofilter and widths fitted to the content. Text that a spreadsheet would run
as a formula (starting with = + - @, tab or CR) is neutralised with a leading apostrophe.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

Kind = Literal["text", "int", "usd_m", "multiple", "pct", "pct_points", "number", "score", "date", "datetime"]

FORMATS: dict[str, str] = {
    "text": "@",
    "int": "#,##0",
    "usd_m": "#,##0.0",
    "multiple": '0.0"x"',
    "pct": "0.0%",
    "pct_points": "0.0%",  # stored as 12.5 meaning 12.5%: written divided by 100
    "number": "#,##0.00",
    "score": "0.0",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HEADER_FILL = PatternFill("solid", fgColor="1F3864")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14)
LABEL_FONT = Font(bold=True)
MAX_WIDTH = 60
# Excel rejects these in cell text: the XML 1.0 control characters.
_ILLEGAL = {c: None for c in range(32) if c not in (9, 10, 13)}


@dataclass(frozen=True)
class Column:
    field: str  # column of the DataFrame
    header: str
    kind: Kind = "text"
    width: float | None = None
    # A frame column holding each row's kind, for tables that list mixed measures ($m, x, %).
    kind_by: str | None = None


def safe_text(value: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula."""
    value = value.translate(_ILLEGAL)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as UTF-8 CSV whose text a spreadsheet opens as text, never runs as a formula."""
    safe = frame.copy()
    for name in safe.columns:
        if safe[name].dtype == object or pd.api.types.is_string_dtype(safe[name]):
            safe[name] = safe[name].map(lambda v: safe_text(v) if isinstance(v, str) else v)
    return safe.to_csv(index=False).encode("utf-8")


def cell_value(value: Any, kind: Kind = "text") -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if kind == "pct_points" and isinstance(value, (int, float)):
        return float(value) / 100.0
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones
    if hasattr(value, "item"):  # numpy scalars
        return cell_value(value.item(), kind)
    return value


def _set(ws: Worksheet, row: int, col: int, value: Any, kind: Kind = "text") -> Any:
    cell = ws.cell(row=row, column=col, value=cell_value(value, kind))
    if isinstance(cell.value, str):
        cell.data_type = "s"  # openpyxl would otherwise read a leading "=" as a formula
    return cell


class BankerWorkbook:
    """Build a workbook sheet by sheet, then ``to_bytes()``."""

    def __init__(self) -> None:
        self.wb = Workbook()
        self._first = True

    def _sheet(self, title: str) -> Worksheet:
        title = safe_text(title)[:31].replace("'", "")
        for ch in "[]:*?/\\":
            title = title.replace(ch, " ")
        if self._first:
            ws = self.wb.active
            ws.title = title
            self._first = False
            return ws
        return self.wb.create_sheet(title)

    def add_table(self, title: str, frame: pd.DataFrame, columns: Sequence[Column], *,
                  cover: Sequence[tuple[str, Any]] = (), heading: str | None = None) -> Worksheet:  # fmt: skip
        """A sheet with an optional cover block above a formatted table (header frozen, autofilter)."""
        ws = self._sheet(title)
        row = 1
        if heading:
            _set(ws, row, 1, heading).font = TITLE_FONT
            row += 2
        for label, value in cover:
            _set(ws, row, 1, label).font = LABEL_FONT
            kind: Kind = "datetime" if isinstance(value, dt.datetime) else "date" if isinstance(value, dt.date) else "text"
            cell = _set(ws, row, 2, value, kind)
            if kind != "text":
                cell.number_format = FORMATS[kind]
            cell.alignment = Alignment(horizontal="left", wrap_text=False)
            row += 1
        if cover or heading:
            row += 1
        header_row = row
        for j, col in enumerate(columns, start=1):
            cell = _set(ws, header_row, j, col.header)
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        widths = [len(c.header) + 2 for c in columns]
        kind_fields = [c.kind_by for c in columns if c.kind_by]
        fields = [c.field for c in columns] + kind_fields
        data = frame[fields].itertuples(index=False, name=None) if len(frame) else []
        for i, values in enumerate(data, start=header_row + 1):
            row_kinds = iter(values[len(columns):])
            for j, (col, value) in enumerate(zip(columns, values), start=1):
                cell_kind: Kind = (next(row_kinds) or "number") if col.kind_by else col.kind
                cell = _set(ws, i, j, value, cell_kind)
                if cell_kind != "text":
                    cell.number_format = FORMATS[cell_kind]
                if i - header_row <= 200:  # widths from a sample: enough, and fast on big tables
                    widths[j - 1] = max(widths[j - 1], _display_len(cell.value, cell_kind))
        last_row = header_row + max(len(frame), 0)
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(columns))}{max(last_row, header_row)}"
        for j, col in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(j)].width = col.width or min(max(widths[j - 1], 8), MAX_WIDTH)
        if cover or heading:
            ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width or 0, 18)
        return ws

    def add_key_values(self, title: str, items: Sequence[tuple[str, Any]], heading: str | None = None) -> Worksheet:
        """A two-column sheet of labels and values (provenance, settings)."""
        ws = self._sheet(title)
        row = 1
        if heading:
            _set(ws, 1, 1, heading).font = TITLE_FONT
            row = 3
        for label, value in items:
            _set(ws, row, 1, label).font = LABEL_FONT
            if isinstance(value, (dict, list, tuple)):
                value = ", ".join(f"{k}: {v}" for k, v in value.items()) if isinstance(value, dict) else ", ".join(map(str, value))
            kind: Kind = "datetime" if isinstance(value, dt.datetime) else "date" if isinstance(value, dt.date) else "text"
            cell = _set(ws, row, 2, value, kind)
            if kind != "text":
                cell.number_format = FORMATS[kind]
            cell.alignment = Alignment(horizontal="left", wrap_text=True)
            row += 1
        ws.column_dimensions["A"].width = 32
        ws.column_dimensions["B"].width = 80
        return ws

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.wb.save(buffer)
        return buffer.getvalue()


def _display_len(value: Any, kind: Kind) -> int:
    if value is None:
        return 0
    if isinstance(value, float):
        return len(f"{value:,.1f}") + (2 if kind in ("multiple", "pct", "pct_points") else 1)
    if isinstance(value, (dt.date, dt.datetime)):
        return 16 if isinstance(value, dt.datetime) else 11
    return len(str(value)) + 1
