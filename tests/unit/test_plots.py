"""Chart builders drawn on every rerun: the bars and points they draw, in the order asked."""

from __future__ import annotations

import pandas as pd

from workbench.plots import horizontal_bars, markers, stacked_bars

VOLUME = pd.DataFrame(
    {
        "quarter": ["2025Q4", "2025Q4", "2026Q1", "2026Q1", "2026Q2"],
        "deal_type": ["M&A", "IPO", "IPO", "M&A", "HY bond"],
        "volume_usd_m": [900.0, 120.0, 80.0, 1_500.0, 400.0],
        "deals": [3, 1, 1, 4, 2],
    }
)


def test_stacked_bars_have_one_trace_per_stack_value_in_the_order_asked():
    fig = stacked_bars(VOLUME, category="quarter", value="volume_usd_m", stack="deal_type",
                       stack_order=["IPO", "M&A"], extra=["volume_usd_m", "deals"],
                       hover="$%{customdata[0]:,.0f}m in %{customdata[1]} deals")  # fmt: skip
    assert [t.name for t in fig.data] == ["IPO", "M&A", "HY bond"]  # unlisted values last
    ma = fig.data[1]
    assert list(ma.x) == ["2025Q4", "2026Q1"] and list(ma.y) == [900.0, 1_500.0]
    assert [list(row) for row in ma.customdata] == [[900.0, 3], [1_500.0, 4]]
    assert "%{customdata[1]}" in ma.hovertemplate and "%{fullData.name}" in ma.hovertemplate
    assert "M&A" not in ma.hovertemplate  # data never becomes template text
    assert fig.layout.barmode == "stack"
    assert list(fig.layout.xaxis.categoryarray) == ["2025Q4", "2026Q1", "2026Q2"]
    # Every bar of the frame is drawn once.
    assert sum(sum(t.y) for t in fig.data) == VOLUME["volume_usd_m"].sum()


def test_horizontal_stacked_bars_put_the_first_category_on_top():
    fig = stacked_bars(VOLUME, category="quarter", value="deals", stack="deal_type",
                       category_order=["2026Q2", "2025Q4"], horizontal=True, hover="%{value} deals")  # fmt: skip
    # Plotly draws a horizontal category axis bottom-up: the array is reversed.
    assert list(fig.layout.yaxis.categoryarray) == ["2026Q1", "2025Q4", "2026Q2"]
    assert all(t.orientation == "h" for t in fig.data)
    assert "%{x} deals" in fig.data[0].hovertemplate


def test_horizontal_bars_are_sorted_with_the_largest_on_top():
    fig = horizontal_bars(["leverage", "maturity wall", "rating"], [3.0, 12.5, -1.0],
                          title="Why #1 Acme", value_title="points", hover=["a", "b", "c"])  # fmt: skip
    bar = fig.data[0]
    assert list(bar.y) == ["rating", "leverage", "maturity wall"]  # bottom to top
    assert list(bar.hovertext) == ["c", "a", "b"]
    assert fig.layout.title.text == "Why #1 Acme"


def test_markers_draw_one_legend_entry_per_non_empty_group():
    frame = pd.DataFrame({"size": [100.0, 2_000.0], "ev_ebitda": [8.0, 11.5], "name": ["A", "B"]})
    fig = markers({"hit": frame, "pinned": frame.iloc[0:0]}, x="size", y="ev_ebitda", text="name",
                  x_title="Size", y_title="EV/EBITDA", title="t", log_x=True)  # fmt: skip
    assert [t.name for t in fig.data] == ["hit"]
    assert fig.layout.showlegend is False
    assert fig.layout.xaxis.type == "log"
    assert list(fig.data[0].text) == ["A", "B"]


def test_markers_show_x_in_the_format_asked():
    frame = pd.DataFrame({"day": pd.to_datetime(["2026-01-05"]), "ev_ebitda": [9.0], "name": ["A"]})
    fig = markers({"deals": frame}, x="day", y="ev_ebitda", text="name", x_title="Announced",
                  y_title="EV/EBITDA", title="t", x_hover="|%d %b %Y")  # fmt: skip
    assert "Announced: %{x|%d %b %Y}" in fig.data[0].hovertemplate
