"""Monitor: today's alerts, watchlists with returns, prices against the sector, deal flow, league tables."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from services import alerts, market, watchlists
from workbench.errors import WorkbenchError
from workbench.excel import csv_bytes
from workbench.ui import current_viewer, session_factory, settings, show_error

factory = session_factory()
viewer = current_viewer()
user = viewer.user
url = settings().resolved_database_url
state = st.session_state


# Read-only market views are cached briefly: a rerun after a click should not recompute them.
@st.cache_data(ttl=300, show_spinner=False)
def _sector_returns(db: str, as_of: dt.date) -> pd.DataFrame:
    return market.sector_returns(session_factory=factory, as_of=as_of)


@st.cache_data(ttl=300, show_spinner=False)
def _price_vs_sector(db: str, company_id: int, start: dt.date, end: dt.date) -> pd.DataFrame:
    return market.price_vs_sector(company_id, session_factory=factory, start=start, end=end)


def _csv(frame: pd.DataFrame, label: str, file_name: str, key: str) -> None:
    st.download_button(label, csv_bytes(frame), file_name=file_name, mime="text/csv",
                       key=key, icon=":material/download:")  # fmt: skip


st.title("Monitor")
as_of = market.latest_price_date(session_factory=factory) or dt.date.today()
st.caption(f"Market data as of {as_of:%d %b %Y}. Alerts, watchlists, deal flow and league tables.")
view = st.radio("View", ["Alerts", "Watchlists", "Charts", "Deal flow", "League tables"], horizontal=True,
                key="mon_view", label_visibility="collapsed")  # fmt: skip

if view == "Alerts":
    top = st.columns([2, 1, 1])
    run_day = top[0].date_input("Evaluate as of", value=as_of, key="mon_run_as_of")
    if top[1].button("Run now", type="primary", key="mon_run", icon=":material/play_arrow:"):
        try:
            summary = alerts.run_alerts(session_factory=factory, as_of=run_day, user=user, viewer=viewer)
            state["mon_summary"] = summary.lines()
        except WorkbenchError as exc:
            show_error(exc)
    if "mon_summary" in state:
        with st.expander(state["mon_summary"][0], expanded=False):
            st.code("\n".join(state["mon_summary"][1:]) or "no rules", language=None)
    rules = alerts.list_rules(session_factory=factory, viewer=viewer)
    if not rules and top[2].button("Add standard rules", key="mon_defaults"):
        alerts.install_default_rules(session_factory=factory, user=user, viewer=viewer)
        st.rerun()

    latest = alerts.latest_event_date(session_factory=factory, viewer=viewer)
    show_all = st.toggle("Include acknowledged", value=False, key="mon_show_ack")
    events = alerts.list_events(session_factory=factory, as_of=latest, include_acknowledged=show_all, viewer=viewer) if latest \
        else alerts.list_events(session_factory=factory, limit=1, viewer=viewer)  # fmt: skip
    st.subheader(f"Alerts of {latest:%d %b %Y}" if latest else "Alerts")
    if events.empty:
        st.info("No alerts to show. Run the rules with **Run now** or `workbench alerts run`.")
    else:
        shown = events[["id", "rule", "company", "ticker", "reason", "acknowledged_by"]]
        st.dataframe(shown, hide_index=True, width="stretch")
        _csv(events.drop(columns=["figures"]).assign(figures=events["figures"].astype(str)), "Alerts CSV",
             f"alerts_{latest}.csv", "mon_alerts_csv")  # fmt: skip
        open_ids = events.loc[events["acknowledged_at"].isna(), "id"].tolist()
        pick = st.multiselect("Acknowledge", open_ids, key="mon_ack_pick",
                              format_func=lambda i: events.set_index("id").at[i, "reason"][:90])  # fmt: skip
        cols = st.columns(2)
        if cols[0].button("Acknowledge selected", key="mon_ack", disabled=not pick):
            alerts.acknowledge_events(pick, session_factory=factory, user=user, viewer=viewer)
            st.rerun()
        if cols[1].button("Acknowledge all shown", key="mon_ack_all", disabled=not open_ids):
            alerts.acknowledge_events(open_ids, session_factory=factory, user=user, viewer=viewer)
            st.rerun()

    with st.expander(f"Rules ({len(rules)})"):
        if rules:
            st.dataframe(pd.DataFrame([{"id": r.id, "name": r.name, "rule": r.description, "scope": r.scope_label,
                                        "enabled": r.enabled} for r in rules]), hide_index=True, width="stretch")  # fmt: skip
        with st.form("mon_rule_form"):
            c = st.columns(2)
            rule_name = c[0].text_input("Rule name", key="mon_rule_name")
            rule_type = c[1].selectbox("Rule type", list(alerts.RULE_TYPES), key="mon_rule_type",
                                       format_func=lambda t: alerts.RULE_TYPES[t].label)  # fmt: skip
            params_text = st.text_input("Parameters (name=value, comma-separated; lists with ;)",
                                        placeholder="pct=10, days=5", key="mon_rule_params")  # fmt: skip
            c = st.columns(2)
            scope_type = c[0].selectbox("Scope", alerts.SCOPE_TYPES, key="mon_rule_scope")
            scope_value = c[1].text_input("Sector or watchlist name", key="mon_rule_scope_value")
            if st.form_submit_button("Add rule"):
                try:
                    alerts.create_rule(rule_name, rule_type, alerts.parse_params_text(params_text),
                                       session_factory=factory, user=user, scope_type=scope_type,
                                       scope_value=scope_value or None, viewer=viewer)  # fmt: skip
                    st.success(f"Rule {rule_name!r} added")
                except WorkbenchError as exc:
                    st.error(str(exc))
        st.caption(" · ".join(f"**{t.name}**: {', '.join(p.name for p in t.params)}"
                              for t in alerts.RULE_TYPES.values()))  # fmt: skip

elif view == "Watchlists":
    lists = watchlists.list_watchlists(session_factory=factory, viewer=viewer)
    by_id = {w.id: w for w in lists}
    with st.expander("Manage watchlists", expanded=not lists):
        c = st.columns([3, 1])
        new_name = c[0].text_input("New watchlist", key="mon_wl_new")
        if c[1].button("Create", key="mon_wl_create"):
            try:
                state["mon_wl"] = watchlists.create_watchlist(new_name, session_factory=factory, user=user,
                                                              viewer=viewer).id
                st.rerun()
            except WorkbenchError as exc:
                st.error(str(exc))
    if not lists:
        st.info("No watchlists yet: create one above, or save names from Targeting.")
        st.stop()
    chosen = st.selectbox("Watchlist", list(by_id), key="mon_wl", format_func=lambda i: f"{by_id[i].name} "
                          f"({by_id[i].item_count} names)")  # fmt: skip
    table = market.watchlist_table(chosen, session_factory=factory, as_of=as_of, viewer=viewer)
    st.dataframe(table.drop(columns=["company_id"]), hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.1f%%") for c in table if c.endswith("_pct")})  # fmt: skip
    _csv(table, "Watchlist CSV", f"watchlist_{chosen}.csv", "mon_wl_csv")

    if added := state.pop("mon_wl_added", None):
        st.success(f"Added {len(added.added)}; already listed {len(added.already_listed)}")
        if added.unknown:
            st.warning(f"Unknown tickers: {', '.join(added.unknown[:50])}")
    c = st.columns(2)
    with c[0].container(border=True):
        tickers = st.text_area("Add by ticker list", placeholder="AAPL, MSFT ...", key="mon_wl_tickers", height=80)
        if st.button("Add names", key="mon_wl_add"):
            try:
                res = watchlists.add_by_tickers(chosen, watchlists.parse_tickers(tickers), session_factory=factory,
                                                user=user, viewer=viewer)  # fmt: skip
                state["mon_wl_added"] = res
                st.rerun()
            except WorkbenchError as exc:
                st.error(str(exc))
    with c[1].container(border=True):
        names = dict(zip(table["company_id"], table["name"], strict=True))
        who = st.selectbox("Name", list(names), format_func=names.get, key="mon_wl_who") if names else None
        note = st.text_input("Note", key="mon_wl_note")
        b = st.columns(2)
        if b[0].button("Save note", key="mon_wl_note_save", disabled=who is None):
            watchlists.set_note(chosen, who, note, session_factory=factory, user=user, viewer=viewer)
            st.rerun()
        if b[1].button("Remove name", key="mon_wl_remove", disabled=who is None):
            watchlists.remove_companies(chosen, [who], session_factory=factory, user=user, viewer=viewer)
            st.rerun()
    with st.container(border=True):
        c = st.columns([3, 1, 1])
        renamed = c[0].text_input("Rename to", key="mon_wl_rename_to")
        if c[1].button("Rename", key="mon_wl_rename"):
            try:
                watchlists.rename_watchlist(chosen, renamed, session_factory=factory, user=user, viewer=viewer)
                st.rerun()
            except WorkbenchError as exc:
                st.error(str(exc))
        if c[2].button("Delete watchlist", key="mon_wl_delete", type="secondary"):
            watchlists.delete_watchlist(chosen, session_factory=factory, user=user, viewer=viewer)
            state.pop("mon_wl", None)
            st.rerun()

elif view == "Charts":
    query = st.text_input("Company (ticker or name)", key="mon_chart_q")
    try:
        found = market.find_companies(query, session_factory=factory) if query else None
    except WorkbenchError as exc:  # text no company name can hold (control characters)
        st.error(str(exc))
        found = None
    if found is not None and found.empty:
        st.warning("No company matches.")
    if found is not None and not found.empty:
        labels = {r.company_id: f"{r.name} ({r.ticker if pd.notna(r.ticker) else '-'}, {r.sector if pd.notna(r.sector) else 'no sector'})" for r in found.itertuples()}
        cid = st.selectbox("Name", list(labels), format_func=labels.get, key="mon_chart_pick")
        years = st.radio("Period", [1, 2, 3], horizontal=True, format_func=lambda y: f"{y}y", key="mon_chart_years")
        series = _price_vs_sector(url, cid, as_of - dt.timedelta(days=365 * years), as_of)
        if series.empty:
            st.info("No prices for this company.")
        else:
            fig = go.Figure()
            fig.add_scatter(x=series["date"], y=series["company"], name=labels[cid].split(" (")[0])
            fig.add_scatter(x=series["date"], y=series["sector_index"], name=f"{series['sector'].iloc[0]} index")
            fig.update_layout(yaxis_title="rebased to 100", height=420, margin={"t": 30})
            st.plotly_chart(fig, width="stretch")
            _csv(series, "Series CSV", f"price_vs_sector_{cid}.csv", "mon_chart_csv")
    st.subheader("Sector returns (equal-weight, %)")
    heat = _sector_returns(url, as_of)
    if heat.empty:
        st.info("No prices in the store.")
    else:
        periods = [c for c in heat.columns if c != "members"]
        fig = px.imshow(heat[periods], text_auto=".1f", color_continuous_scale="RdYlGn", aspect="auto",
                        color_continuous_midpoint=0.0)  # fmt: skip
        fig.update_layout(height=60 + 32 * len(heat), margin={"t": 20}, coloraxis_showscale=False)
        st.plotly_chart(fig, width="stretch")
        _csv(heat.reset_index(), "Sector returns CSV", f"sector_returns_{as_of}.csv", "mon_heat_csv")

elif view in ("Deal flow", "League tables"):
    choices = market.deal_filter_choices(session_factory=factory, viewer=viewer)
    c = st.columns(4)
    types = c[0].multiselect("Deal type", choices["deal_types"], key="mon_df_types")
    sectors = c[1].multiselect("Sector", choices["sectors"], key="mon_df_sectors")
    regions = c[2].multiselect("Region", choices["regions"], key="mon_df_regions")
    period = c[3].date_input("Period", value=(as_of - dt.timedelta(days=365), as_of), key="mon_df_period")
    start, end = (period[0], period[-1]) if isinstance(period, (tuple, list)) and period else (None, None)
    filters = {"deal_types": types, "sectors": sectors, "regions": regions}
    if start is None:
        st.stop()
    try:
        if view == "Deal flow":
            flow = market.deal_flow(session_factory=factory, start=start, end=end, limit=200, viewer=viewer, **filters)
            st.subheader(f"Latest deals ({len(flow)})")
            st.dataframe(flow.drop(columns=["deal_type"]), hide_index=True, width="stretch")
            _csv(flow, "Deals CSV", "deal_flow.csv", "mon_flow_csv")
            volume = market.issuance_volume(session_factory=factory, start=start, end=end, viewer=viewer, **filters)
            st.subheader("Issuance volume by week")
            if volume.empty:
                st.info("No deals in this period.")
            else:
                fig = px.bar(volume, x="week", y="volume_usd_m", color="type", hover_data=["deals"],
                             labels={"volume_usd_m": "USD m", "week": "week of"})  # fmt: skip
                fig.update_layout(height=380, margin={"t": 20})
                st.plotly_chart(fig, width="stretch")
                _csv(volume, "Issuance CSV", "issuance_by_week.csv", "mon_vol_csv")
        else:
            role = st.radio("Rank", list(market.LEAGUE_ROLES), horizontal=True, key="mon_lt_role",
                            format_func=lambda r: {"bookrunner": "Bookrunners", "advisor": "Advisors"}[r])  # fmt: skip
            table = market.league_table(session_factory=factory, role=role, start=start, end=end, viewer=viewer, **filters)
            if table.empty:
                st.info("No credited deals in this period.")
            else:
                fig = px.bar(table.head(15), x="volume_usd_m", y="bank", orientation="h", hover_data=["deals", "share_pct"],
                             labels={"volume_usd_m": "USD m (apportioned)", "bank": ""})  # fmt: skip
                fig.update_layout(height=420, margin={"t": 20}, yaxis={"autorange": "reversed"})
                st.plotly_chart(fig, width="stretch")
                st.dataframe(table, hide_index=True, width="stretch")
                _csv(table, "League table CSV", f"league_{role}_{start}_{end}.csv", "mon_lt_csv")
    except WorkbenchError as exc:
        show_error(exc)
