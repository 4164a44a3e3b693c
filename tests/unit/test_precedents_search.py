"""Hybrid precedent search: filters, fusion, explanations, more-like-this, the precedent set."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from precedent_store import add_deals

from services.precedents import (PARTS, BatchFailure, FusionWeights, PrecedentEngine, PrecedentFilters,
                                 PrecedentQuery, deals_by_keys, explanation_frame, filter_mask, multiples_table,
                                 precedent_set, query_from_json, result_json_line, search_batch,
                                 search_precedents)
from workbench.embeddings import HashingEmbedder
from workbench.errors import WorkbenchError
from workbench.models import Deal
from sqlalchemy import select

HOSTILE = ["'; DROP TABLE deals; --", "Robert'); DELETE FROM deals;--", "%", "_", ".*", "\\", "\x00", "<script>"]


@pytest.fixture
def searcher(sqlite_store, tmp_path):
    factory = sqlite_store.session_factory
    add_deals(factory)
    engine = PrecedentEngine(folder=tmp_path / "index", approximate_from=1000)
    embedder = HashingEmbedder(256)

    def search(**kw):
        return search_precedents(PrecedentQuery(**kw), session_factory=factory, embedder=embedder, engine=engine)

    search.factory, search.engine, search.embedder = factory, engine, embedder
    return search


def test_text_query_ranks_the_matching_deals_first_with_score_parts(searcher):
    result = searcher(text="sponsor carve-out specialty chemicals", top=3)
    hits = result.hits
    assert hits["key"].iat[0] == "D1"
    assert "D2" in set(hits["key"])
    first = hits.iloc[0]
    assert first["part_text"] > 0 and first["part_keywords"] > 0
    assert first["score"] == pytest.approx(sum(first[f"part_{p}"] for p in PARTS))
    assert "specialty" in first["matched_words"] and "**specialty chemicals**" in first["highlighted"]


def test_rrf_parts_are_weight_over_k_plus_rank(searcher):
    w = FusionWeights(text=0.0, keywords=2.0, sector=0.0, size=0.0, recency=0.0, rrf_k=10.0)
    hits = searcher(text="EchoSign", weights=w, top=5).hits
    assert hits["key"].iat[0] == "D3"
    assert hits["part_keywords"].iat[0] == pytest.approx(2.0 / (10.0 + 1))
    assert hits["match_pct"].iat[0] == pytest.approx(100.0)


def test_exact_name_is_found_by_keywords_even_when_vectors_disagree(searcher):
    w = FusionWeights(text=1.0, keywords=1.0)
    assert searcher(text="EchoSign", weights=w, top=1).hits["key"].iat[0] == "D3"


def test_filters_restrict_hits(searcher):
    f = PrecedentFilters(deal_types=("M&A",), sectors=("materials",), size_min=1500.0)
    hits = searcher(text="chemicals", filters=f).hits
    assert list(hits["key"]) == ["D2"]
    f = PrecedentFilters(regions=("Europe",), date_from=dt.date(2024, 1, 1))
    assert set(searcher(text="chemicals bond", filters=f).hits["key"]) == {"D1", "D4"}
    f = PrecedentFilters(statuses=("pending",))
    assert list(searcher(text="merger", filters=f).hits["key"]) == ["D6"]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_filter_values_and_queries_match_nothing_and_harm_nothing(searcher, hostile):
    result = searcher(text=hostile + " chemicals", filters=PrecedentFilters(sectors=(hostile,), regions=(hostile,)))
    assert result.hits.empty and result.matched == 0
    searcher(text=hostile, top=10)  # a hostile query text is only words to look for
    with searcher.factory() as s:
        assert len(s.scalars(select(Deal)).all()) == 6


@pytest.mark.parametrize("bad", [dict(deal_types=("swap'; --",)), dict(statuses=("closed",)),
                                 dict(size_min=10.0, size_max=5.0), dict(size_min=-1.0),
                                 dict(date_from=dt.date(2025, 1, 1), date_to=dt.date(2024, 1, 1))])
def test_bad_filters_are_rejected_with_a_clear_message(searcher, bad):
    with pytest.raises(WorkbenchError):
        searcher(text="chemicals", filters=PrecedentFilters(**bad))


@pytest.mark.parametrize("bad", [dict(text=""), dict(text="x", top=0), dict(text="x", top=10_000),
                                 dict(text="x", weights=FusionWeights(text=0, keywords=0, sector=0, size=0, recency=0)),
                                 dict(text="x", weights=FusionWeights(text=0, keywords=0, sector=0, size=0, recency=0,
                                                                      multiples=0), target_ev_ebitda=10.0),
                                 dict(text="x", target_ev_ebitda=0.0), dict(text="x", target_ev_revenue=-2.0),
                                 dict(text="x", target_ev_ebitda=float("nan")),
                                 dict(text="x", weights=FusionWeights(text=-1.0)), dict(text="x" * 6000),
                                 dict(deal_key="NOPE")])
def test_bad_queries_are_rejected_with_a_clear_message(searcher, bad):
    with pytest.raises(WorkbenchError):
        searcher(**bad)


def test_more_like_this_deal_excludes_it_and_favours_its_sector_and_size(searcher):
    result = searcher(deal_key="D1", top=5)
    hits = result.hits.set_index("key")
    assert "D1" not in hits.index and set(hits.index[:2]) == {"D2", "D5"}  # the other Materials deals
    assert hits.loc["D2", "part_sector"] > 0 and hits.loc["D3", "part_sector"] == 0
    assert hits.loc["D4", "part_size"] > hits.loc["D6", "part_size"]  # $750m is nearer $1bn than $12bn
    assert result.reference["key"] == "D1"


def test_excluded_keys_never_come_back(searcher):
    keys = list(searcher(text="specialty chemicals", exclude_keys=("D1", "D2")).hits["key"])
    assert "D1" not in keys and "D2" not in keys and "D5" in keys


def test_engine_sees_new_deals_without_a_restart(searcher):
    searcher(text="chemicals")
    add_deals(searcher.factory, [dict(key="D9", name="Zirconium mining deal", deal_type="ma",
                                      description="Zirconium sands miner acquired.")])
    assert searcher(text="zirconium", top=1).hits["key"].iat[0] == "D9"


def test_batch_search_runs_many_queries_with_one_refresh(searcher):
    qs = [query_from_json({"text": "EchoSign"}), query_from_json({"text": "chemicals", "exclude": "D1", "top": 2})]
    results = search_batch(qs, session_factory=searcher.factory, embedder=searcher.embedder, engine=searcher.engine)
    assert results[0].hits["key"].iat[0] == "D3"
    assert "D1" not in set(results[1].hits["key"]) and len(results[1].hits) == 2
    import json

    line = json.loads(result_json_line(results[0]))
    hit = line["hits"][0]
    assert hit["key"] == "D3" and hit["name"] == "EchoSign acquisition"
    assert set(hit["parts"]) == {"text", "keywords", "sector", "size", "recency", "multiples"}


@pytest.mark.parametrize("obj", [[1], {"text": 3}, {"txt": "x"}, {"text": "x", "size_min": "big"},
                                 {"text": "x", "date_from": "yesterday"}, {"text": "x", "weights": {"bogus": 1}},
                                 {"text": "x", "type": 5}])
def test_batch_lines_with_bad_fields_are_rejected(obj):
    with pytest.raises(WorkbenchError):
        query_from_json(obj)


def test_filter_mask_compares_values_case_insensitively():
    catalog = pd.DataFrame({"deal_type": ["ma", "ipo"], "sector": ["Materials", None], "region": ["Europe", "Asia"],
                            "status": ["completed", None], "size_usd_m": [1.0, np.nan],
                            "announced_date": pd.to_datetime(["2024-01-01", None])})
    assert list(filter_mask(catalog, PrecedentFilters(sectors=("MATERIALS",)))) == [True, False]
    assert list(filter_mask(catalog, PrecedentFilters(size_max=5.0))) == [True, False]


def test_multiples_table_gives_median_mean_and_quartiles():
    frame = pd.DataFrame({"enterprise_value_usd_m": [100.0, None, 300.0, 400.0], "size_usd_m": [90.0, 200.0, 1, 1],
                          "ev_ebitda": [8.0, 10.0, 12.0, None], "ev_revenue": [None] * 4,
                          "premium_pct": [20.0, 30.0, None, None]})
    table = multiples_table(frame).set_index("metric")
    assert table.loc["EV ($m)", "n"] == 4 and table.loc["EV ($m)", "median"] == pytest.approx(250.0)
    ebitda = table.loc["EV/EBITDA (x)"]
    assert (ebitda["n"], ebitda["median"], ebitda["mean"], ebitda["q1"], ebitda["q3"]) == (3, 10.0, 10.0, 9.0, 11.0)
    assert table.loc["EV/Revenue (x)", "n"] == 0 and np.isnan(table.loc["EV/Revenue (x)", "median"])


def test_pinning_and_excluding_change_the_set_and_its_statistics(searcher):
    hits = searcher(text="specialty chemicals sponsor", top=3).hits
    assert set(hits["key"]) == {"D1", "D2", "D5"}
    before = multiples_table(precedent_set(hits)).set_index("metric").loc["EV/EBITDA (x)", "median"]
    pinned = deals_by_keys(["D6"], session_factory=searcher.factory)
    chosen = precedent_set(hits, pinned=pinned, excluded_keys=["D1"])
    assert dict(zip(chosen["key"], chosen["pinned"])) == {"D2": False, "D5": False, "D6": True}
    after = multiples_table(chosen).set_index("metric").loc["EV/EBITDA (x)", "median"]
    assert before == pytest.approx(10.25) and after == pytest.approx(14.5)


def test_explanation_lists_every_part_with_its_evidence(searcher):
    hit = searcher(text="EchoSign signature", top=1).hits.iloc[0].to_dict()
    frame = explanation_frame(hit)
    assert list(frame["part"]) == ["Text similarity", "Keywords", "Sector", "Size", "Recency", "Multiples"]
    assert "echosign" in frame.set_index("part").loc["Keywords", "evidence"]


@pytest.mark.parametrize("filters", [
    PrecedentFilters(sectors=("MATERIALS", "utilities")), PrecedentFilters(deal_types=("ma",), size_min=500.0),
    PrecedentFilters(regions=("europe",), date_to=dt.date(2024, 12, 31)), PrecedentFilters(statuses=("priced",)),
    PrecedentFilters(sectors=("'; DROP TABLE deals; --",)),
])
def test_fast_corpus_filter_agrees_with_the_plain_one(searcher, filters):
    corpus = searcher.engine.corpus(session_factory=searcher.factory, embedder=searcher.embedder)
    assert list(corpus.mask(filters.normalised())) == list(filter_mask(corpus.catalog, filters.normalised()))


# --- multiples closeness -------------------------------------------------------------------
MULTIPLES_ONLY = FusionWeights(text=0, keywords=0, sector=0, size=0, recency=0, multiples=1.0)


def test_target_multiple_ranks_deals_by_log_ratio_closeness(searcher):
    hits = searcher(text="deal", target_ev_ebitda=10.0, weights=MULTIPLES_ONLY, top=6).hits.set_index("key")
    # EV/EBITDA 9.5x (D1) is closer to 10x than 11x (D2), which is closer than 18x (D6).
    assert list(hits.index[:3]) == ["D1", "D2", "D6"]
    assert hits.loc["D1", "part_multiples"] == pytest.approx(1.0 / 61) and hits.loc["D1", "match_pct"] == 100
    assert hits.loc["D1", "multiples_closeness"] == pytest.approx(0.95)
    assert hits.loc["D2", "multiples_closeness"] == pytest.approx(10 / 11)
    # No EV/EBITDA stated: no credit for the part, and nothing taken from the other parts.
    for key in ("D3", "D4", "D5"):
        assert hits.loc[key, "part_multiples"] == 0 and np.isnan(hits.loc[key, "multiples_closeness"])


def test_close_multiples_lift_a_deal_in_the_fused_ranking(searcher):
    text = "specialty chemicals sponsor"
    plain = searcher(text=text, top=3).hits.set_index("key")
    assert plain.index[0] == "D1" and (plain["part_multiples"] == 0).all()
    # D2's 11.0x and 2.2x are the targets: with the default weight it gains on D1...
    lifted = searcher(text=text, top=3, target_ev_ebitda=11.0, target_ev_revenue=2.2).hits.set_index("key")
    assert lifted.loc["D2", "part_multiples"] > lifted.loc["D1", "part_multiples"] > 0
    assert lifted.loc["D2", "score"] - lifted.loc["D1", "score"] > plain.loc["D2", "score"] - plain.loc["D1", "score"]
    # ...and with a heavier one it passes it.
    heavy = searcher(text=text, top=3, target_ev_ebitda=11.0, target_ev_revenue=2.2,
                     weights=FusionWeights(multiples=5.0)).hits
    assert heavy["key"].iat[0] == "D2"


def test_a_deal_missing_one_of_two_target_multiples_gets_credit_for_the_other_only(searcher):
    hits = searcher(text="deal", target_ev_ebitda=10.0, target_ev_revenue=2.0, weights=MULTIPLES_ONLY,
                    top=6).hits.set_index("key")
    # D3 states only EV/Revenue (8.0x against 2.0x): half of that multiple's closeness.
    assert hits.loc["D3", "multiples_closeness"] == pytest.approx((0 + 2.0 / 8.0) / 2)
    assert hits.loc["D3", "part_multiples"] > 0
    assert list(hits.index[:4]) == ["D1", "D2", "D6", "D3"]


def test_multiples_part_counts_only_when_the_query_states_a_target(searcher):
    w = FusionWeights(text=0.0, keywords=2.0, sector=0.0, size=0.0, recency=0.0, rrf_k=10.0)  # multiples 0.3 default
    hits = searcher(text="EchoSign", weights=w, top=5).hits
    assert (hits["part_multiples"] == 0).all()
    assert hits["match_pct"].iat[0] == pytest.approx(100.0)  # an inactive part does not lower the best score
    with pytest.raises(WorkbenchError, match="multiples weight counts only with a target multiple"):
        searcher(text="deal", weights=MULTIPLES_ONLY)


def test_explanation_of_multiples_shows_the_deal_against_the_target(searcher):
    result = searcher(text="deal", target_ev_ebitda=10.0, weights=MULTIPLES_ONLY, top=1)
    frame = explanation_frame(result.hits.iloc[0].to_dict(), result.query).set_index("part")
    assert frame.loc["Multiples", "evidence"] == "EV/EBITDA 9.5x vs 10x, closeness 0.95"
    assert frame.loc["Multiples", "points"] == pytest.approx(1.0 / 61)
    assert "target EV/EBITDA (x): 10" in result.describe()
    plain = explanation_frame(result.hits.iloc[0].to_dict()).set_index("part")
    assert plain.loc["Multiples", "evidence"].startswith("EV/EBITDA 9.5x, EV/Revenue 1.8x")


def test_batch_lines_may_target_multiples(searcher):
    query = query_from_json({"text": "deal", "target_ev_ebitda": 18, "target_ev_revenue": 6.0,
                             "weights": {"text": 0, "keywords": 0, "sector": 0, "size": 0, "recency": 0,
                                         "multiples": 1}})  # fmt: skip
    assert query.target_multiples == {"ev_ebitda": 18.0, "ev_revenue": 6.0}
    [result] = search_batch([query], session_factory=searcher.factory, embedder=searcher.embedder,
                            engine=searcher.engine)  # fmt: skip
    import json

    hit = json.loads(result_json_line(result))["hits"][0]
    assert hit["key"] == "D6" and hit["parts"]["multiples"] > 0 and hit["multiples_closeness"] == 1.0
    with pytest.raises(WorkbenchError):
        query_from_json({"text": "x", "target_ev_ebitda": "cheap"})


# --- batches with a bad query --------------------------------------------------------------
def test_batch_with_an_unknown_deal_key_fails_that_query_only(searcher):
    qs = [query_from_json({"text": "EchoSign"}), query_from_json({"deal": "NOPE"}),
          query_from_json({"deal": "D1", "top": 2})]
    results = search_batch(qs, session_factory=searcher.factory, embedder=searcher.embedder, engine=searcher.engine)
    assert [type(r).__name__ for r in results] == ["PrecedentResult", "BatchFailure", "PrecedentResult"]
    assert isinstance(results[1], BatchFailure) and "'NOPE'" in results[1].error
    assert results[0].hits["key"].iat[0] == "D3" and len(results[2].hits) == 2
    import json

    line = json.loads(result_json_line(results[1], line=7))
    assert line == {"line": 7, "query": "", "deal": "NOPE", "error": "no deal with key 'NOPE'"}
    assert json.loads(result_json_line(results[0], line=1))["line"] == 1


def test_batch_query_that_fails_validation_fails_alone(searcher):
    qs = [PrecedentQuery(text="x", top=0), PrecedentQuery(text="EchoSign", top=1)]
    results = search_batch(qs, session_factory=searcher.factory, embedder=searcher.embedder, engine=searcher.engine)
    assert isinstance(results[0], BatchFailure) and "top must be" in results[0].error
    assert results[1].hits["key"].iat[0] == "D3"
