"""Documents: add (upload or paste), list and filter, cited summary, key figures, Q&A, exports."""

from __future__ import annotations

import datetime as dt
import html

import streamlit as st

from services.documents import (
    IngestLimits,
    LlmEndpoint,
    answer_question,
    export_summary_excel,
    export_summary_markdown,
    figures_frame,
    get_document,
    ingest_file,
    ingest_text,
    list_documents,
    sentence_context,
    summarize_document,
)
from workbench.domain import DocumentType
from workbench.errors import WorkbenchError
from services.barriers import my_teams
from workbench.ui import current_viewer, embedder, session_factory, settings, upload_limit_mb, upload_limit_note

st.title("Documents")
st.caption("Every summary sentence and answer is quoted from the source, with its place in it.")

factory = session_factory()
viewer = current_viewer()
cfg = settings()
limits = IngestLimits.from_settings(cfg)
doc_types = [t.value for t in DocumentType]

read_tab, add_tab = st.tabs(["Read", "Add documents"])

with add_tab:
    c1, c2, c3 = st.columns(3)
    company = c1.text_input("Company ticker or key (optional)", key="doc_add_company")
    doc_type = c2.selectbox("Type", doc_types, index=doc_types.index("other"), key="doc_add_type")
    doc_date = c3.date_input("Date", value=None, key="doc_add_date")
    teams = my_teams(session_factory=factory, viewer=viewer) if viewer.teams else {}
    side = st.selectbox("Visible to", ["everyone (public)", *(f"private-side: {n}" for n in teams.values())],
                        key="doc_add_side", help="A private-side document is seen only by that deal team and compliance.")
    team = side.removeprefix("private-side: ") if side.startswith("private-side: ") else None
    uploads = st.file_uploader("Files", type=["txt", "md", "html", "htm", "pdf", "docx"],
                               accept_multiple_files=True, key="doc_upload", max_upload_size=upload_limit_mb(),
                               help=f"Up to {upload_limit_mb()} MB each.")
    if note := upload_limit_note():
        st.caption(note)
    if st.button("Store files", disabled=not uploads, key="doc_store_files"):
        for upload in uploads or []:
            try:
                info = ingest_file(upload.getvalue(), upload.name, session_factory=factory, limits=limits,
                                   user=viewer.user, company=company or None, doc_type=doc_type,
                                   doc_date=doc_date, viewer=viewer, team=team)
                st.success(f"Stored {info.title}" if info.created else f"{info.title} was already stored")
            except WorkbenchError as exc:
                st.error(str(exc))
    st.divider()
    paste_title = st.text_input("Title of pasted text", key="doc_paste_title")
    pasted = st.text_area("Paste text", height=200, key="doc_paste_text")
    if st.button("Store pasted text", key="doc_store_paste"):
        try:
            info = ingest_text(pasted, title=paste_title or "Pasted text", session_factory=factory,
                               limits=limits, user=viewer.user, company=company or None,
                               doc_type=doc_type, doc_date=doc_date, viewer=viewer, team=team)
            st.success(f"Stored {info.title}" if info.created else f"{info.title} was already stored")
        except WorkbenchError as exc:
            st.error(str(exc))

