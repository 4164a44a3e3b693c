"""Saved screens: save, rename, clone, delete, re-run as of a date, compare with the last run."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from services.screening import FeatureCache, ScreenResult, ScreenSpec, check_text, parse_spec, run_screen
from workbench import audit
from workbench.errors import WorkbenchError
from workbench.models import SavedScreen, ScreenRun


@dataclass(frozen=True)
class SavedScreenInfo:
    id: int
    name: str
    spec: ScreenSpec
    created_by: str | None
    updated_at: dt.datetime | None


@dataclass(frozen=True)
class ScreenRunInfo:
    id: int
    screen_id: int
    as_of: dt.date
    run_at: dt.datetime
    run_by: str | None
    row_count: int


def _clean_name(name: str) -> str:
    try:
        return check_text(name, "screen name")
    except ValueError as exc:
        raise WorkbenchError(str(exc)) from None


def _info(row: SavedScreen) -> SavedScreenInfo:
    return SavedScreenInfo(row.id, row.name, parse_spec(row.spec), row.created_by, row.updated_at)


def _get(session: Session, screen_id: int) -> SavedScreen:
    row = session.get(SavedScreen, screen_id)
    if row is None:
        raise WorkbenchError(f"no saved screen with id {screen_id}")
    return row


def _name_taken(session: Session, name: str, except_id: int | None = None) -> bool:
    found = session.scalar(select(SavedScreen.id).where(SavedScreen.name == name))
    return found is not None and found != except_id


def save_screen(spec: ScreenSpec, *, session_factory: sessionmaker[Session], user: str,
                name: str | None = None, overwrite: bool = False) -> SavedScreenInfo:  # fmt: skip
    """Save a spec under its name (or ``name``); with ``overwrite`` replace a same-named screen."""
    name = _clean_name(name or spec.name)
    spec = spec.model_copy(update={"name": name})
    with session_factory.begin() as session:
        existing = session.scalar(select(SavedScreen).where(SavedScreen.name == name))
        if existing is not None and not overwrite:
            raise WorkbenchError(f"a saved screen named {name!r} already exists")
        if existing is None:
            existing = SavedScreen(name=name, spec={}, created_by=user)
            session.add(existing)
        existing.spec = spec.model_dump(mode="json", exclude_none=True)
        session.flush()
        audit.record(session, user=user, action="screen_save", object_type="screen", object_ref=name)
        return _info(existing)


def list_screens(*, session_factory: sessionmaker[Session]) -> list[SavedScreenInfo]:
    with session_factory() as session:
        return [_info(r) for r in session.scalars(select(SavedScreen).order_by(SavedScreen.name))]


def get_screen(*, session_factory: sessionmaker[Session], screen_id: int | None = None,
               name: str | None = None) -> SavedScreenInfo:  # fmt: skip
    with session_factory() as session:
        if screen_id is not None:
            return _info(_get(session, screen_id))
        row = session.scalar(select(SavedScreen).where(SavedScreen.name == name))
        if row is None:
            raise WorkbenchError(f"no saved screen named {name!r}")
        return _info(row)


def rename_screen(screen_id: int, new_name: str, *, session_factory: sessionmaker[Session], user: str) -> SavedScreenInfo:
    new_name = _clean_name(new_name)
    with session_factory.begin() as session:
        row = _get(session, screen_id)
        if _name_taken(session, new_name, except_id=screen_id):
            raise WorkbenchError(f"a saved screen named {new_name!r} already exists")
        old = row.name
        row.name = new_name
        row.spec = {**row.spec, "name": new_name}
        audit.record(session, user=user, action="screen_rename", object_type="screen", object_ref=new_name,
                     details={"from": old})  # fmt: skip
        session.flush()
        return _info(row)


def clone_screen(screen_id: int, new_name: str | None = None, *, session_factory: sessionmaker[Session],
                 user: str) -> SavedScreenInfo:  # fmt: skip
    with session_factory.begin() as session:
        row = _get(session, screen_id)
        name = _clean_name(new_name) if new_name else None
        if name is None:
            base, n = f"{row.name} (copy)", 2
            name = base
            while _name_taken(session, name):
                name, n = f"{base} {n}", n + 1
        elif _name_taken(session, name):
            raise WorkbenchError(f"a saved screen named {name!r} already exists")
        clone = SavedScreen(name=name[:200], spec={**row.spec, "name": name[:200]}, created_by=user)
        session.add(clone)
        session.flush()
        audit.record(session, user=user, action="screen_clone", object_type="screen", object_ref=name,
                     details={"from": row.name})  # fmt: skip
        return _info(clone)


def delete_screen(screen_id: int, *, session_factory: sessionmaker[Session], user: str) -> None:
    with session_factory.begin() as session:
        row = _get(session, screen_id)
        # Runs go with the screen; delete them explicitly as SQLite may run without FK cascades.
        session.execute(delete(ScreenRun).where(ScreenRun.screen_id == screen_id))
        audit.record(session, user=user, action="screen_delete", object_type="screen", object_ref=row.name)
        session.delete(row)


def run_saved_screen(screen_id: int, *, session_factory: sessionmaker[Session], user: str,
                     as_of: dt.date | None = None, cache: FeatureCache | None = None,
                     cache_key: str | None = None) -> tuple[ScreenRunInfo, ScreenResult]:  # fmt: skip
    """Run a saved screen as of a date and keep the ranked result as a ScreenRun."""
    screen = get_screen(session_factory=session_factory, screen_id=screen_id)
    result = run_screen(screen.spec, session_factory=session_factory, as_of=as_of, user=user, cache=cache,
                        cache_key=cache_key)  # fmt: skip
    results = [
        {"company_id": int(r["company_id"]), "key": r["key"], "name": r["name"], "rank": int(r["rank"]),
         "score": None if pd.isna(r["score"]) else float(r["score"])}
        for r in result.rows[["company_id", "key", "name", "rank", "score"]].to_dict("records")
    ]  # fmt: skip
    with session_factory.begin() as session:
        _get(session, screen_id)
        run = ScreenRun(screen_id=screen_id, as_of=result.as_of, run_by=user, row_count=len(results), results=results)
        session.add(run)
        session.flush()
        info = ScreenRunInfo(run.id, screen_id, run.as_of, run.run_at, run.run_by, run.row_count)
    return info, result


def list_runs(screen_id: int, *, session_factory: sessionmaker[Session]) -> list[ScreenRunInfo]:
    """Runs of a screen, newest first."""
    with session_factory() as session:
        rows = session.scalars(
            select(ScreenRun).where(ScreenRun.screen_id == screen_id).order_by(ScreenRun.run_at.desc(), ScreenRun.id.desc())
        )
        return [ScreenRunInfo(r.id, r.screen_id, r.as_of, r.run_at, r.run_by, r.row_count) for r in rows]


COMPARE_COLUMNS = ["status", "rank", "previous_rank", "rank_change", "key", "name", "score", "previous_score"]


def compare_runs(run_id: int, *, session_factory: sessionmaker[Session], previous_run_id: int | None = None) -> pd.DataFrame:
    """A run against the one before it (or ``previous_run_id``): entered, left, up, down, unchanged.

    ``rank_change`` is positive when a company moved up (to a better, smaller rank).
    """
    with session_factory() as session:
        run = session.get(ScreenRun, run_id)
        if run is None:
            raise WorkbenchError(f"no screen run with id {run_id}")
        if previous_run_id is not None:
            previous = session.get(ScreenRun, previous_run_id)
        else:
            previous = session.scalar(
                select(ScreenRun).where(ScreenRun.screen_id == run.screen_id, ScreenRun.id < run.id)
                .order_by(ScreenRun.id.desc()).limit(1)
            )  # fmt: skip
        now: list[dict[str, Any]] = list(run.results or [])
        before: list[dict[str, Any]] = list(previous.results or []) if previous is not None else []
    old = {r["company_id"]: r for r in before}
    new_ids = {r["company_id"] for r in now}
    records = []
    for r in now:
        p = old.get(r["company_id"])
        change = None if p is None else p["rank"] - r["rank"]
        status = "entered" if p is None else ("up" if change > 0 else "down" if change < 0 else "unchanged")
        records.append({"status": status, "rank": r["rank"], "previous_rank": None if p is None else p["rank"],
                        "rank_change": change, "key": r["key"], "name": r["name"], "score": r.get("score"),
                        "previous_score": None if p is None else p.get("score")})  # fmt: skip
    for r in before:
        if r["company_id"] not in new_ids:
            records.append({"status": "left", "rank": None, "previous_rank": r["rank"], "rank_change": None,
                            "key": r["key"], "name": r["name"], "score": None, "previous_score": r.get("score")})  # fmt: skip
    frame = pd.DataFrame(records, columns=COMPARE_COLUMNS)
    for col in ("rank", "previous_rank", "rank_change"):
        frame[col] = frame[col].astype("Int64")
    return frame
