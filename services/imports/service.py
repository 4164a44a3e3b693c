"""Preview and run an import: validate everything first, then write in one transaction."""

from __future__ import annotations

import csv
import io
import os
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.imports.fields import PARTY_ROLES, fields_for
from services.imports.mapping import ColumnMapping, build_mapping, missing_required
from services.imports.reading import ImportSource, RawTable, read_table
from services.imports.rows import ParsedRows, Record, RowError, parse_rows
from workbench import audit
from workbench.access import PUBLIC, Viewer
from workbench.config import get_settings
from workbench.errors import WorkbenchError
from workbench.files import write_atomically
from workbench.models import Company, Deal, DealParty, Document, Price
from workbench.progress import ProgressCallback, no_progress
from workbench.user_input import clean_upload_name

# Says neither what the hidden row holds nor whose it is: only that this key cannot be written.
HIDDEN_KEY = "key is in use by a record you cannot modify"
ERRORS_KEPT = 1000  # in the preview; the rejected-rows file has all of them
ERRORS_IN_MESSAGE = 20
SAMPLE_ROWS = 20
CHUNK = 500  # ids per IN (...) and rows per write batch: well under every driver's parameter limit
T = TypeVar("T")
log = logging.getLogger(__name__)
# Run after an import committed, with its kind, the store and a progress callback; returns a
# note for the result, or None. The entrypoint passes one in (e.g. precedents'
# ``index_after_import``, which brings the deal vector index up to date after a deals import).
AfterImport = Callable[[str, sessionmaker[Session], ProgressCallback], str | None]


class ImportRejected(WorkbenchError):
    """The file has invalid rows and skip-invalid was not asked for: nothing was written."""

    def __init__(self, message: str, preview: ImportPreview) -> None:
        super().__init__(message)
        self.preview = preview


@dataclass(frozen=True)
class ImportPreview:
    kind: str
    file_name: str
    file_sha256: str
    encoding: str
    preset: str | None
    mapping: dict[str, str]  # field -> file column
    constants: dict[str, str]  # field -> value set on every row by a preset
    scales: dict[str, float]  # field -> multiplier applied to the column's numbers
    columns: list[str]
    unmapped_columns: list[str]
    header_row: int
    total_rows: int
    valid_rows: int
    invalid_rows: int
    new_rows: int
    updated_rows: int
    errors: list[RowError]  # the first ERRORS_KEPT, in file order
    error_count: int
    notes: list[str]
    sample: pd.DataFrame  # the first valid rows as they will be stored

    @property
    def is_valid(self) -> bool:
        return self.invalid_rows == 0

    def error_message(self, limit: int = ERRORS_IN_MESSAGE) -> str:
        lines = [f"{self.file_name}: {self.invalid_rows:,} of {self.total_rows:,} rows are invalid "
                 f"(row numbers count the header as row {self.header_row}):"]  # fmt: skip
        for e in self.errors[:limit]:
            lines.append(f"  row {e.row}, column {e.column!r}, value {e.value!r}: {e.reason}")
        if self.error_count > limit:
            lines.append(f"  ... and {self.error_count - limit:,} more problems")
        return "\n".join(lines)

    def summary(self) -> str:
        mapped = ", ".join(f"{f}<-{c!r}" for f, c in self.mapping.items())
        lines = [
            f"{self.file_name} ({self.encoding}), {self.kind}"
            + (f", known shape {self.preset}" if self.preset else ""),
            f"mapping: {mapped}",
        ]
        if self.constants:
            lines.append("set on every row: " + ", ".join(f"{k}={v!r}" for k, v in self.constants.items()))
        if self.unmapped_columns:
            lines.append("not imported: " + ", ".join(repr(c) for c in self.unmapped_columns))
        lines.extend(f"note: {n}" for n in self.notes)
        lines.append(f"rows: {self.total_rows:,} read, {self.valid_rows:,} valid ({self.new_rows:,} new, "
                     f"{self.updated_rows:,} updates), {self.invalid_rows:,} invalid")  # fmt: skip
        return "\n".join(lines)


@dataclass(frozen=True)
class ImportResult:
    preview: ImportPreview
    inserted: int
    updated: int
    rejected: int
    elapsed_s: float
    rejected_path: Path | None = None
    rejected_csv: bytes | None = None  # the rejected rows with a `reason` column, for a download
    notes: list[str] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.inserted + self.updated


