"""The `workbench` command line: an entrypoint like the pages (cli -> services -> workbench)."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from workbench.config import get_settings
from workbench.db import (StoreUnavailable, check_connection, is_store_unreachable, make_engine,
                          make_session_factory, migrate, prepare_schema, unreachable_message)
from workbench.errors import WorkbenchError
from workbench.progress import ProgressCallback

app = typer.Typer(
    help="Deal Workbench: targeting, precedents, documents and monitoring for deal teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console()


# The user every command acts as: --user NAME, else the local user (WORKBENCH_USER).
_acting_user: str | None = None


@app.callback()
def _root(
    user: str | None = typer.Option(None, "--user", help="Act as this user: their role and deal teams decide "
                                    "what the command sees and may change, and the audit trail names them. "
                                    "Default: the local user (WORKBENCH_USER)."),
) -> None:
    """Deal Workbench: targeting, precedents, documents and monitoring for deal teams."""
    global _acting_user
    if user is not None and (not user.strip() or len(user) > 120 or any(ord(ch) < 32 for ch in user)):
        raise typer.BadParameter("a user name is 1 to 120 printable characters", param_hint="--user")
    _acting_user = user.strip() if user else None


def cli_user() -> str:
    return _acting_user or get_settings().user


def cli_viewer(factory: sessionmaker[Session]):  # -> workbench.access.Viewer
    """The acting user with their role (users table, else WORKBENCH_DEFAULT_ROLE, or WORKBENCH_LOCAL_ROLE
    for the local user) and deal teams."""
    from workbench.access import load_viewer

    cfg = get_settings()
    name = cli_user()
    with factory() as session:
        return load_viewer(session, name, default_role=cfg.local_role if name == cfg.user else cfg.default_role)


def open_store() -> sessionmaker[Session]:
    """Connect to the configured store and bring its schema up to date (or check it is, when
    WORKBENCH_MIGRATE_ON_START is off)."""
    cfg = get_settings()
    engine = make_engine(cfg.resolved_database_url)
    check_connection(engine)
    prepare_schema(engine, migrate_on_start=cfg.migrate_on_start)
    return make_session_factory(engine)


@contextmanager
def progress_bar(description: str) -> Iterator[ProgressCallback]:
    """A rich progress bar on stderr, driven by a ProgressCallback. When stderr is not a
    terminal (a log file, cron, CI), plain lines instead: one per tenth of the work or
    every PROGRESS_LINE_S seconds, whichever comes first, and one at the end."""
    if not err.is_terminal:
        yield _progress_lines(description)
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as progress:
        task = progress.add_task(description, total=1.0)

        def update(fraction: float, message: str) -> None:
            progress.update(task, completed=min(max(fraction, 0.0), 1.0), description=message)

        yield update


PROGRESS_LINE_S = 5.0


def _progress_lines(description: str) -> ProgressCallback:
    started = last_at = time.monotonic()
    last_step = -1

    def update(fraction: float, message: str) -> None:
        nonlocal last_at, last_step
        fraction = min(max(fraction, 0.0), 1.0)
        now = time.monotonic()
        step = int(fraction * 10)
        if step > last_step or now - last_at >= PROGRESS_LINE_S:
            last_step, last_at = step, now
            err.print(f"{description}: {fraction:4.0%} {message} ({now - started:.0f} s)",
                      markup=False, highlight=False, soft_wrap=True)

    return update


@app.command()
def init() -> None:
    """Create the store, or migrate it to the newest schema."""
    cfg = get_settings()
    engine = make_engine(cfg.resolved_database_url)
    check_connection(engine)
    migrate(engine)
    url = engine.url.render_as_string(hide_password=True)
    out.print(f"Store ready at {url}")


# Commands of each capability are defined in their own section below.
# --- demo ---
@app.command()
def demo(
    companies: int = typer.Option(3000, help="Number of fictional companies (up to 5,000,000; at 1,000,000 "
                                  "use --price-years 0: daily prices are capped at 40M rows)."),
    deals: int = typer.Option(5000, help="Number of ECM, DCM and M&A deals."),
    documents: int = typer.Option(40, help="Number of transcripts and 10-K filings."),
    price_years: int = typer.Option(3, help="Years of daily prices for listed companies (0: none)."),
    seed: int = typer.Option(7, help="Random seed: the same seed gives the same data."),
    replace: bool = typer.Option(False, "--replace", help="Delete existing companies, deals and documents first."),
) -> None:
    """Fill the store with the deterministic demo universe."""
    from workbench.demo import DemoSize, seed_demo

    size = DemoSize(companies=companies, deals=deals, documents=documents,
                    price_years=price_years, seed=seed)
    size.validate()  # before opening the store, so a bad size changes nothing
    factory = open_store()
    with progress_bar("Demo universe") as progress:
        summary = seed_demo(factory, size, progress=progress, replace=replace)
    out.print(
        f"Demo universe (seed {summary.seed}, as of {summary.as_of:%Y-%m-%d}) seeded in "
        f"{summary.elapsed_s:.1f} s: {summary.companies:,} companies, "
        f"{summary.debt_instruments:,} debt instruments, {summary.prices:,} prices, "
        f"{summary.deals:,} deals, {summary.deal_parties:,} deal parties, "
        f"{summary.documents:,} documents."
    )


# --- import ---
@app.command("import")
def import_(
    kind: str = typer.Argument(..., help="What the file holds: companies, deals, prices or documents."),
    path: str = typer.Argument(..., help="A .csv or .xlsx file."),
    map_: list[str] = typer.Option(None, "--map", help="field=Column, overrides the detected mapping "
                                   "(repeatable; field= leaves a field unmapped)."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Import the valid rows and write the "
                                      "rejected ones to <stem>.rejected.csv beside the file."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the preview and write nothing."),
) -> None:
    """Import companies, deals, prices or documents from CSV or XLSX (validated before writing)."""
    from services.imports import ImportRejected, parse_overrides, prepare_import, run_import, source_from_path

    overrides = parse_overrides(map_)
    source = source_from_path(path)
    factory = open_store()
    viewer = cli_viewer(factory)  # barriers: a key held by a row this user may not see is a bad row
    with progress_bar(f"Checking {kind}") as progress:
        prepared = prepare_import(source, kind, session_factory=factory, mapping=overrides, progress=progress,
                                  viewer=viewer)  # fmt: skip
    preview = prepared.preview
    out.print(preview.summary(), markup=False, highlight=False)
    if not preview.is_valid:
        err.print(preview.error_message(), markup=False, highlight=False)
    if dry_run:
        out.print("Dry run: nothing written.")
        if not preview.is_valid and not skip_invalid:
            raise typer.Exit(1)
        return
    try:
        with progress_bar(f"Importing {kind}") as progress:
            result = run_import(source, kind, session_factory=factory, user=viewer.user,
                                mapping=overrides, skip_invalid=skip_invalid, progress=progress,
                                prepared=prepared, viewer=viewer, after_import=_index_after_deals_import)  # fmt: skip
    except ImportRejected:
        err.print("Nothing was imported. Fix these rows, or import the valid rows only with --skip-invalid.")
        raise typer.Exit(1) from None
    out.print(f"Imported {result.imported:,} {kind} ({result.inserted:,} new, {result.updated:,} updated) "
              f"in {result.elapsed_s:.1f} s; {result.rejected:,} rows rejected.")  # fmt: skip
    if result.rejected_path:
        out.print(f"Rejected rows with their reason: {result.rejected_path}", markup=False)
    for note in result.notes:
        out.print(f"note: {note}", markup=False)


# --- screen ---
@app.command()
def screen(
    spec: str = typer.Argument(..., help="A JSON or YAML spec file, or the name of a saved screen."),
    out_file: str | None = typer.Option(None, "--out", help="Write the ranked list to this .xlsx workbook."),
    as_of: str | None = typer.Option(None, "--as-of", help="As-of date YYYY-MM-DD (default: the spec's, else today)."),
    top: int | None = typer.Option(None, "--top", help="Keep the N best names (default: the spec's)."),
    as_json: bool = typer.Option(False, "--json", help="Print the ranked rows with factor contributions as JSON."),
) -> None:
    """Run a company screen, rank by propensity score, export to Excel."""
    import datetime as dt
    import json
    from pathlib import Path

    from services.screening import parse_spec, run_screen
    from services.screens import get_screen
    from services.targeting_export import export_screen_to_excel

    try:
        day = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise WorkbenchError(f"--as-of must be a date YYYY-MM-DD, not {as_of!r}") from None
    if out_file and not out_file.lower().endswith(".xlsx"):
        raise WorkbenchError("--out must name an .xlsx file")
    path = Path(spec)
    factory = open_store()
    if path.suffix.lower() in (".json", ".yaml", ".yml") or path.is_file():
        if not path.is_file():
            raise WorkbenchError(f"spec file not found: {spec}")
        parsed = parse_spec(path.read_bytes())
    else:
        parsed = get_screen(session_factory=factory, name=spec).spec
    user = cli_viewer(factory).user  # a deactivated --user is refused here
    result = run_screen(parsed, session_factory=factory, as_of=day, top_n=top, user=user)
    if out_file:
        exported = export_screen_to_excel(result, session_factory=factory, user=user, path=Path(out_file))
        err.print(f"Wrote {exported.row_count} rows to {out_file} (sha256 {exported.sha256[:12]})")
    if as_json:
        payload = {"screen": parsed.name, "as_of": result.as_of.isoformat(), "matched": result.matched,
                   "universe": result.universe, "criteria": result.criteria, "rows": result.to_records()}  # fmt: skip
        sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
    elif not out_file:
        for rec in result.rows.head(50).to_dict("records"):
            score = "" if rec["score"] != rec["score"] else f"{rec['score']:6.1f}  "
            out.print(f"{rec['rank']:>4}  {score}{rec['name']}  ({rec['sector'] or '-'})", markup=False)
    err.print(f"{result.matched:,} of {result.universe:,} companies matched; {len(result.rows)} ranked "
              f"in {result.timings_ms['total']:.0f} ms")  # fmt: skip


@app.command("screen-example")
def screen_example(as_yaml: bool = typer.Option(False, "--yaml", help="Print YAML instead of JSON.")) -> None:
    """Print a sample screen spec to start from."""
    from services.screening import EXAMPLE_SPEC, parse_spec

    spec = parse_spec(EXAMPLE_SPEC)
    sys.stdout.write((spec.to_yaml() if as_yaml else spec.to_json()) + "\n")


# --- alerts ---
alerts_app = typer.Typer(help="Alert rules over prices, debt, deals, documents and saved screens.",
                         no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")


def _as_of_option(value: str | None):  # -> dt.date | None
    import datetime as dt

    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        raise WorkbenchError(f"--as-of must be a date YYYY-MM-DD, not {value!r}") from None


@alerts_app.command("run")
def alerts_run(
    as_of: str | None = typer.Option(None, "--as-of", help="Evaluate as of this date YYYY-MM-DD (default: today)."),
) -> None:
    """Evaluate every enabled alert rule and write new events (for cron or a scheduler)."""
    from services.alerts import run_alerts

    day = _as_of_option(as_of)
    factory = open_store()
    summary = run_alerts(session_factory=factory, as_of=day, user=cli_user(), viewer=cli_viewer(factory))
    for line in summary.lines():
        out.print(line, markup=False, highlight=False)
    if summary.errors:
        err.print(f"{len(summary.errors)} rule(s) failed")
        raise typer.Exit(1)


@alerts_app.command("list")
def alerts_list(
    as_of: str | None = typer.Option(None, "--as-of", help="Only events of this date YYYY-MM-DD."),
    unacknowledged: bool = typer.Option(False, "--unacknowledged", help="Only events nobody acknowledged."),
    limit: int = typer.Option(50, help="At most this many events, newest first."),
) -> None:
    """Print alert events, newest first."""
    from services.alerts import list_events

    factory = open_store()
    events = list_events(session_factory=factory, as_of=_as_of_option(as_of),
                         include_acknowledged=not unacknowledged, limit=limit, viewer=cli_viewer(factory))  # fmt: skip
    for rec in events.to_dict("records"):
        mark = " " if rec["acknowledged_at"] is None else "x"
        out.print(f"[{mark}] {rec['id']:>6}  {rec['as_of']:%Y-%m-%d}  {rec['rule']}: {rec['reason']}",
                  markup=False, highlight=False)  # fmt: skip
    err.print(f"{len(events)} event(s)")


@alerts_app.command("rules")
def alerts_rules() -> None:
    """Print the alert rules and their rule types."""
    from services.alerts import RULE_TYPES, list_rules

    factory = open_store()
    for r in list_rules(session_factory=factory, viewer=cli_viewer(factory)):
        state = "on " if r.enabled else "off"
        out.print(f"{r.id:>4} [{state}] {r.name}: {r.description} ({r.scope_label})", markup=False, highlight=False)
    err.print("Rule types: " + ", ".join(RULE_TYPES))


@alerts_app.command("add-rule")
def alerts_add_rule(
    name: str = typer.Argument(..., help="A unique name for the rule."),
    rule_type: str = typer.Option(..., "--type", help="price_move, high_52w, low_52w, volume_spike, debt_maturity, "
                                  "new_deal, new_document or screen_entry."),
    param: list[str] = typer.Option([], "--param", help="A parameter as name=value (repeatable), e.g. pct=10."),
    scope: str = typer.Option("all", help="all, sector or watchlist."),
    scope_value: str | None = typer.Option(None, "--scope-value", help="The sector, or the watchlist's name."),
) -> None:
    """Add an alert rule."""
    from services.alerts import create_rule

    params: dict[str, str] = {}
    for item in param:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise WorkbenchError(f"--param must be name=value, not {item[:40]!r}")
        params[key.strip()] = value.strip()
    factory = open_store()
    viewer = cli_viewer(factory)  # a watchlist this user may not see is "no such watchlist"
    rule = create_rule(name, rule_type, params, session_factory=factory, user=viewer.user,
                       scope_type=scope, scope_value=scope_value, viewer=viewer)  # fmt: skip
    out.print(f"Rule {rule.id} {rule.name}: {rule.description} ({rule.scope_label})", markup=False, highlight=False)


@alerts_app.command("add-defaults")
def alerts_add_defaults() -> None:
    """Add the standard rules (price move, 52-week high/low, volume, maturities, deals, documents)."""
    from services.alerts import install_default_rules

    factory = open_store()
    viewer = cli_viewer(factory)
    created = install_default_rules(session_factory=factory, user=viewer.user, viewer=viewer)
    out.print(f"{created} rule(s) added")


@alerts_app.command("ack")
def alerts_ack(event_ids: list[int] = typer.Argument(..., help="Ids of the events to acknowledge.")) -> None:
    """Acknowledge alert events."""
    from services.alerts import acknowledge_events

    factory = open_store()
    done = acknowledge_events(event_ids, session_factory=factory, user=cli_user(), viewer=cli_viewer(factory))
    out.print(f"{done} event(s) acknowledged")


# --- documents ---
@app.command()
def summarize(
    paths: list[Path] = typer.Argument(..., help="Files or folders (.txt .md .html .pdf .docx)."),
    max_sentences: int | None = typer.Option(None, "--max-sentences", help="Sentences per summary (default 5)."),
    max_words: int | None = typer.Option(None, "--max-words", help="Words per summary instead of a sentence count."),
    clauses: bool = typer.Option(False, "--clauses",
                                 help="Highlights: a piece may be the clauses of a sentence that carry its "
                                      "figures, not the whole sentence (each gives its sentence's offsets)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON line per document; offsets into the file's text."),
) -> None:
    """Summarise documents with cited sentences and key figures (nothing is stored)."""
    import json

    from services.documents import IngestLimits, summarize_text
    from workbench.embeddings import build_embedder
    from workbench.loaders import expand_paths, load_path
    from workbench.text import normalise

    if max_sentences is not None and max_words is not None:
        raise WorkbenchError("use --max-sentences or --max-words, not both")
    files = expand_paths(list(paths))
    if not files:
        raise WorkbenchError("no supported files found in the given paths")
    cfg = get_settings()
    limits = IngestLimits.from_settings(cfg)
    embedder = build_embedder(cfg)  # once per call, shared by every document
    failures = 0
    for path in files:
        try:
            loaded = load_path(path, max_bytes=limits.max_bytes, max_pages=limits.max_pages)
            source = normalise(loaded.text)
            _, result = summarize_text(source.text, embedder=embedder, normalised=True, clauses=clauses,
                                       max_sentences=None if max_words else (max_sentences or 5),
                                       max_words=max_words)
        except WorkbenchError as exc:
            failures += 1
            err.print(f"[red]error:[/red] {path}: {exc}", highlight=False)
            if as_json:  # one line per document, failed ones included, so no file goes missing
                sys.stdout.write(json.dumps({"path": str(path), "error": str(exc)}, ensure_ascii=False) + "\n")
            continue
        if as_json:
            sys.stdout.write(json.dumps(result.as_json(str(path), source=source), ensure_ascii=False, default=str) + "\n")
            continue
        out.print(f"[bold]{path}[/bold] ({result.sentence_count} sentences)", highlight=False)
        for s in result.sentences:
            out.print(f"  {s.rank}. {s.text.replace(chr(10), ' ')}  [dim][{s.start}-{s.end}][/dim]", highlight=False)
        if result.key_figures:
            shown = ", ".join(f"{f.text} ({f.metric})" if f.metric else f.text for f in result.key_figures[:12])
            out.print(f"  key figures: {shown}", markup=False, highlight=False)
    if failures:
        raise typer.Exit(1)


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders (.txt .md .html .pdf .docx)."),
    company: str | None = typer.Option(None, "--company", help="Ticker or key of the company the documents are about."),
    doc_type: str = typer.Option("other", "--type", help="transcript, 10-K, 10-Q, 8-K, research, press_release or other."),
    doc_date: str | None = typer.Option(None, "--date", help="Document date YYYY-MM-DD."),
    team: str | None = typer.Option(None, "--team", help="Store them private-side for this deal team (yours)."),
) -> None:
    """Store documents (files or folders) for summaries and Q&A; bad files are reported and skipped."""
    import datetime as dt

    from services.documents import IngestLimits, ingest_paths

    try:
        day = dt.date.fromisoformat(doc_date) if doc_date else None
    except ValueError:
        raise WorkbenchError(f"--date must be a date YYYY-MM-DD, not {doc_date!r}") from None
    cfg = get_settings()
    factory = open_store()
    with progress_bar("Ingesting documents") as progress:
        report = ingest_paths(paths, session_factory=factory, limits=IngestLimits.from_settings(cfg),
                              user=cli_user(), company=company, doc_type=doc_type, doc_date=day,
                              progress=progress, viewer=cli_viewer(factory), team=team)
    for name, message in report.failed:
        err.print(f"[red]skipped[/red] {message}", highlight=False)
    mb = report.bytes_read / 1e6
    out.print(f"{len(report.stored)} documents stored, {len(report.duplicates)} already present, "
              f"{len(report.failed)} failed; {mb:.1f} MB in {report.elapsed_s:.1f} s.")
    if report.failed:
        raise typer.Exit(1)


# --- precedents ---
def _index_after_deals_import(kind: str, session_factory: sessionmaker[Session],
                              progress: ProgressCallback) -> str | None:
    """For `workbench import` (a services.imports AfterImport): after a deals import, embed
    the new deals with the configured embedder and update the precedents vector index. Other
    kinds return at once, without loading the precedents code or the model."""
    if kind != "deals":
        return None
    from services.precedents import engine_from_settings, index_after_import
    from workbench.embeddings import build_embedder

    cfg = get_settings()
    hook = index_after_import(engine=engine_from_settings(cfg), embedder=lambda: build_embedder(cfg))
    return hook(kind, session_factory, progress)


@app.command()
def index(
    companies: bool = typer.Option(False, "--companies", help="Also embed new or changed company descriptions "
                                   "(peer proposals for trading comparables)."),
) -> None:
    """Embed new or changed deals and build or update the precedents vector index."""
    from workbench.embeddings import build_embedder
    from services.precedents import engine_from_settings

    cfg = get_settings()
    factory = open_store()
    embedder = build_embedder(cfg)
    if companies:
        from services.company_embeddings import embed_companies

        with progress_bar("Embedding companies") as progress:
            done = embed_companies(session_factory=factory, embedder=embedder, progress=progress)
        out.print(f"Embedded {done.embedded:,} new or changed companies ({done.unchanged:,} unchanged) in "
                  f"{done.elapsed_s:.1f} s ({embedder.name})", markup=False)  # fmt: skip
    engine = engine_from_settings(cfg)
    with progress_bar("Indexing deals") as progress:
        status = engine.refresh(session_factory=factory, embedder=embedder, progress=progress)
    emb = status.embedded
    if emb is not None:
        out.print(f"Embedded {emb.embedded:,} new or changed deals ({emb.unchanged:,} unchanged) in "
                  f"{emb.elapsed_s:.1f} s" + (f", {emb.deals_per_s:.0f} deals/s" if emb.embedded else ""))  # fmt: skip
    out.print(f"Vector index {status.index.action}: {status.index.count:,} deals, {status.index.kind} "
              f"({embedder.name}), in {cfg.data_dir / 'index'}", markup=False)  # fmt: skip
    if status.index.note:
        err.print(status.index.note, markup=False, highlight=False)


@app.command()
def precedents(
    text: str | None = typer.Argument(None, help="The situation in words, e.g. 'sponsor carve-out of a chemicals unit'."),
    deal: str | None = typer.Option(None, "--like", help="Key of a deal to find more like it."),
    deal_type: list[str] = typer.Option([], "--type", help="Deal type, e.g. ma or ipo (repeatable)."),
    sector: list[str] = typer.Option([], "--sector", help="Sector (repeatable)."),
    region: list[str] = typer.Option([], "--region", help="Region (repeatable)."),
    top: int = typer.Option(10, "--top", help="Number of precedents."),
    target_size: float | None = typer.Option(None, "--target-size", help="Deals of about this size ($m) rank "
                                             "higher (size weight)."),
    target_ev_ebitda: float | None = typer.Option(None, "--target-ev-ebitda", help="Deals whose EV/EBITDA is "
                                                  "close to this (x) rank higher (multiples weight)."),
    target_ev_revenue: float | None = typer.Option(None, "--target-ev-revenue", help="Deals whose EV/Revenue "
                                                   "is close to this (x) rank higher (multiples weight)."),
    as_json: bool = typer.Option(False, "--json", help="Print hits with their score parts as JSON."),
    batch: Path | None = typer.Option(None, "--batch", help="A .jsonl file: one query object per line "
                                      "(text, filters, exclude, targets); prints one JSON line per query, "
                                      "with an error field for a query that failed (exit code 1)."),
) -> None:
    """Find the past deals most like a situation or a deal, with the parts of each score."""
    import json

    from rich.markup import escape

    from workbench.embeddings import build_embedder
    from services.precedents import (BatchFailure, PrecedentFilters, PrecedentQuery, engine_from_settings,
                                     query_from_json, result_json_line, search_batch)  # fmt: skip

    cfg = get_settings()
    if batch is not None:
        if text or deal:
            raise WorkbenchError("use --batch alone, or a query text / --like, not both")
        if not batch.is_file():
            raise WorkbenchError(f"batch file not found: {batch}")
        # A line that is not a well-formed query rejects the file before any search runs; a
        # well-formed one that fails when run (an unknown deal key) gets an error line instead.
        queries, numbers = [], []
        for number, line in enumerate(batch.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                queries.append(query_from_json(json.loads(line), default_top=top).validate())
                numbers.append(number)
            except json.JSONDecodeError as exc:
                raise WorkbenchError(f"{batch.name} line {number}: not JSON ({exc.msg})") from None
            except WorkbenchError as exc:
                raise WorkbenchError(f"{batch.name} line {number}: {exc}") from None
    else:
        queries = [PrecedentQuery(text=text or "", deal_key=deal, top=top, filters=PrecedentFilters(
            deal_types=tuple(deal_type), sectors=tuple(sector), regions=tuple(region)),
            target_size_usd_m=target_size, target_ev_ebitda=target_ev_ebitda,
            target_ev_revenue=target_ev_revenue).validate()]  # fmt: skip
    factory = open_store()
    embedder = build_embedder(cfg)  # loaded once for every query of the call
    engine = engine_from_settings(cfg)
    with progress_bar("Indexing deals") as progress:
        status = engine.refresh(session_factory=factory, embedder=embedder, progress=progress)
    if status.index.note:
        err.print(status.index.note, markup=False, highlight=False)
    results = search_batch(queries, session_factory=factory, embedder=embedder, engine=engine,
                           viewer=cli_viewer(factory))
    if batch is not None:
        # As `summarize` does: every query gets its line, failed ones with their error, and
        # the exit code says whether any failed.
        failed = 0
        for number, outcome in zip(numbers, results):
            if isinstance(outcome, BatchFailure):
                failed += 1
                err.print(f"[red]error:[/red] {escape(f'{batch.name} line {number}: {outcome.error}')}",
                          highlight=False)  # fmt: skip
            sys.stdout.write(result_json_line(outcome, line=number) + "\n")
        if failed:
            raise typer.Exit(1)
        return
    result = results[0]
    if isinstance(result, BatchFailure):
        raise WorkbenchError(result.error)
    if as_json:
        sys.stdout.write(result_json_line(result) + "\n")
        return
    for rec in result.hits.to_dict("records"):
        date = "" if rec["announced_date"] != rec["announced_date"] else f"{rec['announced_date']:%Y-%m-%d}"
        parts = " ".join(f"{p[:4]} {rec[f'part_{p}'] * 100:4.1f}" for p in result.query.active_parts())
        flag = "  RESTRICTED" if rec.get("restricted") else ""
        out.print(f"{rec['rank']:>3} {rec['match_pct']:5.1f}  {rec['name'][:70]}  [{rec['key']}] {date}  ({parts}){flag}",
                  markup=False, highlight=False)  # fmt: skip
        if rec["matched_words"]:
            out.print(f"      matched: {', '.join(rec['matched_words'][:12])}", markup=False, highlight=False)
    err.print(f"{len(result.hits)} of {result.matched:,} deals passing the filters ({result.universe:,} in store); "
              f"{result.index_kind} index")  # fmt: skip


# --- deploy ---
@app.command("migrate")
def migrate_command(
    check: bool = typer.Option(False, "--check", help="Change nothing: exit 1 unless the schema is the newest."),
    wait: int = typer.Option(0, "--wait", help="With --check: wait up to this many seconds for another "
                             "process (a migration job) to bring the schema up to date."),
) -> None:
    """Apply the schema migrations only (no demo data): the separate step of a team deployment."""
    import time

    from workbench.db import current_revision, ensure_schema_current, head_revision

    engine = make_engine(get_settings().resolved_database_url)
    url = engine.url.render_as_string(hide_password=True)
    deadline = time.monotonic() + max(wait, 0)
    while True:
        check_connection(engine)
        before = current_revision(engine)
        if not check:
            migrate(engine)
            after = current_revision(engine)
            change = "already newest" if before == after else f"migrated from {before or 'an empty store'}"
            out.print(f"Schema at revision {after} ({change}) on {url}", markup=False)
            return
        try:
            ensure_schema_current(engine)
        except WorkbenchError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(min(5.0, max(deadline - time.monotonic(), 0.1)))
            continue
        out.print(f"Schema at revision {head_revision(engine)}, the newest, on {url}", markup=False)
        return


# --- team use: users, deal teams, private-side marking, restricted list, audit trail ---
users_app = typer.Typer(help="Users and their roles (analyst, banker, compliance, admin).", no_args_is_help=True)
teams_app = typer.Typer(help="Deal teams: who works behind each information barrier.", no_args_is_help=True)
restricted_app = typer.Typer(help="The restricted list: companies flagged in screens, precedents and exports.",
                             no_args_is_help=True)  # fmt: skip
audit_app = typer.Typer(help="Search and export the audit trail (compliance).", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(teams_app, name="teams")
app.add_typer(restricted_app, name="restricted")
app.add_typer(audit_app, name="audit")


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="The user's name as the sign-on gives it (e.g. their email)."),
    role: str = typer.Option("analyst", "--role", help="analyst, banker, compliance or admin."),
    display_name: str | None = typer.Option(None, "--display-name", help="Full name, for display."),
) -> None:
    """Add a user with a role (admin)."""
    from services.barriers import add_user

    factory = open_store()
    add_user(name, role, session_factory=factory, viewer=cli_viewer(factory), display_name=display_name)
    out.print(f"{name}: {role}", markup=False)


@users_app.command("set-role")
def users_set_role(
    name: str = typer.Argument(..., help="The user."),
    role: str = typer.Argument(..., help="analyst, banker, compliance or admin."),
    active: bool | None = typer.Option(None, "--active/--deactivate", help="Reactivate or deactivate the account."),
) -> None:
    """Change a user's role, or deactivate them (admin)."""
    from services.barriers import set_role

    factory = open_store()
    set_role(name, role, session_factory=factory, viewer=cli_viewer(factory), active=active)
    out.print(f"{name}: {role}" + ("" if active is None else (" (active)" if active else " (deactivated)")),
              markup=False)  # fmt: skip


