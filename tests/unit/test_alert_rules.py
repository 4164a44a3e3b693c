"""Alert rule definitions, parameter checks, split detection and the `workbench alerts` commands."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert
from typer.testing import CliRunner

from services import alerts
from services.watchlists import parse_tickers
from workbench.cli import app
from workbench.config import get_settings
from workbench.db import make_engine, make_session_factory, migrate
from workbench.errors import WorkbenchError
from workbench.models import Company, Price

AS_OF = dt.date(2026, 11, 20)


def test_every_rule_type_has_an_evaluator_a_description_and_documented_defaults():
    for name, rule_type in alerts.RULE_TYPES.items():
        assert name in alerts.EVALUATORS or name in alerts.PRICE_EVALUATORS or name == "screen_entry"
        assert rule_type.description and all(p.help for p in rule_type.params)
        if name != "screen_entry":
            params = alerts.validate_params(name, {})
            assert alerts.describe_rule(name, params)
        assert name in alerts.__doc__


def test_validate_params_fills_defaults_and_coerces_text_numbers():
    assert alerts.validate_params("price_move", {"pct": "12.5", "days": "5"}) == {
        "pct": 12.5, "days": 5, "direction": "any", "stale_days": 5}  # fmt: skip
    assert alerts.validate_params("new_deal", {"deal_types": "ipo"})["deal_types"] == ["ipo"]


@pytest.mark.parametrize("rule_type, params, message", [
    ("price_move", {"pct": True}, "must be a number"),
    ("price_move", {"pct": float("nan")}, "finite"),
    ("price_move", {"days": 0}, "at least 1"),
    ("volume_spike", {"multiple": [3]}, "must be a number"),
    ("new_document", {"doc_types": ["10-K", "<script>"]}, "unknown value"),
    ("screen_entry", {}, "needs parameter 'screen'"),
    ("screen_entry", {"screen": "a\u202eb"}, "control or invisible"),
    ("screen_entry", {"screen": "x" * 201}, "too long"),
])  # fmt: skip
def test_validate_params_rejects_bad_values_with_a_clear_message(rule_type, params, message):
    with pytest.raises(WorkbenchError, match=message):
        alerts.validate_params(rule_type, params)


@pytest.mark.parametrize("ratio, factor", [(0.5, 2), (0.334, 3), (0.1, 10), (2.0, -2), (5.05, -5), (1.0 / 3.9, 4)])
def test_round_one_day_ratios_are_probable_splits(ratio, factor):
    assert alerts._split_factor(ratio) == factor


@pytest.mark.parametrize("ratio", [0.45, 0.6, 2.4, 1.0, 0.0, -1.0])
def test_other_ratios_are_not_splits(ratio):
    assert alerts._split_factor(ratio) is None


def test_parse_params_text_reads_name_value_pairs_and_lists():
    assert alerts.parse_params_text("pct=10, days=5, deal_types=ipo;follow_on") == {
        "pct": "10", "days": "5", "deal_types": ["ipo", "follow_on"]}  # fmt: skip
    assert alerts.parse_params_text("  ") == {}
    with pytest.raises(WorkbenchError, match="name=value"):
        alerts.parse_params_text("pct 10")


def test_parse_tickers_splits_on_any_separator_and_dedupes():
    assert parse_tickers("aapl, msft;AAPL\n  brk.b ") == ["AAPL", "MSFT", "BRK.B"]


def test_run_summary_lines_name_errors_and_data_issues():
    summary = alerts.RunSummary(AS_OF, [alerts.RuleOutcome(1, "r", "price_move", 2, 1, ["note"]),
                                        alerts.RuleOutcome(2, "s", "high_52w", error="boom")], ["bad rows"], 12.0)  # fmt: skip
    text = "\n".join(summary.lines())
    assert summary.new_events == 1 and summary.errors == ["s: boom"]
    assert "2 matched, 1 new" in text and "error: boom" in text and "data: bad rows" in text


def _seed_cli_store() -> None:
    engine = make_engine(get_settings().resolved_database_url)
    migrate(engine)
    with make_session_factory(engine).begin() as s:
        c = Company(key="ACME", name="Acme", ticker="ACME", sector="Energy")
        s.add(c)
        s.flush()
        days = [AS_OF - dt.timedelta(days=i) for i in range(10, -1, -1)]
        s.execute(insert(Price), [{"company_id": c.id, "date": d, "close": 100.0 if i < 10 else 130.0,
                                   "volume": 1000} for i, d in enumerate(days)])  # fmt: skip
    engine.dispose()


def test_cli_adds_a_rule_runs_lists_and_acknowledges():
    _seed_cli_store()
    runner = CliRunner()
    added = runner.invoke(app, ["alerts", "add-rule", "Movers", "--type", "price_move", "--param", "pct=20",
                                "--param", "days=5"])  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "close moves 20% or more over 5 days" in added.output
    run = runner.invoke(app, ["alerts", "run", "--as-of", AS_OF.isoformat()])
    assert run.exit_code == 0, run.output
    assert "1 new events" in run.output
    again = runner.invoke(app, ["alerts", "run", "--as-of", AS_OF.isoformat()])
    assert "0 new events" in again.output
    listed = runner.invoke(app, ["alerts", "list"])
    assert "Acme (ACME) rose 30.0% over 5 days" in listed.output and "[ ]" in listed.output
    event_id = alerts.list_events(session_factory=make_session_factory(
        make_engine(get_settings().resolved_database_url)))["id"].iloc[0]  # fmt: skip
    assert "1 event(s) acknowledged" in runner.invoke(app, ["alerts", "ack", str(event_id)]).output
    assert "[x]" in runner.invoke(app, ["alerts", "list"]).output


def test_cli_rejects_a_bad_date_and_bad_parameters_without_writing():
    runner = CliRunner()
    bad_date = runner.invoke(app, ["alerts", "run", "--as-of", "20-11-2026"])
    assert bad_date.exit_code == 1 and "--as-of must be a date" in str(bad_date.exception)
    bad_param = runner.invoke(app, ["alerts", "add-rule", "x", "--type", "price_move", "--param", "pct=lots"])
    assert bad_param.exit_code == 1 and "must be a number" in str(bad_param.exception)
    factory = make_session_factory(make_engine(get_settings().resolved_database_url))
    assert alerts.list_rules(session_factory=factory) == []


def test_cli_add_defaults_then_run_reports_each_rule():
    _seed_cli_store()
    runner = CliRunner()
    assert "8 rule(s) added" in runner.invoke(app, ["alerts", "add-defaults"]).output
    run = runner.invoke(app, ["alerts", "run", "--as-of", AS_OF.isoformat()])
    assert run.exit_code == 0, run.output
    assert "52-week high (high_52w)" in run.output and "Debt maturing within 12 months" in run.output