@dataclass
class _Prepared:
    """A validated file, ready to write; its ``preview`` says what writing it would do."""

    preview: ImportPreview
    table: RawTable
    parsed: ParsedRows
    mapping: ColumnMapping
    company_ids: dict[str, int]  # lowered company ref -> id (prices, documents)
    existing: dict[Any, Any]  # natural key -> primary key of rows already stored
    viewer: Viewer = PUBLIC  # whose barriers decided which stored rows the file may update


PreparedImport = _Prepared


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _resolve_companies(session: Session, refs: Iterable[str]) -> tuple[dict[str, int], set[str]]:
    """Company refs (key first, else a ticker held by exactly one company) -> ids; and ambiguous refs."""
    wanted = sorted({r for r in refs if r})
    by_key: dict[str, int] = {}
    by_ticker: dict[str, set[int]] = {}
    for chunk in _chunks(wanted):
        variants = sorted({*chunk, *(r.upper() for r in chunk)})
        rows = session.execute(select(Company.id, Company.key, Company.ticker)
                               .where(or_(Company.key.in_(variants), Company.ticker.in_(variants)))).all()  # fmt: skip
        for cid, key, ticker in rows:
            by_key[key.lower()] = cid
            if ticker:
                by_ticker.setdefault(ticker.lower(), set()).add(cid)
    resolved: dict[str, int] = {}
    ambiguous: set[str] = set()
    for ref in wanted:
        low = ref.lower()
        if low in by_key:
            resolved[low] = by_key[low]
        elif len(by_ticker.get(low, ())) == 1:
            resolved[low] = next(iter(by_ticker[low]))
        elif len(by_ticker.get(low, ())) > 1:
            ambiguous.add(low)
    return resolved, ambiguous


_KEYED = {"companies": Company, "deals": Deal, "documents": Document}


def _existing(session: Session, kind: str, records: list[Record], company_ids: dict[str, int],
              viewer: Viewer) -> tuple[dict[Any, Any], set[str]]:  # fmt: skip
    """Stored rows the file's keys match (natural key -> primary key), and the matched keys
    held by private-side rows the viewer may not see (left out of the first)."""
    if kind in _KEYED:
        # Keys match whatever their case, as duplicates within a file do: "abc" updates the
        # stored "ABC" instead of adding a second company. The exact, upper and lower forms
        # use the key's index (lower(key) would scan the table once per chunk).
        model = _KEYED[kind]
        team = getattr(model, "team_id", None)
        found: dict[Any, Any] = {}
        hidden: set[str] = set()
        for chunk in _chunks([r.key for r in records]):
            variants = sorted({v for k in chunk for v in (k, k.upper(), k.lower())})
            columns = (model.key, model.id, team) if team is not None else (model.key, model.id)
            for key, pk, *team_id in session.execute(select(*columns).where(model.key.in_(variants))):
                if team_id and not viewer.may_see_team(team_id[0]):
                    hidden.add(key.lower())
                else:
                    found.setdefault(key.lower(), pk)
        for key in hidden:  # another case of the same key is visible: still not this file's to write
            found.pop(key, None)
        return found, hidden
    ids = sorted({company_ids[r.company_ref.lower()] for r in records if r.company_ref
                  and r.company_ref.lower() in company_ids})  # fmt: skip
    pairs: dict[Any, Any] = {}
    for chunk in _chunks(ids):
        for cid, date in session.execute(select(Price.company_id, Price.date).where(Price.company_id.in_(chunk))):
            pairs[(cid, date)] = True
    return pairs, set()


def _record_pk(kind: str, record: Record, company_ids: dict[str, int]) -> Any:
    if kind == "prices":
        return (company_ids.get((record.company_ref or "").lower()), record.values["date"])
    return record.key.lower()


def _sample(kind: str, records: list[Record]) -> pd.DataFrame:
    rows = []
    for r in records[:SAMPLE_ROWS]:
        row: dict[str, Any] = {"row": r.row}
        if r.company_ref is not None:
            row["company"] = r.company_ref
        row.update({k: v for k, v in r.values.items() if k not in ("text", "sha256")})
        if kind == "documents":
            row["text"] = r.values["text"][:200]
        for role in PARTY_ROLES:
            names = [n for ro, n in r.parties if ro == role]
            if names:
                row[role] = "; ".join(names)
        if "categories" in row:
            row["categories"] = ", ".join(row["categories"])
        rows.append(row)
    return pd.DataFrame(rows)


