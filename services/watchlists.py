"""Watchlists: named lists of companies a team follows, with a note per name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from workbench import audit
from workbench.access import PUBLIC, Viewer, watchlist_visible
from workbench.errors import WorkbenchError
from workbench.models import Company, Watchlist, WatchlistItem


@dataclass(frozen=True)
class WatchlistInfo:
    id: int
    name: str
    owner: str | None
    description: str | None
    item_count: int
    team_id: int | None = None  # private-side for this deal team when set


def _clean(text: str, what: str, limit: int) -> str:
    text = (text or "").strip()
    if not text:
        raise WorkbenchError(f"{what} is empty")
    if len(text) > limit or any(ord(ch) < 32 or "\ud800" <= ch <= "\udfff" for ch in text):
        raise WorkbenchError(f"{what} must be at most {limit} printable characters")
    return text


def list_watchlists(*, session_factory: sessionmaker[Session], viewer: Viewer = PUBLIC) -> list[WatchlistInfo]:
    """The watchlists the viewer may see (public ones, and their teams' private-side ones)."""
    with session_factory() as session:
        counts = (
            select(WatchlistItem.watchlist_id, func.count().label("n")).group_by(WatchlistItem.watchlist_id).subquery()
        )
        rows = session.execute(
            select(Watchlist, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.watchlist_id == Watchlist.id)
            .where(watchlist_visible(viewer))
            .order_by(Watchlist.name)
        ).all()
        return [WatchlistInfo(w.id, w.name, w.owner, w.description, int(n), w.team_id) for w, n in rows]


def _name_taken(session: Session, name: str, viewer: Viewer, *, but: int | None = None) -> None:
    """Refuse a name another list holds. Names are unique across the barrier (one column, one
    constraint), so a private-side list's name cannot be reused; the message for it says only
    that the name is unavailable, never that a list of that name exists or whose it is."""
    taken = session.execute(select(Watchlist.id, Watchlist.team_id).where(Watchlist.name == name)).first()
    if taken is None or taken.id == but:
        return
    if viewer.may_see_team(taken.team_id):
        raise WorkbenchError(f"a watchlist named {name!r} already exists")
    raise WorkbenchError(f"the name {name!r} cannot be used for a watchlist: choose another")


def create_watchlist(name: str, *, session_factory: sessionmaker[Session], user: str,
                     description: str | None = None, viewer: Viewer = PUBLIC) -> WatchlistInfo:  # fmt: skip
    """A new public watchlist (a banker can then mark it private-side for a deal team)."""
    name = _clean(name, "watchlist name", 200)
    with session_factory.begin() as session:
        _name_taken(session, name, viewer)
        watchlist = Watchlist(name=name, owner=user, description=description)
        session.add(watchlist)
        session.flush()
        audit.record(session, user=user, action="watchlist_create", object_type="watchlist", object_ref=name)
        return WatchlistInfo(watchlist.id, name, user, description, 0)


def add_companies(watchlist_id: int, company_ids: Iterable[int], *, session_factory: sessionmaker[Session],
                  user: str, note: str | None = None, viewer: Viewer = PUBLIC) -> int:  # fmt: skip
    """Add companies by id; names already on the list are left as they are. Returns how many were added."""
    wanted = sorted({int(c) for c in company_ids})
    if note is not None and len(note) > 2000:
        raise WorkbenchError("a watchlist note is at most 2,000 characters")
    with session_factory.begin() as session:
        watchlist = _get_watchlist(session, watchlist_id, viewer)
        known = set(session.scalars(select(Company.id).where(Company.id.in_(wanted))))
        missing = [c for c in wanted if c not in known]
        if missing:
            raise WorkbenchError(f"unknown company ids: {missing[:10]}")
        present = set(session.scalars(select(WatchlistItem.company_id).where(
            WatchlistItem.watchlist_id == watchlist_id, WatchlistItem.company_id.in_(wanted))))  # fmt: skip
        added = [c for c in wanted if c not in present]
        session.add_all(WatchlistItem(watchlist_id=watchlist_id, company_id=c, note=note) for c in added)
        audit.record(session, user=user, action="watchlist_add", object_type="watchlist", object_ref=watchlist.name,
                     row_count=len(added))  # fmt: skip
        return len(added)


def watchlist_company_ids(watchlist_id: int, *, session_factory: sessionmaker[Session],
                          viewer: Viewer = PUBLIC) -> list[int]:  # fmt: skip
    with session_factory() as session:
        _get_watchlist(session, watchlist_id, viewer)
        return list(session.scalars(
            select(WatchlistItem.company_id).where(WatchlistItem.watchlist_id == watchlist_id).order_by(WatchlistItem.id)
        ))  # fmt: skip


def _get_watchlist(session: Session, watchlist_id: int, viewer: Viewer) -> Watchlist:
    watchlist = session.get(Watchlist, watchlist_id)
    if watchlist is None or not viewer.may_see_team(watchlist.team_id):  # a hidden list is not found either
        raise WorkbenchError(f"no watchlist with id {watchlist_id}")
    return watchlist


def rename_watchlist(watchlist_id: int, new_name: str, *, session_factory: sessionmaker[Session], user: str,
                     viewer: Viewer = PUBLIC) -> None:  # fmt: skip
    new_name = _clean(new_name, "watchlist name", 200)
    with session_factory.begin() as session:
        watchlist = _get_watchlist(session, watchlist_id, viewer)
        _name_taken(session, new_name, viewer, but=watchlist_id)
        old, watchlist.name = watchlist.name, new_name
        audit.record(session, user=user, action="watchlist_rename", object_type="watchlist", object_ref=new_name,
                     details={"from": old})  # fmt: skip


def delete_watchlist(watchlist_id: int, *, session_factory: sessionmaker[Session], user: str,
                     viewer: Viewer = PUBLIC) -> None:  # fmt: skip
    with session_factory.begin() as session:
        watchlist = _get_watchlist(session, watchlist_id, viewer)
        # Items go explicitly: a SQLite connection opened elsewhere may run without FK cascades.
        session.execute(delete(WatchlistItem).where(WatchlistItem.watchlist_id == watchlist_id))
        audit.record(session, user=user, action="watchlist_delete", object_type="watchlist", object_ref=watchlist.name)
        session.delete(watchlist)


@dataclass(frozen=True)
class TickerAddResult:
    added: list[str]
    already_listed: list[str]
    unknown: list[str]


def parse_tickers(text: str) -> list[str]:
    """Tickers from free text: split on commas, semicolons, spaces and new lines; upper-cased, de-duplicated."""
    seen: dict[str, None] = {}
    for token in (text or "").replace(",", " ").replace(";", " ").split():
        token = token.strip().upper()
        if token:
            seen.setdefault(token, None)
    return list(seen)


def add_by_tickers(watchlist_id: int, tickers: Iterable[str], *, session_factory: sessionmaker[Session],
                   user: str, note: str | None = None, viewer: Viewer = PUBLIC) -> TickerAddResult:  # fmt: skip
    """Add companies by ticker; unknown tickers are reported, not fatal, and nothing else changes for them."""
    wanted = list(dict.fromkeys(t.strip().upper() for t in tickers if t and t.strip()))
    if len(wanted) > 5000:
        raise WorkbenchError("at most 5,000 tickers at once")
    bad = [t for t in wanted if len(t) > 32 or any(ord(ch) < 32 for ch in t)]
    if bad:
        raise WorkbenchError(f"not a ticker: {bad[0][:40]!r}")
    with session_factory() as session:
        _get_watchlist(session, watchlist_id, viewer)
        found: dict[str, int] = {}
        for lo in range(0, len(wanted), 500):
            for ticker, cid in session.execute(
                select(func.upper(Company.ticker), func.min(Company.id))
                .where(func.upper(Company.ticker).in_(wanted[lo:lo + 500])).group_by(func.upper(Company.ticker))
            ):  # fmt: skip
                found[ticker] = int(cid)
        present = set(session.scalars(select(WatchlistItem.company_id).where(WatchlistItem.watchlist_id == watchlist_id)))
    unknown = [t for t in wanted if t not in found]
    listed = [t for t in wanted if t in found and found[t] in present]
    new = [t for t in wanted if t in found and found[t] not in present]
    if new:
        add_companies(watchlist_id, [found[t] for t in new], session_factory=session_factory, user=user, note=note,
                      viewer=viewer)  # fmt: skip
    return TickerAddResult(new, listed, unknown)


def set_note(watchlist_id: int, company_id: int, note: str | None, *, session_factory: sessionmaker[Session],
             user: str, viewer: Viewer = PUBLIC) -> None:  # fmt: skip
    if note is not None and len(note) > 2000:
        raise WorkbenchError("a watchlist note is at most 2,000 characters")
    with session_factory.begin() as session:
        _get_watchlist(session, watchlist_id, viewer)
        item = session.scalar(select(WatchlistItem).where(WatchlistItem.watchlist_id == watchlist_id,
                                                          WatchlistItem.company_id == company_id))  # fmt: skip
        if item is None:
            raise WorkbenchError(f"company {company_id} is not on watchlist {watchlist_id}")
        item.note = (note or "").strip() or None


def remove_companies(watchlist_id: int, company_ids: Iterable[int], *, session_factory: sessionmaker[Session],
                     user: str, viewer: Viewer = PUBLIC) -> int:  # fmt: skip
    ids = sorted({int(c) for c in company_ids})
    with session_factory.begin() as session:
        watchlist = _get_watchlist(session, watchlist_id, viewer)
        result = session.execute(delete(WatchlistItem).where(WatchlistItem.watchlist_id == watchlist_id,
                                                             WatchlistItem.company_id.in_(ids)))  # fmt: skip
        audit.record(session, user=user, action="watchlist_remove", object_type="watchlist", object_ref=watchlist.name,
                     row_count=result.rowcount)  # fmt: skip
        return int(result.rowcount or 0)
