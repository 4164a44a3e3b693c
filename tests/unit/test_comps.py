"""Trading comparables: peer proposals and their reasons, peer sets, the comps table's numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select, update

from services.company_embeddings import embed_companies, load_company_vectors
from services.comps import (build_comps_table, company_metrics, explain_peers, load_peer_set, metric_stats,
                            propose_peers, save_peer_set)  # fmt: skip
from workbench.embeddings import HashingEmbedder
from workbench.errors import WorkbenchError
from workbench.models import AuditEntry, Company, CompanyEmbedding, PeerSet, RestrictedCompany

# key, ticker, sector, industry, sub-industry, country, region, market cap, revenue, ebitda, net debt, description
COMPANIES = [
    ("S", "SUBJ", "Industrials", "Machinery", "Farm Machinery", "United States", "North America", 5000.0, 4000.0,
     600.0, 1200.0, "Tractors and combine harvesters for farms."),
    ("A", "AAA", "Industrials", "Machinery", "Farm Machinery", "United States", "North America", 4000.0, 3500.0,
     500.0, 800.0, "Tractors, harvesters and farm equipment."),
    ("B", "BBB", "Industrials", "Machinery", "Construction Machinery", "Germany", "Europe", 6000.0, 5000.0,
     700.0, 900.0, "Excavators and cranes for building sites."),
    ("C", "CCC", "Industrials", "Airlines", "Airlines", "Japan", "Asia Pacific", 200.0, 900.0, -50.0, 300.0,
     "A regional airline flying domestic routes."),
    ("D", "DDD", "Utilities", "Electric Utilities", "Electric Utilities", "United States", "North America", 5200.0,
     3000.0, 900.0, 4000.0, "Regulated electricity distribution."),
    ("E", "EEE", "Industrials", "Machinery", "Farm Machinery", "Canada", "North America", 4800.0, 3900.0, 580.0,
     1000.0, "Tractors and combine harvesters for farms in Canada."),
]


@pytest.fixture
def store(sqlite_store):
    with sqlite_store.session_factory.begin() as s:
        for (key, ticker, sector, industry, sub, country, region, cap, rev, ebitda, net_debt, text) in COMPANIES:
            s.add(Company(key=key, name=f"{key} Corp", ticker=ticker, sector=sector, industry=industry,
                          sub_industry=sub, country=country, region=region, market_cap_usd_m=cap, revenue_usd_m=rev,
                          ebitda_usd_m=ebitda, net_debt_usd_m=net_debt, net_income_usd_m=rev * 0.05,
                          revenue_growth_pct=5.0, ebitda_margin_pct=ebitda / rev * 100,
                          pe_ratio=cap / (rev * 0.05), description=text, listing_status="listed"))  # fmt: skip
        s.add(Company(key="P", name="P Private", sector="Industrials", industry="Machinery", sub_industry="Farm Machinery",
                      revenue_usd_m=3800.0, listing_status="private", description="Tractors for farms."))  # fmt: skip
    return sqlite_store


def _ids(store) -> dict[str, int]:
    with store.session_factory() as s:
        return dict(s.execute(select(Company.key, Company.id)).all())


def test_proposal_ranks_same_sub_industry_and_size_first_and_says_why(store):
    embedder = HashingEmbedder(64)
    embed_companies(session_factory=store.session_factory, embedder=embedder)
    proposal = propose_peers("SUBJ", session_factory=store.session_factory, embedder=embedder, top=4)
    peers = proposal.peers
    assert set(peers["key"][:2]) == {"E", "A"}  # same sub-industry, size within 1.25x, similar words
    assert "D" not in set(peers["key"])  # another sector is only a fallback when the sector is thin
    first = peers.iloc[0]
    assert first["reason"].startswith("Same sub-industry (Farm Machinery)")
    by_key = peers.set_index("key")["reason"]
    assert "same region (North America)" in by_key["E"] and "same country (United States)" in by_key["A"]
    assert "market cap $4.0bn vs $5.0bn (0.8x)" in by_key["A"] and "description similarity" in by_key["A"]
    assert first["basis"] == "description + structure" and proposal.subject_embedded
    assert list(peers["rank"]) == [1, 2, 3, 4] and peers["score"].is_monotonic_decreasing
    assert 0 < first["score"] <= 100
    assert proposal.universe == 6 and proposal.candidates == 4  # listed, not the subject itself


def test_companies_not_embedded_fall_back_to_structure_and_say_so(store):
    embedder = HashingEmbedder(64)
    embed_companies(session_factory=store.session_factory, embedder=embedder)
    ids = _ids(store)
    with store.session_factory.begin() as s:
        s.execute(CompanyEmbedding.__table__.delete().where(CompanyEmbedding.company_id == ids["A"]))
    peers = propose_peers("SUBJ", session_factory=store.session_factory, embedder=embedder).peers.set_index("key")
    assert peers.loc["A", "basis"] == "structure only"
    assert "structure only: description not embedded yet" in peers.loc["A", "reason"]
    assert math.isnan(peers.loc["A", "part_description"])
    assert peers.loc["E", "basis"] == "description + structure"
    # Without any embedder at all the whole proposal is structure only, and says whose vector is missing.
    bare = propose_peers("SUBJ", session_factory=store.session_factory).peers
    assert set(bare["basis"]) == {"structure only"}
    assert all("S Corp has no description embedding yet" in r for r in bare["reason"])


def test_private_subject_is_sized_by_revenue(store):
    peers = propose_peers("P", session_factory=store.session_factory, top=3).peers
    assert peers.iloc[0]["reason"].count("revenue $") == 1
    assert set(peers["key"]) <= {"S", "A", "B", "C", "E"}


def test_embedding_reruns_only_for_changed_text(store):
    embedder = HashingEmbedder(32)
    first = embed_companies(session_factory=store.session_factory, embedder=embedder, batch_size=2)
    assert (first.total, first.embedded) == (7, 7)
    with store.session_factory.begin() as s:
        s.execute(update(Company).where(Company.key == "B").values(description="Cranes only."))
    again = embed_companies(session_factory=store.session_factory, embedder=embedder)
    assert (again.embedded, again.unchanged) == (1, 6)
    with store.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(CompanyEmbedding)) == 7
        vectors = load_company_vectors(s, _ids(store).values(), model_name=embedder.name, dimension=32)
    assert len(vectors) == 7 and all(v.dtype == np.float32 and v.shape == (32,) for v in vectors.values())


def test_metrics_follow_the_stated_definitions():
    frame = pd.DataFrame([{"market_cap_usd_m": 1000.0, "net_debt_usd_m": None, "total_debt_usd_m": 500.0,
                           "cash_usd_m": 100.0, "revenue_usd_m": 800.0, "ebitda_usd_m": 0.0,
                           "net_income_usd_m": 40.0, "ebitda_margin_pct": None}])  # fmt: skip
    out = company_metrics(frame).iloc[0]
    assert out["net_debt_usd_m"] == 400.0 and out["ev_usd_m"] == 1400.0
    assert out["ev_revenue"] == pytest.approx(1.75)
    assert math.isnan(out["ev_ebitda"]) and math.isnan(out["net_debt_to_ebitda"])  # no multiple of a zero EBITDA
    assert out["net_margin_pct"] == pytest.approx(5.0) and out["ebitda_margin_pct"] == 0.0


def test_statistics_ignore_blanks_and_use_linear_quartiles():
    stats = metric_stats(pd.Series([1.0, 2.0, np.nan, 3.0, 10.0]))
    assert stats == {"n": 4, "median": 2.5, "mean": 4.0, "q1": 1.75, "q3": 4.75, "low": 1.0, "high": 10.0}
    assert metric_stats(pd.Series([np.nan]))["n"] == 0


def test_comps_table_places_the_subject_against_the_peers_only(store):
    ids = _ids(store)
    table = build_comps_table("SUBJ", [ids["A"], ids["B"], ids["C"]], session_factory=store.session_factory)
    assert list(table.rows["role"]) == ["subject", "peer", "peer", "peer"]
    ev_ebitda = table.stats.set_index("metric").loc["ev_ebitda"]
    # A: (4000+800)/500 = 9.6, B: (6000+900)/700 = 9.857, C: negative EBITDA -> no multiple
    assert ev_ebitda["n"] == 2 and ev_ebitda["median"] == pytest.approx((9.6 + 6900 / 700) / 2)
    pos = table.position.set_index("metric").loc["ev_ebitda"]
    assert pos["subject"] == pytest.approx(6200 / 600)  # above both peers
    assert pos["percentile"] == 100.0 and pos["quartile"] == "top quartile"
    with pytest.raises(WorkbenchError, match="no peers"):
        build_comps_table("SUBJ", [ids["S"]], session_factory=store.session_factory)


def test_peer_set_saves_with_reasons_and_rejects_bad_input_whole(store):
    ids = _ids(store)
    added = explain_peers("SUBJ", [ids["B"]], session_factory=store.session_factory)
    assert added.iloc[0]["origin"] == "added" and "Same industry (Machinery)" in added.iloc[0]["reason"]
    with store.session_factory.begin() as s:
        s.add(RestrictedCompany(company_id=ids["B"], reason="mandate"))
    for bad, message in ([{"company_id": ids["S"]}], "its own peer"), ([{"company_id": ids["A"]}] * 2, "twice"), \
            ([{"company_id": 99_999}], "no company with id 99999"), ([], "at least one peer"):  # fmt: skip
        with pytest.raises(WorkbenchError, match=message):
            save_peer_set("SUBJ", bad, session_factory=store.session_factory, user="ann")
    with store.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(PeerSet)) == 0
    saved = save_peer_set("SUBJ", [{"company_id": ids["A"], "reason": "closest", "origin": "proposed"},
                                   {"company_id": ids["B"], "reason": None}], session_factory=store.session_factory,
                          user="ann")  # fmt: skip
    assert list(saved.peers["key"]) == ["A", "B"] and list(saved.peers["reason"]) == ["closest", "added by hand"]
    assert list(saved.peers["restricted"]) == [False, True] and saved.saved_by == "ann"
    # Saving again replaces the set; a peer deleted later is counted, not shown.
    save_peer_set("SUBJ", [{"company_id": ids["E"]}, {"company_id": ids["A"]}], session_factory=store.session_factory,
                  user="bob")  # fmt: skip
    with store.session_factory.begin() as s:
        s.execute(Company.__table__.delete().where(Company.id == ids["E"]))
    again = load_peer_set("SUBJ", session_factory=store.session_factory)
    assert again is not None and list(again.peers["key"]) == ["A"] and again.missing == 1 and again.saved_by == "bob"
    with store.session_factory() as s:
        audits = s.scalars(select(AuditEntry).where(AuditEntry.object_type == "peer_set")).all()
    assert [a.user for a in audits] == ["ann", "bob"] and audits[0].details["peers"] == ["A", "B"]


def test_unknown_or_ambiguous_company_is_a_clear_error(store):
    with pytest.raises(WorkbenchError, match="no company with ticker or key 'NOPE'"):
        propose_peers("NOPE", session_factory=store.session_factory)
    with pytest.raises(WorkbenchError, match="top must be"):
        propose_peers("SUBJ", session_factory=store.session_factory, top=0)