def _columns_shown(columns: Sequence[str], limit: int = 30) -> str:
    """A damaged or binary file can have thousands of junk columns: name the first few, shortened."""
    shown = ", ".join(c if len(c) <= 40 else c[:40] + "…" for c in columns[:limit])
    return shown + (f", ... ({len(columns):,} in all)" if len(columns) > limit else "")


def _refuse_hidden_keys(parsed: ParsedRows, hidden: set[str], column: str) -> None:
    """Rows whose key a private-side row the viewer may not see holds are bad rows: updating
    it would write behind the barrier, and counting it as an update would reveal it."""
    kept = []
    for r in parsed.records:
        if r.key.lower() in hidden:
            parsed.errors.setdefault(r.row, []).append(RowError(r.row, column, r.key, HIDDEN_KEY))
        else:
            kept.append(r)
    parsed.records = kept
    parsed.errors = dict(sorted(parsed.errors.items()))


def _prepare(source: ImportSource, kind: str, *, session_factory: sessionmaker[Session],
             mapping: dict[str, str | None] | None, progress: ProgressCallback,
             viewer: Viewer) -> _Prepared:  # fmt: skip
    fields_for(kind)  # unknown kind: a clear error before reading anything
    progress(0.02, f"Reading {source.name}")
    table = read_table(source)
    column_mapping = build_mapping(kind, table.columns, mapping)
    missing = missing_required(kind, column_mapping)
    if missing:
        raise WorkbenchError(
            f"{source.name}: no column for the required {kind} field(s) {', '.join(missing)}; "
            f"map one to a column of the file (the Data page's column mapping, or --map field=Column on the "
            f"command line; the file's columns are {_columns_shown(table.columns)})"
        )
    progress(0.1, f"Checking {len(table.rows):,} rows")
    parsed = parse_rows(kind, table, column_mapping)
    company_ids: dict[str, int] = {}
    with session_factory() as session:
        if kind in ("prices", "documents"):
            refs = [r.company_ref for r in parsed.records if r.company_ref]
            company_ids, ambiguous = _resolve_companies(session, refs)
            column = column_mapping.columns.get("company", "company")
            kept = []
            for r in parsed.records:
                ref = (r.company_ref or "").lower()
                if r.company_ref and ref not in company_ids:
                    reason = ("ticker held by several companies: use the company key" if ref in ambiguous
                              else "unknown company: no company has this key or ticker")  # fmt: skip
                    parsed.errors.setdefault(r.row, []).append(RowError(r.row, column, r.company_ref, reason))
                else:
                    kept.append(r)
            parsed.records = kept
            parsed.errors = dict(sorted(parsed.errors.items()))
        existing, hidden = _existing(session, kind, parsed.records, company_ids, viewer)
    if hidden:
        _refuse_hidden_keys(parsed, hidden, column_mapping.columns.get("key", "key"))
    updated = sum(1 for r in parsed.records if _record_pk(kind, r, company_ids) in existing)
    errors = [e for row_errors in parsed.errors.values() for e in row_errors]
    mapped_columns = set(column_mapping.columns.values()) | {
        c for cols in column_mapping.fallbacks.values() for c in cols}  # fmt: skip
    preview = ImportPreview(
        kind=kind, file_name=source.name, file_sha256=source.sha256, encoding=table.encoding,
        preset=column_mapping.preset, mapping=dict(column_mapping.columns),
        constants=dict(column_mapping.constants), scales=dict(column_mapping.scales), columns=list(table.columns),
        unmapped_columns=[c for c in table.columns if c not in mapped_columns], header_row=table.header_row,
        total_rows=len(table.rows), valid_rows=len(parsed.records), invalid_rows=len(parsed.errors),
        new_rows=len(parsed.records) - updated, updated_rows=updated, errors=errors[:ERRORS_KEPT],
        error_count=len(errors), notes=[*column_mapping.notes, *table.notes, *parsed.notes],
        sample=_sample(kind, parsed.records),
    )  # fmt: skip
    return _Prepared(preview, table, parsed, column_mapping, company_ids, existing, viewer)


def detect_mapping(source: ImportSource, kind: str,
                   mapping: dict[str, str | None] | None = None) -> tuple[list[str], ColumnMapping]:
    """The file's columns and the mapping an import would use (before any row is checked)."""
    fields_for(kind)
    table = read_table(source)
    return list(table.columns), build_mapping(kind, table.columns, mapping)


