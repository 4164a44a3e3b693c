"""Company screens: a declarative spec, a field registry, validation, and a fast evaluator.

A screen is a :class:`ScreenSpec` (JSON/YAML-serialisable): nested AND/OR groups of
conditions on *registered* fields, an as-of date, the propensity score to rank by with its
weights, and how many names to keep. Field names never reach SQL as text: each registered
field maps to a column expression or to a feature computed from the store, and every value
is a bound parameter.

Evaluation works on a *feature frame*: one row per company with its own columns plus
features derived from the store as of the date (debt maturing within N months, last deal
dates, price returns). Without a cache, conditions on company columns are pushed into SQL
and only matching companies are loaded. With a :class:`FeatureCache` (handed in by the
caller, keyed by database URL, store fingerprint and as-of date) the whole universe is kept
in memory and every condition is a vectorised numpy mask, so a re-run costs milliseconds.

Semantics every backend shares: text comparisons ignore case; every comparison except
``is empty`` is false for an empty value; ratings compare by credit quality, so
``rating >= BBB-`` means BBB- or better.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import ColumnElement, and_, case, false, func, not_, or_, select, true
from sqlalchemy.orm import Session, sessionmaker

from workbench import audit
from workbench.domain import RATING_SCALE, DealType, ListingStatus, Ownership, PartyRole
from workbench.errors import WorkbenchError
from workbench.access import restricted_company_ids
from workbench.models import Company, DebtInstrument, Deal, DealParty, Price

C = Company.__table__.c

MAX_TEXT = 200
MAX_LIST = 500
MAX_CONDITIONS = 60
MAX_DEPTH = 5
# A price older than this before a window's date does not stand for the price on that date.
PRICE_STALE_DAYS = 14


class ScreenSpecError(WorkbenchError):
    """A screen spec that does not validate against the field registry."""


class FieldKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    NUMBER = "number"
    RATING = "rating"


class Op(StrEnum):
    EQ = "="
    NE = "!="
    IN = "in"
    NOT_IN = "not in"
    BETWEEN = "between"
    GT = ">"
    LT = "<"
    GE = ">="
    LE = "<="
    CONTAINS = "contains"
    IS_EMPTY = "is empty"
    NOT_EMPTY = "is not empty"


OPS_BY_KIND: dict[FieldKind, tuple[Op, ...]] = {
    FieldKind.TEXT: (Op.EQ, Op.NE, Op.IN, Op.NOT_IN, Op.CONTAINS, Op.IS_EMPTY, Op.NOT_EMPTY),
    FieldKind.CHOICE: (Op.EQ, Op.NE, Op.IN, Op.NOT_IN, Op.IS_EMPTY, Op.NOT_EMPTY),
    FieldKind.NUMBER: (Op.GE, Op.LE, Op.GT, Op.LT, Op.BETWEEN, Op.EQ, Op.NE, Op.IS_EMPTY, Op.NOT_EMPTY),
    FieldKind.RATING: (
        Op.GE, Op.LE, Op.GT, Op.LT, Op.BETWEEN, Op.EQ, Op.NE, Op.IN, Op.NOT_IN, Op.IS_EMPTY, Op.NOT_EMPTY,
    ),
}  # fmt: skip

OP_WORDS = {
    Op.EQ: "is",
    Op.NE: "is not",
    Op.IN: "is one of",
    Op.NOT_IN: "is none of",
    Op.BETWEEN: "is between",
    Op.GT: "is above",
    Op.LT: "is below",
    Op.GE: "is at least",
    Op.LE: "is at most",
    Op.CONTAINS: "contains",
    Op.IS_EMPTY: "is empty",
    Op.NOT_EMPTY: "is not empty",
}


@dataclass(frozen=True)
class FieldDef:
    """One screenable field. ``sql`` is set for fields that are company columns (pushdown)."""

    name: str
    label: str
    kind: FieldKind
    group: str
    unit: str = ""  # "$m", "x", "%", "days", "count" or ""
    description: str = ""
    sql: Callable[[], ColumnElement[Any]] | None = None
    choices: tuple[str, ...] = ()

    @property
    def ops(self) -> tuple[Op, ...]:
        return OPS_BY_KIND[self.kind]

    @property
    def pushable(self) -> bool:
        return self.sql is not None


def _col(name: str) -> Callable[[], ColumnElement[Any]]:
    return lambda: C[name]


def _net_debt_to_ebitda_sql() -> ColumnElement[Any]:
    return case((C.ebitda_usd_m > 0, C.net_debt_usd_m / C.ebitda_usd_m), else_=None)


def _text(name: str, label: str, description: str = "", group: str = "Company") -> FieldDef:
    return FieldDef(name, label, FieldKind.TEXT, group, description=description, sql=_col(name))


def _number(name: str, label: str, unit: str, description: str = "", group: str = "Financials") -> FieldDef:
    return FieldDef(name, label, FieldKind.NUMBER, group, unit, description, sql=_col(name))


def _feature(name: str, label: str, unit: str, description: str, group: str) -> FieldDef:
    return FieldDef(name, label, FieldKind.NUMBER, group, unit, description)


PRICE_WINDOWS = (30, 90, 180, 365)
MATURITY_WINDOWS = (12, 24, 36)
EQUITY_TYPES = tuple(t.value for t in DealType if t.is_equity)
DEBT_TYPES = tuple(t.value for t in DealType if t.is_debt)


def _build_registry() -> dict[str, FieldDef]:
    fields: list[FieldDef] = [
        _text("name", "Name"),
        _text("ticker", "Ticker"),
        _text("sector", "Sector"),
        _text("industry", "Industry"),
        _text("sub_industry", "Sub-industry"),
        _text("region", "Region"),
        _text("country", "Country"),
        _text("sponsor", "Sponsor", "Financial sponsor that owns the company, if any."),
        _text("description", "Business description"),
        FieldDef("listing_status", "Listing status", FieldKind.CHOICE, "Company", sql=_col("listing_status"),
                 choices=tuple(s.value for s in ListingStatus)),
        FieldDef("ownership", "Ownership", FieldKind.CHOICE, "Company", sql=_col("ownership"),
                 choices=tuple(o.value for o in Ownership)),
        FieldDef("rating", "Credit rating", FieldKind.RATING, "Credit", sql=_col("rating"),
                 description="Compared by credit quality: >= BBB- means BBB- or better."),
        _number("market_cap_usd_m", "Market cap", "$m"),
        _number("revenue_usd_m", "Revenue", "$m"),
        _number("ebitda_usd_m", "EBITDA", "$m"),
        _number("net_income_usd_m", "Net income", "$m"),
        _number("total_debt_usd_m", "Total debt", "$m", group="Credit"),
        _number("cash_usd_m", "Cash", "$m", group="Credit"),
        _number("net_debt_usd_m", "Net debt", "$m", group="Credit"),
        FieldDef("net_debt_to_ebitda", "Net debt / EBITDA", FieldKind.NUMBER, "Credit", "x",
                 "Net debt over EBITDA; empty when EBITDA is not positive.", sql=_net_debt_to_ebitda_sql),
        _number("revenue_growth_pct", "Revenue growth", "%"),
        _number("ebitda_margin_pct", "EBITDA margin", "%"),
        _number("pe_ratio", "P/E", "x"),
        _number("dividend_yield_pct", "Dividend yield", "%"),
        _number("employees", "Employees", "count", group="Company"),
        _number("founded_year", "Founded (year)", "", group="Company"),
        _feature("last_close", "Last close", "", "Last closing price on or before the as-of date.", "Market"),
        _feature("pct_of_52w_high", "Price as % of 52-week high", "%",
                 "Last close over the highest close of the 365 days to the as-of date.", "Market"),
    ]
    for days in PRICE_WINDOWS:
        fields.append(_feature(f"price_return_{days}d_pct", f"Price return {days}d", "%",
                               f"Change of the close over the {days} days to the as-of date.", "Market"))
    for months in MATURITY_WINDOWS:
        fields.append(_feature(f"debt_maturing_{months}m_usd_m", f"Debt maturing in {months}m", "$m",
                               f"Outstanding debt maturing within {months} months after the as-of date.",
                               "Credit"))
        fields.append(_feature(f"debt_maturing_{months}m_to_cash", f"Debt maturing in {months}m / cash", "x",
                               f"Debt maturing within {months} months over cash.", "Credit"))
        fields.append(_feature(f"debt_maturing_{months}m_to_ebitda", f"Debt maturing in {months}m / EBITDA",
                               "x", f"Debt maturing within {months} months over EBITDA (positive only).",
                               "Credit"))
    fields += [
        _feature("debt_outstanding_usd_m", "Debt outstanding (ladder)", "$m",
                 "Sum of tranches issued on/before and maturing after the as-of date.", "Credit"),
        _feature("avg_coupon_pct", "Average coupon", "%", "Amount-weighted coupon of outstanding debt.", "Credit"),
        _feature("comparable_coupon_pct", "Comparable new-issue coupon", "%",
                 "Average coupon of debt deals of the same rating band in the 12 months to the as-of date.",
                 "Credit"),
        _feature("coupon_gap_pp", "Coupon gap vs new issues", "pp",
                 "Average coupon minus the comparable new-issue coupon, in percentage points.", "Credit"),
        _feature("acquisitions_5y", "Acquisitions in 5 years", "count",
                 "M&A deals as acquirer announced in the 5 years to the as-of date.", "Deals"),
        _feature("days_since_last_equity_deal", "Days since last equity deal", "days",
                 "Since the last IPO, follow-on or convertible as issuer.", "Deals"),
        _feature("days_since_last_debt_deal", "Days since last debt deal", "days",
                 "Since the last bond or loan as issuer.", "Deals"),
        _feature("days_since_last_acquisition", "Days since last acquisition", "days",
                 "Since the last M&A deal as acquirer.", "Deals"),
        _feature("days_since_acquired", "Days since acquired", "days",
                 "Since the last M&A deal as target (for a sponsor-backed company: the buyout).", "Deals"),
    ]
    for deal_type in DealType:
        fields.append(_feature(f"days_since_last_{deal_type.value}", f"Days since last {deal_type.label}",
                               "days", f"Since the last {deal_type.label} deal in any principal role.", "Deals"))
    return {f.name: f for f in fields}


FIELDS: dict[str, FieldDef] = _build_registry()


def field_def(name: str) -> FieldDef:
    try:
        return FIELDS[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(FIELDS), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ScreenSpecError(f"unknown field {_quote(name)}{hint}") from None


# --------------------------------------------------------------------------------------
# The spec
# --------------------------------------------------------------------------------------

def _quote(text: str) -> str:
    """A user string made safe to echo in an error message: short, printable."""
    shown = "".join(ch if ch.isprintable() else "?" for ch in str(text)[:40])
    return repr(shown + ("..." if len(str(text)) > 40 else ""))


def check_text(value: str, what: str, max_len: int = MAX_TEXT) -> str:
    """Reject text no banker types: control or invisible format characters, or too long."""
    if len(value) > max_len:
        raise ValueError(f"{what} is too long ({len(value)} characters, at most {max_len})")
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            raise ValueError(f"{what} contains a control or invisible character (U+{ord(ch):04X})")
    if not value.strip():
        raise ValueError(f"{what} is empty")
    return value.strip()


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str = Field(max_length=80)
    op: Op
    # Typed by the field's kind in _value_fits, so errors name the field, not a union member.
    value: Any = None

    @field_validator("field", mode="before")
    @classmethod
    def _known_field(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("field must be a field name")
        if value not in FIELDS:
            name = check_text(value, "field name", 80)
            close = difflib.get_close_matches(name, list(FIELDS), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ValueError(f"unknown field {_quote(name)}{hint}")
        return value

    @model_validator(mode="after")
    def _value_fits(self) -> Condition:
        fd = FIELDS[self.field]
        if self.op not in fd.ops:
            allowed = ", ".join(o.value for o in fd.ops)
            raise ValueError(f"operator {self.op.value!r} does not apply to {fd.label} ({fd.kind.value}); use one of: {allowed}")
        object.__setattr__(self, "value", _check_value(fd, self.op, self.value))
        return self


def _check_scalar(fd: FieldDef, value: Any) -> str | int | float:
    if fd.kind is FieldKind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{fd.label} takes a number, not {_quote(str(value))}")
        if not np.isfinite(value):
            raise ValueError(f"{fd.label} takes a finite number")
        return value
    if not isinstance(value, str):
        raise ValueError(f"{fd.label} takes text, not {value!r}")
    text = check_text(value, f"value for {fd.label}")
    if fd.kind is FieldKind.RATING:
        rating = text.upper()
        if rating not in RATING_SCALE:
            raise ValueError(f"{_quote(text)} is not a rating on the scale {RATING_SCALE[0]}..{RATING_SCALE[-1]}")
        return rating
    if fd.kind is FieldKind.CHOICE:
        low = text.lower()
        if low not in fd.choices:
            raise ValueError(f"{_quote(text)} is not a {fd.label} value; use one of: {', '.join(fd.choices)}")
        return low
    return text


def _check_value(fd: FieldDef, op: Op, value: Any) -> Any:
    if op in (Op.IS_EMPTY, Op.NOT_EMPTY):
        if value not in (None, [], ""):
            raise ValueError(f"{op.value!r} takes no value")
        return None
    if op in (Op.IN, Op.NOT_IN):
        if not isinstance(value, list) or not value:
            raise ValueError(f"{op.value!r} takes a non-empty list of values")
        if len(value) > MAX_LIST:
            raise ValueError(f"{op.value!r} takes at most {MAX_LIST} values")
        return [_check_scalar(fd, v) for v in value]
    if op is Op.BETWEEN:
        if not isinstance(value, list) or len(value) != 2:
            raise ValueError("'between' takes a list of two values [low, high]")
        lo, hi = (_check_scalar(fd, v) for v in value)
        if fd.kind is FieldKind.NUMBER and lo > hi:  # type: ignore[operator]
            lo, hi = hi, lo
        return [lo, hi]
    if isinstance(value, list):
        raise ValueError(f"{op.value!r} takes one value, not a list")
    if value is None:
        raise ValueError(f"{op.value!r} needs a value")
    return _check_scalar(fd, value)


def _node_kind(node: Any) -> str:
    if isinstance(node, dict):
        return "group" if "conditions" in node or "combine" in node else "condition"
    return "group" if isinstance(node, Group) else "condition"


class Group(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    combine: Literal["and", "or"] = "and"
    conditions: list[Annotated[Annotated[Condition, Tag("condition")] | Annotated[Group, Tag("group")],
                               Discriminator(_node_kind)]] = Field(default_factory=list)  # fmt: skip


class ScoreName(StrEnum):
    ECM = "ecm"
    DCM = "dcm"
    MA_SELL = "ma_sell"
    MA_BUY = "ma_buy"


class ScoreSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ScoreName
    weights: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_factors(self) -> ScoreSpec:
        from services.propensity import SCORES

        factors = SCORES[self.name].factor_names
        for key, weight in self.weights.items():
            if key not in factors:
                raise ValueError(
                    f"unknown factor {_quote(key)} for score {self.name.value}; factors: {', '.join(factors)}"
                )
            if isinstance(weight, bool) or not np.isfinite(weight) or not 0 <= weight <= 100:
                raise ValueError(f"weight of {key} must be a number from 0 to 100")
        merged = {**SCORES[self.name].default_weights, **self.weights}
        if sum(merged.values()) <= 0:
            raise ValueError("at least one factor weight must be above zero")
        return self


class ScreenSpec(BaseModel):
    """A serialisable screen: filters, as-of date, score and weights, how many to keep."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    name: str = "Untitled screen"
    description: str = ""
    as_of: dt.date | None = None
    filters: Group = Field(default_factory=Group)
    score: ScoreSpec | None = None
    top_n: int = Field(default=100, ge=1, le=10_000)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_text(value, "screen name")

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        return check_text(value, "description", 2000) if value else ""

    @model_validator(mode="after")
    def _size(self) -> ScreenSpec:
        count, depth = _measure(self.filters)
        if count > MAX_CONDITIONS:
            raise ValueError(f"a screen takes at most {MAX_CONDITIONS} conditions ({count} given)")
        if depth > MAX_DEPTH:
            raise ValueError(f"groups nest at most {MAX_DEPTH} deep")
        return self

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, exclude_none=True)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json", exclude_none=True), sort_keys=False)

    def conditions(self) -> list[Condition]:
        return list(_walk(self.filters))


