from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from workbench.db import make_engine, make_session_factory, migrate
from workbench.demo import DemoSize, seed_demo
from workbench.demo.wording import money
from workbench.domain import GICS_SECTORS, INVESTMENT_GRADE, DealType, DocumentType, rating_notch
from workbench.demo.vocabulary import COUNTRIES
from workbench.errors import WorkbenchError
from workbench.models import AuditEntry, Company, DebtInstrument, Deal, DealParty, Document, Price

AS_OF = dt.date(2026, 11, 20)
SIZE = DemoSize(companies=400, deals=600, documents=8, price_years=1)
SMALL = DemoSize(companies=80, deals=150, documents=6, price_years=1)
CONTENT_TABLES = (Company, DebtInstrument, Price, Deal, DealParty, Document)


def _new_store(path: Path):
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    return engine, make_session_factory(engine)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory):
    engine, factory = _new_store(tmp_path_factory.mktemp("demo") / "demo.db")
    seen: list[float] = []
    summary = seed_demo(factory, SIZE, progress=lambda f, _m: seen.append(f), user="test-user")
    yield factory, summary, seen
    engine.dispose()


def _rows(factory, model) -> list[tuple]:
    table = model.__table__
    cols = [c for c in table.columns if c.name not in ("created_at", "updated_at")]
    order = [c for c in table.primary_key.columns] or cols
    with factory() as s:
        return [tuple(r) for r in s.execute(select(*cols).order_by(*order))]


def _all(factory, model) -> list:
    with factory() as s:
        return list(s.scalars(select(model)))


def test_same_seed_and_size_give_identical_rows(tmp_path: Path) -> None:
    e1, f1 = _new_store(tmp_path / "a.db")
    e2, f2 = _new_store(tmp_path / "b.db")
    seed_demo(f1, SMALL, user="u")
    seed_demo(f2, SMALL, user="u")
    for model in CONTENT_TABLES:
        rows = _rows(f1, model)
        assert rows, model.__tablename__
        assert rows == _rows(f2, model), model.__tablename__
    e1.dispose()
    e2.dispose()


def test_another_seed_gives_other_companies(tmp_path: Path) -> None:
    e1, f1 = _new_store(tmp_path / "a.db")
    e2, f2 = _new_store(tmp_path / "b.db")
    seed_demo(f1, SMALL, user="u")
    seed_demo(f2, DemoSize(companies=80, deals=150, documents=6, price_years=1, seed=8), user="u")
    names1 = {c.name for c in _all(f1, Company)}
    names2 = {c.name for c in _all(f2, Company)}
    assert len(names1 & names2) < 10
    e1.dispose()
    e2.dispose()


def test_summary_counts_match_the_store_and_progress_ends_at_one(seeded) -> None:
    factory, summary, seen = seeded
    with factory() as s:
        count = lambda m: s.scalar(select(func.count()).select_from(m))  # noqa: E731
        assert summary.companies == count(Company) == SIZE.companies
        assert summary.deals == count(Deal) == SIZE.deals
        assert summary.documents == count(Document) == SIZE.documents
        assert summary.debt_instruments == count(DebtInstrument) > 0
        assert summary.prices == count(Price) > 0
        assert summary.deal_parties == count(DealParty) > 0
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "demo_seed")).one()
        assert audit.row_count == summary.total_rows and audit.user == "test-user"
    assert summary.elapsed_s > 0
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_companies_have_unique_keys_names_and_tickers_and_consistent_labels(seeded) -> None:
    companies = _all(seeded[0], Company)
    assert len({c.key for c in companies}) == len(companies)
    assert len({c.name for c in companies}) == len(companies)
    tickers = [c.ticker for c in companies if c.ticker]
    assert len(set(tickers)) == len(tickers)
    region_of = {c.name: c.region for c in COUNTRIES}
    for c in companies:
        assert c.sector in GICS_SECTORS and c.industry and c.sub_industry
        assert c.region == region_of[c.country]
        assert (c.sponsor is not None) == (c.ownership == "sponsor_backed")
        if c.listing_status == "listed":
            assert c.ticker and c.exchange and c.market_cap_usd_m and c.market_cap_usd_m > 0
        elif c.listing_status == "delisted":  # taken over: keeps its old ticker, has no market value
            assert c.ticker and c.market_cap_usd_m is None and "and delisted." in c.description
            assert c.ownership in ("subsidiary", "sponsor_backed")
        else:
            assert c.listing_status == "private"
            assert c.ticker is None and c.market_cap_usd_m is None and c.pe_ratio is None
        assert c.name in c.description and c.founded_year <= AS_OF.year
        assert c.financials_as_of == AS_OF
    assert {c.listing_status for c in companies} == {"listed", "private", "delisted"}
    assert {"public", "sponsor_backed", "founder", "family"} <= {c.ownership for c in companies}


