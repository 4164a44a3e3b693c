"""Information barriers on the write paths: imports, alert rule scopes and watchlist names.

A private-side deal, document and watchlist of team A; a member of A, a non-member and
compliance. A non-member can neither overwrite a private row nor learn from a count or a
message that it exists; a member or compliance updates it and it stays private-side.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from services import alerts, watchlists
from services.barriers import set_private
from services.imports import ImportRejected, prepare_import, preview_import, run_import, source_from_bytes
from workbench.access import Viewer, load_viewer
from workbench.errors import WorkbenchError
from workbench.models import AlertEvent, AlertRule, Deal, DealTeam, Document, TeamMember, Watchlist

SECRET = "zebracorn"  # in every private row, nowhere public
DEALS = ("Deal ID,Deal Name,Deal Type,Announced Date,Deal Value\n"
         "D-PRIV,Overwritten name,ipo,2026-06-01,1\n"
         "D-NEW,A new deal,ipo,2026-06-02,10\n")  # fmt: skip
DOCUMENTS = "key,title,text\ndoc:priv,Overwritten title,Overwritten text.\ndoc:new,A new note,Some text.\n"
# kind -> (file, model, a column the file changes, the private row's key, the new row's key)
FILES = {"deals": (DEALS, Deal, "name", "D-PRIV", "D-NEW"),
         "documents": (DOCUMENTS, Document, "title", "doc:priv", "doc:new")}  # fmt: skip
HIDDEN = "key is in use by a record you cannot modify"


@pytest.fixture
def barrier(store):
    """(store, team id, member, outsider, compliance) over one private deal, document and watchlist."""
    with store.session_factory.begin() as s:
        team = DealTeam(name="Project Falcon")
        s.add(team)
        s.flush()
        s.add_all([
            TeamMember(team_id=team.id, user="mia"),
            Deal(key="D-PRIV", name=f"Project {SECRET}", deal_type="ma", status="pending",
                 announced_date=dt.date(2026, 6, 1), size_usd_m=777.0, team_id=team.id),
            Document(key="doc:priv", doc_type="other", title=f"{SECRET} memo", text=f"The {SECRET} bid.",
                     char_count=20, team_id=team.id),
            Watchlist(name=f"{SECRET} targets", team_id=team.id),
        ])  # fmt: skip
        team_id = team.id
    with store.session_factory() as s:
        member, outsider = load_viewer(s, "mia"), load_viewer(s, "olly")
    return store, team_id, member, outsider, Viewer("cora", "compliance")


def _stored(store, model, field):
    with store.session_factory() as s:
        return {r.key: (getattr(r, field), r.team_id) for r in s.scalars(select(model))}


@pytest.mark.parametrize("kind", list(FILES))
def test_an_outsiders_import_of_a_private_key_is_refused_and_its_preview_counts_no_update(barrier, kind):
    st, team_id, _, outsider, _ = barrier
    text, model, field, private_key, new_key = FILES[kind]
    source = source_from_bytes(f"{kind}.csv", text.encode())
    before = _stored(st, model, field)
    preview = preview_import(source, kind, session_factory=st.session_factory, viewer=outsider)
    assert (preview.new_rows, preview.updated_rows, preview.invalid_rows) == (1, 0, 1)
    assert [(e.row, e.reason) for e in preview.errors] == [(2, HIDDEN)]
    with pytest.raises(ImportRejected) as refused:
        run_import(source, kind, session_factory=st.session_factory, user=outsider.user, viewer=outsider)
    assert HIDDEN in str(refused.value) and SECRET not in str(refused.value).lower()
    assert _stored(st, model, field) == before  # the whole file was rejected
    result = run_import(source, kind, session_factory=st.session_factory, user=outsider.user, viewer=outsider,
                        skip_invalid=True)  # fmt: skip
    assert (result.inserted, result.updated, result.rejected) == (1, 0, 1)
    assert SECRET not in result.rejected_csv.decode().lower()
    after = _stored(st, model, field)
    assert after[private_key] == before[private_key]
    assert after[new_key][1] is None  # the new row is public


@pytest.mark.parametrize("kind", list(FILES))
def test_a_member_and_compliance_update_a_private_row_and_it_stays_private(barrier, kind):
    st, team_id, member, _, compliance = barrier
    text, model, field, private_key, new_key = FILES[kind]
    source = source_from_bytes(f"{kind}.csv", text.encode())
    for viewer, new in ((member, 1), (compliance, 0)):  # compliance runs the same file again
        prepared = prepare_import(source, kind, session_factory=st.session_factory, viewer=viewer)
        assert (prepared.preview.new_rows, prepared.preview.updated_rows, prepared.preview.invalid_rows) == (
            new, 2 - new, 0), viewer  # fmt: skip
        result = run_import(source, kind, session_factory=st.session_factory, user=viewer.user, viewer=viewer,
                            prepared=prepared)  # fmt: skip
        assert (result.inserted, result.updated) == (new, 2 - new)
        stored = _stored(st, model, field)
        assert stored[private_key] == (f"Overwritten {field}", team_id)
        assert stored[new_key][1] is None  # a new row is public


def test_a_row_made_private_after_the_preview_is_not_written(barrier):
    st, _, member, outsider, _ = barrier
    with st.session_factory.begin() as s:
        s.add(Deal(key="D-PUB", name="Public deal", deal_type="ipo", status="completed"))
    source = source_from_bytes("d.csv", b"Deal ID,Deal Name,Deal Type\nD-PUB,Renamed,ipo\n")
    prepared = prepare_import(source, "deals", session_factory=st.session_factory, viewer=outsider)
    assert prepared.preview.updated_rows == 1
    set_private("deal", "D-PUB", "Project Falcon", session_factory=st.session_factory,
                viewer=Viewer("mia", "banker", member.teams))  # fmt: skip
    with pytest.raises(WorkbenchError, match="the store changed while importing"):
        run_import(source, "deals", session_factory=st.session_factory, user=outsider.user, viewer=outsider,
                   prepared=prepared)  # fmt: skip
    assert _stored(st, Deal, "name")["D-PUB"][0] == "Public deal"


def test_cli_import_applies_the_user_option(barrier, tmp_path, monkeypatch):
    st, team_id, *_ = barrier
    from workbench import cli
    from workbench.config import get_settings

    monkeypatch.setattr(cli, "open_store", lambda: st.session_factory)
    monkeypatch.setenv("WORKBENCH_EMBEDDER", "hashing")  # a deals import updates the index: no model here
    get_settings.cache_clear()
    path = tmp_path / "deals.csv"
    path.write_text(DEALS, encoding="utf-8")
    runner = CliRunner()
    refused = runner.invoke(cli.app, ["--user", "olly", "import", "deals", str(path)])
    said = " ".join(refused.output.split())  # the console wraps long lines
    assert refused.exit_code == 1 and HIDDEN in said and "(1 new, 0 updates), 1 invalid" in said
    assert SECRET not in said.lower()
    done = runner.invoke(cli.app, ["--user", "mia", "import", "deals", str(path)])
    assert done.exit_code == 0, done.output
    assert "(1 new, 1 updated)" in " ".join(done.output.split())
    assert _stored(st, Deal, "name")["D-PRIV"] == ("Overwritten name", team_id)


def test_an_alert_rule_on_a_hidden_watchlist_is_refused_like_a_missing_one(barrier, monkeypatch):
    st, _, member, outsider, _ = barrier
    with st.session_factory() as s:
        list_id = s.scalar(select(Watchlist.id).where(Watchlist.team_id.is_not(None)))
    sf = st.session_factory
    for value in (str(list_id), f"{SECRET} targets"):
        with pytest.raises(alerts.AlertRuleError, match=r"^no watchlist named '.*'$"):
            alerts.create_rule("r", "high_52w", {}, session_factory=sf, user=outsider.user, scope_type="watchlist",
                               scope_value=value, viewer=outsider)  # fmt: skip
    with pytest.raises(alerts.AlertRuleError, match="no watchlist named"):  # the default viewer fails closed
        alerts.create_rule("r", "high_52w", {}, session_factory=sf, user="x", scope_type="watchlist",
                           scope_value=str(list_id))  # fmt: skip
    from workbench import cli

    monkeypatch.setattr(cli, "open_store", lambda: sf)
    args = ["alerts", "add-rule", "Falcon highs", "--type", "high_52w", "--scope", "watchlist",
            "--scope-value", str(list_id)]  # fmt: skip
    refused = CliRunner().invoke(cli.app, ["--user", "olly", *args])
    assert refused.exit_code != 0 and "no watchlist named" in str(refused.exception) + refused.output
    with sf() as s:
        assert s.scalar(select(AlertRule.id)) is None
    done = CliRunner().invoke(cli.app, ["--user", "mia", *args])
    assert done.exit_code == 0, done.output
    assert [r.scope_value for r in alerts.list_rules(session_factory=sf, viewer=member)] == [str(list_id)]


def test_a_hidden_watchlists_name_is_refused_without_confirming_the_list(barrier):
    st, _, member, outsider, _ = barrier
    sf, name = st.session_factory, f"{SECRET} targets"
    with pytest.raises(WorkbenchError) as hidden:
        watchlists.create_watchlist(name, session_factory=sf, user=outsider.user, viewer=outsider)
    assert "cannot be used" in str(hidden.value) and "exists" not in str(hidden.value)
    mine = watchlists.create_watchlist("Mine", session_factory=sf, user=outsider.user, viewer=outsider)
    with pytest.raises(WorkbenchError, match="cannot be used"):
        watchlists.rename_watchlist(mine.id, name, session_factory=sf, user=outsider.user, viewer=outsider)
    with pytest.raises(WorkbenchError, match="already exists"):  # the team sees its own list
        watchlists.create_watchlist(name, session_factory=sf, user=member.user, viewer=member)


def test_an_outsider_cannot_disable_or_delete_a_rule_on_a_hidden_watchlist(barrier):
    st, _, member, outsider, _ = barrier
    sf = st.session_factory
    with sf() as s:
        list_id = s.scalar(select(Watchlist.id).where(Watchlist.team_id.is_not(None)))
    rule = alerts.create_rule("Falcon highs", "high_52w", {}, session_factory=sf, user=member.user,
                              scope_type="watchlist", scope_value=str(list_id), viewer=member)  # fmt: skip
    for act in (lambda v: alerts.set_rule_enabled(rule.id, False, session_factory=sf, user=v.user, viewer=v),
                lambda v: alerts.delete_rule(rule.id, session_factory=sf, user=v.user, viewer=v)):  # fmt: skip
        with pytest.raises(alerts.AlertRuleError, match=f"^no alert rule with id {rule.id}$"):
            act(outsider)
    with sf() as s:
        assert s.get(AlertRule, rule.id).enabled is True
    alerts.set_rule_enabled(rule.id, False, session_factory=sf, user=member.user, viewer=member)
    alerts.delete_rule(rule.id, session_factory=sf, user=member.user, viewer=member)
    with sf() as s:
        assert s.get(AlertRule, rule.id) is None


def test_a_hidden_rules_name_is_refused_without_confirming_the_rule(barrier):
    st, _, member, outsider, _ = barrier
    sf = st.session_factory
    with sf() as s:
        list_id = s.scalar(select(Watchlist.id).where(Watchlist.team_id.is_not(None)))
    alerts.create_rule(f"{SECRET} highs", "high_52w", {}, session_factory=sf, user=member.user,
                       scope_type="watchlist", scope_value=str(list_id), viewer=member)  # fmt: skip
    with pytest.raises(alerts.AlertRuleError) as hidden:
        alerts.create_rule(f"{SECRET} highs", "new_deal", {}, session_factory=sf, user=outsider.user,
                           viewer=outsider)  # fmt: skip
    assert "cannot be used" in str(hidden.value) and "exists" not in str(hidden.value)
    with pytest.raises(alerts.AlertRuleError, match="already exists"):  # the team sees its own rule
        alerts.create_rule(f"{SECRET} highs", "new_deal", {}, session_factory=sf, user=member.user,
                           viewer=member)  # fmt: skip
    with sf() as s:
        assert s.scalar(select(func.count()).select_from(AlertRule)) == 1


def test_an_alert_run_summary_counts_only_what_its_viewer_may_see(barrier):
    st, _, member, outsider, _ = barrier
    sf = st.session_factory
    with sf() as s:
        list_id = s.scalar(select(Watchlist.id).where(Watchlist.team_id.is_not(None)))
    alerts.create_rule("New M&A", "new_deal", {"deal_types": ["ma"], "lookback_days": 7},
                       session_factory=sf, user="ops", viewer=outsider)  # fmt: skip
    alerts.create_rule("Falcon highs", "high_52w", {}, session_factory=sf, user=member.user,
                       scope_type="watchlist", scope_value=str(list_id), viewer=member)  # fmt: skip
    day = dt.date(2026, 6, 3)

    seen = alerts.run_alerts(session_factory=sf, as_of=day, user=outsider.user, viewer=outsider)
    assert [(o.rule_name, o.matched, o.new_events) for o in seen.rules] == [("New M&A", 0, 0)]
    assert not any(SECRET in line for line in seen.lines())
    with sf() as s:  # the event on the private deal was written all the same, for its team
        assert s.scalar(select(func.count()).select_from(AlertEvent)) == 1

    again = alerts.run_alerts(session_factory=sf, as_of=day, user=member.user, viewer=member)
    assert [(o.rule_name, o.matched, o.new_events) for o in again.rules] == [("New M&A", 1, 0), ("Falcon highs", 0, 0)]
