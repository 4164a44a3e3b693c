"""`workbench pitch` and `workbench index --companies` on the default store (SQLite in the data folder)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from workbench.charts import DEBIAN_CHROMIUM
from workbench.cli import app, open_store
from workbench.config import get_settings
from workbench.demo import DemoSize, seed_demo
from workbench.errors import WorkbenchError
from workbench.models import AuditEntry, Company, CompanyEmbedding


@pytest.fixture(autouse=True)
def _demo(monkeypatch):
    monkeypatch.setenv("WORKBENCH_EMBEDDER", "hashing")
    get_settings.cache_clear()
    seed_demo(open_store(), DemoSize(companies=40, deals=60, documents=2, price_years=1))


def _ticker() -> str:
    with open_store()() as s:
        return s.scalar(select(Company.ticker).where(Company.market_cap_usd_m > 0, Company.ticker.is_not(None))
                        .order_by(Company.market_cap_usd_m.desc()).limit(1))  # fmt: skip


def test_index_companies_embeds_descriptions_once():
    runner = CliRunner()
    first = runner.invoke(app, ["index", "--companies"])
    assert first.exit_code == 0, first.output
    assert "Embedded 40 new or changed companies (0 unchanged)" in first.stdout
    assert "Embedded 0 new or changed companies (40 unchanged)" in runner.invoke(app, ["index", "--companies"]).stdout
    with open_store()() as s:
        assert s.scalar(select(func.count()).select_from(CompanyEmbedding)) == 40


def test_pitch_writes_both_files_and_rejects_bad_input(tmp_path: Path):
    if not DEBIAN_CHROMIUM.exists():
        pytest.skip(f"{DEBIAN_CHROMIUM} not found: chart images need Debian's chromium")
    runner = CliRunner()
    ticker = _ticker()
    bad = runner.invoke(app, ["pitch", ticker, "--situation", "ipo", "--out", str(tmp_path / "bad")])
    # main() prints these as "error: ..." and exits 1; the runner hands back the exception itself.
    assert isinstance(bad.exception, WorkbenchError) and "situation must be ecm, dcm or ma" in str(bad.exception)
    unknown = runner.invoke(app, ["pitch", "NOPE", "--situation", "ecm", "--out", str(tmp_path / "bad")])
    assert "no company with ticker or key 'NOPE'" in str(unknown.exception)
    assert not (tmp_path / "bad").exists()

    result = runner.invoke(app, ["pitch", ticker, "--situation", "ecm", "--out", str(tmp_path / "packs")])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "packs").iterdir())
    assert written == [f"{ticker}_ecm_pitch_2026-11-20.pptx", f"{ticker}_ecm_pitch_2026-11-20.xlsx"]
    assert all(f"Wrote {tmp_path / 'packs' / name}" in result.stdout for name in written)
    with open_store()() as s:
        audit = s.scalars(select(AuditEntry).where(AuditEntry.object_type == "pitch_pack")).one()
    assert audit.details["situation"] == "ecm" and audit.user == get_settings().user
