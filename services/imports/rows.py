"""Rows in, validated records out: every cell is parsed and every rule checked before writing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from services.imports import cleaning as c
from services.imports.derivation import derive
from services.imports.fields import PARTY_ROLES, Field, field_by_name
from services.imports.mapping import ColumnMapping
from services.imports.reading import RawTable
from workbench import geography
from workbench.domain import DealStatus, DealType, DocumentType

MAX_VALUE_SHOWN = 80


@dataclass(frozen=True)
class RowError:
    row: int  # row number in the file; the header is row 1 unless the preview says otherwise
    column: str
    value: str
    reason: str


@dataclass
class Record:
    row: int
    key: Any  # natural key: str, or (company ref, date) for prices
    values: dict[str, Any]  # model attribute -> value (blank cells left out)
    parties: list[tuple[str, str]] = field(default_factory=list)  # deals: (role, name)
    company_ref: str | None = None  # prices, documents: a company key or ticker
    derived: set[str] = field(default_factory=set)  # fields of ``values`` derived, not read from the file


def _norm(text: str) -> str:
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())


def _same_party(name: str) -> str:
    return " ".join(name.casefold().split())


DEAL_TYPES: dict[str, DealType] = {
    **{_norm(t.value): t for t in DealType}, **{_norm(t.label): t for t in DealType},
    "initial public offering": DealType.IPO, "follow on offering": DealType.FOLLOW_ON,
    "secondary": DealType.FOLLOW_ON, "seo": DealType.FOLLOW_ON, "abb": DealType.FOLLOW_ON,
    "accelerated bookbuild": DealType.FOLLOW_ON, "block trade": DealType.FOLLOW_ON,
    "convertible bond": DealType.CONVERTIBLE, "convert": DealType.CONVERTIBLE, "cb": DealType.CONVERTIBLE,
    "investment grade": DealType.IG_BOND, "investment grade bond": DealType.IG_BOND, "ig": DealType.IG_BOND,
    "high yield": DealType.HY_BOND, "high yield bond": DealType.HY_BOND, "hy": DealType.HY_BOND,
    "leveraged loan": DealType.TERM_LOAN, "term loan b": DealType.TERM_LOAN, "tlb": DealType.TERM_LOAN,
    "m a": DealType.MA, "merger": DealType.MA, "acquisition": DealType.MA, "takeover": DealType.MA,
    "merger acquisition": DealType.MA, "mergers and acquisitions": DealType.MA, "buyout": DealType.MA,
    "lbo": DealType.MA,
}  # fmt: skip
_TYPE_VALUES = frozenset(t.value for t in DealType)
STATUSES: dict[str, DealStatus | None] = {
    **{s.value: s for s in DealStatus},
    "complete": DealStatus.COMPLETED, "closed": DealStatus.COMPLETED, "effective": DealStatus.COMPLETED,
    "terminated": DealStatus.WITHDRAWN, "cancelled": DealStatus.WITHDRAWN, "canceled": DealStatus.WITHDRAWN,
    "lapsed": DealStatus.WITHDRAWN, "rumored": DealStatus.RUMOURED, "rumour": DealStatus.RUMOURED,
    "rumor": DealStatus.RUMOURED, "undisclosed": None, "unknown": None,
}  # fmt: skip
CONSIDERATION = {"cash": "cash", "stock": "stock", "shares": "stock", "equity": "stock",
                 "cash stock": "mixed", "cash and stock": "mixed", "stock cash": "mixed", "mixed": "mixed",
                 "cash shares": "mixed", "undisclosed": None, "unknown": None}  # fmt: skip
DOC_TYPES: dict[str, DocumentType] = {
    **{_norm(d.value): d for d in DocumentType},
    "10k": DocumentType.FILING_10K, "10q": DocumentType.FILING_10Q, "8k": DocumentType.FILING_8K,
    "earnings call": DocumentType.TRANSCRIPT, "call transcript": DocumentType.TRANSCRIPT,
    "press release": DocumentType.PRESS_RELEASE, "note": DocumentType.RESEARCH,
}  # fmt: skip


def _shown(value: str | None) -> str:
    text = "" if value is None else value
    return text if len(text) <= MAX_VALUE_SHOWN else text[:MAX_VALUE_SHOWN] + "…"


def _digest(*parts: object) -> str:
    joined = "\x1f".join("" if p is None else str(p).strip().lower() for p in parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:24]


class _Where(dict[str, str]):
    """Field -> the column it came from, plus the raw cells, for error messages."""

    def __init__(self) -> None:
        super().__init__()
        self.raw: dict[str, str | None] = {}

    def value(self, name: str) -> str:
        return _shown(self.raw.get(name))


class _RowParser:
    def __init__(self, kind: str, table: RawTable, mapping: ColumnMapping) -> None:
        self.kind = kind
        self.mapping = mapping
        self.fields = field_by_name(kind)
        self.index = {col: i for i, col in enumerate(table.columns)}
        # Slashed dates: one order per column, read from all its values.
        self.date_orders: dict[str, str] = {}
        for name, column in mapping.columns.items():
            if self.fields[name].type == "date":
                i = self.index[column]
                self.date_orders[name] = c.slashed_date_order([cells[i] for _, cells in table.rows])

    def raw(self, name: str, cells: list[str | None]) -> tuple[str, str | None]:
        """(column shown in errors, raw cell) of a field, trying fallbacks when blank."""
        if name in self.mapping.columns:
            column = self.mapping.columns[name]
            value = cells[self.index[column]]
            for extra in self.mapping.fallbacks.get(name, ()):
                if not c.is_missing(value):
                    break
                value = cells[self.index[extra]]
            return column, value
        if name in self.mapping.constants:
            return f"({name})", self.mapping.constants[name]
        return name, None

    def convert(self, f: Field, raw: str | None) -> Any:
        scale = self.mapping.scales.get(f.name, 1.0)
        match f.type:
            case "text" | "code":
                return c.clean_text(raw, max_len=f.max_len)
            case "int":
                return c.parse_int(raw)
            case "year":
                return c.parse_year(raw)
            case "month":
                return c.parse_month(raw)
            case "float":
                return c.parse_float(raw)
            case "money":
                return c.parse_money(raw, scale=scale)
            case "pct":
                return c.parse_pct(raw, scale=scale)
            case "date":
                return c.parse_date(raw, order=self.date_orders.get(f.name, "dmy"))
            case "list":
                items = c.split_list(raw, self.mapping.separators.get(f.name, ";|"))
                if f.max_len is not None:
                    for item in items:
                        if len(item) > f.max_len:
                            raise c.CellError(f"a name longer than {f.max_len} characters ({len(item):,})")
                return items
            case "exchange_ticker":
                return c.split_exchange_ticker(raw)
        raise AssertionError(f.type)  # pragma: no cover

    def parse(self, row: int, cells: list[str | None]) -> tuple[dict[str, Any], list[RowError], _Where]:
        values: dict[str, Any] = {}
        errors: list[RowError] = []
        where = _Where()
        for name in (*self.mapping.columns, *self.mapping.constants):
            if name in values or name in where:
                continue
            f = self.fields[name]
            column, raw = self.raw(name, cells)
            where[name] = column
            where.raw[name] = raw
            try:
                value = self.convert(f, raw)
            except c.CellError as exc:
                errors.append(RowError(row, column, _shown(raw), str(exc)))
                continue
            if f.min_value is not None and isinstance(value, (int, float)) and value < f.min_value:
                errors.append(RowError(row, column, _shown(raw), "negative value" if f.min_value == 0
                                       else f"below {f.min_value}"))  # fmt: skip
                continue
            if value is not None and value != []:
                values[name] = value
        for f in self.fields.values():
            if f.required and f.name not in values and not any(e.column == where.get(f.name) for e in errors):
                column, raw = self.raw(f.name, cells)
                errors.append(RowError(row, column, _shown(raw), "required value is missing"))
        return values, errors, where


def _company_record(row: int, v: dict[str, Any], where: _Where, errors: list[RowError]) -> Record | None:
    exchange, ticker = v.pop("exchange_ticker", (None, None))
    if exchange and "exchange" not in v:
        v["exchange"] = exchange
    if ticker and "ticker" not in v:
        v["ticker"] = ticker
    if v.get("employees", 0) > 2**31 - 1:  # the column is a 32-bit integer on PostgreSQL
        errors.append(RowError(row, where["employees"], where.value("employees"), "too large for employees"))
    for name, limit in (("exchange", 40), ("ticker", 32)):
        if name in v and len(v[name]) > limit:
            errors.append(RowError(row, where.get(name, where.get("exchange_ticker", name)), _shown(str(v[name])),
                                   f"longer than {limit} characters"))  # fmt: skip
    key = v.get("key") or v.get("ticker")
    if not key:
        errors.append(RowError(row, where.get("key", where.get("ticker", "key")), "", "no key and no ticker"))
        return None
    v["key"] = key
    return Record(row, key, v)


def _deal_record(row: int, v: dict[str, Any], where: _Where, errors: list[RowError]) -> Record | None:
    parties = [(role, name) for role in PARTY_ROLES for name in v.pop(role, [])]
    roles = {r for r, _ in parties}
    raw_type = v.get("deal_type")
    if raw_type is None:
        if roles & {"target", "acquirer"}:
            v["deal_type"] = DealType.MA.value
        else:
            errors.append(RowError(row, where.get("deal_type", "deal_type"), "", "required value is missing "
                                   "(deal type; M&A is assumed only when a target or acquirer is given)"))  # fmt: skip
    else:
        deal_type = DEAL_TYPES.get(_norm(raw_type))
        if deal_type is None:
            errors.append(RowError(row, where["deal_type"], _shown(raw_type),
                                   "unknown deal type (expected " + ", ".join(t.label for t in DealType) + ")"))  # fmt: skip
        else:
            v["deal_type"] = deal_type.value
    if "status" in v:
        key = _norm(v["status"])
        if key not in STATUSES:
            errors.append(RowError(row, where["status"], _shown(v["status"]),
                                   "unknown status (expected " + ", ".join(s.value for s in DealStatus) + ")"))  # fmt: skip
        else:
            status = STATUSES[key]
            v["status"] = status.value if status else None
    if "consideration" in v:
        v["consideration"] = CONSIDERATION.get(_norm(v["consideration"]), v["consideration"].lower())
    year, month = v.pop("announced_year", None), v.pop("announced_month", None)
    announced = v.get("announced_date")
    if announced is not None and year is not None and announced.year != year:
        errors.append(RowError(row, where["announced_date"], where.value("announced_date"),
                               f"date disagrees with the year column {where['announced_year']!r} ({year})"))  # fmt: skip
    elif announced is None and year is not None:
        try:
            v["announced_date"] = c.month_start(year, month)
        except c.CellError as exc:  # the year column allows founding years, a deal date starts in 1900
            errors.append(RowError(row, where["announced_year"], where.value("announced_year"), str(exc)))
    if "size_usd_m" in v:
        size = v.pop("size_usd_m")
        currency = (v.get("currency") or "USD").upper()
        v["size_local_m"] = v.get("size_local_m", size)
        v["currency"] = currency
        if currency == "USD":
            v["size_usd_m"] = size
    if "currency" in v and len(v["currency"]) != 3:
        errors.append(RowError(row, where.get("currency", "currency"), where.value("currency"),
                               "not a three-letter currency code"))  # fmt: skip
    targets = {_same_party(n) for r, n in parties if r == "target"}
    for role, name in parties:
        if role == "acquirer" and _same_party(name) in targets:
            errors.append(RowError(row, where.get("acquirer", "acquirer"), _shown(name),
                                   "the acquirer is also the target: a company cannot acquire itself"))  # fmt: skip
    first = {}
    for role, name in parties:
        first.setdefault(role, name)
    if "name" not in v:
        if "acquirer" in first and "target" in first:
            v["name"] = f"{first['acquirer']} acquired {first['target']}"
        elif first:
            who = first.get("issuer") or first.get("target") or next(iter(first.values()))
            v["name"] = f"{who} {DealType(v['deal_type']).label if v.get('deal_type') in _TYPE_VALUES else 'deal'}"
        else:
            errors.append(RowError(row, where.get("name", "name"), "", "no deal name and no parties"))
            return None
        v["name"] = v["name"][:400]
    if "categories" in v:
        v["categories"] = list(v["categories"])
    key = v.get("key")
    if not key:
        date = v.get("announced_date")
        party_text = sorted(f"{r}={n.lower()}" for r, n in parties) or [v["name"].lower()]
        key = "d-" + _digest(v.get("deal_type"), date.isoformat() if date else "", *party_text)
        v["key"] = key
    return Record(row, key, v, parties=parties)


def _price_record(row: int, v: dict[str, Any], where: _Where, errors: list[RowError]) -> Record | None:
    if "company" not in v or "date" not in v:
        return None
    if "high" in v and "low" in v and v["high"] < v["low"]:
        errors.append(RowError(row, where["high"], where.value("high"), f"high is below low ({v['low']})"))
    if "volume" in v and v["volume"] > 2**63 - 1:
        errors.append(RowError(row, where["volume"], where.value("volume"), "volume too large"))
    ref = v.pop("company")
    return Record(row, (ref.lower(), v["date"]), v, company_ref=ref)


def _document_record(row: int, v: dict[str, Any], where: _Where, errors: list[RowError]) -> Record | None:
    raw_type = v.get("doc_type")
    if raw_type is None:
        v["doc_type"] = DocumentType.OTHER.value
    else:
        doc_type = DOC_TYPES.get(_norm(raw_type))
        if doc_type is None:
            errors.append(RowError(row, where["doc_type"], _shown(raw_type), "unknown document type (expected "
                                   + ", ".join(d.value for d in DocumentType) + ")"))  # fmt: skip
        else:
            v["doc_type"] = doc_type.value
    if "title" not in v or "text" not in v:
        return None
    ref = v.pop("company", None)
    key = v.get("key")
    if not key:
        date = v.get("doc_date")
        key = "doc-" + _digest(v["title"], date.isoformat() if date else "", ref or "")
        v["key"] = key
    v["char_count"] = len(v["text"])
    v["sha256"] = hashlib.sha256(v["text"].encode("utf-8")).hexdigest()
    return Record(row, key, v, company_ref=ref)


BUILDERS: dict[str, Callable[[int, dict[str, Any], _Where, list[RowError]], Record | None]] = {
    "companies": _company_record,
    "deals": _deal_record,
    "prices": _price_record,
    "documents": _document_record,
}


@dataclass
class ParsedRows:
    records: list[Record]
    errors: dict[int, list[RowError]]  # row -> its errors, rows in file order
    notes: list[str] = field(default_factory=list)  # for the preview: e.g. countries not recognised


UNKNOWN_SHOWN = 5


def _unknown_countries_note(unknown: dict[str, int]) -> list[str]:
    if not unknown:
        return []
    shown = ", ".join(f"{name!r} ({n:,} row{'s' if n > 1 else ''})" for name, n in
                      sorted(unknown.items(), key=lambda kv: (-kv[1], kv[0]))[:UNKNOWN_SHOWN])  # fmt: skip
    more = f" and {len(unknown) - UNKNOWN_SHOWN:,} more" if len(unknown) > UNKNOWN_SHOWN else ""
    return [f"country not recognised, kept as given and no region derived: {shown}{more}"]


def parse_rows(kind: str, table: RawTable, mapping: ColumnMapping) -> ParsedRows:
    """Parse every row; a row with any error yields no record. Keys repeated in the file are errors.

    Valid rows then get the values their other cells imply (``derivation``), never over a given one."""
    parser = _RowParser(kind, table, mapping)
    build = BUILDERS[kind]
    records: list[Record] = []
    errors: dict[int, list[RowError]] = {}
    first_row: dict[Any, int] = {}
    unknown_countries: dict[str, int] = {}
    key_column = mapping.columns.get("key") or {
        "prices": mapping.columns.get("date", "date"),
        "companies": mapping.columns.get("ticker") or mapping.columns.get("exchange_ticker", "key"),
    }.get(kind, "(derived key)")
    for row, cells in table.rows:
        row_errors: list[RowError] = []
        if row in table.broken:
            row_errors.append(RowError(row, "(row)", "", table.broken[row]))
        values, cell_errors, where = parser.parse(row, cells)
        row_errors.extend(cell_errors)
        record = build(row, values, where, row_errors)
        if record is not None and not row_errors:
            key = record.key.lower() if isinstance(record.key, str) else record.key
            if key in first_row:
                if kind == "prices":
                    shown, what = f"{record.company_ref} {record.key[1]}", "company and date"
                elif key_column == "(derived key)":
                    shown, what = record.values.get("name") or record.values.get("title") or record.key, \
                        "derived key (same parties, date and type)" if kind == "deals" else "title, date and company"
                else:
                    shown, what = record.key, "key"
                row_errors.append(RowError(row, key_column, _shown(str(shown)),
                                           f"duplicate {what}: same as row {first_row[key]}"))  # fmt: skip
            else:
                first_row[key] = row
                record.derived = derive(kind, record.values)
                country = record.values.get("country")
                if country and geography.find_country(country) is None:
                    unknown_countries[country] = unknown_countries.get(country, 0) + 1
                records.append(record)
        if row_errors:
            errors[row] = row_errors
    return ParsedRows(records, errors, _unknown_countries_note(unknown_countries))
