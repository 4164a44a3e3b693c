"""Users and roles, deal teams, private-side marking and the restricted list.

Who may do what (ROLE_HELP in workbench/access.py is the rule, enforced here):

- add users and change roles: admin;
- create a deal team: banker, compliance or admin (a banker who creates a team joins it);
- add or remove team members: admin or compliance for any team, a banker for a team they are on;
- mark a deal, document or watchlist private-side for a team, move it between teams or make
  it public again: compliance, or a banker or admin who is on the team it leaves (if any)
  and on the team it joins (if any);
- keep the restricted list: compliance.

Every change is recorded in the audit trail in the same transaction as the change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from workbench import audit
from workbench.access import ROLES, AccessDenied, Viewer, team_names
from workbench.errors import WorkbenchError
from workbench.models import Company, Deal, DealTeam, Document, RestrictedCompany, TeamMember, User, Watchlist

NAME_LIMIT = 120
PRIVATE_KINDS: dict[str, type] = {"deal": Deal, "document": Document, "watchlist": Watchlist}
TEAM_MANAGERS = ("banker", "compliance", "admin")
MEMBERSHIP_MANAGERS = ("admin", "compliance")
MARKERS = ("banker", "compliance", "admin")


def _clean(text: str | None, what: str, limit: int = NAME_LIMIT) -> str:
    value = (text or "").strip()
    if not value:
        raise WorkbenchError(f"{what} is empty")
    if len(value) > limit or any(ord(ch) < 32 for ch in value):
        raise WorkbenchError(f"{what} must be at most {limit} printable characters")
    return value


def _role(role: str) -> str:
    value = (role or "").strip().lower()
    if value not in ROLES:
        raise WorkbenchError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return value


# --- users and roles -----------------------------------------------------------------------
@dataclass(frozen=True)
class UserInfo:
    name: str
    display_name: str | None
    role: str
    active: bool
    teams: list[str]


def list_users(*, session_factory: sessionmaker[Session], viewer: Viewer) -> list[UserInfo]:
    """Known users with their roles and teams (admin and compliance)."""
    viewer.require("admin", "compliance")
    with session_factory() as session:
        memberships: dict[str, list[str]] = {}
        for user, team in session.execute(select(TeamMember.user, DealTeam.name)
                                          .join(DealTeam, DealTeam.id == TeamMember.team_id)
                                          .order_by(DealTeam.name)):  # fmt: skip
            memberships.setdefault(user, []).append(team)
        users = session.scalars(select(User).order_by(User.name)).all()
        return [UserInfo(u.name, u.display_name, u.role, u.active, memberships.get(u.name, [])) for u in users]


def _admins(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)
                              .where(User.role == "admin", User.active.is_(True))) or 0)  # fmt: skip


def add_user(name: str, role: str, *, session_factory: sessionmaker[Session], viewer: Viewer,
             display_name: str | None = None) -> UserInfo:  # fmt: skip
    viewer.require("admin")
    name, role = _clean(name, "user name"), _role(role)
    with session_factory.begin() as session:
        if session.scalar(select(User.id).where(User.name == name)) is not None:
            raise WorkbenchError(f"a user named {name!r} already exists: change their role instead")
        session.add(User(name=name, role=role, display_name=(display_name or "").strip()[:200] or None))
        audit.record(session, user=viewer.user, action="user_add", object_type="user", object_ref=name,
                     details={"role": role})  # fmt: skip
    return UserInfo(name, display_name, role, True, [])


def set_role(name: str, role: str, *, session_factory: sessionmaker[Session], viewer: Viewer,
             active: bool | None = None) -> None:  # fmt: skip
    """Change a user's role (and optionally deactivate or reactivate them); at least one active admin stays."""
    viewer.require("admin")
    name, role = _clean(name, "user name"), _role(role)
    with session_factory.begin() as session:
        user = session.scalars(select(User).where(User.name == name)).one_or_none()
        if user is None:
            raise WorkbenchError(f"no user named {name!r}: add them first")
        before = (user.role, user.active)
        user.role = role
        if active is not None:
            user.active = active
        session.flush()
        if before[0] == "admin" and before[1] and not (user.role == "admin" and user.active) and not _admins(session):
            raise WorkbenchError("that would leave no active admin: make someone else admin first")
        audit.record(session, user=viewer.user, action="user_role", object_type="user", object_ref=name,
                     details={"from": before[0], "to": role, "active": user.active})  # fmt: skip


# --- deal teams ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TeamInfo:
    id: int
    name: str
    description: str | None
    members: list[str]
    deals: int
    documents: int
    watchlists: int


def _team(session: Session, name: str) -> DealTeam:
    team = session.scalars(select(DealTeam).where(DealTeam.name == name.strip())).one_or_none()
    if team is None:
        raise WorkbenchError(f"no deal team named {name.strip()[:120]!r}")
    return team


