"""`workbench index` and `workbench precedents` (text, --json, --batch) on the default store."""

from __future__ import annotations

import json

import pytest
from precedent_store import add_deals
from typer.testing import CliRunner

from workbench.cli import app, open_store
from workbench.config import get_settings
from workbench.errors import WorkbenchError


@pytest.fixture(autouse=True)
def _store(monkeypatch):
    monkeypatch.setenv("WORKBENCH_EMBEDDER", "hashing")
    get_settings.cache_clear()
    add_deals(open_store())


def test_index_builds_then_reports_nothing_to_do():
    runner = CliRunner()
    first = runner.invoke(app, ["index"])
    assert first.exit_code == 0, first.output
    assert "Embedded 6 new or changed deals" in first.stdout and "rebuilt: 6 deals" in first.stdout
    second = runner.invoke(app, ["index"])
    assert "Embedded 0 new" in second.stdout and "fresh" in second.stdout
    assert (get_settings().data_dir / "index").is_dir()


def test_precedents_json_prints_hits_with_score_parts():
    result = CliRunner().invoke(app, ["precedents", "EchoSign signatures", "--top", "2", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["hits"][0]["key"] == "D3" and len(payload["hits"]) == 2
    assert set(payload["hits"][0]["parts"]) == {"text", "keywords", "sector", "size", "recency"}


def test_precedents_filters_by_type_and_sector():
    result = CliRunner().invoke(app, ["precedents", "chemicals", "--type", "ipo", "--sector", "Materials", "--json"])
    assert [h["key"] for h in json.loads(result.stdout)["hits"]] == ["D5"]


def test_batch_prints_one_json_line_per_query_and_honours_exclude(tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text(json.dumps({"text": "specialty chemicals", "exclude": "D1", "top": 3}) + "\n\n"
                     + json.dumps({"text": "green bond", "type": "ig_bond"}) + "\n")
    result = CliRunner().invoke(app, ["precedents", "--batch", str(batch), "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2
    assert "D1" not in [h["key"] for h in lines[0]["hits"]]
    assert [h["key"] for h in lines[1]["hits"]] == ["D4"] and lines[1]["hits"][0]["name"] == "Utility green bond"


@pytest.mark.parametrize("content", ['{"text": "ok"}\n{not json\n', '{"text": "ok", "size_min": "big"}\n'])
def test_bad_batch_line_is_reported_with_its_number(tmp_path, content):
    batch = tmp_path / "q.jsonl"
    batch.write_text(content)
    result = CliRunner().invoke(app, ["precedents", "--batch", str(batch)])
    assert isinstance(result.exception, WorkbenchError)
    assert "q.jsonl line" in str(result.exception)


def test_unknown_deal_type_is_a_clear_error():
    result = CliRunner().invoke(app, ["precedents", "x", "--type", "swap"])
    assert isinstance(result.exception, WorkbenchError) and "unknown deal type" in str(result.exception)
