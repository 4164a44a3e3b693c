"""Data: import files (mapping, preview, per-row errors) and browse every table of the store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

import pandas as pd
import streamlit as st

from services.browse import ColumnFilter, browsable_tables, browse_columns, browse_table, export_table_csv
from services.imports import (
    KINDS,
    ImportRejected,
    detect_mapping,
    fields_for,
    preview_import,
    run_import,
    source_from_bytes,
)
from services.precedents import index_after_import
from workbench.errors import WorkbenchError
from workbench.ui import (current_viewer, embedder, forget_store_reads, precedent_engine, session_factory, show_error,
                          upload_limit_mb, upload_limit_note)

NOT_MAPPED = "(not mapped)"
T = TypeVar("T")


def _remembered(name: str, key: tuple[object, ...], compute: Callable[[], T]) -> T:
    """The last result for ``key``: reruns caused by other widgets (filters, the skip box) do
    not read and validate the uploaded file again. A failure is not remembered."""
    slot = st.session_state.get(name)
    if slot is None or slot[0] != key:
        slot = (key, compute())
        st.session_state[name] = slot
    return slot[1]  # type: ignore[no-any-return]


st.title("Data")
tab_import, tab_browse = st.tabs(["Import", "Browse"])

with tab_import:
    importer = current_viewer()
    kind = st.selectbox("What the file holds", KINDS, key="import_kind")
    upload = st.file_uploader("CSV or XLSX file", type=["csv", "xlsx"], key="import_file",
                              max_upload_size=upload_limit_mb(), help=f"Up to {upload_limit_mb()} MB.")
    if note := upload_limit_note():
        st.caption(note)
    if upload is not None:
        try:
            source = source_from_bytes(upload.name, upload.getvalue())
            columns, detected = _remembered("import_detected", (upload.file_id, kind),
                                            lambda: detect_mapping(source, kind))  # fmt: skip
            overrides: dict[str, str | None] = {}
            with st.expander("Column mapping (* required)", expanded=False):
                if detected.preset:
                    st.caption(f"Known file shape: {detected.preset}")
                options = [NOT_MAPPED, *columns]
                grid = st.columns(3)
                for i, f in enumerate(fields_for(kind)):
                    current = detected.columns.get(f.name)
                    choice = grid[i % 3].selectbox(
                        f.label, options, index=options.index(current) if current in options else 0,
                        key=f"map_{kind}_{f.name}", help=f.help or None,
                    )
                    picked = None if choice == NOT_MAPPED else choice
                    if picked != current:
                        overrides[f.name] = picked
            # The store's state and the user's barriers are part of the key: after an import, or a
            # change of deal teams, new and updated counts change.
            preview_key = (upload.file_id, kind, tuple(sorted(overrides.items())),
                           st.session_state.get("import_generation", 0), importer)  # fmt: skip
            preview = _remembered("import_preview", preview_key,
                                  lambda: preview_import(source, kind, session_factory=session_factory(),
                                                         mapping=overrides, viewer=importer))  # fmt: skip
            st.caption(f"Read as {preview.encoding}" + (f"; {'; '.join(preview.notes)}" if preview.notes else ""))
            m = st.columns(5)
            m[0].metric("Rows", f"{preview.total_rows:,}")
            m[1].metric("Valid", f"{preview.valid_rows:,}")
            m[2].metric("Invalid", f"{preview.invalid_rows:,}")
            m[3].metric("New", f"{preview.new_rows:,}")
            m[4].metric("Updates", f"{preview.updated_rows:,}")
            if preview.errors:
                st.warning(f"{preview.invalid_rows:,} rows are invalid (the header is row {preview.header_row}).")
                st.dataframe(pd.DataFrame([e.__dict__ for e in preview.errors]), hide_index=True)
            st.caption("First rows as they will be stored")
            st.dataframe(preview.sample, hide_index=True)
            skip = st.checkbox("Skip invalid rows (import the valid ones, download the rejected ones)",
                               key="import_skip")  # fmt: skip
            if st.button("Import", type="primary", key="import_go"):
                bar = st.progress(0.0, text=f"Importing {kind}...")
                try:
                    # After a deals import, the new deals are embedded into the app's precedents
                    # index (the model the Precedents page uses), so the next search is quick.
                    result = run_import(source, kind, session_factory=session_factory(), user=importer.user,
                                        mapping=overrides, skip_invalid=skip, viewer=importer,
                                        progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m),
                                        after_import=index_after_import(engine=precedent_engine(),
                                                                        embedder=embedder))  # fmt: skip
                    st.session_state["import_result"] = result
                    st.session_state["import_generation"] = st.session_state.get("import_generation", 0) + 1
                    forget_store_reads()  # other pages' cached reads are now stale
                except ImportRejected as exc:
                    st.error(str(exc))
                finally:
                    bar.empty()
        except WorkbenchError as exc:
            st.error(str(exc))
        except Exception as exc:  # noqa: BLE001 - show, log, keep the page alive
            show_error(exc)
    result = st.session_state.get("import_result")
    if result is not None:
        st.success(f"Imported {result.imported:,} {result.preview.kind} from {result.preview.file_name} "
                   f"({result.inserted:,} new, {result.updated:,} updated; {result.rejected:,} rejected).")  # fmt: skip
        for note in result.notes:
            st.caption(note)
        if result.rejected_csv:
            st.download_button("Download rejected rows", result.rejected_csv, mime="text/csv",
                               file_name=f"{result.preview.file_name.rsplit('.', 1)[0]}.rejected.csv")  # fmt: skip

with tab_browse:
    viewer = current_viewer()
    tables = browsable_tables(viewer)
    table = st.selectbox("Table", tables, index=tables.index("companies"), key="browse_table")
    cols = {c.name: c for c in browse_columns(table, viewer)}
    chosen = st.multiselect("Filter on", list(cols), key=f"browse_filters_{table}")
    filters: list[ColumnFilter] = []
    for name in chosen:
        kind_ = cols[name].kind
        left, right = st.columns(2)
        if kind_ == "number":
            low = left.number_input(f"{name} from", value=None, key=f"f_{table}_{name}_lo")
            high = right.number_input(f"{name} to", value=None, key=f"f_{table}_{name}_hi")
            filters.append(ColumnFilter(name, low=low, high=high))
        elif kind_ == "date":
            low = left.date_input(f"{name} from", value=None, min_value=dt.date(1900, 1, 1), key=f"f_{table}_{name}_lo")
            high = right.date_input(f"{name} to", value=None, min_value=dt.date(1900, 1, 1), key=f"f_{table}_{name}_hi")
            filters.append(ColumnFilter(name, low=low, high=high))
        elif kind_ == "bool":
            value = left.selectbox(name, ["any", "true", "false"], key=f"f_{table}_{name}_bool")
            filters.append(ColumnFilter(name, contains=None if value == "any" else value))
        else:
            text = left.text_input(f"{name} contains", key=f"f_{table}_{name}_txt")
            filters.append(ColumnFilter(name, contains=text or None))
    size_col, page_col = st.columns(2)
    page_size = size_col.selectbox("Rows per page", [50, 100, 500, 1000], index=1, key="browse_size")
    page = page_col.number_input("Page", min_value=1, value=1, step=1, key="browse_page")
    try:
        frame, total = browse_table(session_factory(), table, filters=filters, limit=page_size,
                                    offset=(int(page) - 1) * page_size, viewer=viewer)  # fmt: skip
        st.caption(f"{total:,} rows match; page {int(page)} of {max(1, -(-total // page_size)):,}")
        st.dataframe(frame, hide_index=True)
        st.download_button(
            "Download matching rows (CSV)",
            data=lambda: export_table_csv(session_factory(), table, user=viewer.user, filters=filters, viewer=viewer),
            file_name=f"{table}.csv", mime="text/csv", on_click="ignore", key="browse_download",
        )
    except WorkbenchError as exc:
        st.error(str(exc))
