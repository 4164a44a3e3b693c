"""Browse any table of the store: filtered, paged, and downloadable as CSV.

Table and column names come from the schema registry below, never from user text; filter
values are always bound parameters (``contains`` escapes ``%`` and ``_``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
from sqlalchemy import (JSON, Boolean, Column, Date, DateTime, Float, Integer, Numeric, Table, Text, cast, func, or_,
                        select)  # fmt: skip
from sqlalchemy.orm import Session, sessionmaker

from workbench import audit
from workbench.access import PUBLIC, AccessDenied, Viewer, event_visible, rule_visible, visible
from workbench.errors import WorkbenchError
from workbench.excel import csv_bytes
from workbench.models import Base
from workbench.user_input import plain_text

ColumnKind = Literal["text", "number", "date", "bool", "json"]
MAX_LIMIT = 10_000
MAX_EXPORT_ROWS = 500_000
LONG_TEXT_SHOWN = 500  # characters of a long text column (document text) shown in a browse page


@dataclass(frozen=True)
class BrowseColumn:
    name: str
    kind: ColumnKind


@dataclass(frozen=True)
class ColumnFilter:
    """One filter: ``contains`` for text (case-insensitive), ``low``/``high`` (inclusive) for numbers and dates."""

    column: str
    contains: str | None = None
    low: float | dt.date | None = None
    high: float | dt.date | None = None


def _kind(column: Column[Any]) -> ColumnKind:
    t = column.type
    if isinstance(t, Boolean):
        return "bool"
    if isinstance(t, (Integer, Float, Numeric)):
        return "number"
    if isinstance(t, (Date, DateTime)):
        return "date"
    if isinstance(t, JSON):
        return "json"
    return "text"


TABLES: dict[str, Table] = {
    name: table for name, table in sorted(Base.metadata.tables.items())  # type: ignore[misc]
}


# Tables only some roles may browse; every other table is open to all, row by row behind the barriers.
ROLE_TABLES: dict[str, tuple[str, ...]] = {"audit_log": ("compliance",), "users": ("admin", "compliance")}
# Tables whose rows carry a team: private-side rows are shown only to the team and compliance.
PRIVATE_TABLES = ("deals", "documents", "watchlists")


def browsable_tables(viewer: Viewer = PUBLIC) -> list[str]:
    return [name for name in TABLES if viewer.role in ROLE_TABLES.get(name, (viewer.role,))]


def browse_columns(table: str, viewer: Viewer = PUBLIC) -> list[BrowseColumn]:
    return [BrowseColumn(c.name, _kind(c)) for c in _table(table, viewer).columns]


def _table(name: str, viewer: Viewer = PUBLIC) -> Table:
    if name not in TABLES:
        raise WorkbenchError(f"unknown table {name!r}: choose one of {', '.join(TABLES)}")
    if name not in browsable_tables(viewer):
        raise AccessDenied(f"{viewer.user} ({viewer.role}) may not browse {name}")
    return TABLES[name]


def _barrier(table: Table, viewer: Viewer) -> list[Any]:
    """Conditions keeping only the rows of ``table`` this viewer may see.

    Generic over the schema: a table's own team_id, and every foreign key into a private
    table (deal parties, embeddings, watchlist items, alert events, and whatever refers to a
    deal, document or watchlist later), so a new table cannot leak a hidden row by default.
    """
    if viewer.sees_all_private:
        return []
    where: list[Any] = []
    if table.name in PRIVATE_TABLES:
        where.append(visible(viewer, table.c.team_id))
    for column in table.columns:
        for fk in column.foreign_keys:
            target = fk.column.table
            if target.name in PRIVATE_TABLES and target is not table:
                seen = select(target.c.id).where(visible(viewer, target.c.team_id))
                where.append(or_(column.is_(None), column.in_(seen)))
    if table.name == "alert_events":
        where.append(event_visible(viewer))
    elif table.name == "alert_rules":
        where.append(rule_visible(viewer))
    elif table.name in ("deal_teams", "team_members") and viewer.role != "admin":
        where.append((table.c.id if table.name == "deal_teams" else table.c.team_id).in_(sorted(viewer.teams)))
    return where


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _as_date(value: float | dt.date | str, column: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise WorkbenchError(f"filter on {column}: {value!r} is not a date (YYYY-MM-DD)") from None


_BOOL_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _conditions(table: Table, filters: Sequence[ColumnFilter]) -> list[Any]:
    conditions: list[Any] = []
    for f in filters:
        if f.column not in table.c:
            raise WorkbenchError(f"{table.name} has no column {f.column!r}; columns are "
                                 f"{', '.join(table.c.keys())}")  # fmt: skip
        col = table.c[f.column]
        kind = _kind(col)
        if f.contains:
            plain_text(f.contains, f"filter on {f.column}")
        if f.contains is not None and f.contains != "" and kind == "bool":
            # As text a boolean is "1"/"0" on SQLite but "true"/"false" on PostgreSQL.
            wanted = _BOOL_WORDS.get(f.contains.strip().lower())
            if wanted is None:
                raise WorkbenchError(f"filter on {f.column}: {f.contains!r} is not true or false")
            conditions.append(col.is_(wanted))
        elif f.contains is not None and f.contains != "":
            target = cast(col, Text) if kind != "text" else col
            conditions.append(target.ilike(f"%{_escape_like(f.contains)}%", escape="\\"))
        for bound, op in ((f.low, "ge"), (f.high, "le")):
            if bound is None:
                continue
            if kind == "number":
                try:
                    value: Any = float(bound)  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    raise WorkbenchError(f"filter on {f.column}: {bound!r} is not a number") from None
            elif kind == "date":
                value = _as_date(bound, f.column)
                if isinstance(col.type, DateTime):
                    value = dt.datetime.combine(value, dt.time.max if op == "le" else dt.time.min, dt.UTC)
            else:
                raise WorkbenchError(f"filter on {f.column}: ranges apply to numbers and dates only")
            conditions.append(col >= value if op == "ge" else col <= value)
    return conditions


def _selected(table: Table, *, shorten: bool) -> list[Any]:
    out = []
    for c in table.columns:
        if shorten and isinstance(c.type, Text):
            out.append(func.substr(c, 1, LONG_TEXT_SHOWN).label(c.name))
        else:
            out.append(c)
    return out


def browse_table(session_factory: sessionmaker[Session], table: str, *,
                 filters: Sequence[ColumnFilter] = (), limit: int = 100,
                 offset: int = 0, viewer: Viewer = PUBLIC) -> tuple[pd.DataFrame, int]:  # fmt: skip
    """One page of the table's rows the viewer may see matching every filter, and how many match in all."""
    t = _table(table, viewer)
    if not 1 <= limit <= MAX_LIMIT:
        raise WorkbenchError(f"page size must be 1 to {MAX_LIMIT:,}")
    if offset < 0:
        raise WorkbenchError("offset must not be negative")
    where = _conditions(t, filters) + _barrier(t, viewer)
    order = list(t.primary_key.columns)
    with session_factory() as session:
        total = session.scalar(select(func.count()).select_from(t).where(*where)) or 0
        result = session.execute(select(*_selected(t, shorten=True)).where(*where).order_by(*order)
                                 .limit(limit).offset(offset))  # fmt: skip
        frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    return frame, int(total)


def export_table_csv(session_factory: sessionmaker[Session], table: str, *, user: str,
                     filters: Sequence[ColumnFilter] = (), viewer: Viewer = PUBLIC) -> bytes:  # fmt: skip
    """Every matching row the viewer may see as CSV (text that a spreadsheet would run as a formula is
    neutralised); audited."""
    t = _table(table, viewer)
    where = _conditions(t, filters) + _barrier(t, viewer)
    with session_factory.begin() as session:
        result = session.execute(select(*_selected(t, shorten=False)).where(*where)
                                 .order_by(*t.primary_key.columns).limit(MAX_EXPORT_ROWS + 1))  # fmt: skip
        frame = pd.DataFrame(result.all(), columns=list(result.keys()))
        if len(frame) > MAX_EXPORT_ROWS:
            raise WorkbenchError(f"more than {MAX_EXPORT_ROWS:,} rows match: narrow the filters")
        data = csv_bytes(frame)
        audit.record(session, user=user, action="export", object_type=table, object_ref=f"{table}.csv",
                     row_count=len(frame), file_name=f"{table}.csv", file_sha256=audit.file_sha256(data=data),
                     details={"format": "csv", "filters": [f.__dict__ for f in filters]})  # fmt: skip
    return data