@users_app.command("list")
def users_list() -> None:
    """List users with their roles and teams (admin, compliance)."""
    from services.barriers import list_users

    factory = open_store()
    for u in list_users(session_factory=factory, viewer=cli_viewer(factory)):
        state = "" if u.active else "  (deactivated)"
        out.print(f"{u.name:<30} {u.role:<11} {', '.join(u.teams)}{state}", markup=False, highlight=False)


@teams_app.command("create")
def teams_create(
    name: str = typer.Argument(..., help="Team (mandate) name, e.g. 'Project Falcon'."),
    description: str | None = typer.Option(None, "--description", help="What the team works on."),
) -> None:
    """Create a deal team (banker, compliance, admin; a banker joins the team they create)."""
    from services.barriers import create_team

    factory = open_store()
    team = create_team(name, session_factory=factory, viewer=cli_viewer(factory), description=description)
    out.print(f"team {team.name} created" + (f"; members: {', '.join(team.members)}" if team.members else ""),
              markup=False)  # fmt: skip


@teams_app.command("add-member")
def teams_add_member(team: str = typer.Argument(..., help="Team name."),
                     user: str = typer.Argument(..., help="User to put behind the barrier.")) -> None:  # fmt: skip
    """Put a user on a deal team (admin, compliance, or a banker on the team)."""
    from services.barriers import add_member

    factory = open_store()
    added = add_member(team, user, session_factory=factory, viewer=cli_viewer(factory))
    out.print(f"{user} {'added to' if added else 'was already on'} {team}", markup=False)


