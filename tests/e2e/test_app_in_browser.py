"""The running app in headless Chromium: every page loads, the main actions work."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_MS = 60_000
# Two shared cores: the canvas grid and plotly can take longer than Playwright's default 5 s.
expect.set_options(timeout=20_000)


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    url_path: str
    default: bool

    @property
    def name(self) -> str:
        return Path(self.path).stem


def registered_pages() -> list[PageSpec]:
    """The router's st.Page(...) calls, read from streamlit_app.py without running it."""
    specs = []
    for node in ast.walk(ast.parse((ROOT / "streamlit_app.py").read_text(encoding="utf-8"))):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "Page"
        ):
            continue
        if not (node.args and isinstance(node.args[0], ast.Constant)):
            continue
        kw = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
        path = str(node.args[0].value)
        specs.append(
            PageSpec(
                path,
                str(kw.get("title", Path(path).stem)),
                str(kw.get("url_path", Path(path).stem)),
                bool(kw.get("default", False)),
            )
        )
    return specs


PAGES = registered_pages()


def wait_for_run(page: Page) -> None:
    """Until the script has finished its run (the attribute Streamlit's own browser tests use)."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=RUN_TIMEOUT_MS
    )


def wait_for_widgets(page: Page) -> None:
    """Until no widget is still a grey skeleton (their code loads after the run finishes)."""
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)


def open_page(page: Page, app_url: str, spec: PageSpec) -> None:
    page.goto(app_url)
    wait_for_run(page)
    if spec.default:
        return
    link = nav_link(page, spec.title)
    link.click()
    page.wait_for_url(re.compile(rf"/{re.escape(spec.url_path)}/?$"), timeout=RUN_TIMEOUT_MS)
    wait_for_run(page)


def nav_link(page: Page, title: str) -> Locator:
    more = page.get_by_test_id("stSidebarNavViewButton")
    if more.count() and "more" in (more.inner_text() or "").lower():
        more.click()  # long menus are folded behind "View more"
    # By accessible name: the link's text also holds the icon's ligature name.
    return page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True)


def test_the_sidebar_lists_every_registered_page(page: Page, app_url: str):
    page.goto(app_url)
    wait_for_run(page)

    for spec in PAGES:
        expect(nav_link(page, spec.title)).to_be_visible()


@pytest.mark.parametrize("spec", PAGES, ids=[p.name for p in PAGES])
def test_every_page_loads_without_an_exception(
    page: Page, app_url: str, screenshots_dir: Path, spec: PageSpec
):
    open_page(page, app_url, spec)

    main = page.get_by_test_id("stMain")
    expect(main.locator("h1").first).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    wait_for_widgets(page)
    page.screenshot(path=str(screenshots_dir / f"{spec.name}.png"), full_page=True)


def test_a_first_visitor_deep_linking_to_a_page_gets_it_through_the_router(
    page: Page, fresh_app_url: str
):
    # A fresh server's first run would otherwise run pages/monitor.py alone (pages-folder
    # mode): no sections, no store check, no sign-in line.
    spec = next(p for p in PAGES if p.path == "pages/monitor.py")
    page.goto(f"{fresh_app_url}/{spec.url_path}")
    wait_for_run(page)
    expect(page.get_by_test_id("stMain").locator("h1").first).to_have_text(spec.title)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Signed in as")).to_be_visible()
    expect(nav_link(page, "Targeting")).to_be_visible()
    expect(sidebar.get_by_text("Client targeting", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stSidebarNav").get_by_role("link", name="streamlit app")).to_have_count(0)


def test_home_shows_the_store_counts_and_the_latest_deals(page: Page, app_url: str):
    open_page(page, app_url, next(p for p in PAGES if p.default))

    companies = page.get_by_test_id("stMetric").filter(has_text="Companies").first
    expect(companies.get_by_test_id("stMetricValue")).to_have_text("60")
    table = page.get_by_test_id("stDataFrame").first
    expect(table).to_be_visible()
    # The grid draws on a canvas and keeps a hidden copy of its visible rows for screen readers.
    rows = table.locator('[role="row"]')
    expect(rows.nth(5)).to_be_attached()
    expect(rows.nth(1)).to_contain_text("2026-11-17")  # the newest demo deal comes first
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()


def test_data_page_browses_a_table_of_the_store(page: Page, app_url: str):
    data = next((p for p in PAGES if p.path == "pages/data.py"), None)
    if data is None:
        pytest.skip("the router has no Data page")
    open_page(page, app_url, data)

    page.get_by_role("tab", name="Browse").click()
    expect(page.get_by_text("60 rows match")).to_be_visible()  # companies are shown first
    page.get_by_test_id("stSelectbox").filter(has_text="Table").click()
    page.get_by_role("option", name="deals", exact=True).click()

    expect(page.get_by_text("120 rows match")).to_be_visible()
    wait_for_run(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    grid = (
        page.get_by_test_id("stTabPanel")
        .filter(has_text="rows match")
        .get_by_test_id("stDataFrame")
    )
    expect(grid.locator('[role="row"]').nth(5)).to_be_attached()
