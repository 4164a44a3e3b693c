"""Information barriers through every service that reads deals, documents, watchlists or alerts.

One small store: a public deal and a private-side deal of team A, a public and a private
document, a public and a private watchlist, alert events on each. Three viewers: a member
of A, a non-member and compliance. Every reader below must show the private rows to the
member and compliance and never to the non-member: not in rows, counts, exports, keyword
hits or alerts. A new reader is one more entry in READERS.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from services import alerts, browse, documents, market, overview, precedents, watchlists
from services.precedents_export import export_precedents_to_excel
from services.screening import parse_spec, run_screen
from services.targeting_export import build_screen_workbook
from workbench.access import Viewer, load_viewer
from workbench.embeddings import HashingEmbedder
from workbench.errors import WorkbenchError
from workbench.models import (AlertEvent, AlertRule, Company, Deal, DealParty, DealTeam, Document,
                              RestrictedCompany, TeamMember, Watchlist, WatchlistItem)  # fmt: skip

DAY = dt.date(2026, 6, 1)
SECRET = "zebracorn"  # in every private row's text, nowhere public
PUBLIC_WORD = "pipeline"


@pytest.fixture
def barrier(store):
    """The store with its private rows; returns (store, ids, member, outsider, compliance)."""
    with store.session_factory.begin() as s:
        team = DealTeam(name="Project Falcon")
        s.add(team)
        s.flush()
        s.add(TeamMember(team_id=team.id, user="mia"))
        buyer = Company(key="C-BUY", name="Buyer Corp", ticker="BUY", sector="Energy", market_cap_usd_m=900.0)
        target = Company(key="C-TGT", name="Target Corp", ticker="TGT", sector="Energy", market_cap_usd_m=500.0)
        s.add_all([buyer, target])
        s.flush()
        public = Deal(key="D-PUB", name="Buyer buys pipeline assets", deal_type="ma", status="completed",
                      announced_date=DAY, size_usd_m=100.0, sector="Energy", region="Europe",
                      description="A pipeline acquisition in Europe.")  # fmt: skip
        private = Deal(key="D-PRIV", name=f"Project {SECRET} take-private", deal_type="ma", status="pending",
                       announced_date=DAY, size_usd_m=777.0, sector="Aerospace", region="Asia", ev_ebitda=42.0,
                       description=f"Confidential {SECRET} pipeline take-private of Target Corp.", team_id=team.id)
        s.add_all([public, private])
        s.flush()
        s.add_all([DealParty(deal_id=public.id, role="acquirer", name="Buyer Corp", company_id=buyer.id),
                   DealParty(deal_id=public.id, role="advisor", name="Open Bank"),
                   DealParty(deal_id=private.id, role="target", name="Target Corp", company_id=target.id),
                   DealParty(deal_id=private.id, role="advisor", name=f"{SECRET} Bank")])  # fmt: skip
        pub_doc = Document(key="doc:pub", company_id=target.id, doc_type="other", title="Public pipeline note",
                           doc_date=DAY, text="The pipeline grew revenue by ten percent.", char_count=40)
        priv_doc = Document(key="doc:priv", company_id=target.id, doc_type="other", title=f"{SECRET} board memo",
                            doc_date=DAY, text=f"The {SECRET} bid values Target Corp at 12x EBITDA.", char_count=45,
                            team_id=team.id)  # fmt: skip
        pub_wl = Watchlist(name="Energy names")
        priv_wl = Watchlist(name=f"{SECRET} targets", team_id=team.id)
        s.add_all([pub_doc, priv_doc, pub_wl, priv_wl])
        s.flush()
        s.add_all([WatchlistItem(watchlist_id=pub_wl.id, company_id=buyer.id),
                   WatchlistItem(watchlist_id=priv_wl.id, company_id=target.id, note=f"{SECRET} approach")])
        everything = AlertRule(name="New deals", rule_type="new_deal", params={})
        on_private = AlertRule(name=f"{SECRET} list moves", rule_type="price_move", params={},
                               scope_type="watchlist", scope_value=str(priv_wl.id))  # fmt: skip
        s.add_all([everything, on_private])
        s.flush()
        s.add_all([
            AlertEvent(rule_id=everything.id, deal_id=public.id, dedupe_key="e1", as_of=DAY, reason="public deal"),
            AlertEvent(rule_id=everything.id, deal_id=private.id, dedupe_key="e2", as_of=DAY,
                       reason=f"{SECRET} deal announced"),
            AlertEvent(rule_id=everything.id, document_id=priv_doc.id, dedupe_key="e3", as_of=DAY,
                       reason=f"{SECRET} memo filed"),
            AlertEvent(rule_id=on_private.id, company_id=target.id, dedupe_key="e4", as_of=DAY,
                       reason=f"{SECRET} watch: Target Corp moved"),
        ])  # fmt: skip
        ids = {"team": team.id, "private_deal": private.id, "private_doc": priv_doc.id, "public_doc": pub_doc.id,
               "private_wl": priv_wl.id, "public_wl": pub_wl.id, "target": target.id}  # fmt: skip
    with store.session_factory() as s:
        member = load_viewer(s, "mia")
        outsider = load_viewer(s, "olly")
    return store, ids, member, outsider, Viewer("cora", "compliance")


def _frame(df: pd.DataFrame) -> str:
    return df.to_csv(index=False)


def _engine(tmp_path):
    return precedents.PrecedentEngine(folder=tmp_path / "index", approximate_from=1000)


def _or_not_found(call: Callable[[], str]) -> str:
    try:
        return call()
    except WorkbenchError as exc:
        assert SECRET not in str(exc)  # a refusal never names the hidden row
        return ""


def _overview(st, ids, v, tmp_path):
    ov = overview.store_overview(session_factory=st.session_factory, viewer=v)
    counts = f"deals={ov.deals} documents={ov.documents} watchlists={ov.watchlists} alerts={ov.open_alerts}"
    secret = SECRET if (ov.deals, ov.documents, ov.watchlists, ov.open_alerts) == (2, 2, 2, 4) else ""
    assert secret or (ov.deals, ov.documents, ov.watchlists, ov.open_alerts) == (1, 1, 1, 1)
    return counts + secret + _frame(ov.latest_deals) + _frame(ov.quarterly_volume) + str(ov.deals_by_type)


def _browse(table: str):
    def read(st, ids, v, tmp_path):
        frame, total = browse.browse_table(st.session_factory, table, viewer=v, limit=100)
        assert total == len(frame)
        text = _frame(frame) + browse.export_table_csv(st.session_factory, table, user=v.user, viewer=v).decode()
        # Rows that only point at a private or public row by id are marked by what they point at.
        for column, private_id in (("deal_id", ids["private_deal"]), ("watchlist_id", ids["private_wl"])):
            if column in frame:
                text += SECRET if private_id in set(frame[column]) else ""
                text += PUBLIC_WORD if (set(frame[column]) - {private_id}) else ""
        return text + (SECRET if "Project Falcon" in set(frame.get("name", ())) else "")
    return read


def _precedent_search(st, ids, v, tmp_path):
    result = precedents.search_precedents(precedents.PrecedentQuery(text=f"{SECRET} pipeline take-private", top=10),
                                          session_factory=st.session_factory, embedder=HashingEmbedder(64),
                                          engine=_engine(tmp_path), viewer=v)  # fmt: skip
    assert result.universe == (2 if v.may_see_team(ids["team"]) else 1)
    table = precedents.multiples_table(result.hits)
    return (_frame(result.hits.drop(columns=["highlighted"])) + _frame(table)
            + "".join(precedents.explanation_frame(h).to_csv() for h in result.hits.to_dict("records")))


def _precedent_like(st, ids, v, tmp_path):
    return _or_not_found(lambda: _frame(precedents.search_precedents(
        precedents.PrecedentQuery(deal_key="D-PRIV", top=5), session_factory=st.session_factory,
        embedder=HashingEmbedder(64), engine=_engine(tmp_path), viewer=v).hits) + SECRET)  # fmt: skip


def _precedent_export(st, ids, v, tmp_path):
    chosen = precedents.deals_by_keys(["D-PUB", "D-PRIV"], session_factory=st.session_factory, viewer=v)
    result = precedents.search_precedents(precedents.PrecedentQuery(text="pipeline", top=5),
                                          session_factory=st.session_factory, embedder=HashingEmbedder(64),
                                          engine=_engine(tmp_path), viewer=v)  # fmt: skip
    book = load_workbook(io.BytesIO(export_precedents_to_excel(result, chosen, session_factory=st.session_factory,
                                                               user=v.user, viewer=v).data))  # fmt: skip
    text = " ".join(str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row)
    forced = _or_not_found(lambda: str(export_precedents_to_excel(
        result, pd.concat([chosen, pd.DataFrame([{"key": "D-PRIV", "name": "x", "deal_type": "ma"}])]),
        session_factory=st.session_factory, user=v.user, viewer=v).row_count) + SECRET)  # fmt: skip
    return text.lower() + forced


def _precedent_pickers(st, ids, v, tmp_path):
    options = precedents.filter_options(session_factory=st.session_factory, viewer=v)
    choices = precedents.deal_choices(session_factory=st.session_factory, viewer=v)
    return str(options).replace("Aerospace", SECRET) + _frame(choices)


def _documents(st, ids, v, tmp_path):
    listed = _frame(documents.list_documents(session_factory=st.session_factory, viewer=v))
    got = _or_not_found(lambda: documents.get_document(ids["private_doc"], session_factory=st.session_factory,
                                                       viewer=v)[1])  # fmt: skip
    summary = _or_not_found(lambda: str(documents.summarize_document(
        ids["private_doc"], session_factory=st.session_factory, embedder=HashingEmbedder(64), viewer=v)))
    answer = documents.answer_question(f"What does the {SECRET} bid value?", session_factory=st.session_factory,
                                       embedder=HashingEmbedder(64), company="TGT", min_evidence=0.0, viewer=v)
    return listed + got + summary + str(answer.citations)


def _market(st, ids, v, tmp_path):
    start, end = DAY - dt.timedelta(days=30), DAY + dt.timedelta(days=1)
    flow = market.deal_flow(session_factory=st.session_factory, start=start, end=end, viewer=v)
    volume = market.issuance_volume(session_factory=st.session_factory, start=start, end=end, viewer=v)
    league = market.league_table(session_factory=st.session_factory, role="advisor", start=start, end=end, viewer=v)
    choices = market.deal_filter_choices(session_factory=st.session_factory, viewer=v)
    private_list = market.watchlist_table(ids["private_wl"], session_factory=st.session_factory, viewer=v)
    return (_frame(flow) + _frame(volume).replace("777.0", SECRET) + _frame(league)
            + str(choices).replace("Aerospace", SECRET) + _frame(private_list).replace("Target Corp", SECRET))


def _watchlists(st, ids, v, tmp_path):
    lists = watchlists.list_watchlists(session_factory=st.session_factory, viewer=v)
    items = _or_not_found(lambda: str(watchlists.watchlist_company_ids(
        ids["private_wl"], session_factory=st.session_factory, viewer=v)) + SECRET)
    return str(lists) + items


def _alerts(st, ids, v, tmp_path):
    events = alerts.list_events(session_factory=st.session_factory, viewer=v)
    rules = alerts.list_rules(session_factory=st.session_factory, viewer=v)
    return _frame(events) + str(rules) + str(alerts.latest_event_date(session_factory=st.session_factory, viewer=v))


READERS = {
    "overview": _overview,
    **{f"browse {t}": _browse(t) for t in ("deals", "deal_parties", "documents", "watchlists", "watchlist_items",
                                           "alert_events", "alert_rules", "deal_embeddings", "deal_teams",
                                           "document_summaries")},
    "precedents search": _precedent_search,
    "precedents more-like a hidden deal": _precedent_like,
    "precedents export": _precedent_export,
    "precedents pickers": _precedent_pickers,
    "documents": _documents,
    "market": _market,
    "watchlists": _watchlists,
    "alerts": _alerts,
}
PUBLIC_MARKERS = {"browse deal_parties": "Open Bank", "browse watchlists": "Energy names",
                  "browse alert_events": "public deal", "browse alert_rules": "New deals", "browse deal_teams": "",
                  "precedents more-like a hidden deal": "", "watchlists": "Energy names",
                  "alerts": "public deal"}  # fmt: skip


@pytest.mark.parametrize("name", list(READERS))
def test_private_rows_are_seen_by_the_team_and_compliance_only(barrier, tmp_path, name):
    st, ids, member, outsider, compliance = barrier
    if name == "browse deal_embeddings":  # vectors exist once the precedents index ran
        precedents.search_precedents(precedents.PrecedentQuery(text="x"), session_factory=st.session_factory,
                                     embedder=HashingEmbedder(64), engine=_engine(tmp_path / "warm"))  # fmt: skip
    if name == "browse document_summaries":  # summaries are stored once someone has read them
        documents.clear_summary_caches()  # the same texts on the other store were summarised in this process
        for doc in ("private_doc", "public_doc"):
            documents.summarize_document(ids[doc], session_factory=st.session_factory, embedder=HashingEmbedder(64),
                                         viewer=member)  # fmt: skip
    reader = READERS[name]
    public = PUBLIC_MARKERS.get(name, PUBLIC_WORD)
    for viewer in (member, compliance):
        seen = reader(st, ids, viewer, tmp_path / viewer.user).lower()
        assert SECRET in seen, (name, viewer)
        assert public.lower() in seen, (name, viewer)
    hidden = reader(st, ids, outsider, tmp_path / "outsider").lower()
    assert SECRET not in hidden, name
    assert "project falcon" not in hidden, name
    assert public.lower() in hidden, name


def test_the_public_default_viewer_sees_public_rows_only(barrier):
    st, *_ = barrier
    flow = market.deal_flow(session_factory=st.session_factory)  # no viewer passed: fails closed
    assert list(flow["name"]) == ["Buyer buys pipeline assets"]


def test_keyword_scores_of_visible_deals_ignore_hidden_deals_text(barrier, tmp_path):
    st, _, _, outsider, compliance = barrier
    query = precedents.PrecedentQuery(text="pipeline acquisition", top=5, weights=precedents.FusionWeights(text=0))
    seen = precedents.search_precedents(query, session_factory=st.session_factory, embedder=HashingEmbedder(64),
                                        engine=_engine(tmp_path), viewer=outsider)  # fmt: skip
    with st.session_factory() as s:
        catalog = precedents.load_catalog(s)
    alone = precedents.Corpus.from_frame(catalog[catalog["key"] == "D-PUB"].copy(), None)
    expected = precedents.rank_precedents(alone, query, None)
    assert np.allclose(seen.hits["bm25"].to_numpy(), expected.hits["bm25"].to_numpy())
    everyone = precedents.search_precedents(query, session_factory=st.session_factory, embedder=HashingEmbedder(64),
                                            engine=_engine(tmp_path), viewer=compliance)  # fmt: skip
    public_for_all = everyone.hits.set_index("key").loc["D-PUB", "bm25"]
    assert public_for_all != pytest.approx(float(seen.hits["bm25"].iat[0]))  # the hidden deal did count there


def test_a_private_deal_does_not_change_anyones_screen(barrier):
    st, ids, member, *_ = barrier
    spec = parse_spec({"name": "Energy", "filters": {"combine": "and", "conditions": [
        {"field": "sector", "op": "=", "value": "Energy"}]}})
    result = run_screen(spec, session_factory=st.session_factory, as_of=DAY + dt.timedelta(days=10),
                        user=member.user)  # fmt: skip
    row = result.rows.set_index("key")
    with st.session_factory() as s:
        from services.screening import build_feature_frame

        frame = build_feature_frame(s, DAY + dt.timedelta(days=10))
    target = int(np.flatnonzero(frame.ids == ids["target"])[0])
    assert np.isnan(frame.num("days_since_acquired")[target])  # its only deal is private-side
    buyer = int(np.flatnonzero(frame.ids != ids["target"])[0])
    assert frame.num("days_since_last_acquisition")[buyer] == 10  # public deals count as before
    assert not row.loc["C-TGT", "restricted"]


def test_restricted_companies_are_flagged_in_screens_and_their_export(barrier):
    st, ids, member, *_ = barrier
    with st.session_factory.begin() as s:
        s.add(RestrictedCompany(company_id=ids["target"], reason="mandate"))
    spec = parse_spec({"name": "Energy", "filters": {"combine": "and", "conditions": [
        {"field": "sector", "op": "=", "value": "Energy"}]}})
    result = run_screen(spec, session_factory=st.session_factory, as_of=DAY, user=member.user)
    flags = dict(zip(result.rows["key"], result.rows["restricted"], strict=True))
    assert flags == {"C-TGT": True, "C-BUY": False}
    book = load_workbook(io.BytesIO(build_screen_workbook(result, run_by=member.user)))
    cells = [c for row in book["Ranked"].iter_rows(values_only=True) for c in row]
    assert "RESTRICTED" in cells and "Restricted list" in cells


def test_precedent_hits_with_a_restricted_party_are_flagged(barrier, tmp_path):
    st, ids, member, *_ = barrier
    with st.session_factory.begin() as s:
        s.add(RestrictedCompany(company_id=ids["target"]))
    hits = precedents.search_precedents(precedents.PrecedentQuery(text="take-private", top=5),
                                        session_factory=st.session_factory, embedder=HashingEmbedder(64),
                                        engine=_engine(tmp_path), viewer=member).hits  # fmt: skip
    assert dict(zip(hits["key"], hits["restricted"], strict=True)) == {"D-PRIV": True, "D-PUB": False}


def test_making_a_deal_private_hides_it_from_a_cached_corpus_at_once(barrier, tmp_path):
    st, ids, member, outsider, _ = barrier
    engine = _engine(tmp_path)

    def keys(viewer: Viewer) -> set[str]:
        return set(precedents.search_precedents(precedents.PrecedentQuery(text="pipeline", top=5),
                                                session_factory=st.session_factory, embedder=HashingEmbedder(64),
                                                engine=engine, viewer=viewer).hits["key"])  # fmt: skip

    assert keys(outsider) == {"D-PUB"}
    from services.barriers import set_private

    set_private("deal", "D-PUB", "Project Falcon", session_factory=st.session_factory,
                viewer=Viewer("mia", "banker", member.teams))
    assert keys(outsider) == set()
    assert keys(member) == {"D-PUB", "D-PRIV"}


def test_cli_user_option_applies_the_barriers(barrier, monkeypatch):
    st, *_ = barrier
    from workbench import cli

    monkeypatch.setattr(cli, "open_store", lambda: st.session_factory)  # the test's store, on either backend
    app = cli.app
    runner = CliRunner()
    hidden = runner.invoke(app, ["--user", "olly", "alerts", "list"])
    seen = runner.invoke(app, ["--user", "mia", "alerts", "list"])
    assert hidden.exit_code == 0 and seen.exit_code == 0, hidden.output + seen.output
    assert SECRET not in hidden.output and "public deal" in hidden.output
    assert SECRET in seen.output