@teams_app.command("remove-member")
def teams_remove_member(team: str = typer.Argument(..., help="Team name."),
                        user: str = typer.Argument(..., help="User to take off the team.")) -> None:  # fmt: skip
    """Take a user off a deal team (admin, compliance, or a banker on the team)."""
    from services.barriers import remove_member

    factory = open_store()
    removed = remove_member(team, user, session_factory=factory, viewer=cli_viewer(factory))
    out.print(f"{user} {'removed from' if removed else 'was not on'} {team}", markup=False)


@teams_app.command("list")
def teams_list() -> None:
    """List the deal teams you may know of, with members and private-side counts."""
    from services.barriers import list_teams

    factory = open_store()
    for t in list_teams(session_factory=factory, viewer=cli_viewer(factory)):
        out.print(f"{t.name:<30} deals {t.deals:>4}  documents {t.documents:>4}  watchlists {t.watchlists:>3}  "
                  f"members: {', '.join(t.members) or '-'}", markup=False, highlight=False)  # fmt: skip


@app.command("private")
def private(
    kind: str = typer.Argument(..., help="deal, document or watchlist."),
    ref: str = typer.Argument(..., help="Deal or document key, watchlist name, or id."),
    team: str | None = typer.Option(None, "--team", help="Make it private-side for this deal team."),
    public: bool = typer.Option(False, "--public", help="Lift the barrier: make it visible to everyone."),
) -> None:
    """Mark a deal, document or watchlist private-side for a deal team, or public again."""
    from services.barriers import set_private

    if bool(team) == public:
        raise WorkbenchError("give exactly one of --team NAME or --public")
    factory = open_store()
    out.print(set_private(kind, ref, None if public else team, session_factory=factory, viewer=cli_viewer(factory)),
              markup=False, highlight=False)  # fmt: skip


