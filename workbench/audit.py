"""Append-only audit trail: every import, export and screen run leaves a row."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from workbench.models import AuditEntry


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