def test_net_debt_is_total_debt_minus_cash_and_ebitda_follows_margin(seeded) -> None:
    for c in _all(seeded[0], Company):
        assert c.net_debt_usd_m == pytest.approx(c.total_debt_usd_m - c.cash_usd_m, abs=0.051)
        assert c.ebitda_usd_m == pytest.approx(c.revenue_usd_m * c.ebitda_margin_pct / 100, abs=0.06)
        assert c.revenue_usd_m > 0 and c.cash_usd_m >= 0 and c.total_debt_usd_m >= 0


def test_debt_ladder_sums_to_total_debt_with_maturities_spread_to_2036(seeded) -> None:
    factory = seeded[0]
    ladder: dict[int, list[DebtInstrument]] = defaultdict(list)
    for d in _all(factory, DebtInstrument):
        ladder[d.company_id].append(d)
    near = 0
    maturities = []
    issued = {(p.company_id, d.closed_date) for d, p in _issued_debt(factory)}
    for c in _all(factory, Company):
        items = [d for d in ladder.get(c.id, []) if (c.id, d.issue_date) not in issued]
        if c.total_debt_usd_m == 0:
            assert not items
            continue
        assert 1 <= len(items) <= 6
        # with the bonds and loans its deals issued, the ladder still sums to total debt
        assert sum(d.amount_usd_m for d in ladder[c.id]) == pytest.approx(c.total_debt_usd_m, abs=0.05)
        for d in items:
            assert d.amount_usd_m > 0 and d.coupon_pct is not None and d.coupon_pct >= 0
            assert d.issue_date < d.maturity_date and d.issue_date <= AS_OF < d.maturity_date
            assert d.maturity_date <= dt.date(2036, 12, 31)
            near += d.maturity_date <= AS_OF + dt.timedelta(days=730)
            maturities.append(d.maturity_date.year)
    assert near > 0
    assert min(maturities) == 2026 or min(maturities) == 2027
    assert max(maturities) >= 2035


def _issued_debt(factory) -> list[tuple[Deal, DealParty]]:
    issuers = {p.deal_id: p for p in _all(factory, DealParty) if p.role == "issuer"}
    return [(d, issuers[d.id]) for d in _all(factory, Deal)
            if d.deal_type in ("ig_bond", "hy_bond", "term_loan", "convertible") and d.status == "completed"]


def test_bond_and_loan_deals_fit_their_issuers_debt_and_the_outstanding_ones_are_in_its_ladder(seeded) -> None:
    factory = seeded[0]
    companies = {c.id: c for c in _all(factory, Company)}
    ladder: dict[int, list[DebtInstrument]] = defaultdict(list)
    for d in _all(factory, DebtInstrument):
        ladder[d.company_id].append(d)
    deals = _issued_debt(factory)
    sizes = Counter()
    in_ladder = outstanding = 0
    for d, issuer in deals:
        assert d.size_usd_m <= companies[issuer.company_id].total_debt_usd_m + 0.05, d.name
        sizes[d.size_usd_m] += 1
        maturity = d.closed_date.replace(year=d.closed_date.year + int(d.tenor_years), day=min(d.closed_date.day, 28))
        if maturity > AS_OF:
            outstanding += 1
            in_ladder += any(i.issue_date == d.closed_date and i.amount_usd_m == d.size_usd_m
                             and i.maturity_date == maturity for i in ladder[issuer.company_id])
    # sizes follow the issuers' debt: no pile-up at a fixed minimum
    assert sizes.most_common(1)[0][1] < 0.1 * len(deals)
    # most outstanding deals are in the ladder; the rest would have taken over 80% of the debt
    assert outstanding and in_ladder >= 0.6 * outstanding


