"""Who is looking, and what they may see: roles and information barriers.

Private-side rows (deals, documents and watchlists with a ``team_id``) are visible only to
members of that deal team and to compliance. Every service that reads those tables takes a
``viewer`` and applies :func:`visible` to its query, so a barrier holds in search results,
precedents, counts, exports, alerts and the command line alike, whatever page or command
asks. A caller that forgets to pass a viewer gets :data:`PUBLIC`, which sees public rows
only: the barrier fails closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, String, and_, cast, not_, or_, select, true
from sqlalchemy.orm import Session

from workbench.errors import WorkbenchError
from workbench.models import (AlertEvent, AlertRule, Deal, DealParty, DealTeam, Document, RestrictedCompany, TeamMember,
                              User, Watchlist)  # fmt: skip

ROLES: tuple[str, ...] = ("analyst", "banker", "compliance", "admin")
# What each role may do beyond reading what its barriers allow.
ROLE_HELP: dict[str, str] = {
    "analyst": "screens, searches, reads and exports what their teams may see",
    "banker": "as analyst, and creates deal teams and marks their work private-side",
    "compliance": "sees every private-side row, keeps the restricted list, reads the audit trail",
    "admin": "manages users, roles and team membership; sees private rows only as a team member",
}


class AccessDenied(WorkbenchError):
    """The viewer's role or barriers do not allow this."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in user as the service layer sees them."""

    user: str
    role: str = "analyst"
    teams: frozenset[int] = field(default_factory=frozenset)

    @property
    def sees_all_private(self) -> bool:
        return self.role == "compliance"

    def may_see_team(self, team_id: int | None) -> bool:
        return team_id is None or self.sees_all_private or team_id in self.teams

    def require(self, *roles: str) -> None:
        if self.role not in roles:
            raise AccessDenied(
                f"{self.user} ({self.role}) may not do this: it needs the role "
                + " or ".join(roles) + "."
            )


# Sees public rows only: the default of every service, so a forgotten viewer fails closed.
PUBLIC = Viewer(user="public", role="analyst")


def visible(viewer: Viewer, team_column: ColumnElement[int | None] | object) -> ColumnElement[bool]:
    """A WHERE clause keeping the rows of ``team_column``'s table this viewer may see."""
    column = team_column  # an ORM attribute such as Deal.team_id, or a Core column
    if viewer.sees_all_private:
        return true()
    if not viewer.teams:
        return column.is_(None)  # type: ignore[attr-defined, no-any-return]
    return or_(column.is_(None), column.in_(sorted(viewer.teams)))  # type: ignore[attr-defined]


def deal_visible(viewer: Viewer) -> ColumnElement[bool]:
    return visible(viewer, Deal.team_id)


def document_visible(viewer: Viewer) -> ColumnElement[bool]:
    return visible(viewer, Document.team_id)


def watchlist_visible(viewer: Viewer) -> ColumnElement[bool]:
    return visible(viewer, Watchlist.team_id)


def _hidden_ids(model: type, viewer: Viewer):  # -> Select of the ids this viewer may not see
    return select(model.id).where(not_(visible(viewer, model.team_id)))  # type: ignore[attr-defined]


def rule_visible(viewer: Viewer) -> ColumnElement[bool]:
    """Alert rules this viewer may see: all but those watching a hidden watchlist."""
    if viewer.sees_all_private:
        return true()
    hidden_lists = select(cast(Watchlist.id, String)).where(not_(visible(viewer, Watchlist.team_id)))
    return or_(AlertRule.scope_type != "watchlist", AlertRule.scope_value.is_(None),
               AlertRule.scope_value.not_in(hidden_lists))  # fmt: skip


def event_visible(viewer: Viewer) -> ColumnElement[bool]:
    """Alert events this viewer may see: none tied to a hidden deal, document or watchlist."""
    if viewer.sees_all_private:
        return true()
    return and_(
        or_(AlertEvent.deal_id.is_(None), AlertEvent.deal_id.not_in(_hidden_ids(Deal, viewer))),
        or_(AlertEvent.document_id.is_(None), AlertEvent.document_id.not_in(_hidden_ids(Document, viewer))),
        AlertEvent.rule_id.in_(select(AlertRule.id).where(rule_visible(viewer))),
    )


