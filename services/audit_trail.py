"""The audit trail for compliance: search it, and export what was found (the export is itself audited)."""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Text, cast, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from workbench import audit
from workbench.access import Viewer
from workbench.errors import WorkbenchError
from workbench.excel import BankerWorkbook, Column, safe_text
from workbench.models import AuditEntry

AUDIT_READERS = ("compliance",)
MAX_ROWS = 100_000
AUDIT_COLUMNS = ["id", "at", "user", "action", "object_type", "object_ref", "row_count", "file_name",
                 "file_sha256", "details"]  # fmt: skip


@dataclass(frozen=True)
class AuditQuery:
    user: str | None = None
    actions: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    text: str | None = None  # in the object, the file name or the details

    def where(self) -> list:
        where = []
        if self.user and self.user.strip():
            where.append(AuditEntry.user == self.user.strip())
        if self.actions:
            where.append(AuditEntry.action.in_(list(self.actions)))
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise WorkbenchError("the start date is after the end date")
        if self.date_from:
            where.append(AuditEntry.at >= dt.datetime.combine(self.date_from, dt.time.min, dt.UTC))
        if self.date_to:
            where.append(AuditEntry.at < dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time.min, dt.UTC))
        if self.text and self.text.strip():
            if len(self.text) > 200:
                raise WorkbenchError("search text is at most 200 characters")
            needle = "%" + self.text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append(or_(*(func.lower(c).like(needle, escape="\\") for c in
                               (AuditEntry.object_ref, AuditEntry.object_type, AuditEntry.file_name,
                                AuditEntry.file_sha256, cast(AuditEntry.details, Text)))))  # fmt: skip
        return where

    def describe(self) -> dict[str, object]:
        return {"user": self.user, "actions": list(self.actions), "from": self.date_from, "to": self.date_to,
                "text": self.text}  # fmt: skip


def audit_actions(*, session_factory: sessionmaker[Session], viewer: Viewer) -> list[str]:
    viewer.require(*AUDIT_READERS)
    with session_factory() as session:
        return sorted(session.scalars(select(AuditEntry.action).distinct()))


def search_audit(query: AuditQuery, *, session_factory: sessionmaker[Session], viewer: Viewer,
                 limit: int = 1000) -> tuple[pd.DataFrame, int]:  # fmt: skip
    """Matching audit rows, newest first (at most ``limit``), and how many match in all. Compliance only."""
    viewer.require(*AUDIT_READERS)
    if not 1 <= limit <= MAX_ROWS:
        raise WorkbenchError(f"limit must be 1 to {MAX_ROWS:,}")
    where = query.where()
    with session_factory() as session:
        total = int(session.scalar(select(func.count()).select_from(AuditEntry).where(*where)) or 0)
        rows = session.execute(select(*(getattr(AuditEntry, c) for c in AUDIT_COLUMNS)).where(*where)
                               .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)).all()  # fmt: skip
    frame = pd.DataFrame([tuple(r) for r in rows], columns=AUDIT_COLUMNS)
    frame["details"] = frame["details"].map(lambda d: json.dumps(d, sort_keys=True, default=str) if d else "")
    return frame, total


def export_audit(query: AuditQuery, fmt: str, *, session_factory: sessionmaker[Session],
                 viewer: Viewer) -> tuple[str, bytes]:  # fmt: skip
    """Every matching audit row as CSV or Excel: (file name, bytes). The export is recorded too."""
    if fmt not in ("csv", "xlsx"):
        raise WorkbenchError("export the audit trail as csv or xlsx")
    frame, total = search_audit(query, session_factory=session_factory, viewer=viewer, limit=MAX_ROWS)
    if total > MAX_ROWS:
        raise WorkbenchError(f"more than {MAX_ROWS:,} audit rows match: narrow the search")
    frame["at"] = pd.to_datetime(frame["at"], utc=True).dt.tz_localize(None)
    name = f"audit_trail_{dt.date.today().isoformat()}.{fmt}"
    if fmt == "csv":
        safe = frame.copy()
        for col in ("user", "action", "object_type", "object_ref", "file_name", "details"):
            safe[col] = safe[col].map(lambda v: safe_text(v) if isinstance(v, str) else v)
        buffer = io.StringIO()
        safe.to_csv(buffer, index=False)
        data = buffer.getvalue().encode("utf-8")
    else:
        book = BankerWorkbook()
        cover = [("Exported by", viewer.user), ("Exported at (UTC)", dt.datetime.now(dt.UTC).replace(tzinfo=None)),
                 *((k.capitalize(), str(v)) for k, v in query.describe().items() if v)]  # fmt: skip
        book.add_table("Audit trail", frame, [
            Column("id", "Id", "int"), Column("at", "At (UTC)", "datetime"), Column("user", "User"),
            Column("action", "Action"), Column("object_type", "Object type"), Column("object_ref", "Object"),
            Column("row_count", "Rows", "int"), Column("file_name", "File"), Column("file_sha256", "SHA-256"),
            Column("details", "Details", width=80),
        ], cover=cover, heading="Audit trail")  # fmt: skip
        data = book.to_bytes()
    with session_factory.begin() as session:
        audit.record(session, user=viewer.user, action="export", object_type="audit_log", object_ref=name,
                     row_count=len(frame), file_name=name, file_sha256=audit.file_sha256(data=data),
                     details={"format": fmt, "query": query.describe()})  # fmt: skip
    return name, data
