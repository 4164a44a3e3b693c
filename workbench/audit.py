"""Append-only audit trail: every import, export, screen run, upload and permission change leaves a row.

Append-only twice over: this module refuses any ORM update or delete of an audit row (a
flush with a changed or deleted ``AuditEntry``, or an UPDATE/DELETE statement on the table
through a session), and migration 0005 adds database triggers that reject UPDATE and DELETE
(and TRUNCATE on PostgreSQL) whatever SQL the app's connection sends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from workbench.errors import WorkbenchError
from workbench.models import AuditEntry

AUDIT_TABLE = AuditEntry.__tablename__


class AuditTrailIsAppendOnly(WorkbenchError):
    """Something tried to change or delete an audit row."""


@event.listens_for(Session, "before_flush")
def _refuse_changed_audit_rows(session: Session, _context: object, _instances: object) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditTrailIsAppendOnly("the audit trail is append-only: audit rows cannot be changed or deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_audit_statements(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) == AUDIT_TABLE:
        raise AuditTrailIsAppendOnly("the audit trail is append-only: UPDATE and DELETE of audit_log are refused")


def file_sha256(path: Path | None = None, data: bytes | None = None) -> str:
    digest = hashlib.sha256()
    if data is not None:
        digest.update(data)
    elif path is not None:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _json_default(value: object) -> object:
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # PostgreSQL's JSON has no NaN or Infinity
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _json_safe(details: dict[str, Any]) -> dict[str, Any]:
    # Details often carry the caller's filters and specs (dates, Decimals, NaN): the JSON
    # column would reject them at flush and lose the work being recorded with them.
    return _finite(json.loads(json.dumps(details, default=_json_default)))  # type: ignore[no-any-return]


def record(
    session: Session,
    *,
    user: str,
    action: str,
    object_type: str | None = None,
    object_ref: str | None = None,
    row_count: int | None = None,
    file_name: str | None = None,
    file_sha256: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an audit row to the caller's transaction, so it commits with the work it records."""
    session.add(
        AuditEntry(
            user=user,
            action=action,
            object_type=object_type,
            object_ref=object_ref,
            row_count=row_count,
            file_name=file_name,
            file_sha256=file_sha256,
            details=_json_safe(details or {}),
        )
    )
