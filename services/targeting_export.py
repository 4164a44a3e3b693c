"""A screen result as a banker's workbook (cover, ranked list, factor breakdown, provenance) or CSV."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from services.propensity import SCORES
from services.screening import FIELDS, ScreenResult
from workbench import audit
from workbench.excel import BankerWorkbook, Column, Kind, csv_bytes
from workbench.files import staged_write
from workbench.user_input import safe_stem

UNIT_KIND: dict[str, Kind] = {"$m": "usd_m", "x": "multiple", "%": "pct_points", "days": "int", "count": "int",
                              "pp": "number", "": "number", "notch": "int", "years": "number"}  # fmt: skip
LABELS = {"rank": "Rank", "key": "Key", "score": "Score", "restricted": "Restricted list"}


@dataclass(frozen=True)
class ExportedFile:
    file_name: str
    data: bytes
    sha256: str
    row_count: int


def ranked_columns(result: ScreenResult) -> list[Column]:
    columns = [Column("rank", "Rank", "int", 6)]
    for name in result.rows.columns:
        if name in ("rank", "company_id", "score"):
            continue
        fd = FIELDS.get(name)
        if fd is None:
            columns.append(Column(name, LABELS.get(name, name.replace("_", " ").capitalize()), "text"))
        elif fd.kind.value == "number":
            header = f"{fd.label} ({fd.unit})" if fd.unit in ("$m", "x", "%") else fd.label
            columns.append(Column(name, header, UNIT_KIND.get(fd.unit, "number")))
        else:
            columns.append(Column(name, fd.label, "text"))
    if result.spec.score is not None:
        columns.append(Column("score", f"{SCORES[result.spec.score.name].label} score", "score", 10))
    return columns


def _factor_kind(score_name: str, factor: str) -> Kind:
    return UNIT_KIND.get(SCORES[score_name].factor(factor).unit, "number")


def _file_name(result: ScreenResult, ext: str) -> str:
    stem = safe_stem(result.spec.name, "screen")
    return f"{stem}_{result.as_of.isoformat()}.{ext}"


def build_screen_workbook(result: ScreenResult, *, run_by: str, run_at: dt.datetime | None = None) -> bytes:
    """The workbook's bytes; no side effects (the export functions audit)."""
    run_at = (run_at or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    book = BankerWorkbook()
    cover = [("Screen", result.spec.name), ("As of", result.as_of),
             *((("Criteria" if i == 0 else ""), line) for i, line in enumerate(result.criteria)),
             ("Companies matched", f"{result.matched:,} of {result.universe:,}"),
             ("Run by", run_by), ("Run at (UTC)", run_at)]  # fmt: skip
    ranked = result.rows
    if "restricted" in ranked:
        flagged = int(ranked["restricted"].sum())
        cover.append(("Restricted list", f"{flagged} name(s) flagged RESTRICTED: check with compliance before "
                      "any contact" if flagged else "no name on the restricted list"))  # fmt: skip
        ranked = ranked.assign(restricted=ranked["restricted"].map(lambda r: "RESTRICTED" if r else ""))
    book.add_table("Ranked", ranked, ranked_columns(result), cover=cover, heading=result.spec.name)

    if result.spec.score is not None:
        score = SCORES[result.spec.score.name]
        factors = result.factors.copy()
        factors["value_display"] = factors["value"]
        columns = [Column("rank", "Rank", "int", 6), Column("key", "Key", "text"), Column("label", "Factor", "text"),
                   Column("value", "Value", "number"), Column("normalised", "Normalised (0-1)", "number"),
                   Column("weight", "Weight", "number"), Column("contribution", "Contribution (points)", "score")]  # fmt: skip
        book.add_table("Factor breakdown", factors, columns,
                       cover=[("Score", score.label), ("How to read", "score = sum of contributions; "
                               "contribution = 100 x weight x normalised / sum of weights")])  # fmt: skip
        doc = pd.DataFrame([{"factor": f.label, "measures": f.measures, "formula": f.formula,
                             "normalisation": f.normalisation, "weight": result.provenance["weights"][f.name]}
                            for f in score.factors])  # fmt: skip
        book.add_table("Factor definitions", doc, [Column("factor", "Factor"), Column("measures", "Measures"),
                       Column("formula", "Formula"), Column("normalisation", "Normalisation"),
                       Column("weight", "Weight", "number")])  # fmt: skip

    provenance = [("Data as of", result.as_of), ("Run at (UTC)", run_at), ("Run by", run_by),
                  *((k.replace("_", " ").capitalize(), v) for k, v in result.provenance.items() if k != "data_as_of"),
                  ("Screen spec (JSON)", result.spec.model_dump_json(exclude_none=True))]  # fmt: skip
    book.add_key_values("Provenance", provenance, heading="Provenance")
    return book.to_bytes()


def screen_to_csv(result: ScreenResult) -> bytes:
    return csv_bytes(result.rows)


def _audited(result: ScreenResult, data: bytes, file_name: str, fmt: str, *,
             session_factory: sessionmaker[Session], user: str, path: Path | None = None) -> ExportedFile:  # fmt: skip
    digest = audit.file_sha256(data=data)
    # File and audit row together or neither: a full disk records nothing, a failed commit leaves no file.
    with staged_write(path, data), session_factory.begin() as session:
        audit.record(session, user=user, action="export", object_type="screen", object_ref=result.spec.name[:400],
                     row_count=len(result.rows), file_name=file_name, file_sha256=digest,
                     details={"format": fmt, "as_of": result.as_of.isoformat()})  # fmt: skip
    return ExportedFile(file_name, data, digest, len(result.rows))


def export_screen_to_excel(result: ScreenResult, *, session_factory: sessionmaker[Session], user: str,
                           path: Path | None = None) -> ExportedFile:  # fmt: skip
    """Build the workbook, write it to ``path`` when given, and record the export in the audit log."""
    data = build_screen_workbook(result, run_by=user)
    file_name = path.name if path else _file_name(result, "xlsx")
    return _audited(result, data, file_name, "xlsx", session_factory=session_factory, user=user, path=path)


def export_screen_to_csv(result: ScreenResult, *, session_factory: sessionmaker[Session], user: str) -> ExportedFile:
    return _audited(result, screen_to_csv(result), _file_name(result, "csv"), "csv",
                    session_factory=session_factory, user=user)  # fmt: skip
