"""Precedents on the real store, SQLite and PostgreSQL: embeddings, index, search, export."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, func, select, update

from services.deal_embeddings import embed_deals, load_embeddings
from services.precedents import PrecedentEngine, PrecedentQuery, precedent_set, search_precedents
from services.precedents_export import export_precedents_to_excel
from workbench.embeddings import HashingEmbedder
from workbench.models import AuditEntry, Deal, DealEmbedding

DEALS = [
    ("P1", "Sponsor carve-out of specialty chemicals unit", "Materials", 1000.0, 9.5,
     "A sponsor bought the specialty chemicals division of a European group."),
    ("P2", "Take-private of coatings maker", "Materials", 2400.0, 11.0,
     "Private equity take-private of a listed coatings and chemicals maker."),
    ("P3", "EchoSign acquisition", "Information Technology", 400.0, None,
     "=HYPERLINK(\"http://x\") Adobe acquired EchoSign, electronic signatures."),
    ("P4", "Bank merger", "Financials", 5000.0, 12.0, "Merger of two regional banks."),
]


@pytest.fixture
def seeded(store):
    with store.session_factory.begin() as s:
        for i, (key, name, sector, size, multiple, text) in enumerate(DEALS):
            s.add(Deal(key=key, name=name, deal_type="ma", status="completed", sector=sector, size_usd_m=size,
                       ev_ebitda=multiple, announced_date=dt.date(2020 + i, 1, 1), description=text))
    return store


def _search(store, tmp_path, **kw):
    engine = PrecedentEngine(folder=tmp_path / "index", approximate_from=1000)
    return search_precedents(PrecedentQuery(**kw), session_factory=store.session_factory,
                             embedder=HashingEmbedder(128), engine=engine)


def test_search_finds_precedents_and_more_like_a_deal(seeded, tmp_path):
    hits = _search(seeded, tmp_path, text="sponsor specialty chemicals carve-out", top=3).hits
    assert hits["key"].iat[0] == "P1"
    like = _search(seeded, tmp_path, deal_key="P1", top=3).hits
    assert "P1" not in set(like["key"]) and like["key"].iat[0] == "P2"


def test_vectors_round_trip_and_follow_their_deal_on_delete(seeded):
    factory = seeded.session_factory
    embedder = HashingEmbedder(128)
    assert embed_deals(session_factory=factory, embedder=embedder).embedded == 4
    ids, vectors = load_embeddings(session_factory=factory, model_name=embedder.name, dimension=128)
    assert vectors.shape == (4, 128) and abs(float((vectors[0] ** 2).sum()) - 1.0) < 1e-5
    with factory.begin() as s:
        s.execute(delete(Deal).where(Deal.key == "P4"))
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(DealEmbedding)) == 3


def test_only_a_changed_deal_is_embedded_again(seeded):
    factory = seeded.session_factory
    embedder = HashingEmbedder(128)
    embed_deals(session_factory=factory, embedder=embedder)
    with factory.begin() as s:
        s.execute(update(Deal).where(Deal.key == "P2").values(description="Now about semiconductors."))
    report = embed_deals(session_factory=factory, embedder=embedder)
    assert (report.embedded, report.unchanged) == (1, 3)


def test_export_writes_a_workbook_with_provenance_and_an_audit_entry(seeded, tmp_path):
    result = _search(seeded, tmp_path, text="EchoSign chemicals", top=4)
    chosen = precedent_set(result.hits, excluded_keys=["P4"])
    exported = export_precedents_to_excel(result, chosen, session_factory=seeded.session_factory, user="ana")
    book = load_workbook(io.BytesIO(exported.data))
    assert book.sheetnames == ["Precedents", "Multiples", "Score parts", "Provenance"]
    cells = [c for row in book["Precedents"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert not any(c.startswith("=") for c in cells)  # no formula smuggled in through a name
    assert any("EchoSign" in c for c in cells)
    provenance = {r[0]: r[1] for r in book["Provenance"].iter_rows(values_only=True) if r[0]}
    assert provenance["Run by"] == "ana" and provenance["Deals in store"] == 4
    with seeded.session_factory() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "export")).one()
    assert entry.object_type == "precedents" and entry.row_count == len(chosen) and entry.file_sha256 == exported.sha256


def test_target_multiple_ranks_close_deals_first_and_the_export_shows_the_part(seeded, tmp_path):
    from services.precedents import FusionWeights

    weights = FusionWeights(text=0, keywords=0, sector=0, size=0, recency=0, multiples=1.0)
    result = _search(seeded, tmp_path, text="deal", target_ev_ebitda=11.2, weights=weights, top=4)
    hits = result.hits.set_index("key")
    assert list(hits.index[:3]) == ["P2", "P4", "P1"]  # 11.0x, 12.0x, 9.5x against 11.2x
    assert hits.loc["P3", "part_multiples"] == 0  # no EV/EBITDA stated
    exported = export_precedents_to_excel(result, precedent_set(result.hits), session_factory=seeded.session_factory,
                                          user="ana")  # fmt: skip
    book = load_workbook(io.BytesIO(exported.data))
    rows = [r for r in book["Score parts"].iter_rows(values_only=True) if any(c is not None for c in r)]
    header = next(r for r in rows if "Multiples" in r)
    column = header.index("Multiples")
    points = {r[header.index("Key")]: r[column] for r in rows[rows.index(header) + 1:]}
    assert points["P2"] > points["P1"] > 0 and not points["P3"]
    provenance = {r[0]: r[1] for r in book["Provenance"].iter_rows(values_only=True) if r[0]}
    assert "multiples: 1.0" in str(provenance["Fusion weights"])
    queries = [r[1] for r in book["Provenance"].iter_rows(values_only=True) if r[0] == "Query"]
    assert "target EV/EBITDA (x): 11.2" in queries