def _measure(group: Group, depth: int = 1) -> tuple[int, int]:
    count, deepest = 0, depth
    for child in group.conditions:
        if isinstance(child, Group):
            c, d = _measure(child, depth + 1)
            count, deepest = count + c, max(deepest, d)
        else:
            count += 1
    return count, deepest


def _walk(group: Group) -> Iterable[Condition]:
    for child in group.conditions:
        if isinstance(child, Group):
            yield from _walk(child)
        else:
            yield child


def _format_errors(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors()[:8]:
        where = ".".join(str(p) for p in error["loc"] if str(p) not in ("condition", "group"))
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{where or 'spec'}: {message}")
    return "invalid screen spec: " + "; ".join(lines)


def parse_spec(data: dict[str, Any] | str | bytes) -> ScreenSpec:
    """Validate a spec from a dict or JSON/YAML text; raise ScreenSpecError with a clear message."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ScreenSpecError("the spec file is not UTF-8 text") from exc
    if isinstance(data, str):
        if len(data) > 1_000_000:
            raise ScreenSpecError("the spec is too large (over 1 MB)")
        try:
            data = json.loads(data) if data.lstrip().startswith("{") else yaml.safe_load(data)
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            raise ScreenSpecError(f"the spec is neither valid JSON nor YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ScreenSpecError("a screen spec is a mapping with keys such as name, filters, score")
    try:
        return ScreenSpec.model_validate(data)
    except ScreenSpecError:
        raise
    except ValidationError as exc:
        raise ScreenSpecError(_format_errors(exc)) from None


EXAMPLE_SPEC: dict[str, Any] = {
    "name": "Refinancing candidates: leveraged industrials",
    "as_of": "2026-11-20",
    "filters": {
        "combine": "and",
        "conditions": [
            {"field": "sector", "op": "in", "value": ["Industrials", "Materials"]},
            {"field": "market_cap_usd_m", "op": ">=", "value": 500},
            {"field": "net_debt_to_ebitda", "op": "between", "value": [2.5, 6]},
            {
                "combine": "or",
                "conditions": [
                    {"field": "rating", "op": "<=", "value": "BB+"},
                    {"field": "debt_maturing_24m_to_cash", "op": ">", "value": 1},
                ],
            },
        ],
    },
    "score": {"name": "dcm", "weights": {"maturity_wall_cash": 3, "coupon_gap": 1}},
    "top_n": 50,
}


# --------------------------------------------------------------------------------------
# Criteria in words
# --------------------------------------------------------------------------------------


def _format_value(fd: FieldDef, value: Any) -> str:
    if isinstance(value, list):
        sep = " and " if len(value) == 2 and all(isinstance(v, (int, float)) for v in value) else ", "
        return sep.join(_format_value(fd, v) for v in value)
    if isinstance(value, (int, float)):
        text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        if fd.unit == "$m":
            return f"${text}m"
        if fd.unit in ("x", "%"):
            return f"{text}{fd.unit}"
        if fd.unit in ("days", "pp"):
            return f"{text} {fd.unit}"
        return text
    return str(value)


def describe_condition(cond: Condition) -> str:
    fd = FIELDS[cond.field]
    if cond.op in (Op.IS_EMPTY, Op.NOT_EMPTY):
        return f"{fd.label} {OP_WORDS[cond.op]}"
    return f"{fd.label} {OP_WORDS[cond.op]} {_format_value(fd, cond.value)}"


def describe_group(group: Group, top: bool = True) -> str:
    parts = [describe_group(c, False) if isinstance(c, Group) else describe_condition(c) for c in group.conditions]
    if not parts:
        return "all companies" if top else "(any)"
    text = f" {group.combine.upper()} ".join(parts)
    return text if top or len(parts) == 1 else f"({text})"


def describe_spec(spec: ScreenSpec) -> list[str]:
    """The criteria as sentences a banker can read on a cover page."""
    lines = [f"Companies where {describe_group(spec.filters)}"]
    if spec.score is not None:
        from services.propensity import SCORES, effective_weights

        score = SCORES[spec.score.name]
        weights = effective_weights(score, spec.score.weights)
        shown = ", ".join(f"{score.factor(k).label} {w:g}" for k, w in weights.items())
        lines.append(f"Ranked by {score.label} score (weights: {shown})")
    else:
        lines.append("Ranked by market cap, largest first")
    lines.append(f"Top {spec.top_n}")
    return lines


# --------------------------------------------------------------------------------------
# SQL pushdown (bound parameters only)
# --------------------------------------------------------------------------------------


def _ratings_matching(op: Op, value: Any) -> list[str]:
    notches = np.arange(len(RATING_SCALE))
    mask = _rating_mask(notches.astype(float), op, value)
    return [RATING_SCALE[i] for i in notches[mask]]


def condition_sql(cond: Condition) -> ColumnElement[bool]:
    fd = FIELDS[cond.field]
    assert fd.sql is not None
    col = fd.sql()
    op, value = cond.op, cond.value
    if fd.kind is FieldKind.NUMBER:
        present = col.is_not(None)
        if op is Op.IS_EMPTY:
            return col.is_(None)
        if op is Op.NOT_EMPTY:
            return present
        if op is Op.BETWEEN:
            return and_(present, col.between(value[0], value[1]))
        compare = {Op.EQ: col == value, Op.NE: col != value, Op.GT: col > value, Op.LT: col < value,
                   Op.GE: col >= value, Op.LE: col <= value}[op]  # fmt: skip
        return and_(present, compare)
    empty = or_(col.is_(None), func.trim(col) == "")
    if op is Op.IS_EMPTY:
        return empty
    if op is Op.NOT_EMPTY:
        return not_(empty)
    if fd.kind is FieldKind.RATING:
        normal = func.upper(func.trim(col))
        if op in (Op.EQ, Op.NE, Op.IN, Op.NOT_IN):
            wanted = value if isinstance(value, list) else [value]
            inside = normal.in_(wanted)
            return and_(not_(empty), inside if op in (Op.EQ, Op.IN) else not_(inside))
        return normal.in_(_ratings_matching(op, value)) if _ratings_matching(op, value) else false()
    low = func.lower(col)
    if op is Op.CONTAINS:
        return and_(not_(empty), low.contains(str(value).lower(), autoescape=True))
    wanted = [str(v).lower() for v in (value if isinstance(value, list) else [value])]
    inside = low.in_(wanted)
    return and_(not_(empty), inside if op in (Op.EQ, Op.IN) else not_(inside))


def _pushable(node: Condition | Group) -> bool:
    if isinstance(node, Condition):
        return FIELDS[node.field].pushable
    return all(_pushable(c) for c in node.conditions)


def group_sql(group: Group) -> ColumnElement[bool]:
    parts = [group_sql(c) if isinstance(c, Group) else condition_sql(c) for c in group.conditions]
    if not parts:
        return true()
    return and_(*parts) if group.combine == "and" else or_(*parts)


def split_pushdown(group: Group) -> tuple[ColumnElement[bool] | None, Group]:
    """The part of the filter SQL can evaluate on companies, and the rest for the frame."""
    if not group.conditions:
        return None, group
    if group.combine == "or":
        return (group_sql(group), Group()) if _pushable(group) else (None, group)
    pushed = [c for c in group.conditions if _pushable(c)]
    rest = [c for c in group.conditions if not _pushable(c)]
    where = group_sql(Group(combine="and", conditions=pushed)) if pushed else None
    return where, Group(combine="and", conditions=rest)


# --------------------------------------------------------------------------------------
# The feature frame
# --------------------------------------------------------------------------------------

TEXT_COLUMNS = ("key", "name", "ticker", "sector", "industry", "sub_industry", "region", "country",
                "listing_status", "ownership", "sponsor", "rating", "description")  # fmt: skip
NUMBER_COLUMNS = ("market_cap_usd_m", "revenue_usd_m", "ebitda_usd_m", "net_income_usd_m",
                  "total_debt_usd_m", "cash_usd_m", "net_debt_usd_m", "revenue_growth_pct",
                  "ebitda_margin_pct", "pe_ratio", "dividend_yield_pct", "employees", "founded_year")  # fmt: skip
# Free text is not loaded into the cached frame unless a screen filters on it.
LAZY_TEXT = ("description",)


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _days(values: Sequence[Any]) -> np.ndarray:
    """Dates (date objects or ISO strings, None allowed) as float day numbers, NaN for None."""
    arr = np.array([np.datetime64(v, "D") if v is not None else np.datetime64("NaT") for v in values],
                   dtype="datetime64[D]")  # fmt: skip
    out = arr.astype("int64").astype(float)
    out[np.isnat(arr)] = np.nan
    return out


def _day(d: dt.date) -> int:
    return int(np.datetime64(d, "D").astype("int64"))


@dataclass
class FeatureFrame:
    """One row per company (ordered by key) with columns and features as of a date."""

    as_of: dt.date
    ids: np.ndarray
    numbers: dict[str, np.ndarray]
    texts: dict[str, pd.Categorical]
    market: dict[str, Any] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)
    build_ms: float = 0.0

    def __len__(self) -> int:
        return len(self.ids)

    def num(self, name: str) -> np.ndarray:
        return self.numbers[name]

    def text_match(self, name: str, wanted: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """Rows whose text value satisfies ``wanted`` (applied once per distinct value)."""
        cat = self.texts[name]
        cats = np.asarray(cat.categories, dtype=object)
        hit = np.flatnonzero(wanted(cats)) if len(cats) else np.array([], dtype=int)
        codes = np.asarray(cat.codes)
        if len(hit) == 0:
            return np.zeros(len(codes), dtype=bool)
        lookup = np.zeros(len(cats) + 1, dtype=bool)
        lookup[hit] = True
        return lookup[codes]  # code -1 (empty) indexes the trailing False

    def is_empty(self, name: str) -> np.ndarray:
        return np.asarray(self.texts[name].codes) == -1

    def text_values(self, name: str, idx: np.ndarray) -> np.ndarray:
        cat = self.texts[name]
        cats = np.append(np.asarray(cat.categories, dtype=object), None)
        return cats[np.asarray(cat.codes)[idx]]


def _load_companies(session: Session, where: ColumnElement[bool] | None, texts: Sequence[str]) -> tuple[np.ndarray, dict, dict]:
    cols = [C.id, *(C[n] for n in texts), *(C[n] for n in NUMBER_COLUMNS)]
    stmt = select(*cols).order_by(C.key)
    if where is not None:
        stmt = stmt.where(where)
    rows = session.execute(stmt).all()
    columns = list(zip(*rows)) if rows else [()] * len(cols)
    ids = np.asarray(columns[0], dtype=np.int64)
    text_cols: dict[str, pd.Categorical] = {}
    for i, name in enumerate(texts, start=1):
        values = [v.strip() if isinstance(v, str) and v.strip() else None for v in columns[i]]
        text_cols[name] = pd.Categorical(values)
    numbers: dict[str, np.ndarray] = {}
    for j, name in enumerate(NUMBER_COLUMNS, start=1 + len(texts)):
        numbers[name] = np.asarray(columns[j], dtype=float) if rows else np.array([], dtype=float)
    return ids, text_cols, numbers


def _company_filter(subject: Any, where: ColumnElement[bool] | None) -> ColumnElement[bool]:
    if where is None:
        return true()
    return subject.in_(select(C.id).where(where))


def _positions(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    return pd.Index(ids).get_indexer(wanted)


def _load_debt(session: Session, frame: FeatureFrame, where: ColumnElement[bool] | None) -> None:
    n, as_of = len(frame), frame.as_of
    d = DebtInstrument.__table__.c
    outstanding = and_(or_(d.issue_date.is_(None), d.issue_date <= as_of), d.maturity_date > as_of)
    windows = [func.sum(case((and_(outstanding, d.maturity_date <= add_months(as_of, m)), d.amount_usd_m), else_=0.0))
               for m in MATURITY_WINDOWS]  # fmt: skip
    stmt = (
        select(
            d.company_id,
            func.sum(case((outstanding, d.amount_usd_m), else_=0.0)),
            func.sum(case((and_(outstanding, d.coupon_pct.is_not(None)), d.amount_usd_m * d.coupon_pct), else_=0.0)),
            func.sum(case((and_(outstanding, d.coupon_pct.is_not(None)), d.amount_usd_m), else_=0.0)),
            *windows,
        )
        .where(_company_filter(d.company_id, where))
        .group_by(d.company_id)
    )
    rows = session.execute(stmt).all()
    frame.row_counts["debt_companies"] = len(rows)
    agg = np.asarray([tuple(float(x or 0.0) for x in r[1:]) for r in rows], dtype=float).reshape(len(rows), 3 + len(MATURITY_WINDOWS))
    pos = _positions(frame.ids, np.asarray([r[0] for r in rows], dtype=np.int64))
    ok = pos >= 0
    pos, agg = pos[ok], agg[ok]

    def spread(values: np.ndarray, default: float = 0.0) -> np.ndarray:
        out = np.full(n, default)
        out[pos] = values
        return out

    frame.numbers["debt_outstanding_usd_m"] = spread(agg[:, 0])
    with np.errstate(divide="ignore", invalid="ignore"):
        coupon = np.where(agg[:, 2] > 0, agg[:, 1] / agg[:, 2], np.nan)
    frame.numbers["avg_coupon_pct"] = spread(coupon, np.nan)
    cash, ebitda = frame.num("cash_usd_m"), frame.num("ebitda_usd_m")
    for k, months in enumerate(MATURITY_WINDOWS):
        maturing = spread(agg[:, 3 + k])
        frame.numbers[f"debt_maturing_{months}m_usd_m"] = maturing
        with np.errstate(divide="ignore", invalid="ignore"):
            frame.numbers[f"debt_maturing_{months}m_to_cash"] = np.where(cash > 0, maturing / cash, np.nan)
            frame.numbers[f"debt_maturing_{months}m_to_ebitda"] = np.where(ebitda > 0, maturing / ebitda, np.nan)


def _rating_band(notch: np.ndarray) -> np.ndarray:
    """0 investment grade, 1 high yield; an unrated borrower prices as high yield."""
    return np.where(notch <= 9, 0, 1)


def _load_market(session: Session, frame: FeatureFrame) -> None:
    """Comparable new-issue coupons by rating band, from debt deals of the last 12 months."""
    dl = Deal.__table__.c
    stmt = (
        select(dl.rating, func.sum(dl.coupon_pct), func.count())
        .where(dl.deal_type.in_(DEBT_TYPES), dl.coupon_pct.is_not(None),
               dl.announced_date > frame.as_of - dt.timedelta(days=365), dl.announced_date <= frame.as_of,
               or_(dl.status.is_(None), dl.status != "withdrawn"), dl.team_id.is_(None))
        .group_by(dl.rating)
    )  # fmt: skip
    sums, counts = np.zeros(2), np.zeros(2)
    for rating, total, count in session.execute(stmt).all():
        notch = RATING_SCALE.index(rating.strip().upper()) if rating and rating.strip().upper() in RATING_SCALE else 99
        band = int(_rating_band(np.array([notch]))[0])
        sums[band] += float(total)
        counts[band] += int(count)
    with np.errstate(divide="ignore", invalid="ignore"):
        by_band = np.where(counts > 0, sums / counts, np.nan)
        overall = sums.sum() / counts.sum() if counts.sum() else np.nan
    by_band = np.where(np.isnan(by_band), overall, by_band)
    frame.market = {"comparable_coupon_ig_pct": float(by_band[0]), "comparable_coupon_hy_pct": float(by_band[1]),
                    "comparable_issue_count": int(counts.sum())}  # fmt: skip
    band = _rating_band(frame.num("rating_notch"))
    comparable = by_band[band]
    frame.numbers["comparable_coupon_pct"] = comparable
    frame.numbers["coupon_gap_pp"] = frame.num("avg_coupon_pct") - comparable


def _load_deals(session: Session, frame: FeatureFrame, where: ColumnElement[bool] | None) -> None:
    # Public deals only, for every viewer: a private-side mandate must not move anyone's
    # ranking (its own team's screens are saved, compared and exported to others too), and
    # one frame then serves every user from the shared feature cache.
    n, as_of = len(frame), frame.as_of
    dl, dp = Deal.__table__.c, DealParty.__table__.c
    principal = (PartyRole.ISSUER.value, PartyRole.TARGET.value, PartyRole.ACQUIRER.value, PartyRole.SELLER.value)
    five_years = add_months(as_of, -60)
    stmt = (
        select(dp.company_id, dl.deal_type, dp.role, func.max(dl.announced_date),
               func.sum(case((dl.announced_date > five_years, 1), else_=0)))
        .select_from(DealParty.__table__.join(Deal.__table__, dl.id == dp.deal_id))
        .where(dp.company_id.is_not(None), dp.role.in_(principal), dl.announced_date <= as_of,
               or_(dl.status.is_(None), dl.status != "withdrawn"), dl.team_id.is_(None),
               _company_filter(dp.company_id, where))
        .group_by(dp.company_id, dl.deal_type, dp.role)
    )  # fmt: skip
    rows = session.execute(stmt).all()
    frame.row_counts["deal_party_groups"] = len(rows)
    today = _day(as_of)
    cid = np.asarray([r[0] for r in rows], dtype=np.int64)
    dtype_ = np.asarray([r[1] for r in rows], dtype=object)
    role = np.asarray([r[2] for r in rows], dtype=object)
    days = today - _days([r[3] for r in rows]) if rows else np.array([], dtype=float)
    recent = np.asarray([float(r[4] or 0) for r in rows], dtype=float)
    pos = _positions(frame.ids, cid)
    ok = pos >= 0

    def min_days(mask: np.ndarray) -> np.ndarray:
        out = np.full(n, np.inf)
        sel = mask & ok
        np.minimum.at(out, pos[sel], days[sel])
        out[np.isinf(out)] = np.nan
        return out

    for deal_type in DealType:
        frame.numbers[f"days_since_last_{deal_type.value}"] = min_days(dtype_ == deal_type.value)
    frame.numbers["days_since_last_equity_deal"] = min_days(np.isin(dtype_, EQUITY_TYPES) & (role == "issuer"))
    frame.numbers["days_since_last_debt_deal"] = min_days(np.isin(dtype_, DEBT_TYPES) & (role == "issuer"))
    frame.numbers["days_since_last_acquisition"] = min_days((dtype_ == "ma") & (role == "acquirer"))
    frame.numbers["days_since_acquired"] = min_days((dtype_ == "ma") & (role == "target"))
    acquisitions = np.zeros(n)
    sel = ok & (dtype_ == "ma") & (role == "acquirer")
    np.add.at(acquisitions, pos[sel], recent[sel])
    frame.numbers["acquisitions_5y"] = acquisitions


def _load_prices(session: Session, frame: FeatureFrame, where: ColumnElement[bool] | None) -> None:
    as_of = frame.as_of
    p = Price.__table__.c
    company_ok = _company_filter(p.company_id, where)

    # Per window date, the last close of the PRICE_STALE_DAYS before it, found in SQL (group
    # by + join back), so only one row per company and window crosses the wire, and the
    # 52-week high is aggregated in SQL too.
    def close_on(target: dt.date) -> np.ndarray:
        last = (
            select(p.company_id.label("cid"), func.max(p.date).label("day"))
            .where(p.date > target - dt.timedelta(days=PRICE_STALE_DAYS), p.date <= target, company_ok)
            .group_by(p.company_id)
            .subquery()
        )
        rows = session.execute(
            select(p.company_id, p.close).join(last, and_(p.company_id == last.c.cid, p.date == last.c.day))
        ).all()
        frame.row_counts["price_rows_read"] = frame.row_counts.get("price_rows_read", 0) + len(rows)
        return _spread(frame, rows)

    last_close = close_on(as_of)
    last_close[~(last_close > 0)] = np.nan
    frame.numbers["last_close"] = last_close
    for w in PRICE_WINDOWS:
        with np.errstate(divide="ignore", invalid="ignore"):
            before = close_on(as_of - dt.timedelta(days=w))
            frame.numbers[f"price_return_{w}d_pct"] = np.where(before > 0, (last_close / before - 1.0) * 100.0, np.nan)
    # coalesce() hides the date index: a year is most of the table, and walking the date
    # index to reach every row is 3x slower on SQLite than reading in company order.
    year_day = func.coalesce(p.date, p.date)
    highs = session.execute(
        select(p.company_id, func.max(p.close))
        .where(year_day > as_of - dt.timedelta(days=365), year_day <= as_of, company_ok)
        .group_by(p.company_id)
    ).all()
    high = _spread(frame, highs)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame.numbers["pct_of_52w_high"] = np.where(high > 0, last_close / high * 100.0, np.nan)


def _spread(frame: FeatureFrame, rows: Sequence[Any]) -> np.ndarray:
    """(company_id, value) rows as one value per frame row, NaN where absent."""
    out = np.full(len(frame), np.nan)
    if rows:
        pos = _positions(frame.ids, np.asarray([r[0] for r in rows], dtype=np.int64))
        values = np.asarray([r[1] for r in rows], dtype=float)
        out[pos[pos >= 0]] = values[pos >= 0]
    return out


def _notches(cat: pd.Categorical) -> np.ndarray:
    cats = [str(c).strip().upper() for c in cat.categories]
    table = np.array([float(RATING_SCALE.index(c)) if c in RATING_SCALE else np.nan for c in cats] + [np.nan])
    return table[np.asarray(cat.codes)]


def build_feature_frame(
    session: Session, as_of: dt.date, *, where: ColumnElement[bool] | None = None, extra_text: Sequence[str] = ()
) -> FeatureFrame:
    """Every company matching ``where`` (all when None) with its features as of the date."""
    started = time.perf_counter()
    texts = [t for t in TEXT_COLUMNS if t not in LAZY_TEXT or t in extra_text]
    ids, text_cols, numbers = _load_companies(session, where, texts)
    frame = FeatureFrame(as_of=as_of, ids=ids, numbers=numbers, texts=text_cols)
    frame.row_counts["companies"] = len(ids)
    ebitda = numbers["ebitda_usd_m"]
    with np.errstate(divide="ignore", invalid="ignore"):
        numbers["net_debt_to_ebitda"] = np.where(ebitda > 0, numbers["net_debt_usd_m"] / ebitda, np.nan)
    numbers["rating_notch"] = _notches(text_cols["rating"])
    _load_debt(session, frame, where)
    _load_market(session, frame)
    _load_deals(session, frame, where)
    _load_prices(session, frame, where)
    # Key order makes row position the deterministic tie-breaker.
    frame.build_ms = (time.perf_counter() - started) * 1000
    return frame


# --------------------------------------------------------------------------------------
# Vectorised evaluation on the frame
# --------------------------------------------------------------------------------------


def _rating_mask(notch: np.ndarray, op: Op, value: Any) -> np.ndarray:
    """Better credit is 'greater': a lower notch number."""
    valid = ~np.isnan(notch)
    if op in (Op.EQ, Op.NE, Op.IN, Op.NOT_IN):
        wanted = [RATING_SCALE.index(v) for v in (value if isinstance(value, list) else [value])]
        inside = np.isin(notch, wanted)
        return valid & (inside if op in (Op.EQ, Op.IN) else ~inside)
    if op is Op.BETWEEN:
        a, b = sorted(RATING_SCALE.index(v) for v in value)
        return valid & (notch >= a) & (notch <= b)
    v = RATING_SCALE.index(value)
    return valid & {Op.GT: notch < v, Op.LT: notch > v, Op.GE: notch <= v, Op.LE: notch >= v}[op]


def condition_mask(frame: FeatureFrame, cond: Condition) -> np.ndarray:
    fd = FIELDS[cond.field]
    op, value = cond.op, cond.value
    if fd.kind is FieldKind.NUMBER:
        arr = frame.num(fd.name)
        valid = ~np.isnan(arr)
        if op is Op.IS_EMPTY:
            return ~valid
        if op is Op.NOT_EMPTY:
            return valid
        with np.errstate(invalid="ignore"):
            if op is Op.BETWEEN:
                return valid & (arr >= value[0]) & (arr <= value[1])
            return valid & {Op.EQ: arr == value, Op.NE: arr != value, Op.GT: arr > value,
                            Op.LT: arr < value, Op.GE: arr >= value, Op.LE: arr <= value}[op]  # fmt: skip
    if op is Op.IS_EMPTY:
        return frame.is_empty(fd.name)
    if op is Op.NOT_EMPTY:
        return ~frame.is_empty(fd.name)
    if fd.kind is FieldKind.RATING and op not in (Op.EQ, Op.NE, Op.IN, Op.NOT_IN):
        # An unknown rating string is not empty but fails every notch comparison, as in SQL.
        return _rating_mask(frame.num("rating_notch"), op, value)
    if op is Op.CONTAINS:
        needle = str(value).lower()
        return frame.text_match(fd.name, lambda cats: np.array([needle in str(c).lower() for c in cats], dtype=bool))
    wanted = {str(v).lower() for v in (value if isinstance(value, list) else [value])}
    inside = frame.text_match(fd.name, lambda cats: np.array([str(c).lower() in wanted for c in cats], dtype=bool))
    return inside if op in (Op.EQ, Op.IN) else ~inside & ~frame.is_empty(fd.name)


def group_mask(frame: FeatureFrame, group: Group) -> np.ndarray:
    if not group.conditions:
        return np.ones(len(frame), dtype=bool)
    masks = (group_mask(frame, c) if isinstance(c, Group) else condition_mask(frame, c) for c in group.conditions)
    out = next(masks).copy()
    for m in masks:
        if group.combine == "and":
            out &= m
        else:
            out |= m
    return out


# --------------------------------------------------------------------------------------
# Cache and fingerprint
# --------------------------------------------------------------------------------------


def store_fingerprint(session: Session) -> tuple[Any, ...]:
    """Cheap summary that changes whenever screenable data changes (one round trip)."""
    d, dl, dp, p = DebtInstrument.__table__.c, Deal.__table__.c, DealParty.__table__.c, Price.__table__.c
    stmt = select(
        select(func.count()).select_from(Company.__table__).scalar_subquery(),
        select(func.max(C.id)).scalar_subquery(),
        select(func.max(C.updated_at)).scalar_subquery(),
        select(func.count()).select_from(DebtInstrument.__table__).scalar_subquery(),
        select(func.max(d.id)).scalar_subquery(),
        select(func.count()).select_from(Deal.__table__).scalar_subquery(),
        select(func.max(dl.updated_at)).scalar_subquery(),
        select(func.count(dl.team_id)).scalar_subquery(),  # deals made private-side leave the features
        select(func.count()).select_from(DealParty.__table__).scalar_subquery(),
        select(func.max(dp.id)).scalar_subquery(),
        select(func.count()).select_from(Price.__table__).scalar_subquery(),
        select(func.max(p.date)).scalar_subquery(),
    )
    return tuple(str(v) for v in session.execute(stmt).one())


class FeatureCache:
    """In-process LRU of full-universe feature frames, keyed by (url, fingerprint, as_of).

    The app keeps one per process (workbench/ui.py); the CLI and tests make their own.
    """

    def __init__(self, max_frames: int = 3) -> None:
        self.max_frames = max_frames
        self._frames: OrderedDict[tuple[Any, ...], FeatureFrame] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[Any, ...]) -> FeatureFrame | None:
        with self._lock:
            frame = self._frames.get(key)
            if frame is not None:
                self._frames.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
            return frame

    def put(self, key: tuple[Any, ...], frame: FeatureFrame) -> None:
        with self._lock:
            self._frames[key] = frame
            self._frames.move_to_end(key)
            while len(self._frames) > self.max_frames:
                self._frames.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()


# --------------------------------------------------------------------------------------
# Running a screen
# --------------------------------------------------------------------------------------

ROW_COLUMNS = ("key", "name", "ticker", "sector", "industry", "region", "country", "listing_status",
               "ownership", "rating", "market_cap_usd_m", "revenue_usd_m", "ebitda_usd_m",
               "ebitda_margin_pct", "revenue_growth_pct", "net_debt_to_ebitda")  # fmt: skip


@dataclass(frozen=True)
class ScreenResult:
    """A ranked screen: one row per company kept, plus each row's factor contributions."""

    spec: ScreenSpec
    as_of: dt.date
    rows: pd.DataFrame  # rank, company_id, ROW_COLUMNS, filter fields, score
    factors: pd.DataFrame  # rank, company_id, key, factor, label, value, normalised, weight, contribution
    matched: int
    universe: int
    criteria: list[str]
    provenance: dict[str, Any]
    timings_ms: dict[str, float]

    @property
    def score_name(self) -> str | None:
        return self.spec.score.name.value if self.spec.score else None

    def to_records(self) -> list[dict[str, Any]]:
        """Ranked rows with their factor contributions, ready for JSON."""
        by_company: dict[int, list[dict[str, Any]]] = {}
        for rec in self.factors.to_dict("records"):
            by_company.setdefault(int(rec["company_id"]), []).append(
                {k: _plain(rec[k]) for k in ("factor", "label", "value", "normalised", "weight", "contribution")}
            )
        out = []
        for rec in self.rows.to_dict("records"):
            row = {k: _plain(v) for k, v in rec.items()}
            row["factors"] = by_company.get(int(rec["company_id"]), [])
            out.append(row)
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else round(float(value), 6)
    if isinstance(value, np.integer):
        return int(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def top_n_indices(score: np.ndarray, tiebreak: np.ndarray, n: int) -> np.ndarray:
    """Positions of the n best scores, best first; equal scores ordered by ``tiebreak`` ascending.

    argpartition finds the n-th best in linear time; everything tied with it is kept so the
    tie-break decides, not the partition's arbitrary order.
    """
    if len(score) == 0:
        return np.array([], dtype=np.int64)
    s = np.where(np.isnan(score), -np.inf, score)
    if len(s) > n:
        kth = np.argpartition(-s, n - 1)[n - 1]
        candidates = np.flatnonzero(s >= s[kth])
    else:
        candidates = np.arange(len(s))
    order = np.lexsort((tiebreak[candidates], -s[candidates]))
    return candidates[order][:n]


def _backend(session: Session) -> str:
    return session.get_bind().dialect.name


def run_screen(
    spec: ScreenSpec,
    *,
    session_factory: sessionmaker[Session],
    as_of: dt.date | None = None,
    top_n: int | None = None,
    user: str = "local",
    cache: FeatureCache | None = None,
    cache_key: str | None = None,
    record_audit: bool = True,
) -> ScreenResult:
    """Filter, score and rank the universe as of a date (default: the spec's, else today).

    With ``cache`` (and ``cache_key``, usually the database URL) the full feature frame is
    reused while the store's fingerprint and the date are unchanged.
    """
    from services.propensity import SCORES, effective_weights, score_rows

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    as_of = as_of or spec.as_of or dt.date.today()
    keep = top_n or spec.top_n
    if not 1 <= keep <= 10_000:
        raise ScreenSpecError("top N must be between 1 and 10,000")
    extra_text = tuple({c.field for c in spec.conditions() if c.field in LAZY_TEXT})
    with session_factory.begin() as session:
        backend = _backend(session)
        cache_hit = False
        if cache is not None:
            t = time.perf_counter()
            fingerprint = store_fingerprint(session)
            timings["fingerprint"] = (time.perf_counter() - t) * 1000
            key = (cache_key or str(session.get_bind().url), fingerprint, as_of, extra_text)
            frame = cache.get(key)
            cache_hit = frame is not None
            if frame is None:
                frame = build_feature_frame(session, as_of, extra_text=extra_text)
                cache.put(key, frame)
            rest = spec.filters
            universe = len(frame)
        else:
            where, rest = split_pushdown(spec.filters)
            frame = build_feature_frame(session, as_of, where=where, extra_text=extra_text)
            universe = int(session.scalar(select(func.count()).select_from(Company.__table__)) or 0)
        timings["load"] = (time.perf_counter() - t0) * 1000

        t = time.perf_counter()
        mask = group_mask(frame, rest)
        idx = np.flatnonzero(mask)
        timings["filter"] = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        if spec.score is not None:
            score_def = SCORES[spec.score.name]
            weights = effective_weights(score_def, spec.score.weights)
            breakdown = score_rows(score_def, frame, idx, weights)
            order = top_n_indices(breakdown.total, idx, keep)
            total = breakdown.total
        else:
            score_def, weights, breakdown = None, {}, None
            cap = frame.num("market_cap_usd_m")[idx]
            order = top_n_indices(cap, idx, keep)
            total = np.full(len(idx), np.nan)
        chosen = idx[order]
        timings["score_rank"] = (time.perf_counter() - t) * 1000

        rows = _result_rows(frame, spec, chosen, total[order])
        # The restricted list is read on every run (not cached with the frame): it changes by the hour.
        rows.insert(2, "restricted", rows["company_id"].isin(restricted_company_ids(session)).to_numpy(dtype=bool))
        factors = _factor_rows(frame, score_def, breakdown, order, chosen, weights)
        criteria = describe_spec(spec)
        provenance = {
            "data_as_of": as_of.isoformat(),
            "database_backend": backend,
            "companies_in_store": universe,
            "companies_matched": int(len(idx)),
            "rows_returned": int(len(chosen)),
            "score": score_def.name if score_def else "none (market cap)",
            "weights": weights,
            "top_n": keep,
            "feature_cache": "hit" if cache_hit else ("miss" if cache is not None else "not used"),
            **{f"rows_loaded_{k}": v for k, v in frame.row_counts.items()},
            **frame.market,
        }
        timings["total"] = (time.perf_counter() - t0) * 1000
        if record_audit:
            audit.record(session, user=user, action="screen_run", object_type="screen", object_ref=spec.name[:400],
                         row_count=int(len(chosen)),
                         details={"as_of": as_of.isoformat(), "matched": int(len(idx)), "score": provenance["score"],
                                  "spec": spec.model_dump(mode="json", exclude_none=True)})  # fmt: skip
    return ScreenResult(spec=spec, as_of=as_of, rows=rows, factors=factors, matched=int(len(idx)),
                        universe=universe, criteria=criteria, provenance=provenance, timings_ms=timings)  # fmt: skip


def _result_rows(frame: FeatureFrame, spec: ScreenSpec, chosen: np.ndarray, scores: np.ndarray) -> pd.DataFrame:
    data: dict[str, Any] = {"rank": np.arange(1, len(chosen) + 1), "company_id": frame.ids[chosen]}
    for name in ROW_COLUMNS:
        data[name] = frame.text_values(name, chosen) if name in frame.texts else frame.num(name)[chosen]
    for cond in spec.conditions():
        if cond.field not in data and cond.field not in LAZY_TEXT:
            name = cond.field
            data[name] = frame.text_values(name, chosen) if name in frame.texts else frame.num(name)[chosen]
    data["score"] = np.round(scores, 4) if spec.score is not None else scores
    return pd.DataFrame(data)


def _factor_rows(frame: FeatureFrame, score_def: Any, breakdown: Any, order: np.ndarray, chosen: np.ndarray,
                 weights: dict[str, float]) -> pd.DataFrame:  # fmt: skip
    columns = ["rank", "company_id", "key", "factor", "label", "value", "normalised", "weight", "contribution"]
    if score_def is None or len(chosen) == 0:
        return pd.DataFrame({c: [] for c in columns})
    keys = frame.text_values("key", chosen)
    parts = []
    for j, factor in enumerate(score_def.factors):
        parts.append(pd.DataFrame({
            "rank": np.arange(1, len(chosen) + 1), "company_id": frame.ids[chosen], "key": keys,
            "factor": factor.name, "label": factor.label, "value": breakdown.values[j][order],
            "normalised": np.round(breakdown.normalised[j][order], 4), "weight": weights[factor.name],
            "contribution": np.round(breakdown.contributions[j][order], 4),
        }))  # fmt: skip
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["rank", "contribution", "factor"], ascending=[True, False, True], ignore_index=True)


def field_choices(*, session_factory: sessionmaker[Session], field_name: str, limit: int = 200) -> list[str]:
    """Distinct values of a text field, for pick-lists in the filter builder."""
    fd = field_def(field_name)
    if fd.kind is FieldKind.CHOICE:
        return list(fd.choices)
    if fd.kind is FieldKind.RATING:
        return list(RATING_SCALE)
    if fd.kind is not FieldKind.TEXT or fd.sql is None:
        return []
    col = fd.sql()
    with session_factory() as session:
        stmt = select(col).where(col.is_not(None)).distinct().order_by(col).limit(limit)
        return [v for v in session.scalars(stmt).all() if isinstance(v, str) and v.strip()]
