"""Which file column fills which field: presets for known file shapes, then header aliases,
then the user's explicit choices (``--map field=Column``), which always win.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.imports.fields import Field, fields_for
from workbench.errors import WorkbenchError


def normalize_header(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def base_header(text: str) -> str:
    """The header without bracketed qualifiers: ``Total Revenue [LTM] ($mm)`` -> ``total revenue``."""
    return normalize_header(re.sub(r"\[[^\]]*\]|\([^)]*\)", " ", text))


_MILLIONS = {"mm", "mn", "mil", "million", "millions", "musd", "usdm", "usdmm", "m"}
_BILLIONS = {"bn", "billion", "billions", "b"}
_THOUSANDS = {"000", "000s", "thousand", "thousands", "k"}
_UNITS = {"usd", "eur", "gbp", "dollars"}


def header_scale(header: str) -> float | None:
    """Multiplier from a money header's unit to millions, or None when the header does not say.

    Single letters (m, b, k) count only inside brackets, where they are units, not words.
    """
    bracketed = " ".join(a or b for a, b in re.findall(r"\[([^\]]*)\]|\(([^)]*)\)", header))
    inner = set(re.findall(r"[a-z0-9]+", bracketed.lower()))
    words = set(normalize_header(header).split())
    for units, scale in ((_MILLIONS, 1.0), (_BILLIONS, 1000.0), (_THOUSANDS, 0.001)):
        if inner & units or words & {u for u in units if len(u) > 1}:
            return scale
    if inner & _UNITS or "$" in bracketed:
        return 1e-6  # "(USD)" or "($)": whole currency units
    return None


@dataclass(frozen=True)
class Preset:
    """A known file shape, recognised by its header, mapped completely."""

    name: str
    kind: str
    signature: frozenset[str]  # normalized headers that must all be present
    columns: dict[str, str]
    scales: dict[str, float] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    fallbacks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    separators: dict[str, str] = field(default_factory=dict)
    note: str = ""


def _sig(*headers: str) -> frozenset[str]:
    return frozenset(normalize_header(h) for h in headers)


PRESETS: tuple[Preset, ...] = (
    Preset(
        "sp500_constituents", "companies",
        _sig("Symbol", "Security", "GICS Sector", "GICS Sub-Industry"),
        {"ticker": "Symbol", "name": "Security", "sector": "GICS Sector", "sub_industry": "GICS Sub-Industry",
         "headquarters": "Headquarters Location", "cik": "CIK", "founded_year": "Founded"},
        constants={"listing_status": "listed", "ownership": "public", "currency": "USD",
                   "source": "S&P 500 constituents"},
        note="S&P 500 constituents: listed companies keyed by ticker; country and region derived from the "
        "headquarters location",
    ),
    Preset(
        "sp500_financials", "companies",
        _sig("Symbol", "Name", "Sector", "Price/Earnings", "Market Cap", "EBITDA"),
        {"ticker": "Symbol", "name": "Name", "sub_industry": "Sector", "pe_ratio": "Price/Earnings",
         "dividend_yield_pct": "Dividend Yield", "market_cap_usd_m": "Market Cap", "ebitda_usd_m": "EBITDA",
         "source": "SEC Filings"},
        scales={"market_cap_usd_m": 1e-6, "ebitda_usd_m": 1e-6, "dividend_yield_pct": 100.0},
        constants={"listing_status": "listed", "currency": "USD"},
        note="S&P 500 financials: Market Cap and EBITDA in dollars, Dividend Yield a fraction, "
        "Sector is the GICS sub-industry (the GICS sector is derived from it)",
    ),
    Preset(
        "tech_acquisitions", "deals",
        _sig("deal_name", "acquirer", "target", "announced", "price", "market_categories"),
        {"name": "deal_name", "acquirer": "acquirer", "target": "target", "announced_date": "announced",
         "announced_year": "year", "size_usd_m": "price", "status": "status", "consideration": "terms",
         "description": "target_description", "categories": "market_categories", "country": "target_country"},
        scales={"size_usd_m": 1e-6},
        constants={"deal_type": "ma", "source": "CrunchBase tech acquisitions"},
        fallbacks={"description": ("target_tagline",)},
        separators={"categories": ","},
        note="tech acquisitions: prices in dollars, dates day first, the year column checks the date",
    ),
    Preset(
        "crunchbase_acquisitions", "deals",
        _sig("company_permalink", "company_name", "acquirer_permalink", "acquirer_name", "acquired_at",
             "price_amount"),
        {"target": "company_name", "acquirer": "acquirer_name", "categories": "company_category_list",
         "country": "company_country_code", "announced_date": "acquired_at", "size_usd_m": "price_amount",
         "currency": "price_currency_code"},
        scales={"size_usd_m": 1e-6},
        constants={"deal_type": "ma", "source": "CrunchBase acquisitions"},
        separators={"categories": "|"},
        note="CrunchBase acquisitions: prices in whole currency units; non-USD prices kept as local size",
    ),
    Preset(
        "big_tech_acquisitions", "deals",
        _sig("Parent Company", "Acquisition Year", "Acquisition Month", "Acquired Company"),
        {"acquirer": "Parent Company", "target": "Acquired Company", "announced_year": "Acquisition Year",
         "announced_month": "Acquisition Month", "industry": "Business", "description": "Business",
         "country": "Country", "size_usd_m": "Acquisition Price", "categories": "Derived Products"},
        scales={"size_usd_m": 1e-6},
        constants={"deal_type": "ma", "source": "Big tech acquisitions"},
        separators={"categories": ","},
        note="big tech acquisitions: year and month only (dated the first of the month), prices in dollars",
    ),
)


@dataclass(frozen=True)
class ColumnMapping:
    """The mapping used for one file; ``columns`` is what the preview shows and the form edits."""

    columns: dict[str, str]  # field -> file column
    scales: dict[str, float] = field(default_factory=dict)  # field -> multiplier into the field's unit
    constants: dict[str, str] = field(default_factory=dict)  # field -> raw value for every row
    fallbacks: dict[str, tuple[str, ...]] = field(default_factory=dict)  # tried when the cell is blank
    separators: dict[str, str] = field(default_factory=dict)  # list field -> separator characters
    preset: str | None = None
    notes: tuple[str, ...] = ()


def detect_preset(kind: str, columns: list[str]) -> Preset | None:
    present = {normalize_header(c) for c in columns}
    for preset in PRESETS:
        if preset.kind == kind and preset.signature <= present:
            return preset
    return None


def _auto_columns(fields: tuple[Field, ...], columns: list[str], taken: set[str],
                  skip: set[str]) -> dict[str, str]:  # fmt: skip
    mapped: dict[str, str] = {}
    for normalizer in (normalize_header, base_header):
        by_header: dict[str, str] = {}
        for c in columns:
            by_header.setdefault(normalizer(c), c)
        for f in fields:
            if f.name in mapped or f.name in skip:
                continue
            for alias in f.aliases:
                column = by_header.get(normalize_header(alias))
                if column is not None and column not in taken:
                    mapped[f.name] = column
                    taken.add(column)
                    break
    return mapped


def parse_overrides(pairs: list[str] | None) -> dict[str, str | None]:
    """``field=Column`` strings (the CLI's ``--map``); ``field=`` leaves the field unmapped."""
    out: dict[str, str | None] = {}
    for pair in pairs or []:
        name, sep, column = pair.partition("=")
        if not sep or not name.strip():
            raise WorkbenchError(f"--map {pair!r}: write it as field=Column")
        out[name.strip()] = column.strip() or None
    return out


def build_mapping(kind: str, columns: list[str], overrides: dict[str, str | None] | None = None) -> ColumnMapping:
    """Preset (when the header is a known shape), else aliases; then explicit overrides."""
    fields = fields_for(kind)
    by_name = {f.name: f for f in fields}
    overrides = overrides or {}
    unknown = sorted(set(overrides) - set(by_name))
    if unknown:
        raise WorkbenchError(f"unknown {kind} field(s) in the mapping: {', '.join(unknown)}; "
                             f"fields are {', '.join(by_name)}")  # fmt: skip
    by_lower = {c.lower(): c for c in columns}
    explicit: dict[str, str | None] = {}
    for name, column in overrides.items():
        if column is None:
            explicit[name] = None
            continue
        actual = column if column in columns else by_lower.get(column.lower())
        if actual is None:
            raise WorkbenchError(f"mapping {name}={column!r}: the file has no column {column!r}; "
                                 f"its columns are {', '.join(columns)}")  # fmt: skip
        explicit[name] = actual

    preset = detect_preset(kind, columns)
    notes: list[str] = []
    if preset is not None:
        present = {normalize_header(c): c for c in columns}
        mapped = {f: present[normalize_header(c)] for f, c in preset.columns.items()
                  if normalize_header(c) in present}  # fmt: skip
        scales = dict(preset.scales)
        constants = dict(preset.constants)
        fallbacks = {f: tuple(present[normalize_header(c)] for c in cols if normalize_header(c) in present)
                     for f, cols in preset.fallbacks.items()}  # fmt: skip
        separators = dict(preset.separators)
        notes.append(f"known file shape: {preset.note}")
    else:
        mapped = _auto_columns(fields, columns, set(explicit.values()) - {None}, set(explicit))  # type: ignore[arg-type]
        scales, constants, fallbacks, separators = {}, {}, {}, {}

    for name, column in explicit.items():
        constants.pop(name, None)
        fallbacks.pop(name, None)
        scales.pop(name, None)
        if column is None:
            mapped.pop(name, None)
        else:
            mapped[name] = column

    for name, column in mapped.items():
        f = by_name[name]
        if f.type == "money" and name not in scales:
            scale = header_scale(column)
            if scale is None:
                notes.append(f"{name}: the header {column!r} gives no unit; values read as millions")
                scale = 1.0
            scales[name] = scale
        if f.type == "pct" and name not in scales:
            scales[name] = 1.0
    ordered = {f.name: mapped[f.name] for f in fields if f.name in mapped}
    return ColumnMapping(ordered, scales, constants, fallbacks, separators,
                         preset.name if preset else None, tuple(notes))  # fmt: skip


def missing_required(kind: str, mapping: ColumnMapping) -> list[str]:
    mapped = set(mapping.columns) | set(mapping.constants)
    missing = [f.name for f in fields_for(kind) if f.required and f.name not in mapped]
    if kind == "companies" and not mapped & {"key", "ticker", "exchange_ticker"}:
        missing.append("key or ticker")
    if kind == "deals" and not mapped & {"key", "name", "issuer", "target", "acquirer"}:
        missing.append("key, name or a party (issuer, target, acquirer)")
    return missing