def hidden_team_ids(viewer: Viewer, team_ids: Iterable[int | None]) -> set[int]:
    """The team ids among ``team_ids`` whose rows this viewer may not see."""
    return {t for t in team_ids if t is not None and not viewer.may_see_team(t)}


class NotSignedIn(AccessDenied):
    """No trustworthy identity came with the request: the app shows nothing."""


MAX_USER_NAME = 120


def identity_from_request(settings: object, headers: Mapping[str, str] | None,
                          oidc_user: Mapping[str, object] | None) -> str:  # fmt: skip
    """The signed-in user's name under the configured mode (WORKBENCH_AUTH).

    ``proxy`` reads the trusted header only when WORKBENCH_BEHIND_PROXY says the app sits
    behind the bank's proxy; a missing or empty header is refused, never replaced by the
    local user. ``oidc`` takes the identity provider's email (else preferred username,
    else subject). ``local`` is the one user of a laptop install.
    """
    mode = getattr(settings, "auth", "local")
    if mode == "local":
        return str(getattr(settings, "user"))
    if mode == "proxy":
        if not getattr(settings, "behind_proxy", False):
            raise NotSignedIn("WORKBENCH_AUTH is proxy but WORKBENCH_BEHIND_PROXY is not true: the user header "
                              "is not trusted, so nobody is signed in. Set both, or use local mode.")
        wanted = str(getattr(settings, "trusted_user_header")).lower()
        value = next((v for k, v in (headers or {}).items() if k.lower() == wanted), None)
        return _user_name(value, f"the {getattr(settings, 'trusted_user_header')} header")
    if mode == "oidc":
        claims = oidc_user or {}
        if not claims.get("is_logged_in"):
            raise NotSignedIn("Sign in with your bank account to use the workbench.")
        value = claims.get("email") or claims.get("preferred_username") or claims.get("sub")
        return _user_name(value if isinstance(value, str) else None, "the sign-on's email claim")
    raise NotSignedIn(f"unknown WORKBENCH_AUTH {mode!r}")


def _user_name(value: str | None, source: str) -> str:
    name = (value or "").strip()
    if not name:
        raise NotSignedIn(f"No user came with the request ({source} is missing): access is refused. "
                          "Open the workbench through the bank's sign-on.")
    if len(name) > MAX_USER_NAME or any(ord(ch) < 32 for ch in name):
        raise NotSignedIn(f"{source} does not hold a valid user name: access is refused.")
    return name


def load_viewer(session: Session, user: str, *, default_role: str = "analyst") -> Viewer:
    """The viewer for ``user``: their role from ``users`` (else ``default_role``) and teams."""
    row = session.scalars(select(User).where(User.name == user)).one_or_none()
    if row is not None and not row.active:
        raise AccessDenied(f"The account {user!r} is deactivated.")
    role = row.role if row is not None else default_role
    teams = frozenset(
        session.scalars(select(TeamMember.team_id).where(TeamMember.user == user)).all()
    )
    return Viewer(user=user, role=role, teams=teams)


def restricted_company_ids(session: Session) -> set[int]:
    return set(session.scalars(select(RestrictedCompany.company_id)).all())


# Parties whose company being restricted flags the deal (advisers and bookrunners do not).
PRINCIPAL_ROLES = ("issuer", "target", "acquirer", "seller")


def restricted_deal_ids(session: Session, deal_ids: Iterable[int]) -> set[int]:
    """The deals among ``deal_ids`` with a principal party on the restricted list."""
    ids = sorted({int(i) for i in deal_ids})
    found: set[int] = set()
    for lo in range(0, len(ids), 1000):
        found.update(session.scalars(
            select(DealParty.deal_id).where(DealParty.deal_id.in_(ids[lo:lo + 1000]),
                                            DealParty.role.in_(PRINCIPAL_ROLES),
                                            DealParty.company_id.in_(select(RestrictedCompany.company_id)))
        ))  # fmt: skip
    return found


def team_names(session: Session, team_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(team_ids))
    if not ids:
        return {}
    rows = session.execute(select(DealTeam.id, DealTeam.name).where(DealTeam.id.in_(ids)))
    return {int(i): str(n) for i, n in rows}