def test_a_listed_company_taken_over_is_delisted_then_and_in_no_later_deal(seeded) -> None:
    factory = seeded[0]
    companies = {c.id: c for c in _all(factory, Company)}
    deals = {d.id: d for d in _all(factory, Deal)}
    parties = _all(factory, DealParty)
    last_price: dict[int, dt.date] = {}
    for p in _all(factory, Price):
        last_price[p.company_id] = max(p.date, last_price.get(p.company_id, p.date))
    taken = {p.company_id: deals[p.deal_id] for p in parties
             if p.role == "target" and p.company_id and deals[p.deal_id].status == "completed"
             and companies[p.company_id].listing_status == "delisted"}
    assert taken
    for cid, deal in taken.items():
        assert last_price.get(cid, deal.closed_date) <= deal.closed_date
        acquirer = next(p.name for p in parties if p.deal_id == deal.id and p.role == "acquirer")
        assert acquirer in companies[cid].description
    # a company is taken over once, and is no one's issuer or target in any other deal
    for p in parties:
        if p.company_id in taken and p.role in ("issuer", "target"):
            assert p.deal_id == taken[p.company_id].id, (p.role, deals[p.deal_id].name)
    # every completed M&A deal with a listed target has delisted it
    for p in parties:
        d = deals[p.deal_id]
        if p.role == "target" and p.company_id and d.status == "completed" and d.premium_pct is not None:
            assert companies[p.company_id].listing_status == "delisted"


def test_ratings_worsen_with_leverage_on_average(seeded) -> None:
    pairs = [(rating_notch(c.rating), c.net_debt_usd_m / c.ebitda_usd_m)
             for c in _all(seeded[0], Company) if c.rating and c.ebitda_usd_m > 0]
    notches = np.array([p[0] for p in pairs], dtype=float)
    leverage = np.array([p[1] for p in pairs])
    ig = leverage[notches <= 9]
    hy = leverage[notches >= 10]
    assert len(ig) > 20 and len(hy) > 20
    assert ig.mean() + 1.0 < hy.mean()
    rank = lambda a: np.argsort(np.argsort(a))  # noqa: E731
    assert np.corrcoef(rank(notches), rank(leverage))[0, 1] > 0.6


def test_investment_grade_bonds_pay_less_than_high_yield(seeded) -> None:
    deals = _all(seeded[0], Deal)
    ig = [d for d in deals if d.deal_type == DealType.IG_BOND]
    hy = [d for d in deals if d.deal_type == DealType.HY_BOND]
    assert all(d.rating in INVESTMENT_GRADE for d in ig)
    assert all(d.rating not in INVESTMENT_GRADE for d in hy)
    assert np.mean([d.coupon_pct for d in ig]) + 1.5 < np.mean([d.coupon_pct for d in hy])
    by_year: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for d in ig + hy:
        by_year[d.announced_date.year][d.deal_type].append(d.coupon_pct)
    for year, kinds in by_year.items():
        if kinds["ig_bond"] and kinds["hy_bond"]:
            assert np.mean(kinds["ig_bond"]) < np.mean(kinds["hy_bond"]), year


def test_prices_are_positive_coherent_and_on_business_days_for_listed_only(seeded) -> None:
    factory = seeded[0]
    listed = {c.id for c in _all(factory, Company) if c.listing_status == "listed"}
    delisted = {c.id for c in _all(factory, Company) if c.listing_status == "delisted"}
    prices = _all(factory, Price)
    assert {p.company_id for p in prices} <= listed | delisted
    assert len({p.company_id for p in prices}) > 0.9 * len(listed)
    for p in prices:
        assert p.date.weekday() < 5 and p.date <= AS_OF
        assert 0 < p.low <= min(p.open, p.close) and max(p.open, p.close) <= p.high
        assert p.volume >= 0
    assert max(p.date for p in prices) == AS_OF
    assert min(p.date for p in prices) > AS_OF - dt.timedelta(days=366)


