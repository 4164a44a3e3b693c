"""Company: the tear sheet, trading comparables with an editable peer set, and the pitch pack."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services.company_embeddings import embed_companies, embedding_coverage
from services.comps import (build_comps_table, explain_peers, load_peer_set, multiple_vs_growth_figure,
                            multiples_bar_figure, propose_peers, save_peer_set, search_companies)  # fmt: skip
from services.market import find_companies
from services.pitch import Situation, build_pitch_pack
from services.tearsheet import TearSheet, build_tear_sheet, debt_ladder_figure, price_figure
from workbench.access import Viewer
from workbench.errors import WorkbenchError
from workbench.ui import current_viewer, embedder, precedent_engine, session_factory, settings, show_error

factory = session_factory()
viewer = current_viewer()
state = st.session_state
url = settings().resolved_database_url

st.title("Company")
st.caption("Tear sheet, trading comparables and the pitch pack for one company.")


@st.cache_data(ttl=60, show_spinner=False)
def _tear_sheet(url: str, company_id: int, viewer: Viewer) -> TearSheet:
    return build_tear_sheet(company_id, session_factory=factory, embedder=embedder(), viewer=viewer)


search = st.text_input("Company", key="co_search", placeholder="Ticker or part of the name, e.g. ALTI")
found = find_companies(search, session_factory=factory) if search.strip() else pd.DataFrame()
if found.empty:
    st.info("Type a ticker or part of a company's name." if not search.strip() else f"No company matches {search!r}.")
    st.stop()
labels = {int(r.company_id): f"{r.name} ({r.ticker or '-'}, {r.sector or '-'})" for r in found.itertuples()}
company_id = st.selectbox("Pick the company", list(labels), format_func=labels.get, key="co_pick")
if company_id is None:
    st.stop()
company_id = int(company_id)

try:
    with st.spinner("Reading the tear sheet..."):
        sheet = _tear_sheet(url, company_id, viewer)
except Exception as exc:
    show_error(exc)
    st.stop()

if sheet.restricted:
    st.error(f"{sheet.profile['name']} is on the restricted list"
             + (f": {sheet.restricted_reason}" if sheet.restricted_reason else "") + ". Check with compliance.",
             icon=":material/block:")  # fmt: skip

tab_sheet, tab_comps, tab_pack = st.tabs(["Tear sheet", "Comparables", "Pitch pack"])

# --- tear sheet ---------------------------------------------------------------------------------
with tab_sheet:
    p = sheet.profile
    st.subheader(f"{p['name']} ({p.get('ticker') or p['key']})")
    st.caption(" · ".join(str(v) for v in (p.get("sector"), p.get("industry"), p.get("country"), p.get("exchange"),
                                            p.get("rating") and f"rated {p['rating']}") if v)
               + f" · data as of {sheet.as_of:%Y-%m-%d}")  # fmt: skip
    if sheet.description:
        st.write(sheet.description)
    left, right = st.columns([2, 3])
    fin = sheet.financials.assign(shown=[("-" if pd.isna(v) else f"{v:,.1f}" if k == "usd_m" else
                                          f"{v:.1f}x" if k == "multiple" else f"{v:.1f}%")
                                         for v, k in zip(sheet.financials["value"], sheet.financials["kind"])])  # fmt: skip
    left.dataframe(fin[["label", "shown"]].rename(columns={"label": "Key financials", "shown": "Value"}),
                   hide_index=True, width="stretch")  # fmt: skip
    right.plotly_chart(price_figure(sheet), key="co_price")
    right.plotly_chart(debt_ladder_figure(sheet), key="co_ladder")
    st.markdown("**Propensity scores**")
    cols = st.columns(max(len(sheet.scores), 1))
    for col, rec in zip(cols, sheet.scores.to_dict("records")):
        col.metric(rec["label"], f"{rec['total']:.0f}")
    with st.expander("Factor breakdown"):
        st.dataframe(sheet.factors.drop(columns=["score"]), hide_index=True, width="stretch")
    st.markdown("**Recent deals** (as issuer, target or acquirer)")
    st.dataframe(sheet.deals, hide_index=True, width="stretch")
    st.markdown("**Latest documents**")
    if sheet.documents.empty:
        st.caption("No documents for this company in the store.")
    for rec in sheet.documents.to_dict("records"):
        st.markdown(f"*{rec['title']}* ({rec['doc_type']}, {rec['doc_date'] or 'undated'})")
        st.caption(rec["summary"] or "Not summarised.")
    st.markdown("**Open alerts**")
    if sheet.alerts.empty:
        st.caption("No open alerts.")
    else:
        st.dataframe(sheet.alerts, hide_index=True, width="stretch")

# --- comparables --------------------------------------------------------------------------------
PEERS_KEY = f"co_peers_{company_id}"


def _set_peers(frame: pd.DataFrame, note: str) -> None:
    state[PEERS_KEY] = frame[["company_id", "name", "ticker", "reason", "origin", "restricted"]].reset_index(drop=True)
    state[f"{PEERS_KEY}_note"] = note
    state.pop("co_pack", None)


def _propose() -> None:
    proposal = propose_peers(company_id, session_factory=factory, embedder=embedder(), viewer=viewer)
    note = (f"Proposed from {proposal.candidates:,} candidates of {proposal.universe:,} listed companies"
            + ("" if proposal.subject_embedded else "; structure only (no description vectors)"))  # fmt: skip
    _set_peers(proposal.peers, note)


with tab_comps:
    try:
        if PEERS_KEY not in state:
            saved = load_peer_set(company_id, session_factory=factory)
            if saved is not None and len(saved.peers):
                _set_peers(saved.peers, f"Saved peer set, by {saved.saved_by} on {saved.saved_at:%Y-%m-%d %H:%M} UTC"
                           + (f" ({saved.missing} peers no longer in the store)" if saved.missing else ""))  # fmt: skip
            else:
                _propose()
    except WorkbenchError as exc:
        st.error(str(exc))
        st.stop()
    peers: pd.DataFrame = state[PEERS_KEY]
    st.caption(state.get(f"{PEERS_KEY}_note", ""))
    embedded, total = embedding_coverage(session_factory=factory, model_name=embedder().name)
    if embedded < total:
        c = st.columns([4, 1])
        c[0].caption(f"{total - embedded:,} of {total:,} companies have no description vector yet: they are "
                     "compared on sector, size and region only (`workbench index --companies` embeds them too).")  # fmt: skip
        if c[1].button("Embed descriptions", key="co_embed"):
            bar = st.progress(0.0, text="Embedding company descriptions...")
            embed_companies(session_factory=factory, embedder=embedder(),
                            progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))  # fmt: skip
            bar.empty()
            _propose()
            st.rerun()
    st.dataframe(peers.drop(columns=["company_id"]), hide_index=True, width="stretch",
                 column_config={"reason": st.column_config.TextColumn("Why it is a peer", width="large")})  # fmt: skip
    if peers["restricted"].any():
        st.warning("On the restricted list: " + ", ".join(peers.loc[peers["restricted"], "name"]))

    c = st.columns([3, 1, 1, 1])
    names = {int(r.company_id): f"{r.name} ({r.ticker or '-'})" for r in peers.itertuples()}
    to_remove = c[0].multiselect("Remove peers", list(names), format_func=names.get, key="co_remove",
                                 label_visibility="collapsed", placeholder="Peers to remove")  # fmt: skip
    if c[1].button("Remove", key="co_remove_btn", disabled=not to_remove):
        _set_peers(peers[~peers["company_id"].isin(to_remove)], "Edited (not saved yet)")
        st.rerun()
    if c[2].button("Propose again", key="co_propose"):
        _propose()
        st.rerun()
    if c[3].button("Save peer set", key="co_save", type="primary", disabled=peers.empty):
        try:
            saved = save_peer_set(company_id, peers, session_factory=factory, user=viewer.user)
            state[f"{PEERS_KEY}_note"] = f"Saved peer set, by {saved.saved_by} on {saved.saved_at:%Y-%m-%d %H:%M} UTC"
            st.success(f"Saved {len(saved.peers)} peers.")
        except WorkbenchError as exc:
            st.error(str(exc))

    c = st.columns([3, 3, 1])
    add_text = c[0].text_input("Add a peer", key="co_add_search", placeholder="Ticker or name of a company to add")
    candidates = (search_companies(add_text, session_factory=factory, exclude=[company_id, *names])
                  if add_text.strip() else pd.DataFrame(columns=["company_id", "ticker", "name", "sector"]))  # fmt: skip
    add_labels = {int(r.company_id): f"{r.name} ({r.ticker or '-'}, {r.sector or '-'})" for r in candidates.itertuples()}
    to_add = c[1].selectbox("Company to add", list(add_labels), format_func=add_labels.get, index=None,
                            key="co_add_pick", placeholder="Pick a company")  # fmt: skip
    if c[2].button("Add peer", key="co_add", disabled=to_add is None):
        row = explain_peers(company_id, [int(to_add)], session_factory=factory, embedder=embedder())
        _set_peers(pd.concat([peers, row], ignore_index=True), "Edited (not saved yet)")
        st.rerun()

    if peers.empty:
        st.info("No peers: propose again or add some.")
    else:
        try:
            table = build_comps_table(company_id, peers["company_id"].tolist(), session_factory=factory, viewer=viewer)
        except WorkbenchError as exc:
            st.error(str(exc))
        else:
            st.markdown("**Trading comparables**")
            st.dataframe(table.rows.drop(columns=["company_id", "key"]), hide_index=True, width="stretch")
            left, right = st.columns(2)
            left.markdown("**Peer statistics**")
            left.dataframe(table.stats.drop(columns=["metric", "kind"]), hide_index=True, width="stretch")
            right.markdown(f"**Where {sheet.profile['name']} sits**")
            right.dataframe(table.position.drop(columns=["metric", "kind"]), hide_index=True, width="stretch")
            left, right = st.columns(2)
            left.plotly_chart(multiple_vs_growth_figure(table), key="co_scatter")
            right.plotly_chart(multiples_bar_figure(table), key="co_bar")

# --- pitch pack ---------------------------------------------------------------------------------
with tab_pack:
    situation = st.radio("Situation", list(Situation), format_func=lambda s: s.label, horizontal=True,
                         key="co_situation")  # fmt: skip
    st.caption("Builds an Excel workbook and a PowerPoint deck from the tear sheet, the peers shown on the "
               "Comparables tab, precedents for the situation, the debt ladder and price history; "
               "every figure is traced on the provenance sheet and the export is audited.")  # fmt: skip
    if st.button("Build pitch pack", type="primary", key="co_build"):
        bar = st.progress(0.0, text="Preparing...")
        try:
            pack = build_pitch_pack(company_id, situation, session_factory=factory, embedder=embedder(),
                                    engine=precedent_engine(), user=viewer.user, viewer=viewer,
                                    peers=state.get(PEERS_KEY), browser=settings().browser_path,
                                    progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))  # fmt: skip
            state.co_pack = {"company_id": company_id, "situation": situation.value, "pack": pack}
        except WorkbenchError as exc:
            state.pop("co_pack", None)
            st.error(str(exc))
        except Exception as exc:
            state.pop("co_pack", None)
            show_error(exc)
        finally:
            bar.empty()
    built = state.get("co_pack")
    if built and built["company_id"] == company_id:
        pack = built["pack"]
        if pack.restricted:
            st.error("Restricted list: " + "; ".join(f"{n} ({r})" for n, r in pack.restricted)
                     + ". The pack says so on its cover and provenance.")  # fmt: skip
        st.success(f"{pack.situation.label} pack for {pack.company_name}: {len(pack.content.comps.peers)} peers, "
                   f"{len(pack.content.precedents)} precedents, built in {pack.timings_ms['total'] / 1000:.1f} s.")  # fmt: skip
        c = st.columns(2)
        c[0].download_button("Download workbook (.xlsx)", pack.workbook.data, file_name=pack.workbook.name,
                             mime=pack.workbook.mime, key="co_dl_xlsx", on_click="ignore")  # fmt: skip
        c[1].download_button("Download deck (.pptx)", pack.deck.data, file_name=pack.deck.name,
                             mime=pack.deck.mime, key="co_dl_pptx", on_click="ignore")  # fmt: skip
