"""Router: page config, navigation over pages/, and the sidebar. Nothing else."""

from __future__ import annotations

import streamlit as st

from workbench.db import StoreUnavailable
from workbench.ui import ensure_store, settings

st.set_page_config(page_title="Deal Workbench", page_icon=":material/account_balance:", layout="wide")

# Each capability adds its page here, in its section, in one line.
PAGES = {
    "Workbench": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    ],
    "Client targeting": [
        st.Page("pages/targeting.py", title="Targeting", icon=":material/target:"),
    ],
    "Pitch preparation": [
        st.Page("pages/precedents.py", title="Precedents", icon=":material/compare_arrows:"),
    ],
    "Reading": [
        st.Page("pages/documents.py", title="Documents", icon=":material/description:"),
    ],
    "Monitoring": [
        st.Page("pages/monitor.py", title="Monitor", icon=":material/monitoring:"),
    ],
    "Data": [
        st.Page("pages/data.py", title="Data", icon=":material/database:"),
    ],
}

navigation = st.navigation({section: pages for section, pages in PAGES.items() if pages})

try:
    ensure_store()
except StoreUnavailable as exc:
    st.error(f"The store cannot be reached. {exc}")
    st.info("Check WORKBENCH_DATABASE_URL and that the database is running, then reload.")
    st.stop()

with st.sidebar:
    cfg = settings()
    st.caption(f"Signed in as **{cfg.user}**")
    st.caption(f"Store: `{cfg.resolved_database_url.split('://')[0]}`")

navigation.run()