with read_tab:
    f1, f2, f3, f4, f5 = st.columns([3, 2, 3, 2, 2])
    company_filter = f1.text_input("Company", key="doc_filter_company")
    type_filter = f2.selectbox("Type", ["any", *doc_types], key="doc_filter_type")
    title_filter = f3.text_input("Title contains", key="doc_filter_title")
    date_from = f4.date_input("Dated from", value=None, key="doc_filter_from")
    date_to = f5.date_input("Dated to", value=None, key="doc_filter_to")
    try:
        docs = list_documents(session_factory=factory, company=company_filter or None,
                              doc_type=None if type_filter == "any" else type_filter, query=title_filter or None,
                              date_from=date_from, date_to=date_to, viewer=viewer)  # fmt: skip
    except WorkbenchError as exc:  # a filter no stored text can match (control characters)
        st.error(str(exc))
        st.stop()
    if docs.empty:
        filtered = company_filter or type_filter != "any" or title_filter or date_from or date_to
        st.info("No document matches these filters." if filtered
                else "No documents yet. Add one in the 'Add documents' tab.")
        st.stop()
    st.dataframe(docs, hide_index=True, width="stretch", column_config={
        "doc_date": st.column_config.DateColumn("date"), "source": st.column_config.TextColumn("source")})
    labels = {int(r.id): f"{r.title} ({r.doc_type}{', ' + str(r.ticker) if r.ticker else ''})"
              for r in docs.itertuples()}
    doc_id = st.selectbox("Document", list(labels), format_func=labels.get, key="doc_selected")

    l1, l2, l3 = st.columns(3)
    by = l1.radio("Summary length by", ["sentences", "words"], horizontal=True, key="doc_len_by")
    amount = l2.number_input("How many", min_value=1, max_value=500, value=5 if by == "sentences" else 120,
                             key=f"doc_len_{by}")
    clauses = l3.toggle("Highlights (clauses)", key="doc_clauses",
                        help="Let a summary point be the clauses of a sentence that carry its figures instead of "
                             "the whole sentence: shorter, still word for word, and shown inside its sentence.")
    try:
        summary = summarize_document(
            int(doc_id), session_factory=factory, embedder=embedder(),
            max_sentences=int(amount) if by == "sentences" else None,
            max_words=int(amount) if by == "words" else None, viewer=viewer, clauses=clauses,
        )
        _, text = get_document(int(doc_id), session_factory=factory, viewer=viewer)
    except WorkbenchError as exc:
        st.error(str(exc))
        st.stop()

    st.subheader("Summary")
    for s in summary.sentences:
        cut = "" if s.is_whole_sentence else " (clause)"
        with st.expander(f"{s.rank}. {s.text.replace(chr(10), ' ')}{cut}"):
            # the whole sentence is marked; a clause is in bold inside it
            ctx = sentence_context(text, s.sentence_start, s.sentence_end)
            a, b = s.start - s.sentence_start, s.end - s.sentence_start
            marked = (f"{html.escape(ctx.sentence[:a])}<b>{html.escape(ctx.sentence[a:b])}</b>"
                      f"{html.escape(ctx.sentence[b:])}") if cut else html.escape(ctx.sentence)
            st.html(
                "<div style='white-space: pre-wrap; font-size: 0.9em'>…"
                f"{html.escape(ctx.before)}<mark>{marked}</mark>"
                f"{html.escape(ctx.after)}…</div>"
            )
            where = f"characters {s.start}-{s.end}"
            if cut:
                where += f" of the sentence at {s.sentence_start}-{s.sentence_end}"
            st.caption(f"{where} · score {s.score:.3f}")

    st.subheader("Key figures")
    frame = figures_frame(summary.key_figures)
    st.dataframe(frame.drop(columns=["value", "value_high"]), hide_index=True, width="stretch")

    e1, e2 = st.columns(2)
    stamp = dt.date.today().isoformat()
    e1.download_button(
        "Export to Excel",
        data=lambda: export_summary_excel(summary, session_factory=factory, user=viewer.user),
        file_name=f"summary-{doc_id}-{stamp}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="doc_export_xlsx",
    )
    e2.download_button(
        "Export to Markdown",
        data=lambda: export_summary_markdown(summary, session_factory=factory, user=viewer.user),
        file_name=f"summary-{doc_id}-{stamp}.md",
        mime="text/markdown",
        key="doc_export_md",
    )

    st.subheader("Ask the documents")
    q1, q2 = st.columns([3, 1])
    question = q1.text_input("Question", key="doc_question")
    scope = q2.radio("Search in", ["this document", "company's documents"], key="doc_scope",
                     disabled=not summary.document or not summary.document.ticker)
    if question:
        try:
            answer = answer_question(
                question, session_factory=factory, embedder=embedder(),
                document_id=int(doc_id) if scope == "this document" else None,
                company=summary.document.ticker if summary.document and scope != "this document" else None,
                min_evidence=cfg.qa_min_evidence, llm=LlmEndpoint.from_settings(cfg), viewer=viewer,
            )
        except WorkbenchError as exc:
            st.error(str(exc))
        else:
            if not answer.answered:
                st.warning(answer.message.capitalize() + ".")
            for c in answer.citations:
                st.markdown(f"> {html.escape(c.text.replace(chr(10), ' ')).replace('$', chr(92) + '$')}")
                st.caption(f"{c.title} · characters {c.start}-{c.end} · evidence {c.evidence:.2f}")
            if answer.generated is not None:
                g = answer.generated
                if g.text:
                    st.info(g.text)
                if g.unsupported_numbers:
                    st.warning("Numbers not found in the cited passages: " + ", ".join(g.unsupported_numbers))
                if g.error:
                    st.warning(g.error)