def list_teams(*, session_factory: sessionmaker[Session], viewer: Viewer) -> list[TeamInfo]:
    """Deal teams the viewer may know of: their own, or every team for compliance and admin."""
    with session_factory() as session:
        stmt = select(DealTeam).order_by(DealTeam.name)
        if viewer.role not in ("compliance", "admin"):
            stmt = stmt.where(DealTeam.id.in_(sorted(viewer.teams)))
        teams = session.scalars(stmt).all()
        ids = [t.id for t in teams]
        members: dict[int, list[str]] = {}
        for team_id, user in session.execute(select(TeamMember.team_id, TeamMember.user)
                                             .where(TeamMember.team_id.in_(ids)).order_by(TeamMember.user)):
            members.setdefault(team_id, []).append(user)
        counts = {kind: dict(session.execute(select(model.team_id, func.count())  # type: ignore[attr-defined]
                                             .where(model.team_id.in_(ids))  # type: ignore[attr-defined]
                                             .group_by(model.team_id)).all())  # type: ignore[attr-defined]
                  for kind, model in PRIVATE_KINDS.items()}  # fmt: skip
        return [TeamInfo(t.id, t.name, t.description, members.get(t.id, []), int(counts["deal"].get(t.id, 0)),
                         int(counts["document"].get(t.id, 0)), int(counts["watchlist"].get(t.id, 0)))
                for t in teams]  # fmt: skip


def create_team(name: str, *, session_factory: sessionmaker[Session], viewer: Viewer,
                description: str | None = None) -> TeamInfo:  # fmt: skip
    viewer.require(*TEAM_MANAGERS)
    name = _clean(name, "team name", 200)
    with session_factory.begin() as session:
        if session.scalar(select(DealTeam.id).where(DealTeam.name == name)) is not None:
            raise WorkbenchError(f"a deal team named {name!r} already exists")
        team = DealTeam(name=name, description=(description or "").strip() or None, created_by=viewer.user)
        session.add(team)
        session.flush()
        members = []
        if viewer.role == "banker":  # the banker who opens a mandate works on it
            session.add(TeamMember(team_id=team.id, user=viewer.user, added_by=viewer.user))
            members.append(viewer.user)
        audit.record(session, user=viewer.user, action="team_create", object_type="deal_team", object_ref=name,
                     details={"members": members})  # fmt: skip
        return TeamInfo(team.id, name, team.description, members, 0, 0, 0)


def _may_manage_members(viewer: Viewer, team: DealTeam) -> None:
    if viewer.role in MEMBERSHIP_MANAGERS or (viewer.role == "banker" and team.id in viewer.teams):
        return
    raise AccessDenied(f"{viewer.user} ({viewer.role}) may not change the members of {team.name!r}: "
                       "admin, compliance or a banker on the team may.")  # fmt: skip


def add_member(team: str, user: str, *, session_factory: sessionmaker[Session], viewer: Viewer) -> bool:
    """Put a user on a deal team (behind its barrier); False when they already were."""
    user = _clean(user, "user name")
    with session_factory.begin() as session:
        row = _team(session, team)
        _may_manage_members(viewer, row)
        known = session.scalars(select(User).where(User.name == user)).one_or_none()
        if known is not None and not known.active:
            raise WorkbenchError(f"the account {user!r} is deactivated")
        if session.scalar(select(TeamMember.id).where(TeamMember.team_id == row.id, TeamMember.user == user)):
            return False
        session.add(TeamMember(team_id=row.id, user=user, added_by=viewer.user))
        audit.record(session, user=viewer.user, action="team_member_add", object_type="deal_team",
                     object_ref=row.name, details={"member": user})  # fmt: skip
        return True


def remove_member(team: str, user: str, *, session_factory: sessionmaker[Session], viewer: Viewer) -> bool:
    user = _clean(user, "user name")
    with session_factory.begin() as session:
        row = _team(session, team)
        _may_manage_members(viewer, row)
        member = session.scalars(select(TeamMember).where(TeamMember.team_id == row.id,
                                                          TeamMember.user == user)).one_or_none()  # fmt: skip
        if member is None:
            return False
        session.delete(member)
        audit.record(session, user=viewer.user, action="team_member_remove", object_type="deal_team",
                     object_ref=row.name, details={"member": user})  # fmt: skip
        return True