def preview_import(source: ImportSource, kind: str, *, session_factory: sessionmaker[Session],
                   mapping: dict[str, str | None] | None = None, progress: ProgressCallback = no_progress,
                   viewer: Viewer = PUBLIC) -> ImportPreview:  # fmt: skip
    """Read, map and validate a file without writing anything: what an import would do.

    Counts and errors are the ``viewer``'s: a key held by a private-side row they may not see
    is a bad row (never an update), as it would be on import."""
    return _prepare(source, kind, session_factory=session_factory, mapping=mapping, progress=progress,
                    viewer=viewer).preview


def rejected_rows_csv(prepared_table: RawTable, parsed: ParsedRows) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([*prepared_table.columns, "row", "reason"])
    cells_by_row = {row: cells for row, cells in prepared_table.rows if row in parsed.errors}
    for row, errors in parsed.errors.items():
        reason = "; ".join(f"{e.column}: {e.reason}" for e in errors)
        writer.writerow([*(c or "" for c in cells_by_row.get(row, [])), row, reason])
    return buffer.getvalue().encode("utf-8")


def _writable_folder(folder: Path) -> bool:
    """A folder the user means to be written to: writable, and not marked read-only (no write
    bit for anyone) even when this process could write there anyway, as root can."""
    try:
        return os.access(folder, os.W_OK) and bool(folder.stat().st_mode & 0o222)
    except OSError:
        return False


def _write_rejected(source: ImportSource, data: bytes) -> tuple[Path | None, str | None]:
    # Runs after the import committed: a failure here is a note, never an error that would
    # make the (successful) import look failed. Files are written whole or not at all.
    name = f"{Path(clean_upload_name(source.name, 'import.csv')).stem}.rejected.csv"
    if source.path is not None and _writable_folder(source.path.parent):
        target = source.path.with_name(name)
        try:
            write_atomically(target, data)
            return target, None
        except WorkbenchError:
            pass  # a read-only folder (or a full disk): fall back to the exports folder below
    target = get_settings().exports_dir / name
    try:
        write_atomically(target, data)
    except WorkbenchError as exc:
        return None, f"the rejected rows were not written to a file: {exc}"
    note = f"the input's folder is not writable: rejected rows written to {target}" if source.path else None
    return target, note


def prepare_import(source: ImportSource, kind: str, *, session_factory: sessionmaker[Session],
                   mapping: dict[str, str | None] | None = None, progress: ProgressCallback = no_progress,
                   viewer: Viewer = PUBLIC) -> PreparedImport:  # fmt: skip
    """Read, map and validate once: ``.preview`` to show, then hand it to ``run_import(prepared=...)``
    so that a large file is not read and checked a second time."""
    return _prepare(source, kind, session_factory=session_factory, mapping=mapping, progress=progress,
                    viewer=viewer)


def run_import(source: ImportSource, kind: str, *, session_factory: sessionmaker[Session], user: str,
               mapping: dict[str, str | None] | None = None, skip_invalid: bool = False,
               progress: ProgressCallback = no_progress, prepared: PreparedImport | None = None,
               viewer: Viewer = PUBLIC, after_import: AfterImport | None = None) -> ImportResult:  # fmt: skip
    """Validate, then write every valid row in one transaction with an audit entry.

    Any invalid row rejects the whole file (ImportRejected, nothing written) unless
    ``skip_invalid``: then the valid rows are imported and the rejected ones are returned as
    CSV (and, for a file on disk, written beside it as ``<stem>.rejected.csv``).
    ``prepared`` (from ``prepare_import`` of the same source and kind) skips validating again.

    Information barriers: a row whose key is held by a private-side deal or document the
    ``viewer`` may not see is invalid (it is neither updated nor counted). Updates keep a
    row's deal team and new rows are public: an import never moves a row across the barrier.

    ``after_import`` runs once the rows are committed (the last fifth of the progress); what
    it returns is added to the notes, and its failure is a note too, never a failed import.
    """
    started = time.perf_counter()
    report = progress
    if after_import is not None:  # the step after the import takes the last fifth of the progress
        progress = lambda f, m: report(0.8 * f, m)  # noqa: E731
    if (prepared is None or prepared.preview.kind != kind or prepared.preview.file_sha256 != source.sha256
            or prepared.viewer != viewer):  # fmt: skip
        prepared = _prepare(source, kind, session_factory=session_factory, mapping=mapping, progress=progress,
                            viewer=viewer)
    preview = prepared.preview
    if not preview.is_valid and not skip_invalid:
        raise ImportRejected(preview.error_message() + "\nNothing was imported. Fix these rows, or import "
                             "the valid rows only (Skip invalid rows on the Data page, --skip-invalid on the "
                             "command line).", preview)  # fmt: skip
    if not prepared.parsed.records:
        raise ImportRejected(f"{source.name}: no valid rows to import.\n" + preview.error_message(), preview)
    writer = _WRITERS[kind]
    try:
        inserted, updated = _write(session_factory, writer, prepared, progress, user=user, source=source,
                                   skip_invalid=skip_invalid)  # fmt: skip
    except (IntegrityError, _StoreChanged):
        # Rows were checked against the store before writing; another import (or user) wrote
        # the same keys, or put a row behind a barrier, since. The transaction rolled back whole.
        raise WorkbenchError(f"{source.name}: the store changed while importing (another import wrote some of "
                             "the same rows). Nothing was imported; run the import again.") from None
    rejected_csv = rejected_path = None
    notes: list[str] = []
    if preview.invalid_rows:
        rejected_csv = rejected_rows_csv(prepared.table, prepared.parsed)
        if source.path is not None:
            rejected_path, note = _write_rejected(source, rejected_csv)
            notes += [note] if note else []
    elapsed_s = time.perf_counter() - started  # the import's own time; the step after says its own
    if after_import is not None:
        try:
            note = after_import(kind, session_factory, lambda f, m: report(0.8 + 0.2 * f, m))
        except Exception as exc:  # noqa: BLE001 - the rows are committed: say so, never fail the import
            log.exception("step after the %s import failed", kind)
            note = f"the {kind} were imported, but the step after the import failed: {exc}"
        notes += [note] if note else []
    report(1.0, f"Imported {inserted + updated:,} {kind}")
    return ImportResult(preview, inserted, updated, preview.invalid_rows, elapsed_s, rejected_path, rejected_csv,
                        notes)  # fmt: skip


