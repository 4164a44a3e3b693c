"""The pitch pack as a banker's Excel workbook: one sheet per table, provenance last.

Numbers are written as the store holds them (never rounded); the formats do the rounding
($m ``#,##0.0``, multiples ``0.0x``, percentages ``0.0%`` of the stored percent figure).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from services.comps import METRICS
from services.pitch.content import PitchContent
from services.precedents_export import PRECEDENT_COLUMNS
from services.tearsheet import PROFILE_FIELDS, deal_type_label
from workbench.excel import BankerWorkbook, Column

STAT_COLUMNS = [Column("n", "N", "int")] + [
    Column(c, c.upper() if c in ("q1", "q3") else c.capitalize(), "number", kind_by="kind")
    for c in ("median", "mean", "q1", "q3", "low", "high")]  # fmt: skip
SHEETS = ("Cover", "Tear sheet", "Scores", "Comps", "Comps statistics", "Peers", "Precedents",
          "Precedent statistics", "Debt ladder", "Debt instruments", "Price history", "Recent deals", "Documents",
          "Open alerts", "Provenance")  # fmt: skip


def restricted_line(content: PitchContent) -> str:
    if not content.restricted:
        return "No: neither the company nor any peer is on the restricted list"
    names = "; ".join(f"{name} ({role})" for name, role in content.restricted)
    return f"YES: on the restricted list: {names}. Check with compliance before use."


def _yes(value: Any) -> str:
    return "RESTRICTED" if bool(value) else ""


def build_workbook(content: PitchContent, *, file_names: dict[str, str] | None = None) -> bytes:
    """The workbook's bytes; no side effects."""
    c = content
    sheet = c.sheet
    book = BankerWorkbook()
    as_of = sheet.as_of
    cover = [("Company", c.title), ("Key", c.company["key"]), ("Situation", c.situation.label),
             ("Data as of", as_of), ("Restricted list", restricted_line(c)),
             ("Peers", f"{len(c.comps.peers)} ({c.peer_source})"),
             ("Precedents", f"{len(c.precedents)} of {c.precedent_counts['matched']:,} matching deals"),
             ("Prepared by", c.run_by), ("Prepared at (UTC)", c.run_at.replace(tzinfo=None)),
             ("Contents", ", ".join(SHEETS[1:]))]  # fmt: skip
    book.add_key_values("Cover", cover, heading=f"Pitch pack: {c.title}, {c.situation.label}")

    profile = [(label, sheet.profile.get(f)) for f, label in PROFILE_FIELDS]
    profile.append(("Restricted list", "RESTRICTED" + (f": {sheet.restricted_reason}" if sheet.restricted_reason
                                                       else "") if sheet.restricted else "no"))  # fmt: skip
    book.add_table("Tear sheet", sheet.financials,
                   [Column("label", "Key financials and ratios"), Column("value", "Value", "number", kind_by="kind")],
                   cover=profile, heading=c.title)  # fmt: skip

    factors = sheet.factors.merge(sheet.scores[["score", "total"]], on="score", how="left")
    book.add_table("Scores", factors, [
        Column("score_label", "Score"), Column("total", "Score (0-100)", "score"), Column("label", "Factor"),
        Column("value", "Value", "number"), Column("unit", "Unit"), Column("normalised", "Normalised (0-1)", "number"),
        Column("weight", "Weight", "number"), Column("contribution", "Contribution (points)", "score")],
        cover=[("How to read", "score = sum of contributions; contribution = 100 x weight x normalised / "
                "sum of weights"), ("As of", as_of)], heading="Propensity scores")  # fmt: skip

    rows = c.comps.rows.assign(restricted_label=c.comps.rows["restricted"].map(_yes))
    comps_columns = [Column("role", "Role"), Column("name", "Company"), Column("ticker", "Ticker"),
                     Column("sector", "Sector"), Column("region", "Region"),
                     Column("financials_as_of", "Financials as of", "date")] + [
        Column(m.name, m.label, m.kind) for m in METRICS] + [Column("restricted_label", "Restricted list")]  # fmt: skip
    book.add_table("Comps", rows, comps_columns, heading=f"Trading comparables: {c.title}",
                   cover=[("Peers", c.peer_source), ("EV", "market cap + net debt ($m)")])  # fmt: skip
    stats = c.comps.stats.merge(c.comps.position[["metric", "subject", "vs_median_pct", "percentile", "quartile"]],
                                on="metric")  # fmt: skip
    book.add_table("Comps statistics", stats, [Column("label", "Metric"), *STAT_COLUMNS,
                   Column("subject", c.company["name"], "number", kind_by="kind"),
                   Column("vs_median_pct", "vs median", "pct_points"), Column("percentile", "Percentile among peers",
                   "number"), Column("quartile", "Quartile")],
                   cover=[("Statistics", "over the peers only; Q1 and Q3 are the 25th and 75th percentiles")])  # fmt: skip
    peers = c.peers.assign(restricted_label=c.peers["restricted"].map(_yes))
    book.add_table("Peers", peers, [Column("name", "Peer"), Column("ticker", "Ticker"), Column("key", "Key"),
                   Column("reason", "Why it is a peer", width=90), Column("origin", "Origin"),
                   Column("restricted_label", "Restricted list")], cover=[("Peer set", c.peer_source)])  # fmt: skip

    prec = c.precedents.copy()
    prec["type_label"] = prec["deal_type"].map(deal_type_label)
    prec["announced_date"] = pd.to_datetime(prec["announced_date"], errors="coerce").dt.date
    prec["restricted_label"] = prec.get("restricted", pd.Series(False, index=prec.index)).map(_yes)
    prec_columns = [col for col in PRECEDENT_COLUMNS if col.field != "pinned_label"] + [
        Column("coupon_pct", "Coupon (%)", "number"), Column("tenor_years", "Tenor (years)", "number"),
        Column("rating", "Rating")]  # fmt: skip
    book.add_table("Precedents", prec, prec_columns, heading="Precedent transactions",
                   cover=[("Query" if i == 0 else "", line) for i, line in enumerate(c.precedent_query)])  # fmt: skip
    book.add_table("Precedent statistics", c.precedent_stats, [Column("label", "Metric"), *STAT_COLUMNS],
                   cover=[("Statistics", "over the precedents shown; EV falls back to deal size where none is stated")])  # fmt: skip

    book.add_table("Debt ladder", sheet.ladder, [Column("year", "Maturity year", "int"),
                   Column("amount_usd_m", "Maturing ($m)", "usd_m"), Column("instruments", "Instruments", "int")],
                   cover=[("Outstanding as of", as_of), ("Total ($m)", f"{sheet.ladder['amount_usd_m'].sum():,.1f}")])  # fmt: skip
    book.add_table("Debt instruments", sheet.debt, [
        Column("instrument", "Instrument"), Column("amount_usd_m", "Amount ($m)", "usd_m"), Column("currency", "Ccy"),
        Column("coupon_pct", "Coupon", "pct_points"), Column("issue_date", "Issued", "date"),
        Column("maturity_date", "Matures", "date"), Column("seniority", "Seniority"), Column("secured", "Secured")])  # fmt: skip
    book.add_table("Price history", sheet.prices, [
        Column("date", "Date", "date"), Column("close", "Close", "number"),
        Column("company", "Company (rebased 100)", "number"), Column("sector_index", "Sector index (rebased 100)",
                                                                     "number")],
        cover=[("Sector", sheet.profile.get("sector")), ("Index", "equal-weight mean of the sector's daily returns")])  # fmt: skip
    book.add_table("Recent deals", sheet.deals, [
        Column("announced_date", "Announced", "date"), Column("role", "Role"), Column("type", "Type"),
        Column("name", "Deal"), Column("status", "Status"), Column("size_usd_m", "Size ($m)", "usd_m"),
        Column("enterprise_value_usd_m", "EV ($m)", "usd_m"), Column("ev_ebitda", "EV/EBITDA", "multiple"),
        Column("key", "Key")])  # fmt: skip
    book.add_table("Documents", sheet.documents, [
        Column("doc_date", "Date", "date"), Column("doc_type", "Type"), Column("title", "Title"),
        Column("summary", "Summary (the document's own sentences)", width=100), Column("key_figures", "Key figures",
                                                                                        "int")])  # fmt: skip
    book.add_table("Open alerts", sheet.alerts, [Column("as_of", "As of", "date"), Column("rule", "Rule"),
                   Column("rule_type", "Type"), Column("reason", "Reason", width=90)])  # fmt: skip

    prov = c.provenance
    items: list[tuple[str, Any]] = [
        ("Company", f"{c.title}, key {c.company['key']}"), ("Situation", c.situation.label),
        ("Restricted list", restricted_line(c)), ("Run by", c.run_by), ("Run at (UTC)", c.run_at.replace(tzinfo=None)),
        ("Information barriers", f"as seen by {c.viewer.user} ({c.viewer.role})"),
        ("Store", f"{c.store_scheme} (URL scheme; credentials never recorded)"),
        ("Data as of", sheet.as_of)]  # fmt: skip
    for rec in prov.to_dict("records"):
        as_of_text = rec["as_of"].isoformat() if rec["as_of"] else "-"
        items.append((rec["part"], f"source: {rec['tables']}; filter: {rec['filter']}; as of {as_of_text}; "
                      f"{rec['rows']:,} rows"))  # fmt: skip
    for kind, name in (file_names or {}).items():
        items.append((f"File ({kind})", name))
    book.add_key_values("Provenance", items, heading="Provenance: every figure in this pack and where it comes from")
    return book.to_bytes()
