"""`workbench screen` and `workbench screen-example` on a crafted default store."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import openpyxl
from typer.testing import CliRunner

from screen_store import AS_OF, add_company, seeded
from services.screening import parse_spec
from services.screens import save_screen
from workbench.cli import app, open_store


def _seed() -> None:
    factory = open_store()
    seeded(factory, lambda s: [add_company(s, "A", sector="Energy", market_cap_usd_m=900.0, ebitda_usd_m=100.0,
                                           net_debt_usd_m=300.0),
                               add_company(s, "B", sector="Energy", market_cap_usd_m=400.0),
                               add_company(s, "C", sector="Utilities", market_cap_usd_m=100.0)])  # fmt: skip


def test_example_spec_runs_to_json_with_factor_contributions(tmp_path):
    runner = CliRunner()
    example = runner.invoke(app, ["screen-example", "--yaml"])
    assert example.exit_code == 0, example.output
    spec = parse_spec(example.stdout)
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(spec.model_copy(update={"filters": parse_spec(
        {"filters": {"conditions": [{"field": "sector", "op": "=", "value": "Energy"}]}}).filters}).to_json())
    _seed()
    result = runner.invoke(app, ["screen", str(spec_file), "--json", "--as-of", AS_OF.isoformat(), "--top", "1"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["matched"] == 2 and [r["key"] for r in payload["rows"]] == ["A"]
    assert {f["factor"] for f in payload["rows"][0]["factors"]} >= {"maturity_wall_cash", "coupon_gap"}


def test_saved_screen_by_name_writes_a_workbook(tmp_path):
    _seed()
    save_screen(parse_spec({"name": "Energy names", "filters": {"conditions": [
        {"field": "sector", "op": "=", "value": "Energy"}]}}), session_factory=open_store(), user="ana")  # fmt: skip
    out = tmp_path / "energy.xlsx"
    result = CliRunner().invoke(app, ["screen", "Energy names", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out).sheetnames == ["Ranked", "Provenance"]


def test_bad_spec_exits_1_with_the_reason_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("filters:\n  conditions:\n    - {field: \"x'; DROP TABLE companies;--\", op: '=', value: 1}\n")
    env = {**os.environ, "WORKBENCH_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run([sys.executable, "-m", "workbench.cli", "screen", str(bad)], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 1
    assert "unknown field" in proc.stderr and "Traceback" not in proc.stderr