@restricted_app.command("add")
def restricted_add(
    company: str = typer.Argument(..., help="Ticker or key of the company."),
    reason: str | None = typer.Option(None, "--reason", help="Why it is restricted."),
) -> None:
    """Put a company on the restricted list (compliance)."""
    from services.barriers import add_restricted

    factory = open_store()
    added = add_restricted(company, session_factory=factory, viewer=cli_viewer(factory), reason=reason)
    out.print(f"{company} {'added to' if added else 'was already on'} the restricted list", markup=False)


@restricted_app.command("remove")
def restricted_remove(company: str = typer.Argument(..., help="Ticker or key of the company.")) -> None:
    """Take a company off the restricted list (compliance)."""
    from services.barriers import remove_restricted

    factory = open_store()
    removed = remove_restricted(company, session_factory=factory, viewer=cli_viewer(factory))
    out.print(f"{company} {'removed from' if removed else 'was not on'} the restricted list", markup=False)


@restricted_app.command("list")
def restricted_list() -> None:
    """Print the restricted list."""
    from services.barriers import list_restricted

    rows = list_restricted(session_factory=open_store())
    for r in rows:
        out.print(f"{r.ticker or '-':<8} {r.name[:50]:<50} {r.reason or ''}", markup=False, highlight=False)
    err.print(f"{len(rows)} restricted compan{'y' if len(rows) == 1 else 'ies'}")


