"""The pitch pack as a PowerPoint deck (python-pptx): the workbook's tables, and its charts as
images rendered by plotly's static export. Every slide names its source and as-of date."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Emu, Inches, Pt

from services.comps import METRICS
from services.pitch.content import PitchContent
from services.pitch.figures import CHART_TITLES
from services.pitch.workbook import restricted_line
from services.tearsheet import PROFILE_FIELDS, deal_type_label

NAVY = RGBColor(0x1F, 0x38, 0x64)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
RED = RGBColor(0xC0, 0x00, 0x00)
GREY = RGBColor(0x59, 0x59, 0x59)
LIGHT = RGBColor(0xD9, 0xE1, 0xF2)
SLIDE_W, SLIDE_H = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.4)
TITLE_ONLY = 5
MAX_TABLE_ROWS = 16
COMPS_COLUMNS = ("market_cap_usd_m", "ev_usd_m", "ev_revenue", "ev_ebitda", "pe_ratio", "revenue_growth_pct",
                 "ebitda_margin_pct", "net_debt_to_ebitda")  # fmt: skip


def fmt(value: Any, kind: str) -> str:
    """A figure as the deck prints it: $m with one decimal and thousands, multiples 0.0x, percent 0.0%."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "-"
    if value is pd.NaT or (hasattr(value, "__class__") and value.__class__.__name__ == "NAType"):
        return "-"
    if kind == "usd_m":
        return f"{float(value):,.1f}"
    if kind == "multiple":
        return f"{float(value):.1f}x"
    if kind in ("pct_points", "pct"):
        return f"{float(value):.1f}%"
    if kind == "score":
        return f"{float(value):.1f}"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "number":
        return f"{float(value):,.2f}"
    if kind == "date":
        return f"{pd.Timestamp(value):%Y-%m-%d}"
    return str(value)


class Deck:
    def __init__(self, content: PitchContent) -> None:
        self.c = content
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = SLIDE_W, SLIDE_H

    def slide(self, title: str, source: str) -> Any:
        slide = self.prs.slides.add_slide(self.prs.slide_layouts[TITLE_ONLY])
        shape = slide.shapes.title
        shape.left, shape.top, shape.width, shape.height = MARGIN, Inches(0.2), SLIDE_W - 2 * MARGIN, Inches(0.8)
        shape.text = title
        para = shape.text_frame.paragraphs[0]
        para.font.size, para.font.bold, para.font.color.rgb = Pt(26), True, NAVY
        footer = f"Source: {source}. Data as of {self.c.sheet.as_of:%Y-%m-%d}. Deal Workbench."
        self.text(slide, footer, MARGIN, SLIDE_H - Inches(0.45), SLIDE_W - 2 * MARGIN, Inches(0.3), size=9,
                  color=GREY)  # fmt: skip
        if self.c.restricted:
            self.text(slide, "RESTRICTED LIST: see cover", SLIDE_W - Inches(3.6), Inches(0.05), Inches(3.2),
                      Inches(0.3), size=10, color=RED, bold=True)  # fmt: skip
        return slide

    @staticmethod
    def text(slide: Any, text: str, left: Emu, top: Emu, width: Emu, height: Emu, *, size: int = 12,
             color: RGBColor = GREY, bold: bool = False) -> Any:  # fmt: skip
        box = slide.shapes.add_textbox(left, top, width, height)
        frame = box.text_frame
        frame.word_wrap = True
        for i, line in enumerate(text.split("\n")):
            para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            para.text = line
            para.font.size, para.font.color.rgb, para.font.bold = Pt(size), color, bold
        return box

    @staticmethod
    def table(slide: Any, header: Sequence[str], rows: Sequence[Sequence[str]], left: Emu, top: Emu, width: Emu,
              *, size: int = 10, first_width: float | None = None, bold_rows: Sequence[int] = ()) -> Any:  # fmt: skip
        height = Inches(0.3) * (len(rows) + 1)
        shape = slide.shapes.add_table(len(rows) + 1, len(header), left, top, width, height)
        table = shape.table
        if first_width is not None and len(header) > 1:
            table.columns[0].width = int(width * first_width)
            rest = (width - table.columns[0].width) // (len(header) - 1)
            for j in range(1, len(header)):
                table.columns[j].width = rest
        for j, name in enumerate(header):
            cell = table.cell(0, j)
            cell.text = name
            cell.fill.solid()
            cell.fill.fore_color.rgb = NAVY
            para = cell.text_frame.paragraphs[0]
            para.font.size, para.font.bold, para.font.color.rgb = Pt(size), True, WHITE
        for i, values in enumerate(rows, start=1):
            for j, value in enumerate(values):
                cell = table.cell(i, j)
                cell.text = value
                para = cell.text_frame.paragraphs[0]
                para.font.size = Pt(size)
                para.font.bold = (i - 1) in bold_rows
        return shape

    def image(self, slide: Any, png: bytes, left: Emu, top: Emu, width: Emu) -> Any:
        return slide.shapes.add_picture(io.BytesIO(png), left, top, width=width)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.prs.save(buffer)
        return buffer.getvalue()


