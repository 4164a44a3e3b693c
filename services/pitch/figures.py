"""The pack's charts as plotly figures (the page shows the same figures live)."""

from __future__ import annotations

from typing import Any

from services.comps import multiple_vs_growth_figure, multiples_bar_figure
from services.pitch.content import PitchContent, Situation
from services.precedents import multiple_vs_size_figure
from services.tearsheet import debt_ladder_figure, price_figure

CHART_TITLES = {
    "price": "Share price vs sector",
    "ladder": "Debt maturity ladder",
    "comps_scatter": "EV/EBITDA vs revenue growth",
    "comps_bar": "EV/EBITDA by company",
    "precedents": "Precedent transactions",
}


def precedents_figure(content: PitchContent) -> Any:
    """M&A: EV/EBITDA against size; ECM: offering size over time; DCM: coupon over time by rating."""
    import plotly.express as px

    frame = content.precedents
    if content.situation is Situation.MA:
        return multiple_vs_size_figure(frame, "ev_ebitda")
    if content.situation is Situation.ECM:
        data = frame.dropna(subset=["announced_date", "size_usd_m"])
        fig = px.scatter(data, x="announced_date", y="size_usd_m", color="deal_type", hover_name="name",
                         labels={"announced_date": "Announced", "size_usd_m": "Offering size ($m)", "deal_type": ""},
                         title="Precedent equity offerings: size over time")  # fmt: skip
    else:
        data = frame.dropna(subset=["announced_date", "coupon_pct"])
        fig = px.scatter(data, x="announced_date", y="coupon_pct", color="rating", size="size_usd_m",
                         hover_name="name", labels={"announced_date": "Announced", "coupon_pct": "Coupon (%)",
                                                    "rating": "Rating"},
                         title="Precedent debt issues: coupon over time")  # fmt: skip
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=50, b=10))
    return fig


def pack_figures(content: PitchContent) -> dict[str, Any]:
    """Every chart of the pack, by name (the keys of CHART_TITLES), in deck order, on a white ground for print."""
    figures = {
        "price": price_figure(content.sheet),
        "ladder": debt_ladder_figure(content.sheet),
        "comps_scatter": multiple_vs_growth_figure(content.comps, "ev_ebitda"),
        "comps_bar": multiples_bar_figure(content.comps, "ev_ebitda"),
        "precedents": precedents_figure(content),
    }
    for fig in figures.values():
        fig.update_layout(template="plotly_white")
    return figures
