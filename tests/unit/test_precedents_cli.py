"""`workbench index`, `workbench precedents` (text, --json, --batch) and the index update of
`workbench import deals`, on the default store."""

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
    assert set(payload["hits"][0]["parts"]) == {"text", "keywords", "sector", "size", "recency", "multiples"}


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


def test_target_multiple_flags_score_the_multiples_part():
    result = CliRunner().invoke(app, ["precedents", "coatings chemicals", "--target-ev-ebitda", "11",
                                      "--target-ev-revenue", "2.2", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    hits = {h["key"]: h for h in json.loads(result.stdout)["hits"]}
    assert hits["D2"]["parts"]["multiples"] > hits["D1"]["parts"]["multiples"] > 0
    assert hits["D2"]["multiples_closeness"] == 1.0 and hits["D5"]["parts"]["multiples"] == 0
    text = CliRunner().invoke(app, ["precedents", "coatings chemicals", "--target-ev-ebitda", "11"])
    assert text.exit_code == 0 and " mult " in text.stdout
    bad = CliRunner().invoke(app, ["precedents", "x", "--target-ev-ebitda", "0"])
    assert isinstance(bad.exception, WorkbenchError) and "EV/EBITDA" in str(bad.exception)


def test_batch_line_with_an_unknown_deal_key_fails_alone_with_its_line_number(tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text(json.dumps({"text": "EchoSign"}) + "\n\n" + json.dumps({"deal": "NOPE-42"}) + "\n"
                     + json.dumps({"deal": "D1", "top": 2}) + "\n")
    result = CliRunner().invoke(app, ["precedents", "--batch", str(batch)])
    assert result.exit_code == 1, result.output  # the other queries ran; the exit code says one failed
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["line"] for line in lines] == [1, 3, 4]
    assert lines[0]["hits"][0]["key"] == "D3" and len(lines[2]["hits"]) == 2
    assert lines[1] == {"line": 3, "query": "", "deal": "NOPE-42", "error": "no deal with key 'NOPE-42'"}
    said = " ".join(result.stderr.split())
    assert "error: q.jsonl line 3: no deal with key 'NOPE-42'" in said


def test_batch_without_failures_exits_zero_and_numbers_its_lines(tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text(json.dumps({"deal": "D1", "top": 1}) + "\n")
    result = CliRunner().invoke(app, ["precedents", "--batch", str(batch)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["line"] == 1


def test_unknown_like_key_is_a_clear_error():
    result = CliRunner().invoke(app, ["precedents", "--like", "NOPE"])
    assert isinstance(result.exception, WorkbenchError) and "no deal with key 'NOPE'" in str(result.exception)


def test_import_of_deals_brings_the_precedents_index_up_to_date(tmp_path):
    from services.deal_embeddings import sync_vector_index
    from workbench.embeddings import build_embedder

    path = tmp_path / "deals.csv"
    path.write_text("Deal ID,Deal Name,Deal Type,Announced Date,Deal Value\n"
                    "N1,Zirconium sands miner bought,ma,2026-06-02,10\n", encoding="utf-8")  # fmt: skip
    runner = CliRunner()
    result = runner.invoke(app, ["import", "deals", str(path)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    assert "note: precedents index rebuilt" in said and "7 deals embedded" in said
    cfg = get_settings()
    embedder = build_embedder(cfg)
    index, report = sync_vector_index(session_factory=open_store(), model_name=embedder.name,
                                      dimension=embedder.dimension, folder=cfg.data_dir / "index",
                                      approximate_from=cfg.index_approximate_from)  # fmt: skip
    assert report.action == "fresh" and index.count == 7
    again = runner.invoke(app, ["index"])
    assert "Embedded 0 new" in again.stdout and "fresh" in again.stdout
    # Companies: nothing to index, and no note about it.
    companies = tmp_path / "companies.csv"
    companies.write_text("Ticker,Company Name\nZZ,Zed Co\n", encoding="utf-8")
    done = runner.invoke(app, ["import", "companies", str(companies)])
    assert done.exit_code == 0, done.output
    assert "precedents index" not in done.stdout