def build_deck(content: PitchContent, images: dict[str, bytes]) -> bytes:
    """The deck's bytes: ``images`` are the PNGs of services.pitch.figures.pack_figures, by name."""
    c, sheet = content, content.sheet
    deck = Deck(c)
    body_w = SLIDE_W - 2 * MARGIN
    top = Inches(1.1)

    # 1. Cover
    slide = deck.prs.slides.add_slide(deck.prs.slide_layouts[6])
    deck.text(slide, c.title, MARGIN, Inches(2.2), body_w, Inches(1.0), size=40, color=NAVY, bold=True)
    deck.text(slide, f"{c.situation.label}: discussion materials", MARGIN, Inches(3.2), body_w, Inches(0.6),
              size=24, color=GREY)  # fmt: skip
    deck.text(slide, f"Data as of {sheet.as_of:%Y-%m-%d}. Prepared by {c.run_by} on {c.run_at:%Y-%m-%d %H:%M} UTC.",
              MARGIN, Inches(4.0), body_w, Inches(0.4), size=14)  # fmt: skip
    deck.text(slide, f"Restricted list: {restricted_line(c)}", MARGIN, Inches(4.6), body_w, Inches(0.8), size=14,
              color=RED if c.restricted else GREY, bold=bool(c.restricted))  # fmt: skip

    # 2. Company overview
    slide = deck.slide(f"{c.title}: company overview", "companies")
    keep = ("sector", "industry", "country", "headquarters", "listing_status", "ownership", "rating", "employees",
            "financials_as_of")  # fmt: skip
    profile_rows = [[label, fmt(sheet.profile.get(f), "date" if f == "financials_as_of" else "text")
                     if sheet.profile.get(f) is not None else "-"] for f, label in PROFILE_FIELDS if f in keep]  # fmt: skip
    deck.table(slide, ["Profile", ""], profile_rows, MARGIN, top, Inches(5.6), first_width=0.4)
    fin_rows = [[r["label"], fmt(r["value"], r["kind"])] for r in sheet.financials.to_dict("records")]
    deck.table(slide, ["Key financials and ratios", "Value"], fin_rows, Inches(6.6), top, Inches(6.3),
               first_width=0.6, size=9)  # fmt: skip
    if sheet.description:
        deck.text(slide, sheet.description[:600], MARGIN, Inches(4.3), Inches(5.6), Inches(2.4), size=10)

    # 3. Share price, 4. debt ladder
    slide = deck.slide(f"{CHART_TITLES['price']} (rebased to 100)", "prices; sector index = equal-weight mean "
                       "of the sector's daily returns")  # fmt: skip
    deck.image(slide, images["price"], MARGIN, top, body_w)
    slide = deck.slide(CHART_TITLES["ladder"], "debt_instruments (outstanding)")
    deck.image(slide, images["ladder"], MARGIN, top, Inches(8.0))
    ladder_rows = [[str(int(r["year"])), fmt(r["amount_usd_m"], "usd_m"), fmt(r["instruments"], "int")]
                   for r in sheet.ladder.to_dict("records")][:MAX_TABLE_ROWS]  # fmt: skip
    deck.table(slide, ["Year", "Maturing ($m)", "Instruments"], ladder_rows, Inches(8.7), top, Inches(4.2))

    # 5. Propensity scores
    slide = deck.slide("Propensity scores", "companies, debt, deals and prices; default weights")
    score_rows = [[r["label"], fmt(r["total"], "score")] for r in sheet.scores.to_dict("records")]
    deck.table(slide, ["Score", "0-100"], score_rows, MARGIN, top, Inches(4.0), first_width=0.65)
    focus = sheet.factors[sheet.factors["score"] == c.situation.score]
    factor_rows = [[r["label"], fmt(r["value"], "number") + (f" {r['unit']}" if r["unit"] else ""),
                    fmt(r["normalised"], "number"), fmt(r["contribution"], "score")]
                   for r in focus.to_dict("records")]  # fmt: skip
    label = focus["score_label"].iloc[0] if len(focus) else c.situation.label
    deck.table(slide, [f"{label}: factor", "Value", "Normalised", "Points"], factor_rows, Inches(4.8), top,
               Inches(8.1), first_width=0.4)  # fmt: skip

    # 6. Comps table, 7. comps charts, 8. peer reasons
    metric = {m.name: m for m in METRICS}
    slide = deck.slide(f"Trading comparables: {c.title}", f"companies; peers {c.peer_source}")
    header = ["Company", *(metric[n].label for n in COMPS_COLUMNS)]
    rows = c.comps.rows
    table_rows = [[("» " if r["role"] == "subject" else "") + str(r["name"]) + (" (R)" if r["restricted"] else ""),
                   *(fmt(r[n], metric[n].kind) for n in COMPS_COLUMNS)]
                  for r in rows.head(MAX_TABLE_ROWS - 4).to_dict("records")]  # fmt: skip
    stats = c.comps.stats.set_index("metric")
    for stat in ("median", "mean", "q1", "q3"):
        table_rows.append([f"Peer {stat.upper() if stat.startswith('q') else stat}",
                           *(fmt(stats.loc[n, stat], metric[n].kind) for n in COMPS_COLUMNS)])  # fmt: skip
    deck.table(slide, header, table_rows, MARGIN, top, body_w, size=9, first_width=0.25,
               bold_rows=[0, *range(len(table_rows) - 4, len(table_rows))])  # fmt: skip
    slide = deck.slide("Comparables: where the company sits", "companies (comps table)")
    half = (body_w - Inches(0.2)) // 2
    deck.image(slide, images["comps_scatter"], MARGIN, top, half)
    deck.image(slide, images["comps_bar"], MARGIN + half + Inches(0.2), top, half)
    slide = deck.slide("Peer selection: why each company is a peer", f"companies, company_embeddings; {c.peer_source}")
    peer_rows = [[str(r["name"]) + (" (R)" if r["restricted"] else ""), str(r["reason"])]
                 for r in c.peers.head(MAX_TABLE_ROWS).to_dict("records")]  # fmt: skip
    deck.table(slide, ["Peer", "Why it is a peer"], peer_rows, MARGIN, top, body_w, size=9, first_width=0.25)

    # 9. Precedents, 10. precedents chart
    slide = deck.slide(f"Precedent transactions: {c.situation.label}", "deals; " + "; ".join(c.precedent_query))
    prec = c.precedents.head(MAX_TABLE_ROWS - 3)
    prec_rows = [[fmt(r["announced_date"], "date") if pd.notna(r["announced_date"]) else "-", str(r["name"])[:70],
                  deal_type_label(r["deal_type"]), fmt(r["size_usd_m"], "usd_m"), fmt(r["ev_ebitda"], "multiple"),
                  fmt(r["ev_revenue"], "multiple"), fmt(r["coupon_pct"], "pct_points")]
                 for r in prec.to_dict("records")]  # fmt: skip
    for rec in c.precedent_stats.to_dict("records")[:3]:
        prec_rows.append([f"Median {rec['label']}", f"n = {rec['n']}", "", fmt(rec["median"], rec["kind"]), "", "", ""])
    deck.table(slide, ["Announced", "Deal", "Type", "Size ($m)", "EV/EBITDA", "EV/Revenue", "Coupon"], prec_rows,
               MARGIN, top, body_w, size=9, first_width=0.1)  # fmt: skip
    slide = deck.slide(CHART_TITLES["precedents"], "deals (precedents shown on the previous slide)")
    deck.image(slide, images["precedents"], MARGIN, top, body_w)

    # 11. Recent deals and documents
    slide = deck.slide("Recent deals and documents", "deals, deal_parties, documents (extractive summaries)")
    deal_rows = [[fmt(r["announced_date"], "date") if r["announced_date"] else "-", str(r["role"]), str(r["type"]),
                  str(r["name"])[:60], fmt(r["size_usd_m"], "usd_m")] for r in sheet.deals.head(8).to_dict("records")]  # fmt: skip
    deck.table(slide, ["Announced", "Role", "Type", "Deal", "Size ($m)"], deal_rows, MARGIN, top, Inches(7.4), size=9,
               first_width=0.15)  # fmt: skip
    doc_lines = [f"{r['title']} ({fmt(r['doc_date'], 'date') if r['doc_date'] else 'undated'}): "
                 f"{(r['summary'] or 'not summarised')[:300]}" for r in sheet.documents.head(3).to_dict("records")]  # fmt: skip
    deck.text(slide, "\n\n".join(doc_lines) or "No documents in the store for this company.", Inches(8.0), top,
              Inches(4.9), Inches(5.5), size=9)  # fmt: skip

    # 12. Provenance
    slide = deck.slide("Sources and provenance", "Deal Workbench store")
    prov_rows = [[r["part"], r["tables"], (r["as_of"].isoformat() if r["as_of"] else "-"), f"{r['rows']:,}"]
                 for r in c.provenance.to_dict("records")]  # fmt: skip
    deck.table(slide, ["Part", "Source tables", "As of", "Rows"], prov_rows, MARGIN, top, body_w, size=9,
               first_width=0.3)  # fmt: skip
    deck.text(slide, f"Restricted list: {restricted_line(c)}. Information barriers as seen by {c.viewer.user} "
              f"({c.viewer.role}). Store: {c.store_scheme}. Run by {c.run_by} at {c.run_at:%Y-%m-%d %H:%M} UTC.",
              MARGIN, Inches(5.6), body_w, Inches(1.2), size=10, color=RED if c.restricted else GREY)  # fmt: skip
    return deck.to_bytes()
