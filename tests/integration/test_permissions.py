"""Roles, deal teams and private-side marking; every permission change audited; the audit trail append-only."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select, text, update

from services import barriers
from services.audit_trail import AuditQuery, export_audit, search_audit
from services.documents import IngestLimits, ingest_text, list_documents
from workbench import audit
from workbench.access import AccessDenied, Viewer, load_viewer
from workbench.audit import AuditTrailIsAppendOnly
from workbench.errors import WorkbenchError
from workbench.models import AuditEntry, Company, Deal, DealTeam

ADMIN = Viewer("ada", "admin")
COMPLIANCE = Viewer("cora", "compliance")
LIMITS = IngestLimits(max_bytes=1_000_000, max_pages=10)


@pytest.fixture
def teams(store):
    with store.session_factory.begin() as s:
        s.add(Company(key="C1", name="Target Corp", ticker="TGT"))
        s.add(Deal(key="D1", name="Deal one", deal_type="ma"))
    barriers.add_user("ben", "banker", session_factory=store.session_factory, viewer=ADMIN)
    with store.session_factory() as s:
        ben = load_viewer(s, "ben")
    barriers.create_team("Falcon", session_factory=store.session_factory, viewer=ben)
    with store.session_factory() as s:
        ben = load_viewer(s, "ben")  # now on the team he created
    return store, ben


def _actions(store) -> list[tuple[str, str, str | None]]:
    with store.session_factory() as s:
        return [(r.user, r.action, r.object_ref) for r in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_roles_decide_who_may_change_what(teams):
    store, ben = teams
    f = store.session_factory
    analyst = Viewer("al", "analyst")
    with pytest.raises(AccessDenied):
        barriers.create_team("Eagle", session_factory=f, viewer=analyst)
    with pytest.raises(AccessDenied):
        barriers.set_role("ben", "admin", session_factory=f, viewer=ben)
    with pytest.raises(AccessDenied):
        barriers.add_restricted("TGT", session_factory=f, viewer=ben)
    with pytest.raises(AccessDenied):
        barriers.set_private("deal", "D1", "Falcon", session_factory=f, viewer=Viewer("bo", "banker"))  # not on it
    with pytest.raises(AccessDenied):
        barriers.add_member("Falcon", "al", session_factory=f, viewer=Viewer("bo", "banker"))
    assert barriers.add_member("Falcon", "al", session_factory=f, viewer=ben)
    assert "D1" in barriers.set_private("deal", "D1", "Falcon", session_factory=f, viewer=ben)
    assert barriers.add_restricted("TGT", session_factory=f, viewer=COMPLIANCE, reason="mandate")
    with pytest.raises(WorkbenchError, match="no active admin"):
        barriers.add_user("root", "admin", session_factory=f, viewer=ADMIN)
        barriers.set_role("root", "analyst", session_factory=f, viewer=ADMIN)
    with f() as s:
        assert s.scalar(select(Deal.team_id).where(Deal.key == "D1")) is not None


def test_every_permission_change_is_audited_with_who_and_what(teams):
    store, ben = teams
    f = store.session_factory
    barriers.add_member("Falcon", "al", session_factory=f, viewer=ben)
    barriers.set_private("deal", "D1", "Falcon", session_factory=f, viewer=ben)
    barriers.set_private("deal", "D1", None, session_factory=f, viewer=COMPLIANCE)
    barriers.remove_member("Falcon", "al", session_factory=f, viewer=ADMIN)
    barriers.add_restricted("TGT", session_factory=f, viewer=COMPLIANCE)
    barriers.remove_restricted("TGT", session_factory=f, viewer=COMPLIANCE)
    barriers.set_role("ben", "analyst", session_factory=f, viewer=ADMIN)
    assert _actions(store) == [
        ("ada", "user_add", "ben"), ("ben", "team_create", "Falcon"), ("ben", "team_member_add", "Falcon"),
        ("ben", "private_mark", "D1"), ("cora", "private_lift", "D1"), ("ada", "team_member_remove", "Falcon"),
        ("cora", "restricted_add", "C1"), ("cora", "restricted_remove", "C1"), ("ada", "user_role", "ben"),
    ]
    frame, total = search_audit(AuditQuery(actions=("private_mark", "private_lift")), session_factory=f,
                                viewer=COMPLIANCE)  # fmt: skip
    assert total == 2 and '"to_team": "Falcon"' in frame["details"].iloc[-1]


def test_a_private_upload_is_for_the_uploaders_team_only_and_the_same_text_stays_apart(teams):
    store, ben = teams
    f = store.session_factory
    secret = "The board approved the Falcon bid at 12x EBITDA."
    with pytest.raises(AccessDenied):
        ingest_text(secret, title="memo", session_factory=f, limits=LIMITS, user="bo", team="Falcon",
                    viewer=Viewer("bo", "banker"))  # fmt: skip
    private = ingest_text(secret, title="memo", session_factory=f, limits=LIMITS, user=ben.user, team="Falcon",
                          viewer=ben)  # fmt: skip
    public = ingest_text(secret, title="memo", session_factory=f, limits=LIMITS, user="al", viewer=Viewer("al"))
    assert private.team_id is not None and public.team_id is None and private.id != public.id and public.created
    assert len(list_documents(session_factory=f, viewer=Viewer("al"))) == 1
    assert len(list_documents(session_factory=f, viewer=ben)) == 2
    uploads = search_audit(AuditQuery(actions=("document_upload",)), session_factory=f, viewer=COMPLIANCE)[0]
    assert uploads["file_sha256"].str.len().tolist() == [64, 64]


def test_audit_trail_is_for_compliance_and_its_export_is_audited(teams):
    store, ben = teams
    f = store.session_factory
    with pytest.raises(AccessDenied):
        search_audit(AuditQuery(), session_factory=f, viewer=ADMIN)
    name, data = export_audit(AuditQuery(text="falcon"), "xlsx", session_factory=f, viewer=COMPLIANCE)
    sheet = load_workbook(io.BytesIO(data))["Audit trail"]
    assert "team_create" in [c for row in sheet.iter_rows(values_only=True) for c in row]
    _, csv = export_audit(AuditQuery(user="ben"), "csv", session_factory=f, viewer=COMPLIANCE)
    assert csv.decode().count("\n") == 2  # header + ben's team_create
    last = _actions(store)[-1]
    assert last[:2] == ("cora", "export") and last[2].endswith(".csv")
    with pytest.raises(WorkbenchError):
        export_audit(AuditQuery(), "pdf", session_factory=f, viewer=COMPLIANCE)


def test_the_audit_trail_refuses_updates_and_deletes_through_the_orm(teams):
    store, _ = teams
    with pytest.raises(AuditTrailIsAppendOnly):
        with store.session_factory.begin() as s:
            s.scalars(select(AuditEntry)).first().user = "someone-else"
    with pytest.raises(AuditTrailIsAppendOnly):
        with store.session_factory.begin() as s:
            s.delete(s.scalars(select(AuditEntry)).first())
    for statement in (update(AuditEntry).values(user="x"), delete(AuditEntry)):
        with pytest.raises(AuditTrailIsAppendOnly):
            with store.session_factory.begin() as s:
                s.execute(statement)
    with store.session_factory.begin() as s:  # appending still works
        audit.record(s, user="cora", action="note")
    assert _actions(store)[0] == ("ada", "user_add", "ben")


@pytest.mark.parametrize("sql", ["UPDATE audit_log SET user = 'x'", "DELETE FROM audit_log"])
def test_the_database_refuses_raw_sql_changes_to_the_audit_trail(teams, sql):
    store, _ = teams
    if store.backend == "postgresql":
        sql = sql.replace("user =", '"user" =')
    before = _actions(store)
    with pytest.raises(Exception, match="append-only"):
        with store.engine.begin() as conn:
            conn.execute(text(sql))
    assert _actions(store) == before


def test_a_team_with_private_rows_cannot_be_deleted(teams):
    store, ben = teams
    barriers.set_private("deal", "D1", "Falcon", session_factory=store.session_factory, viewer=ben)
    with pytest.raises(Exception):
        with store.session_factory.begin() as s:
            s.execute(delete(DealTeam))