@audit_app.command("search")
def audit_search(
    user: str | None = typer.Option(None, "--by", help="Only what this user did."),
    action: list[str] = typer.Option([], "--action", help="Only this action, e.g. export (repeatable)."),
    date_from: str | None = typer.Option(None, "--from", help="From this date YYYY-MM-DD."),
    date_to: str | None = typer.Option(None, "--to", help="To this date YYYY-MM-DD (inclusive)."),
    text: str | None = typer.Option(None, "--text", help="Text in the object, file name, hash or details."),
    limit: int = typer.Option(100, "--limit", help="At most this many rows, newest first."),
    out_file: Path | None = typer.Option(None, "--out", help="Export every matching row to this .csv or .xlsx."),
) -> None:
    """Search the audit trail, or export what matches (compliance; the export is audited too)."""
    import datetime as dt

    from services.audit_trail import AuditQuery, export_audit, search_audit

    try:
        start = dt.date.fromisoformat(date_from) if date_from else None
        end = dt.date.fromisoformat(date_to) if date_to else None
    except ValueError:
        raise WorkbenchError("--from and --to are dates YYYY-MM-DD") from None
    query = AuditQuery(user=user, actions=tuple(action), date_from=start, date_to=end, text=text)
    factory = open_store()
    viewer = cli_viewer(factory)
    if out_file is not None:
        fmt = out_file.suffix.lower().lstrip(".")
        _, data = export_audit(query, fmt, session_factory=factory, viewer=viewer)
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_bytes(data)
        err.print(f"Wrote {out_file}")
        return
    frame, total = search_audit(query, session_factory=factory, viewer=viewer, limit=limit)
    for rec in frame.to_dict("records"):
        out.print(f"{rec['at']:%Y-%m-%d %H:%M:%S}  {rec['user']:<20} {rec['action']:<18} {rec['object_type'] or '':<14}"
                  f" {rec['object_ref'] or ''}  rows={rec['row_count'] if rec['row_count'] is not None else '-'}"
                  f"{'  sha256=' + rec['file_sha256'][:12] if rec['file_sha256'] else ''}",
                  markup=False, highlight=False)  # fmt: skip
    err.print(f"{len(frame)} of {total:,} matching audit rows")


