"""Append-only audit trail: every import, export and screen run leaves a row."""

from __future__ import annotations

import hashlib
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
            details=details or {},
        )
    )
