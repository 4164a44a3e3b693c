"""Pitch pack: one action builds, for a company and a situation (ECM, DCM or M&A), an Excel
workbook and a PowerPoint deck with the tear sheet, trading comparables, precedents, debt
ladder and price history, every figure traced to the store on a provenance sheet.

The content is gathered once (services/pitch/content.py) and rendered twice, so the two
files always agree. The files are written whole or not at all, together with one audit row
carrying both files' SHA-256: a pack is never on disk without its record, nor recorded
without its files.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from services.comps import resolve_company
from services.pitch.content import PitchContent, Situation, gather, parse_situation
from services.pitch.deck import build_deck
from services.pitch.figures import pack_figures
from services.pitch.workbook import build_workbook
from services.precedents import PrecedentEngine
from workbench import audit
from workbench.access import PUBLIC, Viewer
from workbench.charts import ChartRenderer, ImageSize
from workbench.embeddings import Embedder
from workbench.errors import WorkbenchError
from workbench.files import staged_write
from workbench.progress import ProgressCallback, no_progress

__all__ = ["PitchPack", "Situation", "build_pitch_pack", "parse_situation"]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


@dataclass(frozen=True)
class PackFile:
    name: str
    data: bytes
    sha256: str
    mime: str


@dataclass(frozen=True)
class PitchPack:
    company_key: str
    company_name: str
    situation: Situation
    workbook: PackFile
    deck: PackFile
    content: PitchContent
    paths: tuple[Path, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def restricted(self) -> list[tuple[str, str]]:
        return self.content.restricted


def _stem(content: PitchContent) -> str:
    name = content.company.get("ticker") or content.company["key"]
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", str(name)).strip("._") or "company"
    return f"{safe}_{content.situation.value}_pitch_{content.sheet.as_of:%Y-%m-%d}"


def _check_out_dir(out_dir: Path) -> Path:
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise WorkbenchError(f"--out must be a folder; {out_dir} is a file")
    return out_dir


def build_pitch_pack(company: str | int, situation: str | Situation, *, session_factory: sessionmaker[Session],
                     embedder: Embedder, engine: PrecedentEngine, user: str, viewer: Viewer = PUBLIC,
                     peers: list[int] | pd.DataFrame | None = None, out_dir: Path | None = None, as_of: dt.date | None = None,
                     browser: str | Path | None = None, renderer: ChartRenderer | None = None,
                     image_size: ImageSize = ImageSize(), progress: ProgressCallback = no_progress) -> PitchPack:  # fmt: skip
    """Build the workbook and the deck, write them to ``out_dir`` when given, and audit the export.

    ``peers`` (ids, or rows with company_id, reason and origin) overrides the company's saved
    peer set (else the proposal). Bad input (unknown
    company, situation, an ``out_dir`` that is a file, no browser for the charts) raises
    before anything is written or recorded. Without a long-lived ``renderer`` a browser is
    started for this pack, in the background while the data is read.
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    situation = parse_situation(situation)
    if out_dir is not None:
        out_dir = _check_out_dir(out_dir)
    with session_factory() as session:
        company = resolve_company(session, company).id  # an unknown company fails before a browser starts
    with ExitStack() as owned:
        if renderer is None:
            renderer = owned.enter_context(ChartRenderer(browser=browser, size=image_size))
        content = gather(company, situation, session_factory=session_factory, embedder=embedder, engine=engine,
                         user=user, viewer=viewer, peers=peers, as_of=as_of, progress=progress)  # fmt: skip
        timings["gather"] = (time.perf_counter() - t0) * 1000
        t = time.perf_counter()
        progress(0.6, "Rendering the charts")
        figures = pack_figures(content)
        images = dict(zip(figures, renderer.render(list(figures.values()), image_size)))
        timings["charts"] = (time.perf_counter() - t) * 1000

    t = time.perf_counter()
    progress(0.85, "Writing the workbook and the deck")
    stem = _stem(content)
    names = {"xlsx": f"{stem}.xlsx", "pptx": f"{stem}.pptx"}
    xlsx = build_workbook(content, file_names=names)
    pptx = build_deck(content, images)
    workbook = PackFile(names["xlsx"], xlsx, audit.file_sha256(data=xlsx), XLSX_TYPE)
    deck = PackFile(names["pptx"], pptx, audit.file_sha256(data=pptx), PPTX_TYPE)
    timings["render"] = (time.perf_counter() - t) * 1000

    paths = tuple(out_dir / f.name for f in (workbook, deck)) if out_dir is not None else ()
    with ExitStack() as stack:
        for path, f in zip(paths, (workbook, deck)):
            stack.enter_context(staged_write(path, f.data))
        with session_factory.begin() as session:
            audit.record(session, user=user, action="export", object_type="pitch_pack",
                         object_ref=f"{content.company['key']} {situation.value}"[:400],
                         row_count=len(content.comps.rows) + len(content.precedents), file_name=workbook.name,
                         file_sha256=workbook.sha256,
                         details={"situation": situation.value, "company": content.company["key"],
                                  "as_of": content.sheet.as_of.isoformat(),
                                  "files": [{"name": f.name, "sha256": f.sha256, "bytes": len(f.data)}
                                            for f in (workbook, deck)],
                                  "written_to": str(out_dir) if out_dir is not None else "download",
                                  "peers": [str(k) for k in content.comps.peers["key"]],
                                  "precedents": [str(k) for k in content.precedents["key"]],
                                  "restricted": [name for name, _ in content.restricted],
                                  "viewer": {"user": viewer.user, "role": viewer.role}})  # fmt: skip
    timings["total"] = (time.perf_counter() - t0) * 1000
    progress(1.0, "Pitch pack ready")
    return PitchPack(company_key=str(content.company["key"]), company_name=str(content.company["name"]),
                     situation=situation, workbook=workbook, deck=deck, content=content, paths=paths,
                     timings_ms=timings)  # fmt: skip
