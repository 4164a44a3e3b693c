"""Router: page config, navigation over pages/, and the sidebar. Nothing else."""

from __future__ import annotations

import streamlit as st

from sqlalchemy.exc import DBAPIError

from workbench.db import SchemaBehind, StoreUnavailable, is_store_unreachable
from workbench.ui import current_viewer, ensure_store, settings, show_store_unreachable

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
        st.Page("pages/company.py", title="Company", icon=":material/domain:"),
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
    "Administration": [
        st.Page("pages/compliance.py", title="Compliance", icon=":material/policy:"),
    ],
}

navigation = st.navigation({section: pages for section, pages in PAGES.items() if pages})

try:
    ensure_store()
except StoreUnavailable as exc:
    st.error(f"The store cannot be reached. {exc}")
    st.info("Check WORKBENCH_DATABASE_URL and that the database is running, then reload.")
    st.stop()
except SchemaBehind as exc:
    st.error(str(exc))
    st.stop()
except DBAPIError as exc:  # the database went away between the first connection and now
    if not is_store_unreachable(exc):
        raise
    show_store_unreachable(exc)
    st.stop()

# No trustworthy identity (behind the proxy: no header) stops here, before any page runs.
viewer = current_viewer()

with st.sidebar:
    cfg = settings()
    st.caption(f"Signed in as **{viewer.user}** ({viewer.role})")
    if cfg.auth == "oidc":
        st.button("Sign out", on_click=st.logout, key="_sign_out")
    st.caption(f"Store: `{cfg.resolved_database_url.split('://')[0]}`")

try:
    navigation.run()
except DBAPIError as exc:  # the database went away mid-session: a message, not a traceback
    if not is_store_unreachable(exc):
        raise
    show_store_unreachable(exc)