# --- pitch ---
@app.command()
def pitch(
    company: str = typer.Argument(..., help="Ticker or key of the company."),
    situation: str = typer.Option(..., "--situation", help="ecm, dcm or ma."),
    out_dir: Path = typer.Option(..., "--out", help="Folder to write the .xlsx workbook and the .pptx deck to."),
    as_of: str | None = typer.Option(None, "--as-of", help="As-of date YYYY-MM-DD (default: the newest prices)."),
) -> None:
    """Build a pitch pack (Excel workbook and PowerPoint deck) for a company and a situation."""
    import datetime as dt

    from services.pitch import build_pitch_pack, parse_situation
    from services.precedents import engine_from_settings
    from workbench.embeddings import build_embedder

    parse_situation(situation)  # a bad situation fails before the store is opened or the model loaded
    try:
        day = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise WorkbenchError(f"--as-of must be a date YYYY-MM-DD, not {as_of!r}") from None
    cfg = get_settings()
    factory = open_store()
    viewer = cli_viewer(factory)
    embedder = build_embedder(cfg)
    engine = engine_from_settings(cfg)
    with progress_bar("Building the pitch pack") as progress:
        engine.refresh(session_factory=factory, embedder=embedder, progress=lambda f, m: progress(0.3 * f, m))
        pack = build_pitch_pack(company, situation, session_factory=factory, embedder=embedder, engine=engine,
                                user=viewer.user, viewer=viewer, out_dir=out_dir, as_of=day, browser=cfg.browser_path,
                                progress=lambda f, m: progress(0.3 + 0.7 * f, m))  # fmt: skip
    for path, f in zip(pack.paths, (pack.workbook, pack.deck)):
        out.print(f"Wrote {path} (sha256 {f.sha256[:12]})", markup=False, highlight=False, soft_wrap=True)
    for name, role in pack.restricted:
        err.print(f"[bold red]restricted list:[/bold red] {name} ({role}) is on the restricted list")
    err.print(f"{pack.company_name}, {pack.situation.label}: {len(pack.content.comps.peers)} peers, "
              f"{len(pack.content.precedents)} precedents, in {pack.timings_ms['total'] / 1000:.1f} s", markup=False)  # fmt: skip


def main() -> None:
    logging.basicConfig(level=get_settings().log_level, format="%(levelname)s %(name)s: %(message)s")
    # Alembic announces every migration step at INFO; the CLI says "Store ready" instead.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        app()
    except (WorkbenchError, StoreUnavailable) as exc:
        err.print(f"[red]error:[/red] {exc}")
        sys.exit(1)
    except DBAPIError as exc:
        if not is_store_unreachable(exc):
            raise
        # The database went away mid-command: whatever was committed before stays.
        err.print(f"[red]error:[/red] {unreachable_message(get_settings().resolved_database_url)}", markup=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
