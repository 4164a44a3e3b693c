"""Hostile text in every service that takes user text: a clear WorkbenchError, or a correct,
literal result; never another exception, and every table intact afterwards.

Runs on SQLite and again on PostgreSQL (the `store` fixture): PostgreSQL refuses NUL
characters and enforces column lengths that SQLite ignores.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hostile import HOSTILE_STRINGS, table_counts
from sqlalchemy import insert

from services.alerts import create_rule, parse_params_text
from services.browse import ColumnFilter, browse_table, export_table_csv
from services.documents import IngestLimits, answer_question, ingest_text, list_documents
from services.market import find_companies
from services.precedents import PrecedentEngine, PrecedentFilters, PrecedentQuery, search_precedents
from services.screening import FeatureCache, parse_spec, run_screen
from services.screens import save_screen
from services.watchlists import create_watchlist, list_watchlists, rename_watchlist
from workbench.embeddings import HashingEmbedder
from workbench.errors import WorkbenchError
from workbench.models import Company

DATA_TABLES = ("companies", "deals", "deal_parties", "documents", "prices", "debt_instruments")
LIMITS = IngestLimits(max_bytes=1_000_000, max_pages=10)


class Outcomes:
    """Runs a call per hostile string and collects every way it went wrong, to report all at once."""

    def __init__(self, store) -> None:
        self.store = store
        self.problems: list[str] = []
        self.before = {t: n for t, n in table_counts(store.session_factory).items() if t in DATA_TABLES}

    def run(self, what: str, value: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except WorkbenchError as exc:
            if not str(exc).strip():
                self.problems.append(f"{what} {value[:30]!r}: an empty error message")
        except Exception as exc:  # noqa: BLE001 - the point is to catch every other kind
            self.problems.append(f"{what} {value[:30]!r}: {type(exc).__name__}: {str(exc)[:160]}")
        return None

    def check(self, what: str, value: str, ok: bool) -> None:
        if not ok:
            self.problems.append(f"{what} {value[:30]!r}: wrong result")

    def assert_clean(self) -> None:
        after = {t: n for t, n in table_counts(self.store.session_factory).items() if t in self.before}
        assert after == self.before, "hostile text changed the data tables"
        assert not self.problems, "\n".join(self.problems)


def _contains(frame, column: str, value: str) -> bool:
    return all(value.lower() in str(v).lower() for v in frame[column])


def test_browse_filters_treat_hostile_text_as_a_literal_substring(seeded):
    store, _ = seeded
    out = Outcomes(store)
    for value in HOSTILE_STRINGS:
        for table, column in (("companies", "name"), ("deals", "name"), ("documents", "title"), ("companies", "key")):
            found = out.run(f"browse {table}.{column}", value, lambda: browse_table(
                store.session_factory, table, filters=[ColumnFilter(column, contains=value)]))  # fmt: skip
            if found is not None and value.strip():
                frame, total = found
                out.check(f"browse {table}.{column}", value, total == len(frame) and _contains(frame, column, value))
        out.run("browse numeric column", value, lambda: browse_table(
            store.session_factory, "companies", filters=[ColumnFilter("market_cap_usd_m", contains=value)]))  # fmt: skip
        out.run("browse date bound", value, lambda: browse_table(
            store.session_factory, "deals", filters=[ColumnFilter("announced_date", low=value)]))  # fmt: skip
        out.run("browse unknown column", value, lambda: browse_table(
            store.session_factory, "companies", filters=[ColumnFilter(value, contains="a")]))  # fmt: skip
        out.run("browse unknown table", value, lambda: browse_table(store.session_factory, value))
    out.run("export", "%_", lambda: export_table_csv(store.session_factory, "companies", user="t",
                                                     filters=[ColumnFilter("name", contains="%_")]))  # fmt: skip
    out.assert_clean()


def test_like_wildcards_typed_by_a_user_match_only_themselves(seeded):
    store, _ = seeded
    with store.session_factory.begin() as s:
        s.execute(insert(Company), [{"key": "LIT1", "name": "Growth 100%_sure Ltd"},
                                    {"key": "LIT2", "name": "Back\\slash Holdings"}])  # fmt: skip
    for value, expected in (("%_", {"LIT1"}), ("100%", {"LIT1"}), ("\\", {"LIT2"}), ("\\s", {"LIT2"})):
        frame, _ = browse_table(store.session_factory, "companies", filters=[ColumnFilter("name", contains=value)])
        assert set(frame["key"]) == expected, value
        found = find_companies(value, session_factory=store.session_factory)
        assert set(found["name"]) == {"Growth 100%_sure Ltd", "Back\\slash Holdings"} & set(found["name"]), value
        assert len(found) == len(expected), value
    for op_value in ("%", "_", "%_"):
        spec = parse_spec({"name": "literal", "filters": {"combine": "and", "conditions": [
            {"field": "name", "op": "contains", "value": op_value}]}})  # fmt: skip
        result = run_screen(spec, session_factory=store.session_factory, as_of=None, user="t")
        assert set(result.rows["name"]) == {"Growth 100%_sure Ltd"}, op_value


def test_company_search_and_document_filters_take_hostile_text_literally(seeded):
    store, _ = seeded
    out = Outcomes(store)
    for value in HOSTILE_STRINGS:
        found = out.run("find_companies", value, lambda: find_companies(value, session_factory=store.session_factory))
        if found is not None and value.strip():
            out.check("find_companies", value, _contains(found, "name", value.strip()[:100])
                      or all(str(t).upper() == value.strip().upper() for t in found["ticker"]))  # fmt: skip
        docs = out.run("list_documents", value, lambda: list_documents(
            session_factory=store.session_factory, company=value, query=value))  # fmt: skip
        if docs is not None and value.strip():
            out.check("list_documents", value, docs.empty)
        out.run("list_documents type", value, lambda: list_documents(session_factory=store.session_factory,
                                                                     doc_type=value))  # fmt: skip
    out.assert_clean()


def test_screen_specs_with_hostile_values_and_field_names_fail_clearly_or_match_literally(seeded):
    store, _ = seeded
    out = Outcomes(store)
    cache = FeatureCache()  # the store does not change: build its feature frame once
    for value in HOSTILE_STRINGS:
        for condition in ({"field": "sector", "op": "=", "value": value},
                          {"field": "name", "op": "contains", "value": value},
                          {"field": "country", "op": "in", "value": [value, "United States"]},
                          {"field": "rating", "op": ">=", "value": value},
                          {"field": "market_cap_usd_m", "op": ">=", "value": value},
                          {"field": value, "op": "=", "value": "x"},
                          {"field": "sector", "op": value, "value": "x"}):  # fmt: skip
            spec = out.run("parse_spec", value, lambda: parse_spec(
                {"name": "hostile", "filters": {"combine": "and", "conditions": [condition]}}))  # fmt: skip
            if spec is None:
                continue
            result = out.run("run_screen", value, lambda: run_screen(
                spec, session_factory=store.session_factory, user="t", cache=cache, cache_key="security"))  # fmt: skip
            if result is not None and condition["op"] == "contains":
                out.check("run_screen contains", value, _contains(result.rows, "name", value.strip()))
            elif result is not None and condition["field"] == "sector":
                out.check("run_screen =", value, result.matched == 0)
        out.run("spec name", value, lambda: parse_spec({"name": value}))
    out.assert_clean()


def test_precedent_queries_and_filters_with_hostile_text_fail_clearly_or_filter_literally(seeded, tmp_path):
    store, _ = seeded
    out = Outcomes(store)
    engine = PrecedentEngine(folder=tmp_path / "index", approximate_from=100_000)
    embedder = HashingEmbedder()
    for value in HOSTILE_STRINGS:
        result = out.run("precedents text", value, lambda: search_precedents(
            PrecedentQuery(text=value, top=5), session_factory=store.session_factory, embedder=embedder,
            engine=engine))  # fmt: skip
        if result is not None:
            out.check("precedents text", value, len(result.hits) <= 5)
        filtered = out.run("precedents filters", value, lambda: search_precedents(
            PrecedentQuery(text="refinancing bond", top=5, filters=PrecedentFilters(sectors=(value,), regions=(value,))),
            session_factory=store.session_factory, embedder=embedder, engine=engine))  # fmt: skip
        if filtered is not None and value.strip():
            out.check("precedents filters", value, filtered.hits.empty)
        out.run("precedents deal key", value, lambda: search_precedents(
            PrecedentQuery(deal_key=value), session_factory=store.session_factory, embedder=embedder,
            engine=engine))  # fmt: skip
        out.run("precedents type", value, lambda: PrecedentQuery(
            text="x", filters=PrecedentFilters(deal_types=(value,), statuses=(value,))).validate())  # fmt: skip
    out.assert_clean()


def test_document_questions_and_pasted_text_with_hostile_strings_are_answered_or_refused(seeded):
    store, _ = seeded
    out = Outcomes(store)
    out.before.pop("documents")  # pasted text may be stored: checked below that it is stored literally
    embedder = HashingEmbedder()
    for value in HOSTILE_STRINGS:
        answer = out.run("answer_question", value, lambda: answer_question(
            value, session_factory=store.session_factory, embedder=embedder))  # fmt: skip
        if answer is not None:
            out.check("answer_question", value, answer.answered or not answer.citations)
        out.run("answer_question company", value, lambda: answer_question(
            "What was revenue?", session_factory=store.session_factory, embedder=embedder, company=value))  # fmt: skip
        stored = out.run("ingest_text", value, lambda: ingest_text(
            f"Revenue rose 5% in the quarter. {value}", title=value, session_factory=store.session_factory,
            limits=LIMITS, user="t"))  # fmt: skip
        if stored is not None and value.strip():
            out.check("ingest_text title", value, stored.title == value[:400] or stored.title == value.strip()[:400])
        out.run("ingest_text company", value, lambda: ingest_text(
            "Revenue rose 5% in the quarter.", title="t", company=value, session_factory=store.session_factory,
            limits=LIMITS, user="t"))  # fmt: skip
    out.assert_clean()


def test_alert_rules_watchlists_and_saved_screens_keep_hostile_names_literally_or_refuse_them(seeded):
    store, _ = seeded
    out = Outcomes(store)
    spec = parse_spec({"name": "base"})
    for i, value in enumerate(HOSTILE_STRINGS):
        rule = out.run("rule name", value, lambda: create_rule(value, "price_move", {"pct": 5},
                                                               session_factory=store.session_factory, user="t"))  # fmt: skip
        if rule is not None:
            out.check("rule name", value, rule.name == value.strip())
        out.run("rule param", value, lambda: create_rule(f"p{i}", "price_move", {"pct": value, "direction": value},
                                                         session_factory=store.session_factory, user="t"))  # fmt: skip
        out.run("rule screen param", value, lambda: create_rule(f"s{i}", "screen_entry", {"screen": value},
                                                                session_factory=store.session_factory, user="t"))  # fmt: skip
        for scope in ("sector", "watchlist", value):
            out.run(f"rule scope {scope[:10]}", value, lambda: create_rule(
                f"c{i}{scope[:5]}", "price_move", {}, session_factory=store.session_factory, user="t",
                scope_type=scope, scope_value=value))  # fmt: skip
        out.run("rule type", value, lambda: create_rule(f"t{i}", value, {}, session_factory=store.session_factory,
                                                        user="t"))  # fmt: skip
        out.run("params text", value, lambda: parse_params_text(value))
        watchlist = out.run("watchlist", value, lambda: create_watchlist(value, session_factory=store.session_factory,
                                                                         user="t"))  # fmt: skip
        if watchlist is not None:
            out.check("watchlist", value, watchlist.name == value.strip())
            out.run("watchlist rename", value, lambda: rename_watchlist(
                watchlist.id, value + " 2", session_factory=store.session_factory, user="t"))  # fmt: skip
        saved = out.run("saved screen", value, lambda: save_screen(spec, name=value,
                                                                   session_factory=store.session_factory, user="t"))  # fmt: skip
        if saved is not None and value.strip():  # no name: the spec's own name is used
            out.check("saved screen", value, saved.name == value.strip())
    names = {w.name for w in list_watchlists(session_factory=store.session_factory)}
    assert "'; DROP TABLE companies; -- 2" in names and "%_ 2" in names  # stored as the text they are
    out.assert_clean()


@pytest.mark.parametrize("value", ["²", "١٢", "9" * 30, "0" * 400])
def test_watchlist_scope_given_odd_digits_is_refused_clearly(seeded, value):
    store, _ = seeded
    with pytest.raises(WorkbenchError, match="no watchlist|too long"):
        create_rule("odd digits", "price_move", {}, session_factory=store.session_factory, user="t",
                    scope_type="watchlist", scope_value=value)  # fmt: skip
