"""Home: the store at a glance (counts, data as-of, deal volume, sector mix, latest deals)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from services.overview import Overview, store_overview
from workbench import ui
from workbench.access import Viewer
from workbench.domain import DEAL_TYPE_LABELS, GICS_SECTORS, REGIONS
from workbench.plots import stacked_bars

EMPTY_STORE_MESSAGE = "The store is empty: import data on the Data page or run `workbench demo`."
VOLUME = "Volume (USD m)"
COUNT = "Number of deals"
MARGIN = {"l": 10, "r": 10, "t": 10, "b": 10}
# Above the plot, so the colours are explained without scrolling.
LEGEND = {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "title": None}


# The URL is only the cache key (ui.session_factory() opens that same store), so two stores
# never share an overview. A minute's staleness is fine for a summary; imports and demo
# seeding clear st.cache_data anyway.
# The viewer is part of the key too: counts differ behind information barriers.
@st.cache_data(ttl=60, show_spinner=False)
def _overview(database_url: str, viewer: Viewer) -> Overview:
    return store_overview(session_factory=ui.session_factory(), viewer=viewer)


def _date(value: object) -> str:
    return f"{value:%d %b %Y}" if value else "none"


def _metrics(ov: Overview) -> None:
    by_type = ", ".join(f"{label}: {n:,}" for label, n in ov.deals_by_type.items()) or "none"
    tiles = [
        (
            "Companies",
            ov.companies,
            f"{ov.listed_companies:,} listed, {ov.private_companies:,} private",
        ),
        ("Listed", ov.listed_companies, "Companies with a listing status of listed"),
        ("Private", ov.private_companies, "Companies with a listing status of private"),
        ("Deals", ov.deals, by_type),
        ("Documents", ov.documents, "Transcripts, filings and other documents"),
        ("Price rows", ov.prices, "Daily closing prices of listed companies"),
        ("Watchlists", ov.watchlists, None),
        ("Open alerts", ov.open_alerts, "Alert events not yet acknowledged"),
    ]
    for row in (tiles[:4], tiles[4:]):
        for column, (label, value, help_text) in zip(st.columns(len(row)), row, strict=True):
            column.metric(label, f"{value:,}", help=help_text, border=True)


# Figures are built once per distinct frame and shared by every session: st.cache_resource
# hands back the object itself (st.cache_data would unpickle, that is re-validate, the
# figure on each run), and nothing mutates it (st.plotly_chart serialises a copy). The
# frame is the key, so a new overview (an import, another viewer's barriers) builds anew.
@st.cache_resource(max_entries=64, show_spinner=False)
def _volume_figure(volume: pd.DataFrame, measure: str) -> go.Figure:
    fig = stacked_bars(
        volume,
        category="quarter",
        value="volume_usd_m" if measure == VOLUME else "deals",
        stack="deal_type",
        stack_order=list(DEAL_TYPE_LABELS.values()),
        value_title=measure,
        hover="$%{customdata[0]:,.0f}m in %{customdata[1]:,} deals",
        extra=["volume_usd_m", "deals"],
    )
    fig.update_layout(barmode="stack", height=380, margin=MARGIN, legend=LEGEND)
    return fig


@st.cache_resource(max_entries=64, show_spinner=False)
def _sector_figure(mix: pd.DataFrame) -> go.Figure:
    fig = stacked_bars(
        mix,
        category="sector",
        value="companies",
        stack="region",
        category_order=GICS_SECTORS,
        stack_order=list(REGIONS),
        horizontal=True,
        value_title="Companies",
        hover="%{value:,} companies",
    )
    fig.update_layout(barmode="stack", height=380, margin=MARGIN, legend=LEGEND)
    return fig


def _volume_chart(ov: Overview) -> None:
    st.subheader("Deal volume by quarter")
    if ov.quarterly_volume.empty:
        st.caption("No dated deals in the store.")
        return
    measure = st.radio("Measure", [VOLUME, COUNT], horizontal=True, label_visibility="collapsed")
    st.plotly_chart(_volume_figure(ov.quarterly_volume, measure), width="stretch")


def _sector_chart(ov: Overview) -> None:
    st.subheader("Companies by sector and region")
    if ov.sector_mix.empty:
        st.caption("No companies in the store.")
        return
    st.plotly_chart(_sector_figure(ov.sector_mix), width="stretch")


def _latest_deals(ov: Overview) -> None:
    st.subheader("Latest deals")
    st.dataframe(
        ov.latest_deals,
        hide_index=True,
        column_config={
            "date": st.column_config.DateColumn("Announced", format="YYYY-MM-DD"),
            "type": st.column_config.TextColumn("Type"),
            "name": st.column_config.TextColumn("Deal", width="large"),
            "size_usd_m": st.column_config.NumberColumn("Size (USD m)", format="localized"),
            "sector": st.column_config.TextColumn("Sector"),
            "region": st.column_config.TextColumn("Region"),
            "banks": st.column_config.TextColumn("Bookrunners / advisors", width="large"),
        },
    )


st.title("Deal Workbench")
overview = _overview(ui.settings().resolved_database_url, ui.current_viewer())

if overview.is_empty:
    st.info(EMPTY_STORE_MESSAGE, icon=":material/inventory_2:")
    st.stop()

st.caption(
    f"Data as of: latest deal {_date(overview.latest_deal_date)}, "
    f"latest price {_date(overview.latest_price_date)}."
)
_metrics(overview)
left, right = st.columns(2)
with left:
    _volume_chart(overview)
with right:
    _sector_chart(overview)
_latest_deals(overview)