def _write(session_factory: sessionmaker[Session], writer: Any, prepared: _Prepared, progress: ProgressCallback,
           *, user: str, source: ImportSource, skip_invalid: bool) -> tuple[int, int]:  # fmt: skip
    preview = prepared.preview
    with session_factory.begin() as session:
        _check_still_writable(session, prepared)
        inserted, updated = writer(session, prepared, progress)
        audit.record(
            session, user=user, action="import", object_type=preview.kind, object_ref=source.name,
            row_count=inserted + updated, file_name=source.name, file_sha256=preview.file_sha256,
            details={"inserted": inserted, "updated": updated, "rejected": preview.invalid_rows,
                     "total_rows": preview.total_rows, "encoding": preview.encoding, "preset": preview.preset,
                     "mapping": preview.mapping, "skip_invalid": skip_invalid},
        )  # fmt: skip
    return inserted, updated


class _StoreChanged(Exception):
    pass


def _check_still_writable(session: Session, prepared: _Prepared) -> None:
    """A row checked as visible may have been made private-side since the check."""
    model = _KEYED.get(prepared.preview.kind)
    if model is None or not hasattr(model, "team_id") or prepared.viewer.sees_all_private:
        return
    ids = sorted(set(prepared.existing.values()))
    for chunk in _chunks(ids):
        teams = session.scalars(select(model.team_id).where(model.id.in_(chunk), model.team_id.is_not(None)))
        if any(not prepared.viewer.may_see_team(t) for t in teams):
            raise _StoreChanged


def _progress_batches(records: list[Record], progress: ProgressCallback, what: str,
                      size: int = 2000) -> Iterator[Sequence[Record]]:  # fmt: skip
    total = max(len(records), 1)
    done = 0
    for chunk in _chunks(records, size):
        yield chunk
        done += len(chunk)
        progress(0.3 + 0.7 * done / total, f"Writing {what}: {done:,} of {len(records):,}")


