"""A pitch pack built from the Company page in headless Chromium, downloaded, and read back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from pptx import Presentation
from sqlalchemy import select

from workbench.db import make_engine, make_session_factory, migrate
from workbench.demo import DemoSize, seed_demo
from workbench.models import Company

pytestmark = pytest.mark.e2e

RUN_TIMEOUT_MS = 240_000  # the first tear sheet loads the language model; the first pack indexes the deals
# The universe the app_url fixture seeds (tests/e2e/conftest.py DEMO_ARGS, default seed).
APP_DEMO = DemoSize(companies=60, deals=120, documents=6, price_years=1, seed=7)


@pytest.fixture(scope="module")
def subject(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """Ticker and name of the largest listed company of the app's demo universe (it is deterministic)."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('same-demo') / 'store.db'}")
    migrate(engine)
    factory = make_session_factory(engine)
    seed_demo(factory, APP_DEMO)
    with factory() as s:
        company = s.scalars(select(Company).where(Company.market_cap_usd_m > 0, Company.ticker.is_not(None))
                            .order_by(Company.market_cap_usd_m.desc()).limit(1)).one()  # fmt: skip
        found = (company.ticker, company.name)
    engine.dispose()
    return found


def _wait_for_run(page: Page) -> None:
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=RUN_TIMEOUT_MS)


def test_pitch_pack_is_built_from_the_company_page_and_downloads(page: Page, app_url: str, subject, tmp_path: Path,
                                                                 screenshots_dir: Path):  # fmt: skip
    ticker, name = subject
    page.goto(app_url)
    _wait_for_run(page)
    more = page.get_by_test_id("stSidebarNavViewButton")
    if more.count() and "more" in (more.inner_text() or "").lower():
        more.click()  # long menus are folded behind "View more"
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Company", exact=True).click()
    page.wait_for_url(re.compile(r"/company/?$"), timeout=RUN_TIMEOUT_MS)
    _wait_for_run(page)
    box = page.get_by_role("textbox", name="Company", exact=True)
    box.fill(ticker)
    box.press("Enter")
    _wait_for_run(page)
    expect(page.get_by_role("heading", name=re.compile(re.escape(name)))).to_be_visible(timeout=RUN_TIMEOUT_MS)

    page.get_by_role("tab", name="Pitch pack").click()
    page.get_by_text("M&A", exact=True).click()
    _wait_for_run(page)
    page.get_by_role("button", name="Build pitch pack").click()
    _wait_for_run(page)
    xlsx_button = page.get_by_role("button", name="Download workbook (.xlsx)")
    expect(xlsx_button).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.screenshot(path=str(screenshots_dir / "company_pitch_pack.png"), full_page=True)

    with page.expect_download() as xlsx_download:
        xlsx_button.click()
    with page.expect_download() as pptx_download:
        page.get_by_role("button", name="Download deck (.pptx)").click()
    xlsx, pptx = tmp_path / "pack.xlsx", tmp_path / "pack.pptx"
    xlsx_download.value.save_as(xlsx)
    pptx_download.value.save_as(pptx)
    assert xlsx_download.value.suggested_filename.startswith(f"{ticker}_ma_pitch_")

    wb = load_workbook(xlsx)
    assert wb.sheetnames[0] == "Cover" and "Provenance" in wb.sheetnames
    cover = {r[0].value: r[1].value for r in wb["Cover"].iter_rows() if r[0].value}
    assert cover["Company"] == f"{name} ({ticker})" and cover["Situation"] == "M&A"
    deck = Presentation(pptx)
    assert len(deck.slides) == 12
    assert sum(1 for s in deck.slides for sh in s.shapes if sh.shape_type == 13) == 5  # chart pictures
