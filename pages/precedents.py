"""Precedents: find the past deals most like a situation or a deal, see why, take the multiples."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from services.precedents import (PART_LABELS, PARTS, FusionWeights, PrecedentFilters, PrecedentQuery,
                                 deal_choices, deals_by_keys, explanation_frame, filter_options,
                                 multiple_vs_size_figure, multiples_over_time_figure, multiples_table,
                                 precedent_set, search_precedents)  # fmt: skip
from services.precedents_export import export_precedents_to_excel
from workbench.domain import DEAL_TYPE_LABELS, DealType
from workbench.errors import WorkbenchError
from workbench.access import Viewer
from workbench.ui import (current_viewer, embedder, precedent_engine, session_factory, settings, show_error,
                          store_generation)  # fmt: skip

factory = session_factory()
viewer = current_viewer()
state = st.session_state
DEFAULTS = FusionWeights()

st.title("Precedents")
st.caption("Past deals most like the situation at hand, with the reasons each one is there, "
           "and the multiples they were done at.")  # fmt: skip


# Keyed by viewer too: each sees only the deals their barriers allow. The labels of every
# deal (for "More like a deal" and "Pin") are built once and shared, never mutated:
# st.cache_data would unpickle thousands of them on every rerun, most of a run's time.
# An import in this process starts a new generation, so new deals show at once.
@st.cache_resource(ttl=60, max_entries=256, show_spinner=False)
def _deal_labels(url: str, viewer: Viewer, generation: int) -> tuple[dict[str, str], dict[str, str]]:
    """Label of each deal key, and the key of each label."""
    choices = deal_choices(session_factory=factory, viewer=viewer)
    labels = {k: f"{n} [{k}]" for k, n in zip(choices["key"], choices["name"])}
    return labels, {label: key for key, label in labels.items()}


@st.cache_data(ttl=60, show_spinner=False)
def _options(url: str, viewer: Viewer) -> dict[str, list[str]]:
    return filter_options(session_factory=factory, viewer=viewer)


url = settings().resolved_database_url
labels, keys_by_label = _deal_labels(url, viewer, store_generation())
options = _options(url, viewer)
if not labels:
    st.info("No deals in the store yet. Import deals on the Data page, or seed the demo universe.")
    st.stop()


def _type_label(value: str) -> str:
    try:
        return DEAL_TYPE_LABELS[DealType(value)]
    except ValueError:
        return value


with st.form("pr_form"):
    mode = st.radio("Search by", ["Description", "More like a deal"], horizontal=True, key="pr_mode")
    text = st.text_area("Describe the situation", key="pr_text", height=80,
                        placeholder="carve-out of a European specialty-chemicals business by a sponsor, about $1bn")
    deal_label = st.selectbox("Deal", list(keys_by_label), index=None, key="pr_deal",
                              placeholder="Pick a deal to find more like it")
    deal_key = keys_by_label.get(deal_label) if deal_label else None
    with st.expander("Filters", expanded=False):
        c = st.columns(4)
        types = c[0].multiselect("Deal type", options["deal_types"], format_func=_type_label, key="pr_types")
        sectors = c[1].multiselect("Sector", options["sectors"], key="pr_sectors")
        regions = c[2].multiselect("Region", options["regions"], key="pr_regions")
        statuses = c[3].multiselect("Status", options["statuses"], key="pr_statuses")
        c = st.columns(4)
        size_min = c[0].number_input("Size from ($m)", min_value=0.0, value=None, key="pr_size_min")
        size_max = c[1].number_input("Size to ($m)", min_value=0.0, value=None, key="pr_size_max")
        date_from = c[2].date_input("Announced from", value=None, min_value=dt.date(1950, 1, 1), key="pr_from")
        date_to = c[3].date_input("Announced to", value=None, min_value=dt.date(1950, 1, 1), key="pr_to")
    with st.expander("Ranking weights and targets", expanded=False):
        c = st.columns(len(PARTS))
        weights = {p: c[i].slider(PART_LABELS[p], 0.0, 2.0, float(getattr(DEFAULTS, p)), 0.1, key=f"pr_w_{p}")
                   for i, p in enumerate(PARTS)}  # fmt: skip
        c = st.columns(3)
        target_size = c[0].number_input("Target size ($m)", min_value=0.0, value=None, key="pr_target_size",
                                        help="Deals of about this size rank higher (size weight).")
        target_ev_ebitda = c[1].number_input("Target EV/EBITDA (x)", min_value=0.0, value=None,
                                             key="pr_target_ev_ebitda",
                                             help="Deals whose EV/EBITDA is close to this rank higher "
                                                  "(multiples weight). Deals without one get no points for it.")
        target_ev_revenue = c[2].number_input("Target EV/Revenue (x)", min_value=0.0, value=None,
                                              key="pr_target_ev_revenue",
                                              help="Deals whose EV/Revenue is close to this rank higher "
                                                   "(multiples weight). Deals without one get no points for it.")
    top = st.slider("Precedents", 5, 100, 20, key="pr_top")
    submitted = st.form_submit_button("Find precedents", type="primary")

if submitted:
    query = PrecedentQuery(
        text=text if mode == "Description" else "",
        deal_key=deal_key if mode == "More like a deal" else None,
        filters=PrecedentFilters(deal_types=tuple(types), sectors=tuple(sectors), regions=tuple(regions),
                                 statuses=tuple(statuses), size_min=size_min, size_max=size_max,
                                 date_from=date_from, date_to=date_to),
        weights=FusionWeights(**weights, rrf_k=DEFAULTS.rrf_k), top=top,
        target_size_usd_m=target_size or None, target_ev_ebitda=target_ev_ebitda or None,
        target_ev_revenue=target_ev_revenue or None)  # fmt: skip
    bar = st.progress(0.0, text="Preparing the deal index...")
    try:
        state.pr_result = search_precedents(query, session_factory=factory, embedder=embedder(),
                                            engine=precedent_engine(), viewer=viewer,
                                            progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))  # fmt: skip
        state.pop("pr_xlsx", None)
    except WorkbenchError as exc:
        state.pop("pr_result", None)
        st.error(str(exc))
    except Exception as exc:  # the page stays usable; the log has the detail
        state.pop("pr_result", None)
        show_error(exc)
    finally:
        bar.empty()

result = state.get("pr_result")
if result is None:
    st.stop()

hits = result.hits
st.caption(f"{len(hits)} precedents from {result.matched:,} deals passing the filters "
           f"({result.universe:,} in the store; {result.index_kind} index) in "
           f"{result.timings_ms['total']:.0f} ms")  # fmt: skip
if hits.empty:
    st.warning("No deal passes these filters. Widen them and search again.")
    st.stop()

table = hits.assign(type=hits["deal_type"].map(_type_label))
if "restricted" in hits and hits["restricted"].any():
    st.warning("A party to " + ", ".join(hits.loc[hits["restricted"], "name"].astype(str).head(10))
               + " is on the restricted list. Check with compliance before using it.", icon=":material/block:")
shown = ["rank", "match_pct", *(["restricted"] if "restricted" in hits else []), "name", "key", "type", "announced_date", "size_usd_m", "sector", "region",
         "ev_ebitda", "ev_revenue", "premium_pct", *(f"part_{p}" for p in PARTS)]  # fmt: skip
st.dataframe(table[shown], hide_index=True, width="stretch", column_config={
    "rank": st.column_config.NumberColumn("#", width="small"),
    "restricted": st.column_config.CheckboxColumn("Restricted", help="A party is on the restricted list"),
    "match_pct": st.column_config.ProgressColumn("Match", min_value=0, max_value=100, format="%.0f"),
    "announced_date": st.column_config.DateColumn("Announced"),
    "size_usd_m": st.column_config.NumberColumn("Size ($m)", format="%,.0f"),
    "ev_ebitda": st.column_config.NumberColumn("EV/EBITDA", format="%.1fx"),
    "ev_revenue": st.column_config.NumberColumn("EV/Revenue", format="%.1fx"),
    "premium_pct": st.column_config.NumberColumn("Premium", format="%.0f%%"),
    **{f"part_{p}": st.column_config.NumberColumn(PART_LABELS[p], format="%.3f") for p in PARTS},
})  # fmt: skip

with st.expander("Why is a deal here?", expanded=True):
    pick = st.selectbox("Deal", list(range(len(hits))), key="pr_explain",
                        format_func=lambda i: f"#{i + 1} {hits['name'].iat[i]}")  # fmt: skip
    hit = hits.iloc[pick].to_dict()
    c = st.columns([2, 3])
    c[0].dataframe(explanation_frame(hit, result.query), hide_index=True, width="stretch",
                   column_config={"points": st.column_config.NumberColumn("Points", format="%.4f")})
    c[1].markdown(hit["highlighted"] or "_no description_")

st.subheader("Precedent set")
c = st.columns(2)
excluded = c[0].multiselect("Exclude", list(hits["key"]), format_func=lambda k: labels.get(k, k), key="pr_exclude")
pinned_keys = c[1].multiselect("Pin", list(labels), format_func=labels.get, key="pr_pin",
                               help="Pinned deals stay in the set and its statistics even if the search misses them.")
pinned = deals_by_keys(pinned_keys, session_factory=factory, viewer=viewer) if pinned_keys else None
chosen = precedent_set(hits, pinned=pinned, excluded_keys=excluded)
st.dataframe(multiples_table(chosen), hide_index=True, width="stretch", column_config={
    "metric": "Metric", "n": st.column_config.NumberColumn("N"),
    **{c: st.column_config.NumberColumn(c.upper() if c in ("q1", "q3") else c.capitalize(), format="%,.1f")
       for c in ("median", "mean", "q1", "q3", "low", "high")},
})  # fmt: skip
metric = st.selectbox("Chart", ["ev_ebitda", "ev_revenue", "premium_pct"], key="pr_metric",
                      format_func={"ev_ebitda": "EV/EBITDA", "ev_revenue": "EV/Revenue", "premium_pct": "Premium"}.get)
c = st.columns(2)
c[0].plotly_chart(multiple_vs_size_figure(chosen, metric), width="stretch", key="pr_fig_size")
c[1].plotly_chart(multiples_over_time_figure(chosen, metric), width="stretch", key="pr_fig_time")

d = st.columns([1, 1, 3])
if d[0].button("Prepare Excel", key="pr_prep_xlsx"):
    try:
        state.pr_xlsx = export_precedents_to_excel(result, chosen, session_factory=factory, user=viewer.user,
                                                   viewer=viewer)  # fmt: skip
    except WorkbenchError as exc:
        st.error(str(exc))
if state.get("pr_xlsx") is not None:
    d[1].download_button("Download Excel", state.pr_xlsx.data, file_name=state.pr_xlsx.file_name,
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="pr_dl")