def _same_keys(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """New rows with one key set (blanks as NULL): a batch of differing keys would run row by row."""
    keys = {k for row in rows for k in row}
    return [{k: row.get(k) for k in keys} for row in rows]


def _upsert_keyed(session: Session, model: type, prepared: _Prepared, progress: ProgressCallback,
                  extra: Any = None) -> tuple[list[tuple[Record, int]], int, int]:  # fmt: skip
    """Insert new keys, update existing ones (only the columns the file filled); (record, id) pairs."""
    existing = prepared.existing
    pairs: list[tuple[Record, int]] = []
    inserted = updated = 0
    for chunk in _progress_batches(prepared.parsed.records, progress, prepared.preview.kind, CHUNK):
        new = [r for r in chunk if r.key.lower() not in existing]
        old = [r for r in chunk if r.key.lower() in existing]
        if new:
            rows = _same_keys([extra(r) if extra else dict(r.values) for r in new])
            # A plain executemany, then ids by key: RETURNING in parameter order makes SQLite
            # insert row by row.
            session.execute(insert(model), rows)
            ids = dict(session.execute(select(model.key, model.id).where(model.key.in_([r.key for r in new]))).all())
            pairs += [(r, ids[r.key]) for r in new]
            inserted += len(new)
        if old:
            # The stored key keeps its case: other rows and saved work may quote it.
            rows = [{**{k: v for k, v in (extra(r) if extra else r.values).items() if k != "key"},
                     "id": existing[r.key.lower()]} for r in old]  # fmt: skip
            # Blank cells keep stored values, so rows update different columns: group rows that
            # update the same ones, which lets each group run as one executemany.
            rows.sort(key=lambda d: tuple(sorted(d)))
            session.execute(update(model), rows)
            pairs += [(r, existing[r.key.lower()]) for r in old]
            updated += len(old)
    return pairs, inserted, updated


def _write_companies(session: Session, prepared: _Prepared, progress: ProgressCallback) -> tuple[int, int]:
    _, inserted, updated = _upsert_keyed(session, Company, prepared, progress)
    return inserted, updated


def _link_parties(session: Session, names: set[str]) -> dict[str, int]:
    """Party name -> company id, by exact name, else by ticker, when exactly one company matches."""
    wanted = sorted(names)
    by_name: dict[str, set[int]] = {}
    by_ticker: dict[str, set[int]] = {}
    for chunk in _chunks(wanted):
        for cid, name, ticker in session.execute(select(Company.id, Company.name, Company.ticker).where(
                or_(Company.name.in_(chunk), Company.ticker.in_(chunk)))):  # fmt: skip
            by_name.setdefault(name, set()).add(cid)
            if ticker:
                by_ticker.setdefault(ticker, set()).add(cid)
    links: dict[str, int] = {}
    for n in wanted:
        ids = by_name.get(n) or by_ticker.get(n) or set()
        if len(ids) == 1:
            links[n] = next(iter(ids))
    return links


def _write_deals(session: Session, prepared: _Prepared, progress: ProgressCallback) -> tuple[int, int]:
    pairs, inserted, updated = _upsert_keyed(session, Deal, prepared, progress)
    roles = [r for r in PARTY_ROLES if r in prepared.mapping.columns]
    if roles:
        updated_ids = [deal_id for r, deal_id in pairs if r.key.lower() in prepared.existing]
        for chunk in _chunks(updated_ids):
            # The file is the truth for the roles it maps: replace those parties, keep the others.
            session.execute(delete(DealParty).where(DealParty.deal_id.in_(chunk), DealParty.role.in_(roles)))
        links = _link_parties(session, {n for r, _ in pairs for _, n in r.parties})
        rows = [{"deal_id": deal_id, "role": role, "name": name, "company_id": links.get(name)}
                for r, deal_id in pairs for role, name in r.parties]  # fmt: skip
        for chunk in _chunks(rows, 5000):
            session.execute(insert(DealParty), list(chunk))
    return inserted, updated


def _write_documents(session: Session, prepared: _Prepared, progress: ProgressCallback) -> tuple[int, int]:
    def values(r: Record) -> dict[str, Any]:
        out = dict(r.values)
        if r.company_ref:
            out["company_id"] = prepared.company_ids[r.company_ref.lower()]
        return out

    _, inserted, updated = _upsert_keyed(session, Document, prepared, progress, extra=values)
    return inserted, updated


def _write_prices(session: Session, prepared: _Prepared, progress: ProgressCallback) -> tuple[int, int]:
    inserted = updated = 0
    for chunk in _progress_batches(prepared.parsed.records, progress, "prices"):
        new, old = [], []
        for r in chunk:
            row = {**r.values, "company_id": prepared.company_ids[(r.company_ref or "").lower()]}
            (old if (row["company_id"], row["date"]) in prepared.existing else new).append(row)
        if new:
            session.execute(insert(Price), _same_keys(new))
            inserted += len(new)
        if old:
            old.sort(key=lambda d: tuple(sorted(d)))
            session.execute(update(Price), old)
            updated += len(old)
    return inserted, updated


_WRITERS = {
    "companies": _write_companies,
    "deals": _write_deals,
    "prices": _write_prices,
    "documents": _write_documents,
}