# --- private-side marking ------------------------------------------------------------------
def _find(session: Session, kind: str, ref: str):  # -> Deal | Document | Watchlist
    model = PRIVATE_KINDS.get(kind)
    if model is None:
        raise WorkbenchError(f"only {', '.join(PRIVATE_KINDS)} can be private-side, not {kind!r}")
    ref = _clean(ref, f"{kind} key", 400)
    natural = Watchlist.name if model is Watchlist else model.key  # type: ignore[attr-defined]
    row = session.scalars(select(model).where(natural == ref)).one_or_none()
    if row is None and ref.isdigit():
        row = session.get(model, int(ref))
    if row is None:
        raise WorkbenchError(f"no {kind} {ref[:80]!r}")
    return row


def set_private(kind: str, ref: str, team: str | None, *, session_factory: sessionmaker[Session],
                viewer: Viewer) -> str:  # fmt: skip
    """Mark a deal, document or watchlist (by key, name or id) private-side for ``team``, or
    public with ``team=None``. Returns a one-line description of the change."""
    viewer.require(*MARKERS)
    with session_factory.begin() as session:
        row = _find(session, kind, ref)
        if not viewer.may_see_team(row.team_id):
            raise WorkbenchError(f"no {kind} {ref.strip()[:80]!r}")  # a hidden row is not found, as anywhere else
        new = _team(session, team) if team else None
        new_id = new.id if new else None
        if not viewer.sees_all_private:
            for team_id in (row.team_id, new_id):
                if team_id is not None and team_id not in viewer.teams:
                    name = team_names(session, [team_id]).get(team_id, str(team_id))
                    raise AccessDenied(f"{viewer.user} is not on the deal team {name!r}: "
                                       "only its members or compliance may move its work across the barrier")
        old_name = team_names(session, [row.team_id]).get(row.team_id) if row.team_id else None  # type: ignore[arg-type]
        label = getattr(row, "key", None) or getattr(row, "name", ref)
        if row.team_id == new_id:
            return f"{kind} {label} is already {'private-side for ' + new.name if new else 'public'}"
        row.team_id = new_id
        audit.record(session, user=viewer.user, action="private_mark" if new else "private_lift",
                     object_type=kind, object_ref=str(label)[:400], row_count=1,
                     details={"from_team": old_name, "to_team": new.name if new else None})  # fmt: skip
        return f"{kind} {label}: {'private-side for ' + new.name if new else 'public'} (was {old_name or 'public'})"


def my_teams(*, session_factory: sessionmaker[Session], viewer: Viewer) -> dict[int, str]:
    """The viewer's own deal teams, by id: where they may put private-side work."""
    with session_factory() as session:
        return team_names(session, viewer.teams)


# --- restricted list ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RestrictedInfo:
    company_id: int
    key: str
    name: str
    ticker: str | None
    reason: str | None
    added_by: str | None
    added_at: dt.datetime


def _company(session: Session, ref: str) -> Company:
    ref = _clean(ref, "company", 120)
    found = session.scalars(select(Company).where((Company.key == ref) | (func.upper(Company.ticker) == ref.upper()))
                            .order_by(Company.id).limit(1)).first()  # fmt: skip
    if found is None:
        raise WorkbenchError(f"no company with key or ticker {ref!r}")
    return found


def list_restricted(*, session_factory: sessionmaker[Session]) -> list[RestrictedInfo]:
    """The restricted list: every user may read it, so that everyone knows which names are flagged."""
    with session_factory() as session:
        rows = session.execute(select(RestrictedCompany, Company).join(Company, Company.id == RestrictedCompany.company_id)
                               .order_by(Company.name)).all()  # fmt: skip
        return [RestrictedInfo(c.id, c.key, c.name, c.ticker, r.reason, r.added_by, r.added_at) for r, c in rows]


def add_restricted(company: str, *, session_factory: sessionmaker[Session], viewer: Viewer,
                   reason: str | None = None) -> bool:  # fmt: skip
    viewer.require("compliance")
    if reason is not None and len(reason) > 2000:
        raise WorkbenchError("a reason is at most 2,000 characters")
    with session_factory.begin() as session:
        found = _company(session, company)
        if session.scalar(select(RestrictedCompany.id).where(RestrictedCompany.company_id == found.id)):
            return False
        session.add(RestrictedCompany(company_id=found.id, reason=(reason or "").strip() or None, added_by=viewer.user))
        audit.record(session, user=viewer.user, action="restricted_add", object_type="company", object_ref=found.key,
                     details={"reason": reason})  # fmt: skip
        return True


def remove_restricted(company: str, *, session_factory: sessionmaker[Session], viewer: Viewer) -> bool:
    viewer.require("compliance")
    with session_factory.begin() as session:
        found = _company(session, company)
        row = session.scalars(select(RestrictedCompany).where(RestrictedCompany.company_id == found.id)).one_or_none()
        if row is None:
            return False
        session.delete(row)
        audit.record(session, user=viewer.user, action="restricted_remove", object_type="company", object_ref=found.key)
        return True
