"""A precedent set as a banker's workbook: precedents, multiples summary, score parts, provenance."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from sqlalchemy import select

from services.precedents import MULTIPLES, PART_LABELS, PARTS, PrecedentResult, multiples_table
from workbench import audit
from workbench.access import PUBLIC, Viewer, deal_visible, restricted_deal_ids
from workbench.errors import WorkbenchError
from workbench.models import Deal
from workbench.domain import DEAL_TYPE_LABELS, DealType
from workbench.excel import BankerWorkbook, Column
from workbench.files import staged_write


@dataclass(frozen=True)
class ExportedFile:
    file_name: str
    data: bytes
    sha256: str
    row_count: int


PRECEDENT_COLUMNS = [
    Column("rank", "Rank", "int", 6), Column("name", "Deal"), Column("key", "Key"), Column("type_label", "Type"),
    Column("status", "Status"), Column("announced_date", "Announced", "date"), Column("sector", "Sector"),
    Column("region", "Region"), Column("size_usd_m", "Size ($m)", "usd_m"),
    Column("enterprise_value_usd_m", "EV ($m)", "usd_m"), Column("ev_ebitda", "EV/EBITDA", "multiple"),
    Column("ev_revenue", "EV/Revenue", "multiple"), Column("premium_pct", "Premium", "pct_points"),
    Column("match_pct", "Match (0-100)", "score"), Column("pinned_label", "Pinned"),
    Column("restricted_label", "Restricted list"),
]  # fmt: skip


def _label(value: object) -> str:
    try:
        return DEAL_TYPE_LABELS[DealType(str(value))]
    except ValueError:
        return str(value or "")


def build_precedents_workbook(result: PrecedentResult, chosen: pd.DataFrame, *, run_by: str,
                              run_at: dt.datetime | None = None) -> bytes:  # fmt: skip
    """The workbook's bytes for the chosen precedent set; no side effects (the export audits)."""
    run_at = (run_at or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    frame = chosen.copy()
    if "rank" not in frame:
        frame["rank"] = pd.NA
    for col in ("match_pct", *(f"part_{p}" for p in PARTS)):
        if col not in frame:
            frame[col] = pd.NA
    frame["type_label"] = frame["deal_type"].map(_label)
    frame["pinned_label"] = frame.get("pinned", pd.Series(False, index=frame.index)).map(lambda p: "yes" if p else "")
    frame["restricted_label"] = frame.get("restricted", pd.Series(False, index=frame.index)).map(
        lambda r: "RESTRICTED" if r is True or r == 1 else "")  # fmt: skip
    frame["announced_date"] = pd.to_datetime(frame["announced_date"], errors="coerce").dt.date
    book = BankerWorkbook()
    cover = [*(("Query" if i == 0 else "", line) for i, line in enumerate(result.describe())),
             ("Precedents", f"{len(frame)} ({int(frame.get('pinned', pd.Series(dtype=bool)).sum())} pinned)"),
             ("Run by", run_by), ("Run at (UTC)", run_at)]  # fmt: skip
    book.add_table("Precedents", frame, PRECEDENT_COLUMNS, cover=cover, heading="Precedent transactions")
    stat_frame = multiples_table(frame)
    stat_columns = [Column("metric", "Metric"), Column("n", "N", "int")] + [
        Column(c, c.upper() if c in ("q1", "q3") else c.capitalize(), "number") for c in
        ("median", "mean", "q1", "q3", "low", "high")]  # fmt: skip
    book.add_table("Multiples", stat_frame, stat_columns, heading="Precedent multiples",
                   cover=[("Note", "Q1 and Q3 are the 25th and 75th percentiles; EV falls back to deal size "
                           "where no EV is stated; premium in %.")])  # fmt: skip
    parts = frame.copy()
    part_columns = [Column("rank", "Rank", "int", 6), Column("name", "Deal"), Column("key", "Key"),
                    Column("match_pct", "Match (0-100)", "score")] + [
        Column(f"part_{p}", PART_LABELS[p], "number") for p in PARTS]  # fmt: skip
    if "matched_words" in parts:
        parts["matched"] = parts["matched_words"].map(lambda w: ", ".join(w) if isinstance(w, list) else "")
        part_columns.append(Column("matched", "Matched words"))
    book.add_table("Score parts", parts, part_columns, heading="Why each deal is a precedent",
                   cover=[("How to read", f"score = sum of parts; part = weight / (k + rank in that part), "
                           f"k = {result.query.weights.rrf_k:g}")])  # fmt: skip
    weights = result.query.weights
    provenance = [("Run at (UTC)", run_at), ("Run by", run_by), *(("Query", line) for line in result.describe()),
                  ("Deals in store", result.universe), ("Deals passing the filters", result.matched),
                  ("Vector index", result.index_kind),
                  ("Fusion weights", {p: getattr(weights, p) for p in PARTS}), ("RRF k", weights.rrf_k),
                  ("Excluded by the user", ", ".join(result.query.exclude_keys) or "-"),
                  ("Multiples", ", ".join(MULTIPLES.values()))]  # fmt: skip
    book.add_key_values("Provenance", provenance, heading="Provenance")
    return book.to_bytes()


def export_precedents_to_excel(result: PrecedentResult, chosen: pd.DataFrame, *,
                               session_factory: sessionmaker[Session], user: str,
                               path: Path | None = None, viewer: Viewer = PUBLIC) -> ExportedFile:  # fmt: skip
    """Build the workbook, write it to ``path`` when given, and record the export in the audit log.

    Every deal exported must be one the viewer may see; the restricted-list flag is read afresh.
    """
    keys = [str(k) for k in chosen.get("key", pd.Series(dtype=object))]
    with session_factory() as session:
        seen = dict(session.execute(select(Deal.key, Deal.id).where(Deal.key.in_(keys), deal_visible(viewer))).all())
        flagged = restricted_deal_ids(session, seen.values())
    hidden = [k for k in keys if k not in seen]
    if hidden:
        raise WorkbenchError(f"no deal with key {hidden[0][:80]!r}")
    chosen = chosen.assign(restricted=[seen[k] in flagged for k in keys])
    data = build_precedents_workbook(result, chosen, run_by=user)
    file_name = path.name if path else f"precedents_{dt.date.today().isoformat()}.xlsx"
    digest = audit.file_sha256(data=data)
    # File and audit row together or neither: a full disk records nothing, a failed commit leaves no file.
    with staged_write(path, data), session_factory.begin() as session:
        audit.record(session, user=user, action="export", object_type="precedents",
                     object_ref=("; ".join(result.describe()) or "precedents")[:400], row_count=len(chosen),
                     file_name=file_name, file_sha256=digest,
                     details={"format": "xlsx", "keys": list(chosen["key"])[:500]})  # fmt: skip
    return ExportedFile(file_name, data, digest, len(chosen))