def test_every_deal_type_is_present_with_unique_keys_over_five_years(seeded) -> None:
    deals = _all(seeded[0], Deal)
    assert {d.deal_type for d in deals} == {t.value for t in DealType}
    assert len({d.key for d in deals}) == len(deals)
    counts = Counter(d.deal_type for d in deals)
    assert counts["ma"] > counts["ipo"]
    for d in deals:
        assert AS_OF - dt.timedelta(days=5 * 366) <= d.announced_date <= AS_OF
        assert d.closed_date is None or d.announced_date <= d.closed_date <= AS_OF
        assert d.size_usd_m > 0 and d.sector in GICS_SECTORS and d.region and d.country
        if d.deal_type == "ma":
            assert d.enterprise_value_usd_m and d.consideration in ("cash", "stock", "mixed")
            assert d.ev_revenue is not None
        if d.deal_type in ("ig_bond", "hy_bond", "term_loan"):
            assert d.coupon_pct and d.tenor_years
    assert Counter(d.status for d in deals)["completed"] > len(deals) / 2


def test_every_deal_has_the_parties_its_type_needs(seeded) -> None:
    factory = seeded[0]
    parties: dict[int, list[DealParty]] = defaultdict(list)
    for p in _all(factory, DealParty):
        parties[p.deal_id].append(p)
    for d in _all(factory, Deal):
        roles = Counter(p.role for p in parties[d.id])
        if d.deal_type == "ma":
            assert roles["target"] == 1 and roles["acquirer"] == 1 and roles["advisor"] >= 1
            assert roles["issuer"] == 0 and roles["bookrunner"] == 0
        else:
            assert roles["issuer"] == 1 and 1 <= roles["bookrunner"] <= 4
            issuer = next(p for p in parties[d.id] if p.role == "issuer")
            assert issuer.company_id is not None


def test_deal_descriptions_state_the_facts_and_vary(seeded) -> None:
    factory = seeded[0]
    parties: dict[int, list[DealParty]] = defaultdict(list)
    for p in _all(factory, DealParty):
        parties[p.deal_id].append(p)
    deals = _all(factory, Deal)
    for d in deals:
        main_role = "target" if d.deal_type == "ma" else "issuer"
        main = next(p for p in parties[d.id] if p.role == main_role)
        assert main.name in d.description, d.description
        # amounts are written in the deal's currency: "€1.2bn", not the dollar figure
        assert money(d.size_local_m, d.currency) in d.description, (money(d.size_local_m, d.currency), d.description)
    assert len({d.description for d in deals}) == len(deals)
    openings = Counter(re.sub(r"[^a-z ]", "", d.description.split(",")[0].lower()).split()[-1] for d in deals)
    assert len(openings) > 20
    assert any("carve-out" in (d.categories or []) for d in deals)
    assert any("cross-border" in (d.categories or []) for d in deals)


def test_ipo_issuers_were_private_until_their_listing(seeded) -> None:
    factory = seeded[0]
    companies = {c.id: c for c in _all(factory, Company)}
    first_price: dict[int, dt.date] = {}
    for p in _all(factory, Price):
        first_price[p.company_id] = min(p.date, first_price.get(p.company_id, p.date))
    issuers = {p.deal_id: p.company_id for p in _all(factory, DealParty) if p.role == "issuer"}
    ipos = [d for d in _all(factory, Deal) if d.deal_type == "ipo"]
    assert ipos
    for d in ipos:
        company = companies[issuers[d.id]]
        if d.status == "withdrawn":
            assert company.listing_status == "private"
        else:
            assert company.listing_status == "listed"
            assert first_price[company.id] >= d.announced_date
    follow_on_issuers = {issuers[d.id] for d in _all(factory, Deal) if d.deal_type == "follow_on"}
    ipo_issuers = {issuers[d.id] for d in ipos if d.status != "withdrawn"}
    assert not follow_on_issuers & ipo_issuers


