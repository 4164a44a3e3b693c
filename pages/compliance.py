"""Compliance: the audit trail, the restricted list, deal teams and users; each part for the roles allowed."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from services import audit_trail, barriers
from workbench.access import ROLE_HELP, ROLES
from workbench.errors import WorkbenchError
from workbench.ui import current_viewer, session_factory, show_error

viewer = current_viewer()
factory = session_factory()
state = st.session_state

st.title("Compliance")
st.caption(f"Signed in as **{viewer.user}**, role **{viewer.role}**: {ROLE_HELP.get(viewer.role, '')}.")

sections = ["Restricted list", "Deal teams"]
if viewer.role == "compliance":
    sections.insert(0, "Audit trail")
if viewer.role in ("admin", "compliance"):
    sections.append("Users and roles")
tabs = dict(zip(sections, st.tabs(sections), strict=True))

if "Audit trail" in tabs:
    with tabs["Audit trail"]:
        c1, c2, c3, c4 = st.columns([1, 1.4, 1.2, 1.4])
        who = c1.text_input("User", key="cp_user")
        actions = c2.multiselect("Actions", audit_trail.audit_actions(session_factory=factory, viewer=viewer),
                                 key="cp_actions")  # fmt: skip
        today = dt.date.today()
        span = c3.date_input("Date range", value=(today - dt.timedelta(days=30), today), key="cp_dates")
        text = c4.text_input("Text (object, file, hash, details)", key="cp_text")
        start, end = (span if isinstance(span, (tuple, list)) and len(span) == 2 else (None, None))
        query = audit_trail.AuditQuery(user=who or None, actions=tuple(actions), date_from=start, date_to=end,
                                       text=text or None)  # fmt: skip
        try:
            frame, total = audit_trail.search_audit(query, session_factory=factory, viewer=viewer, limit=1000)
        except WorkbenchError as exc:
            show_error(exc)
        else:
            st.caption(f"{total:,} audit rows match" + (" (newest 1,000 shown)" if total > 1000 else ""))
            st.dataframe(frame, hide_index=True, width="stretch")
            e1, e2 = st.columns(2)
            for col, fmt, mime in ((e1, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                                   (e2, "csv", "text/csv")):  # fmt: skip
                if col.button(f"Prepare {fmt.upper()} export", key=f"cp_prep_{fmt}", disabled=not total):
                    try:
                        state[f"cp_file_{fmt}"] = audit_trail.export_audit(query, fmt, session_factory=factory,
                                                                           viewer=viewer)  # fmt: skip
                    except WorkbenchError as exc:
                        show_error(exc)
                prepared = state.get(f"cp_file_{fmt}")
                if prepared:
                    col.download_button(f"Download {prepared[0]}", prepared[1], file_name=prepared[0], mime=mime,
                                        key=f"cp_dl_{fmt}")  # fmt: skip

with tabs["Restricted list"]:
    st.caption("Companies under an information barrier: flagged in screens, precedents and their exports.")
    restricted = barriers.list_restricted(session_factory=factory)
    st.dataframe([{"company": r.name, "ticker": r.ticker, "key": r.key, "reason": r.reason,
                   "added by": r.added_by, "added at": r.added_at} for r in restricted],
                 hide_index=True, width="stretch")  # fmt: skip
    if viewer.role == "compliance":
        with st.form("cp_restrict", clear_on_submit=True):
            r1, r2 = st.columns([1, 2])
            company = r1.text_input("Company (ticker or key)")
            reason = r2.text_input("Reason")
            add, remove = st.columns(2)
            do_add = add.form_submit_button("Add to the restricted list")
            do_remove = remove.form_submit_button("Remove from the restricted list")
        if do_add or do_remove:
            try:
                if do_add:
                    done = barriers.add_restricted(company, session_factory=factory, viewer=viewer, reason=reason or None)
                else:
                    done = barriers.remove_restricted(company, session_factory=factory, viewer=viewer)
                st.success("Done." if done else "Nothing to change.")
            except WorkbenchError as exc:
                show_error(exc)

with tabs["Deal teams"]:
    teams = barriers.list_teams(session_factory=factory, viewer=viewer)
    st.caption("Private-side deals, documents and watchlists of a team are visible only to its members and "
               "compliance." + ("" if viewer.role in ("admin", "compliance") else " You see your own teams."))
    st.dataframe([{"team": t.name, "members": ", ".join(t.members), "private deals": t.deals,
                   "private documents": t.documents, "private watchlists": t.watchlists, "description": t.description}
                  for t in teams], hide_index=True, width="stretch")  # fmt: skip
    if viewer.role in barriers.TEAM_MANAGERS:
        with st.form("cp_team", clear_on_submit=True):
            t1, t2 = st.columns([1, 2])
            team_name = t1.text_input("New team name")
            description = t2.text_input("Description")
            if st.form_submit_button("Create team"):
                try:
                    barriers.create_team(team_name, session_factory=factory, viewer=viewer,
                                         description=description or None)  # fmt: skip
                    st.success(f"Team {team_name!r} created.")
                except WorkbenchError as exc:
                    show_error(exc)
    manageable = [t.name for t in teams if viewer.role in barriers.MEMBERSHIP_MANAGERS
                  or (viewer.role == "banker" and t.id in viewer.teams)]  # fmt: skip
    if manageable:
        with st.form("cp_members", clear_on_submit=True):
            m1, m2 = st.columns(2)
            team_pick = m1.selectbox("Team", manageable)
            member = m2.text_input("User")
            add, remove = st.columns(2)
            do_add = add.form_submit_button("Add member")
            do_remove = remove.form_submit_button("Remove member")
        if do_add or do_remove:
            try:
                fn = barriers.add_member if do_add else barriers.remove_member
                done = fn(team_pick, member, session_factory=factory, viewer=viewer)
                st.success("Done." if done else "Nothing to change.")
            except WorkbenchError as exc:
                show_error(exc)
    if viewer.role in barriers.MARKERS:
        with st.form("cp_private", clear_on_submit=True):
            st.markdown("**Private-side marking**")
            p1, p2, p3 = st.columns([1, 2, 1.5])
            kind = p1.selectbox("What", list(barriers.PRIVATE_KINDS))
            ref = p2.text_input("Key, name or id")
            target = p3.selectbox("Team", ["(public)", *(t.name for t in teams)])
            if st.form_submit_button("Apply"):
                try:
                    st.success(barriers.set_private(kind, ref, None if target == "(public)" else target,
                                                    session_factory=factory, viewer=viewer))  # fmt: skip
                except WorkbenchError as exc:
                    show_error(exc)

if "Users and roles" in tabs:
    with tabs["Users and roles"]:
        users = barriers.list_users(session_factory=factory, viewer=viewer)
        st.dataframe([{"user": u.name, "name": u.display_name, "role": u.role, "active": u.active,
                       "teams": ", ".join(u.teams)} for u in users], hide_index=True, width="stretch")  # fmt: skip
        st.caption(" · ".join(f"**{r}**: {ROLE_HELP[r]}" for r in ROLES))
        if viewer.role == "admin":
            with st.form("cp_users", clear_on_submit=True):
                u1, u2, u3 = st.columns([1, 1, 1])
                user_name = u1.text_input("User (as the sign-on names them)")
                role = u2.selectbox("Role", ROLES)
                active = u3.checkbox("Active", value=True)
                if st.form_submit_button("Add or update user"):
                    try:
                        if any(u.name == user_name.strip() for u in users):
                            barriers.set_role(user_name, role, session_factory=factory, viewer=viewer, active=active)
                        else:
                            barriers.add_user(user_name, role, session_factory=factory, viewer=viewer)
                        st.success(f"{user_name}: {role}.")
                    except WorkbenchError as exc:
                        show_error(exc)
