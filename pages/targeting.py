"""Targeting: build a screen without JSON, rank by propensity score, explain, export, save."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from services import screens, watchlists
from services.propensity import SCORES
from services.screening import FIELDS, FieldKind, Op, ScreenResult, ScreenSpecError, field_choices, parse_spec, run_screen
from services.targeting_export import export_screen_to_csv, export_screen_to_excel
from workbench.errors import WorkbenchError
from workbench.plots import horizontal_bars, stacked_bars
from workbench.ui import current_viewer, feature_cache, session_factory, settings, show_error

factory = session_factory()
viewer = current_viewer()
user = viewer.user
state = st.session_state
state.setdefault("tg_filters", [{"field": "sector", "op": "in", "value": []}])
state.setdefault("tg_next", 1)

st.title("Targeting")
st.caption("Screen the universe, rank by likelihood to transact, explain each name, export for the team.")

SIZE_BANDS = ["small (<$2bn)", "mid ($2-10bn)", "large (>$10bn)", "unknown"]
FIELD_NAMES = sorted(FIELDS, key=lambda n: (FIELDS[n].group, FIELDS[n].label))
STATUS_COLOURS = {"entered": "#d4edda", "left": "#f8d7da", "up": "#d1ecf1", "down": "#fff3cd"}


def _value_widget(row: dict, key: str):
    fd = FIELDS[row["field"]]
    op = Op(row["op"])
    if op in (Op.IS_EMPTY, Op.NOT_EMPTY):
        return None
    if fd.kind is FieldKind.NUMBER:
        if op is Op.BETWEEN:
            lo, hi = st.columns(2)
            return [lo.number_input("from", value=0.0, key=f"{key}_lo"), hi.number_input("to", value=1000.0, key=f"{key}_hi")]
        return st.number_input(f"value ({fd.unit or 'number'})", value=0.0, key=f"{key}_num")
    options = field_choices(session_factory=factory, field_name=fd.name)
    if op in (Op.IN, Op.NOT_IN):
        if options:
            return st.multiselect("values", options, key=f"{key}_multi")
        text = st.text_input("values (comma-separated)", key=f"{key}_csv")
        return [v.strip() for v in text.split(",") if v.strip()]
    if op is Op.BETWEEN:
        lo, hi = st.columns(2)
        return [lo.selectbox("from", options, key=f"{key}_rlo"), hi.selectbox("to", options, index=len(options) - 1, key=f"{key}_rhi")]
    if options and op is not Op.CONTAINS:
        return st.selectbox("value", options, key=f"{key}_one")
    return st.text_input("value", key=f"{key}_text")


with st.container(border=True):
    top = st.columns([3, 2, 1, 1])
    name = top[0].text_input("Screen name", value=state.get("tg_name", "Untitled screen"), key="tg_name")
    as_of = top[1].date_input("As of", value=state.get("tg_as_of", dt.date.today()), key="tg_as_of")
    top_n = top[2].number_input("Top N", min_value=1, max_value=10_000, value=100, step=10, key="tg_top")
    combine = top[3].radio("Combine", ["and", "or"], horizontal=True, key="tg_combine")

    conditions: list[dict] = []
    for i, row in enumerate(list(state.tg_filters)):
        key = f"tg_f{row.setdefault('id', i)}"
        cols = st.columns([3, 2, 4, 1])
        with cols[0]:
            row["field"] = st.selectbox("field", FIELD_NAMES, index=FIELD_NAMES.index(row["field"]),
                                        format_func=lambda n: f"{FIELDS[n].label} · {FIELDS[n].group}", key=f"{key}_field")
        ops = [o.value for o in FIELDS[row["field"]].ops]
        with cols[1]:
            row["op"] = st.selectbox("operator", ops, index=ops.index(row["op"]) if row["op"] in ops else 0, key=f"{key}_op")
        with cols[2]:
            value = _value_widget(row, key)
        if cols[3].button("✕", key=f"{key}_del", help="Remove this filter"):
            state.tg_filters.remove(row)
            st.rerun()
        incomplete = isinstance(value, list) and not value or value == ""
        if not incomplete:
            conditions.append({"field": row["field"], "op": row["op"], "value": value})
    if st.button("Add filter", icon=":material/add:"):
        state.tg_filters.append({"id": state.tg_next, "field": "market_cap_usd_m", "op": ">="})
        state.tg_next += 1
        st.rerun()

    score_cols = st.columns([2, 5])
    score_name = score_cols[0].selectbox("Rank by", ["none", *SCORES], key="tg_score",
                                         format_func=lambda s: "Market cap" if s == "none" else SCORES[s].label)
    weights: dict[str, float] = {}
    if score_name != "none":
        with score_cols[1].expander("Factor weights", expanded=False):
            for factor in SCORES[score_name].factors:
                weights[factor.name] = st.slider(factor.label, 0.0, 5.0, SCORES[score_name].default_weights[factor.name],
                                                 0.5, help=f"{factor.measures} {factor.normalisation}.",
                                                 key=f"tg_w_{score_name}_{factor.name}")  # fmt: skip

spec_data = {"name": name or "Untitled screen", "as_of": as_of.isoformat(), "top_n": int(top_n),
             "filters": {"combine": combine, "conditions": conditions},
             **({"score": {"name": score_name, "weights": weights}} if score_name != "none" else {})}  # fmt: skip

if st.button("Run screen", type="primary", icon=":material/play_arrow:"):
    try:
        spec = parse_spec(spec_data)
        state.tg_result = run_screen(spec, session_factory=factory, as_of=as_of, user=user,
                                     cache=feature_cache(), cache_key=settings().resolved_database_url)  # fmt: skip
        state.pop("tg_xlsx", None)
    except (ScreenSpecError, WorkbenchError) as exc:
        st.error(str(exc))
    except Exception as exc:  # the page stays usable; the log has the detail
        show_error(exc)

result: ScreenResult | None = state.get("tg_result")
if result is not None:
    st.subheader(result.spec.name)
    m = st.columns(4)
    m[0].metric("Matched", f"{result.matched:,}")
    m[1].metric("Universe", f"{result.universe:,}")
    m[2].metric("As of", result.as_of.isoformat())
    m[3].metric("Run time", f"{result.timings_ms['total']:.0f} ms")
    st.caption(" · ".join(result.criteria))
    if "restricted" in result.rows and result.rows["restricted"].any():
        names = ", ".join(result.rows.loc[result.rows["restricted"], "name"].astype(str).head(10))
        st.warning(f"On the restricted list: {names}. Check with compliance before any contact.",
                   icon=":material/block:")  # fmt: skip
    shown = result.rows.drop(columns=["company_id"])
    st.dataframe(shown, hide_index=True, width="stretch",
                 column_config={"score": st.column_config.ProgressColumn("Score", min_value=0, max_value=100, format="%.1f"),
                                "restricted": st.column_config.CheckboxColumn("Restricted", help="On the restricted list"),
                                "market_cap_usd_m": st.column_config.NumberColumn("Market cap ($m)", format="%,.0f")})  # fmt: skip

    if not result.rows.empty:
        charts = st.columns(2)
        labels = {int(r.company_id): f"#{r.rank} {r.name}" for r in result.rows.itertuples()}
        with charts[0]:
            if not result.factors.empty:
                chosen = st.selectbox("Explain", list(labels), format_func=labels.get, key="tg_explain")
                parts = result.factors[result.factors["company_id"] == chosen]
                tips = [f"value {r.value:,.4g} · normalised {r.normalised:.2f} · weight {r.weight:g}"
                        for r in parts.itertuples()]  # fmt: skip
                fig = horizontal_bars(parts["label"].tolist(), parts["contribution"].tolist(), hover=tips,
                                      title=f"Why {labels[chosen]}", value_title="points of the score")  # fmt: skip
                fig.update_layout(height=320)
                st.plotly_chart(fig, width="stretch")
        with charts[1]:
            by = result.rows.assign(
                size=pd.cut(result.rows["market_cap_usd_m"], [0, 2_000, 10_000, float("inf")], labels=SIZE_BANDS[:3]).astype(str).replace("nan", "unknown"),
                sector=result.rows["sector"].fillna("unknown"),
            )  # fmt: skip
            counts = by.groupby(["sector", "size"], sort=False).size().rename("companies").reset_index()
            fig = stacked_bars(counts, category="sector", value="companies", stack="size", horizontal=True,
                               stack_order=SIZE_BANDS, value_title="Companies", hover="%{value:,} companies")  # fmt: skip
            fig.update_layout(height=320, title_text="Result by sector and size", legend_title_text="size")
            st.plotly_chart(fig, width="stretch")

        with st.expander("Add names to a watchlist"):
            lists = {w.name: w.id for w in watchlists.list_watchlists(session_factory=factory, viewer=viewer)}
            picks = st.multiselect("Companies", list(labels), format_func=labels.get, key="tg_wl_pick")
            target = st.selectbox("Watchlist", ["(new)", *lists], key="tg_wl_target")
            new_name = st.text_input("New watchlist name", key="tg_wl_new") if target == "(new)" else ""
            note = st.text_input("Note", value=f"From screen {result.spec.name}", key="tg_wl_note")
            if st.button("Add to watchlist", disabled=not picks, key="tg_wl_add"):
                try:
                    wl_id = lists.get(target) or watchlists.create_watchlist(new_name, session_factory=factory, user=user).id
                    added = watchlists.add_companies(wl_id, picks, session_factory=factory, user=user, note=note,
                                                     viewer=viewer)  # fmt: skip
                    st.success(f"Added {added} name(s).")
                except WorkbenchError as exc:
                    st.error(str(exc))

        d = st.columns(3)
        if d[0].button("Prepare Excel", icon=":material/table:", key="tg_prep_xlsx"):
            state.tg_xlsx = export_screen_to_excel(result, session_factory=factory, user=user)
        if state.get("tg_xlsx") is not None:
            d[1].download_button("Download Excel", state.tg_xlsx.data, file_name=state.tg_xlsx.file_name,
                                 mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # fmt: skip
        if d[2].button("Prepare CSV", key="tg_prep_csv"):
            state.tg_csv = export_screen_to_csv(result, session_factory=factory, user=user)
        if state.get("tg_csv") is not None:
            d[2].download_button("Download CSV", state.tg_csv.data, file_name=state.tg_csv.file_name, mime="text/csv")

st.divider()
st.subheader("Saved screens")
try:
    saved = {s.name: s for s in screens.list_screens(session_factory=factory)}
    c = st.columns([3, 1])
    if c[1].button("Save current screen", key="tg_save"):
        screens.save_screen(parse_spec(spec_data), session_factory=factory, user=user, overwrite=True)
        st.success(f"Saved {spec_data['name']!r}.")
        saved = {s.name: s for s in screens.list_screens(session_factory=factory)}
    if saved:
        pick = c[0].selectbox("Screen", list(saved), key="tg_saved_pick")
        chosen_screen = saved[pick]
        a = st.columns(4)
        new_name = a[0].text_input("New name", key="tg_new_name")
        if a[1].button("Rename", disabled=not new_name, key="tg_rename"):
            screens.rename_screen(chosen_screen.id, new_name, session_factory=factory, user=user)
            st.rerun()
        if a[2].button("Clone", key="tg_clone"):
            screens.clone_screen(chosen_screen.id, new_name or None, session_factory=factory, user=user)
            st.rerun()
        if a[3].button("Delete", key="tg_delete"):
            screens.delete_screen(chosen_screen.id, session_factory=factory, user=user)
            st.rerun()
        r = st.columns([2, 1])
        rerun_as_of = r[0].date_input("Re-run as of", value=chosen_screen.spec.as_of or dt.date.today(), key="tg_rerun_date")
        if r[1].button("Re-run and compare", type="primary", key="tg_rerun"):
            run, state.tg_result = screens.run_saved_screen(chosen_screen.id, session_factory=factory, user=user,
                                                            as_of=rerun_as_of, cache=feature_cache(),
                                                            cache_key=settings().resolved_database_url)  # fmt: skip
            state.tg_compare = screens.compare_runs(run.id, session_factory=factory)
            st.rerun()
    else:
        st.info("No saved screens yet: build one above and save it.")
    compare = state.get("tg_compare")
    if compare is not None:
        st.markdown("**Compared with the previous run**")
        styled = compare.style.apply(
            lambda row: [f"background-color: {STATUS_COLOURS.get(row['status'], '')}"] * len(row), axis=1
        )
        st.dataframe(styled, hide_index=True, width="stretch")
except (ScreenSpecError, WorkbenchError) as exc:
    st.error(str(exc))
