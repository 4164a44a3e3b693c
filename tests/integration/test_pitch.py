"""The pitch pack on the real store (SQLite and PostgreSQL): both files read back, their numbers
equal to the store's, provenance and restricted-list flags present, one audit row per pack.

Starting Chromium is the slow part: one browser serves every pack of the module.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from sqlalchemy import func, select

from services.comps import propose_peers
from services.pitch import build_pitch_pack
from services.pitch.workbook import SHEETS
from services.precedents import PrecedentEngine
from services.tearsheet import build_tear_sheet
from workbench.access import Viewer
from workbench.charts import DEBIAN_CHROMIUM, ChartRenderer
from workbench.demo import DemoSize, seed_demo
from workbench.embeddings import HashingEmbedder
from workbench.errors import WorkbenchError
from workbench.models import (AuditEntry, Company, DealParty, DealTeam, DebtInstrument, Deal, Document, Price,
                              RestrictedCompany)  # fmt: skip

SMALL = DemoSize(companies=60, deals=150, documents=4, price_years=1, seed=7)
EMBEDDER = HashingEmbedder(64)


@pytest.fixture(scope="module")
def renderer():
    if not DEBIAN_CHROMIUM.exists():
        pytest.skip(f"{DEBIAN_CHROMIUM} not found: chart images need Debian's chromium (apt-get install -y chromium)")
    with ChartRenderer() as r:
        yield r


def _table(ws, header: str) -> tuple[int, dict[str, int]]:
    """Row number of the header row whose first cell is ``header``, and the columns by header."""
    for row in ws.iter_rows():
        if row[0].value == header:
            return row[0].row, {c.value: c.column for c in row if c.value}
    raise AssertionError(f"no table headed {header!r} in {ws.title}")


def _records(ws, header: str) -> list[dict[str, object]]:
    start, cols = _table(ws, header)
    out = []
    for r in range(start + 1, ws.max_row + 1):
        if ws.cell(r, 1).value is None:
            break
        out.append({name: ws.cell(r, c).value for name, c in cols.items()})
    return out


def _listed_with_debt(session) -> Company:
    return session.scalars(
        select(Company).where(Company.market_cap_usd_m > 0, Company.ebitda_usd_m > 0,
                              Company.id.in_(select(DebtInstrument.company_id)),
                              Company.id.in_(select(Price.company_id)))
        .order_by(Company.market_cap_usd_m.desc()).limit(1)
    ).one()  # fmt: skip


def test_pitch_pack_reads_back_with_the_stores_numbers_and_is_audited(store, renderer, tmp_path):
    seed_demo(store.session_factory, SMALL, user="test-user")
    with store.session_factory() as s:
        company = _listed_with_debt(s)
        key, ticker = company.key, company.ticker
    peer_id = int(propose_peers(key, session_factory=store.session_factory, embedder=EMBEDDER).peers.iloc[0]["company_id"])
    with store.session_factory.begin() as s:
        s.add(RestrictedCompany(company_id=peer_id, reason="live mandate"))
        peer_name = s.get(Company, peer_id).name
    engine = PrecedentEngine(folder=tmp_path / "index", approximate_from=1000)
    pack = build_pitch_pack(ticker, "ma", session_factory=store.session_factory, embedder=EMBEDDER, engine=engine,
                            user="ann", out_dir=tmp_path / "out", renderer=renderer)  # fmt: skip

    xlsx_path, pptx_path = pack.paths
    assert xlsx_path.read_bytes() == pack.workbook.data and pptx_path.read_bytes() == pack.deck.data
    wb = load_workbook(io.BytesIO(pack.workbook.data))
    assert wb.sheetnames == list(SHEETS)

    # Comps: every figure is the store's own (EV = market cap + net debt; percentages as fractions).
    comps = _records(wb["Comps"], "Role")
    assert comps[0]["Role"] == "subject" and comps[0]["Company"] == company.name and len(comps) >= 4
    with store.session_factory() as s:
        facts = {c.name: c for c in s.scalars(select(Company).where(Company.name.in_([r["Company"] for r in comps])))}
    for row in comps:
        c = facts[row["Company"]]
        assert row["Market cap ($m)"] == c.market_cap_usd_m
        assert row["EV ($m)"] == pytest.approx(c.market_cap_usd_m + c.net_debt_usd_m)
        assert row["P/E (x)"] == c.pe_ratio
        assert row["Revenue growth (%)"] == pytest.approx(c.revenue_growth_pct / 100)
        if c.ebitda_usd_m and c.ebitda_usd_m > 0:
            assert row["EV/EBITDA (x)"] == pytest.approx((c.market_cap_usd_m + c.net_debt_usd_m) / c.ebitda_usd_m)
    assert {r["Company"]: r["Restricted list"] for r in comps}[peer_name] == "RESTRICTED"
    medians = {r["Metric"]: r["Median"] for r in _records(wb["Comps statistics"], "Metric")}
    peer_caps = sorted(r["Market cap ($m)"] for r in comps[1:])
    n = len(peer_caps)
    assert medians["Market cap ($m)"] == pytest.approx((peer_caps[(n - 1) // 2] + peer_caps[n // 2]) / 2)

    # Tear sheet, debt ladder, price history and precedents against the store.
    financials = {r["Key financials and ratios"]: r["Value"] for r in _records(wb["Tear sheet"], "Key financials and ratios")}
    assert financials["Revenue ($m)"] == company.revenue_usd_m and financials["Market cap ($m)"] == company.market_cap_usd_m
    as_of = pack.content.sheet.as_of
    with store.session_factory() as s:
        debt = s.scalar(select(func.sum(DebtInstrument.amount_usd_m)).where(
            DebtInstrument.company_id == company.id, DebtInstrument.maturity_date >= as_of))  # fmt: skip
        last_close = s.scalar(select(Price.close).where(Price.company_id == company.id)
                              .order_by(Price.date.desc()).limit(1))  # fmt: skip
        multiples = dict(s.execute(select(Deal.key, Deal.ev_ebitda).where(Deal.deal_type == "ma")).all())
    assert sum(r["Maturing ($m)"] for r in _records(wb["Debt ladder"], "Maturity year")) == pytest.approx(debt)
    assert _records(wb["Price history"], "Date")[-1]["Close"] == last_close
    precedents = _records(wb["Precedents"], "Rank")
    assert precedents and all(r["EV/EBITDA"] == multiples[r["Key"]] for r in precedents)

    # Provenance and restricted flags, on the workbook's cover and provenance sheet.
    cover = {r[0].value: r[1].value for r in wb["Cover"].iter_rows() if r[0].value}
    assert cover["Restricted list"].startswith("YES") and f"{peer_name} (peer)" in cover["Restricted list"]
    provenance = {r[0].value: r[1].value for r in wb["Provenance"].iter_rows() if r[0].value}
    assert provenance["Store"].startswith(store.backend) and "password" not in str(provenance).lower()
    assert "source: deals, deal_embeddings" in provenance["Precedent transactions"]
    assert "source: debt_instruments" in provenance["Debt maturity ladder"] and f"as of {as_of}" in provenance["Debt maturity ladder"]
    assert provenance["File (pptx)"] == pptx_path.name

    # The deck: every slide, its tables and chart images; the subject's figures as the store has them.
    deck = Presentation(io.BytesIO(pack.deck.data))
    slides = list(deck.slides)
    assert len(slides) == 12
    pictures = [sh for sl in slides for sh in sl.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pictures) == 5 and all(p.image.content_type == "image/png" and p.image.size[0] >= 1000 for p in pictures)
    tables = {sl.shapes.title.text: sh.table for sl in slides[1:] for sh in sl.shapes if sh.has_table}
    comps_table = tables[f"Trading comparables: {company.name} ({ticker})"]
    subject_row = [comps_table.cell(1, j).text for j in range(len(comps_table.columns))]
    assert subject_row[0] == f"» {company.name}" and subject_row[1] == f"{company.market_cap_usd_m:,.1f}"
    cover_text = " ".join(sh.text_frame.text for sh in slides[0].shapes if sh.has_text_frame)
    assert "Restricted list: YES" in cover_text and peer_name in cover_text

    # One audit row for the pack, with both files' hashes.
    with store.session_factory() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.object_type == "pitch_pack")).all()
    assert len(rows) == 1 and rows[0].user == "ann" and rows[0].file_name == xlsx_path.name
    files = {f["name"]: f["sha256"] for f in rows[0].details["files"]}
    assert files == {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (xlsx_path, pptx_path)}
    assert rows[0].details["restricted"] == [peer_name]


def test_bad_input_writes_and_records_nothing(store, tmp_path):
    seed_demo(store.session_factory, DemoSize(companies=20, deals=0, documents=0, price_years=1), user="test-user")
    engine = PrecedentEngine(folder=tmp_path / "index", approximate_from=1000)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    cases = [("NOPE", "ma", tmp_path / "out", "no company"), ("NOPE", "ipo", tmp_path / "out", "situation"),
             ("NOPE", "ma", blocker, "is a file")]  # fmt: skip
    for company, situation, out, message in cases:
        with pytest.raises(WorkbenchError, match=message):
            build_pitch_pack(company, situation, session_factory=store.session_factory, embedder=EMBEDDER,
                             engine=engine, user="ann", out_dir=Path(out))  # fmt: skip
    assert not (tmp_path / "out").exists()
    with store.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.object_type == "pitch_pack")) == 0


def test_tear_sheet_follows_information_barriers_and_flags_the_restricted_list(store):
    seed_demo(store.session_factory, SMALL, user="test-user")
    with store.session_factory.begin() as s:
        company = _listed_with_debt(s)
        # the company's newest deal: the tear sheet lists the newest ten
        deal = s.scalars(select(Deal).join(DealParty).where(DealParty.company_id == company.id,
                                                            DealParty.role.in_(("issuer", "target", "acquirer")))
                         .order_by(Deal.announced_date.desc(), Deal.id.desc()).limit(1)).one()  # fmt: skip
        team = DealTeam(name="Project Falcon")
        s.add(team)
        s.flush()
        deal.team_id = team.id
        s.add(Document(key="falcon-memo", company_id=company.id, doc_type="other", title="Falcon board memo",
                       text="Private. The board met.", char_count=23, team_id=team.id))  # fmt: skip
        s.add(RestrictedCompany(company_id=company.id, reason="Project Falcon"))
        company_id, deal_key, team_id = company.id, deal.key, team.id
    public = build_tear_sheet(company_id, session_factory=store.session_factory)
    insider = build_tear_sheet(company_id, session_factory=store.session_factory,
                               viewer=Viewer(user="ann", teams=frozenset({team_id})))  # fmt: skip
    assert deal_key not in set(public.deals["key"]) and deal_key in set(insider.deals["key"])
    assert "Falcon board memo" not in set(public.documents["title"])
    assert "Falcon board memo" in set(insider.documents["title"])
    assert public.restricted and public.restricted_reason == "Project Falcon"
    assert "barriers of public" in public.sources["deals"]["filter"]
