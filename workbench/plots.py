"""Chart builders for figures drawn on every rerun of a page.

Built with plotly's graph objects from frames that are already aggregated, not with
plotly express: express reshapes and validates the frame on each call (about 40 ms a chart
on the demo data, a quarter of a Home run), which every session of a busy server pays
again. These take a few milliseconds and draw the same charts.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go


def _ordered(present: Sequence[object], preferred: Sequence[object] | None) -> list[object]:
    """The values present, in the preferred order first, then the rest in order of appearance."""
    seen = list(dict.fromkeys(present))
    if not preferred:
        return seen
    first = [v for v in dict.fromkeys(preferred) if v in set(seen)]
    placed = set(first)
    return first + [v for v in seen if v not in placed]


def stacked_bars(
    frame: pd.DataFrame,
    *,
    category: str,
    value: str,
    stack: str,
    category_order: Sequence[object] | None = None,
    stack_order: Sequence[object] | None = None,
    horizontal: bool = False,
    value_title: str = "",
    stack_title: str = "",
    hover: str = "%{value:,.0f}",
    extra: Sequence[str] = (),
) -> go.Figure:
    """One bar per category, split by `stack` (one trace per stack value, legend on it).

    hover: the value part of the tooltip; `%{value}` is the bar's value and
    `%{customdata[i]}` the i-th column of `extra`.
    """
    categories = _ordered(frame[category].tolist(), category_order)
    traces = []
    for name in _ordered(frame[stack].tolist(), stack_order):
        part = frame[frame[stack] == name]
        where, size = part[category].tolist(), part[value].tolist()
        # The trace's name comes from the data: plotly fills it in, it is never template text.
        tip = f"%{{{'y' if horizontal else 'x'}}}<br>%{{fullData.name}}<br>" + hover.replace(
            "%{value", "%{x" if horizontal else "%{y"
        )
        traces.append(
            go.Bar(
                x=size if horizontal else where,
                y=where if horizontal else size,
                orientation="h" if horizontal else "v",
                name=str(name),
                customdata=part[list(extra)].to_numpy() if extra else None,
                hovertemplate=tip + "<extra></extra>",
            )
        )
    fig = go.Figure(traces)
    axis = {"categoryorder": "array", "categoryarray": categories, "title": {"text": ""}}
    if horizontal:  # the first category on top
        axis["categoryarray"] = categories[::-1]
    fig.update_layout(
        barmode="stack",
        legend_title_text=stack_title,
        xaxis=({"title": {"text": value_title}} if horizontal else axis),
        yaxis=(axis if horizontal else {"title": {"text": value_title}}),
    )
    return fig


def horizontal_bars(
    labels: Sequence[str], values: Sequence[float], *, title: str, value_title: str,
    hover: Sequence[str] | None = None,
) -> go.Figure:  # fmt: skip
    """One bar per label, the largest on top."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    fig = go.Figure(
        go.Bar(
            x=[values[i] for i in order],
            y=[labels[i] for i in order],
            orientation="h",
            hovertext=[hover[i] for i in order] if hover is not None else None,
            hovertemplate=("%{y}: %{x:.1f}<br>%{hovertext}" if hover is not None else "%{y}: %{x:.1f}")
            + "<extra></extra>",
        )
    )
    fig.update_layout(title_text=title, xaxis_title_text=value_title, yaxis_title_text="")
    return fig


def markers(
    groups: dict[str, pd.DataFrame], *, x: str, y: str, text: str, x_title: str, y_title: str,
    title: str, log_x: bool = False, x_hover: str = ":,.1f",
) -> go.Figure:  # fmt: skip
    """A scatter, one trace (and legend entry) per named group; hover shows `text`, and x in
    the `x_hover` format (a d3 number format, or `|%d %b %Y` for dates)."""
    traces = [
        go.Scatter(
            x=part[x], y=part[y], mode="markers", name=name, text=part[text],
            hovertemplate=f"<b>%{{text}}</b><br>{x_title}: %{{x{x_hover}}}<br>{y_title}: %{{y:,.1f}}<extra></extra>",
        )  # fmt: skip
        for name, part in groups.items()
        if len(part)
    ]
    fig = go.Figure(traces)
    fig.update_layout(
        title_text=title,
        xaxis={"title": {"text": x_title}, **({"type": "log"} if log_x else {})},
        yaxis_title_text=y_title,
        showlegend=len(traces) > 1,
    )
    return fig