def test_documents_are_transcripts_and_filings_with_figures_from_the_company(seeded) -> None:
    factory = seeded[0]
    companies = {c.id: c for c in _all(factory, Company)}
    docs = _all(factory, Document)
    assert {d.doc_type for d in docs} == {DocumentType.TRANSCRIPT.value, DocumentType.FILING_10K.value}
    assert len({d.key for d in docs}) == len(docs)
    for d in docs:
        company = companies[d.company_id]
        assert company.listing_status == "listed" and company.name in d.text
        assert d.char_count == len(d.text)
        assert d.sha256 == hashlib.sha256(d.text.encode()).hexdigest()
        assert d.doc_date <= AS_OF
        if d.doc_type == "transcript":
            m = re.search(r"full-year revenue of \$([\d.,]+) (billion|million) to \$([\d.,]+) (billion|million)", d.text)
            assert m, d.text
            scale = 1000 if m.group(2) == "billion" else 1
            low = float(m.group(1).replace(",", "")) * scale
            assert low == pytest.approx(company.revenue_usd_m, rel=0.25)
            assert "Question-and-answer session" in d.text and "Prepared remarks" in d.text
        else:
            assert "Risk Factors" in d.text
            total = company.total_debt_usd_m
            expected = f"${total / 1000:,.2f} billion" if total >= 1000 else None
            if expected:
                assert expected in d.text
        assert len(d.text.splitlines()) > 15


def test_seeding_a_non_empty_store_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    engine, factory = _new_store(tmp_path / "s.db")
    seed_demo(factory, SMALL, user="u")
    before = _rows(factory, Company)
    with pytest.raises(WorkbenchError, match="not empty.*replace"):
        seed_demo(factory, DemoSize(companies=90, deals=150, documents=6, price_years=1, seed=9), user="u")
    assert _rows(factory, Company) == before
    engine.dispose()


def test_replace_deletes_existing_rows_and_reseeds(tmp_path: Path) -> None:
    engine, factory = _new_store(tmp_path / "s.db")
    seed_demo(factory, SMALL, user="u")
    summary = seed_demo(factory, DemoSize(companies=50, deals=30, documents=2, price_years=0, seed=3),
                        replace=True, user="u")
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Company)) == 50 == summary.companies
        assert s.scalar(select(func.count()).select_from(Deal)) == 30
        assert s.scalar(select(func.count()).select_from(Price)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 2
    engine.dispose()


@pytest.mark.parametrize("field,value", [("companies", 0), ("deals", -1), ("documents", -5),
                                         ("price_years", -1), ("price_years", 31)])
def test_invalid_sizes_are_rejected_before_anything_is_written(tmp_path: Path, field: str, value: int) -> None:
    engine, factory = _new_store(tmp_path / "s.db")
    kwargs = {"companies": 50, "deals": 0, "documents": 0, "price_years": 0, field: value}
    with pytest.raises(WorkbenchError, match=field):
        seed_demo(factory, DemoSize(**kwargs), user="u")
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 0
    engine.dispose()


def test_a_size_that_would_write_hundreds_of_millions_of_prices_is_refused_up_front(tmp_path: Path) -> None:
    _, factory = _new_store(tmp_path / "big.db")
    with pytest.raises(WorkbenchError, match=r"up to 704,700,000 price rows.*--price-years 0"):
        seed_demo(factory, DemoSize(companies=1_000_000, deals=0, documents=0))
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Company)) == 0
    DemoSize(companies=1_000_000, deals=50_000, documents=0, price_years=0).validate()  # the benchmark's size
    DemoSize(companies=50_000, deals=2_500, documents=0, price_years=1).validate()


def test_zero_price_years_deals_and_documents_make_companies_only(tmp_path: Path) -> None:
    engine, factory = _new_store(tmp_path / "s.db")
    summary = seed_demo(factory, DemoSize(companies=30, deals=0, documents=0, price_years=0), user="u")
    assert (summary.companies, summary.prices, summary.deals, summary.documents) == (30, 0, 0, 0)
    engine.dispose()



def test_descriptions_use_an_before_vowel_sounds():
    from workbench.demo.wording import fix_articles

    assert fix_articles("a Indian business, a accelerated bookbuild") == "an Indian business, an accelerated bookbuild"
    assert fix_articles("with a 8.5% coupon and a 11-year tenor") == "with an 8.5% coupon and an 11-year tenor"
    assert fix_articles("a European unit, a US bank, a $1.2bn loan, a 5.75% coupon") == (
        "a European unit, a US bank, a $1.2bn loan, a 5.75% coupon"
    )
