"""Pieces of the pitch pack that need no store: situations, precedent statistics, deck number
formats, and finding a browser for chart images (never downloading one)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from services.pitch.content import Situation, parse_situation, precedent_statistics
from services.pitch.deck import fmt
from workbench import charts
from workbench.charts import ChartExportError, find_browser
from workbench.errors import WorkbenchError


def test_situations_parse_loosely_and_reject_anything_else():
    assert parse_situation("ECM") is Situation.ECM and parse_situation("M&A") is Situation.MA
    assert parse_situation(" dcm ") is Situation.DCM
    assert Situation.DCM.deal_types == ("ig_bond", "hy_bond", "term_loan") and Situation.MA.score == "ma_sell"
    with pytest.raises(WorkbenchError, match="ecm, dcm or ma"):
        parse_situation("ipo")


def test_debt_precedents_are_compared_on_size_coupon_and_tenor():
    frame = pd.DataFrame({"size_usd_m": [100.0, 300.0, None], "coupon_pct": [5.0, 7.0, 6.0],
                          "tenor_years": [5.0, 10.0, 7.0]})  # fmt: skip
    stats = precedent_statistics(frame, Situation.DCM).set_index("metric")
    assert stats.loc["size_usd_m", "n"] == 2 and stats.loc["size_usd_m", "median"] == 200.0
    assert stats.loc["coupon_pct", "median"] == 6.0 and stats.loc["tenor_years", "high"] == 10.0
    ma = precedent_statistics(pd.DataFrame({"ev_ebitda": [8.0, 10.0], "size_usd_m": [1.0, 2.0],
                                            "enterprise_value_usd_m": [None, 5.0]}), Situation.MA)  # fmt: skip
    assert ma.set_index("metric").loc["EV/EBITDA (x)", "median"] == 9.0
    assert ma.set_index("metric").loc["EV/EBITDA (x)", "kind"] == "multiple"


def test_deck_prints_figures_the_banker_way():
    assert fmt(12345.678, "usd_m") == "12,345.7" and fmt(9.96, "multiple") == "10.0x"
    assert fmt(12.34, "pct_points") == "12.3%" and fmt(math.nan, "usd_m") == "-" and fmt(None, "multiple") == "-"
    assert fmt(pd.Timestamp("2026-11-20"), "date") == "2026-11-20"


def test_a_named_browser_that_is_missing_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    with pytest.raises(ChartExportError, match="no browser executable at .*nope.*WORKBENCH_BROWSER_PATH"):
        find_browser(tmp_path / "nope")
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "also-nope"))
    with pytest.raises(ChartExportError, match="BROWSER_PATH"):
        find_browser()


def test_without_any_browser_the_error_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setattr(charts, "DEBIAN_CHROMIUM", tmp_path / "chromium")
    monkeypatch.setattr(charts.shutil, "which", lambda name: None)
    with pytest.raises(ChartExportError, match="apt-get install -y chromium"):
        find_browser()
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert find_browser() == fake  # Debian's path is taken before anything on PATH
