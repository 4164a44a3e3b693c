"""Alert rules: a registry of parameterised SQL conditions evaluated over the store as of a date.

Evaluation is set-based over the whole scope (all companies, a sector or a watchlist) with
every threshold a bound parameter; nothing queries per company. The price rules of a run share
one ``PriceSnapshot``: a few queries over the union of their scopes read each company's last
close, look-back closes, recent range and volume totals once, and numpy applies each rule's
thresholds; only the few names that may be at a 52-week extreme have their year read. Every
other rule type is one ``select()``.
Evaluation writes ``alert_events`` with the reason in words and the figures behind it. Each
event carries a ``dedupe_key`` derived from the condition (rule, subject, and the date or row
that triggered it), so running the same evaluation twice writes nothing new.

Rule types (parameters and defaults in ``RULE_TYPES``):

- ``price_move``: close moved at least ``pct`` % over ``days`` calendar days (last close on or
  before the as-of date against the last close on or before ``days`` earlier).
- ``high_52w`` / ``low_52w``: the last close is the highest / lowest close of the past year.
- ``volume_spike``: the last day's volume is at least ``multiple`` x the average daily volume
  of the previous ``days`` calendar days.
- ``debt_maturity``: a debt instrument matures within ``months`` months of the as-of date.
- ``new_deal``: a deal of the given types was announced in the last ``lookback_days``; the
  scope applies to the deal's sector, or to its parties for a watchlist.
- ``new_document``: a document dated in the last ``lookback_days`` for a company in scope.
- ``screen_entry``: a company entered a saved screen since its previous run (the screen is run
  through ``services.screens`` and the run is kept).

Price rules handle imperfect data: a company without a close in the last ``stale_days`` is
skipped and counted, rows with a non-positive close are ignored and counted, and a one-day
move beyond -45 % / +90 % whose ratio is close to a whole number (2:1, 3:1, 1:10, ...) is
reported as a probable split instead of a price alert.
"""

from __future__ import annotations

import datetime as dt
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy import Select, and_, case, delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from workbench import audit
from workbench.access import PUBLIC, Viewer, event_visible, rule_visible, visible
from workbench.domain import DealType, DocumentType, PartyRole
from workbench.errors import WorkbenchError
from workbench.models import (
    AlertEvent,
    AlertRule,
    Company,
    DebtInstrument,
    Deal,
    DealParty,
    Document,
    Price,
    Watchlist,
    WatchlistItem,
)

SCOPE_TYPES = ("all", "sector", "watchlist")
# One-day moves beyond these are checked for a split ratio before they may raise a price alert.
SPLIT_DOWN_RATIO = 0.55
SPLIT_UP_RATIO = 1.90
SPLIT_TOLERANCE = 0.04
# The two closes of such a move are at least this far apart (with room for rounding).
SPLIT_MIN_SPAN = min(1 / SPLIT_DOWN_RATIO, SPLIT_UP_RATIO) * 0.999
EVENT_INSERT_CHUNK = 500
BAD_ROW_DAYS = 7


class AlertRuleError(WorkbenchError):
    """A rule definition that cannot be evaluated: bad type, parameter or scope."""


# --------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParamDef:
    name: str
    kind: str  # float | int | choice | choices | text
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()


def check_text(value: Any, what: str, max_len: int) -> str:
    """Reject text no banker types: not a string, control or invisible characters, too long."""
    if not isinstance(value, str):
        raise AlertRuleError(f"{what} must be text")
    if len(value) > max_len:
        raise AlertRuleError(f"{what} is too long ({len(value)} characters, at most {max_len})")
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            raise AlertRuleError(f"{what} contains a control or invisible character (U+{ord(ch):04X})")
    if not value.strip():
        raise AlertRuleError(f"{what} is empty")
    return value.strip()


def _shown(value: Any) -> str:
    text = "".join(ch if ch.isprintable() else "?" for ch in str(value)[:40])
    return repr(text + ("..." if len(str(value)) > 40 else ""))


def _check_param(pd_: ParamDef, value: Any) -> Any:
    what = f"parameter {pd_.name!r}"
    if pd_.kind in ("float", "int"):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise AlertRuleError(f"{what} must be a number, not {_shown(value)}")
        try:
            number = float(value)
        except ValueError:
            raise AlertRuleError(f"{what} must be a number, not {_shown(value)}") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise AlertRuleError(f"{what} must be a finite number")
        if pd_.kind == "int":
            if number != int(number):
                raise AlertRuleError(f"{what} must be a whole number, not {_shown(value)}")
            number = int(number)
        if pd_.minimum is not None and number < pd_.minimum:
            raise AlertRuleError(f"{what} must be at least {pd_.minimum:g}, not {number:g}")
        if pd_.maximum is not None and number > pd_.maximum:
            raise AlertRuleError(f"{what} must be at most {pd_.maximum:g}, not {number:g}")
        return number
    if pd_.kind == "choice":
        if value not in pd_.choices:
            raise AlertRuleError(f"{what} must be one of {', '.join(pd_.choices)}, not {_shown(value)}")
        return value
    if pd_.kind == "choices":
        items = [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            raise AlertRuleError(f"{what} must be a list of {', '.join(pd_.choices)}")
        bad = [v for v in items if v not in pd_.choices]
        if bad:
            raise AlertRuleError(f"{what}: unknown value {_shown(bad[0])}; use {', '.join(pd_.choices)}")
        return sorted(set(items))
    return check_text(value, what, 200)


@dataclass(frozen=True)
class RuleType:
    name: str
    label: str
    description: str
    params: tuple[ParamDef, ...]
    subject: str  # company | deal | document


_STALE = ParamDef("stale_days", "int", 5, "Skip names without a close in this many calendar days", 1, 30)
DEAL_TYPES = tuple(t.value for t in DealType)
DOC_TYPES = tuple(t.value for t in DocumentType)

RULE_TYPES: dict[str, RuleType] = {
    rt.name: rt
    for rt in (
        RuleType("price_move", "Price move", "Close moved at least X % over N calendar days.", (
            ParamDef("pct", "float", 10.0, "Move in percent, either way unless direction says", 0.1, 1000),
            ParamDef("days", "int", 5, "Calendar days to look back", 1, 400),
            ParamDef("direction", "choice", "any", "any, up or down", choices=("any", "up", "down")),
            _STALE), "company"),  # fmt: skip
        RuleType("high_52w", "52-week high", "The last close is the highest close of the past 52 weeks.", (
            ParamDef("min_history_days", "int", 250, "Calendar days of history needed", 30, 365), _STALE),
            "company"),  # fmt: skip
        RuleType("low_52w", "52-week low", "The last close is the lowest close of the past 52 weeks.", (
            ParamDef("min_history_days", "int", 250, "Calendar days of history needed", 30, 365), _STALE),
            "company"),  # fmt: skip
        RuleType("volume_spike", "Volume spike", "Last day's volume is X times the N-day average.", (
            ParamDef("multiple", "float", 3.0, "Multiple of the average daily volume", 1.0, 1000),
            ParamDef("days", "int", 30, "Calendar days of the average", 5, 400),
            ParamDef("min_avg_volume", "float", 0.0, "Ignore names trading less than this on average", 0),
            _STALE), "company"),  # fmt: skip
        RuleType("debt_maturity", "Debt maturing", "A debt instrument matures within N months.", (
            ParamDef("months", "int", 12, "Months ahead", 1, 240),
            ParamDef("min_amount_usd_m", "float", 0.0, "Smallest instrument, USD m", 0)), "company"),  # fmt: skip
        RuleType("new_deal", "New deal", "A deal of a type was announced in the scope.", (
            ParamDef("deal_types", "choices", [], "Deal types (empty: any)", choices=DEAL_TYPES),
            ParamDef("lookback_days", "int", 7, "Calendar days back from the as-of date", 1, 366),
            ParamDef("min_size_usd_m", "float", 0.0, "Smallest deal, USD m", 0)), "deal"),  # fmt: skip
        RuleType("new_document", "New document", "A new document for a company in scope.", (
            ParamDef("doc_types", "choices", [], "Document types (empty: any)", choices=DOC_TYPES),
            ParamDef("lookback_days", "int", 7, "Calendar days back from the as-of date", 1, 366)),
            "document"),  # fmt: skip
        RuleType("screen_entry", "Entered a saved screen", "A company entered a saved screen since its last run.", (
            ParamDef("screen", "text", "", "Name of the saved screen"),), "company"),  # fmt: skip
    )
}


def validate_params(rule_type: str, params: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults filled in, types checked, unknown names rejected."""
    rt = RULE_TYPES.get(rule_type) if isinstance(rule_type, str) else None
    if rt is None:
        raise AlertRuleError(f"unknown rule type {_shown(rule_type)}; use one of {', '.join(RULE_TYPES)}")
    params = dict(params or {})
    known = {p.name: p for p in rt.params}
    unknown = [k for k in params if k not in known]
    if unknown:
        raise AlertRuleError(f"rule type {rule_type} has no parameter {_shown(unknown[0])}; "
                             f"it takes {', '.join(known)}")  # fmt: skip
    out: dict[str, Any] = {}
    for name, pdef in known.items():
        if name in params:
            out[name] = _check_param(pdef, params[name])
        elif pdef.kind == "text":
            raise AlertRuleError(f"rule type {rule_type} needs parameter {name!r}")
        else:
            out[name] = pdef.default
    return out


# --------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleInfo:
    id: int
    name: str
    rule_type: str
    params: dict[str, Any]
    scope_type: str
    scope_value: str | None
    scope_label: str
    enabled: bool
    description: str


def _resolve_watchlist(session: Session, value: str, viewer: Viewer) -> Watchlist:
    found = None
    if value.isascii() and value.isdigit() and len(value) <= 18:  # "²" is a digit to isdigit(), not to int()
        found = session.get(Watchlist, int(value))
    if found is None or not viewer.may_see_team(found.team_id):
        found = session.scalar(select(Watchlist).where(Watchlist.name == value))
    if found is None or not viewer.may_see_team(found.team_id):  # a hidden list is missing, not forbidden
        raise AlertRuleError(f"no watchlist named {_shown(value)}")
    return found


def _check_scope(session: Session, scope_type: str, scope_value: str | None, viewer: Viewer) -> str | None:
    if scope_type not in SCOPE_TYPES:
        raise AlertRuleError(f"scope must be one of {', '.join(SCOPE_TYPES)}, not {_shown(scope_type)}")
    if scope_type == "all":
        return None
    value = check_text(scope_value if scope_value is not None else "", f"{scope_type} scope", 200)
    if scope_type == "sector":
        return value
    # Keep the id: a watchlist can be renamed without breaking its rules.
    return str(_resolve_watchlist(session, value, viewer).id)


def _scope_label(session: Session, scope_type: str, scope_value: str | None) -> str:
    if scope_type == "all":
        return "all companies"
    if scope_type == "sector":
        return f"sector {scope_value}"
    name = session.scalar(select(Watchlist.name).where(Watchlist.id == int(scope_value or 0)))
    return f"watchlist {name}" if name else f"watchlist #{scope_value} (deleted)"


def describe_rule(rule_type: str, params: dict[str, Any]) -> str:
    p = params
    if rule_type == "price_move":
        way = {"any": "moves", "up": "rises", "down": "falls"}[p["direction"]]
        return f"close {way} {p['pct']:g}% or more over {p['days']} days"
    if rule_type in ("high_52w", "low_52w"):
        return f"close at a 52-week {'high' if rule_type == 'high_52w' else 'low'}"
    if rule_type == "volume_spike":
        return f"volume {p['multiple']:g}x the {p['days']}-day average"
    if rule_type == "debt_maturity":
        return f"debt maturing within {p['months']} months"
    if rule_type == "new_deal":
        kinds = ", ".join(DealType(t).label for t in p["deal_types"]) or "any"
        return f"new {kinds} deal in the last {p['lookback_days']} days"
    if rule_type == "new_document":
        kinds = ", ".join(p["doc_types"]) or "any"
        return f"new document ({kinds}) in the last {p['lookback_days']} days"
    return f"entered saved screen {p['screen']!r}"


def _rule_info(session: Session, r: AlertRule) -> RuleInfo:
    try:
        params = validate_params(r.rule_type, r.params)
        description = describe_rule(r.rule_type, params)
    except AlertRuleError as exc:
        params, description = dict(r.params or {}), f"invalid: {exc}"
    return RuleInfo(r.id, r.name, r.rule_type, params, r.scope_type, r.scope_value,
                    _scope_label(session, r.scope_type, r.scope_value), r.enabled, description)  # fmt: skip


def _rule_name_taken(session: Session, name: str, viewer: Viewer) -> None:
    """Refuse a name another rule holds. Names are unique across the barrier (one column, one
    constraint); for a rule on a watchlist the viewer may not see, the message says only that
    the name is unavailable, never that such a rule exists."""
    if session.scalar(select(AlertRule.id).where(AlertRule.name == name)) is None:
        return
    if session.scalar(select(AlertRule.id).where(AlertRule.name == name, rule_visible(viewer))) is not None:
        raise AlertRuleError(f"an alert rule named {_shown(name)} already exists")
    raise AlertRuleError(f"the name {_shown(name)} cannot be used for an alert rule: choose another")


def create_rule(name: str, rule_type: str, params: dict[str, Any] | None = None, *,
                session_factory: sessionmaker[Session], user: str, scope_type: str = "all",
                scope_value: str | None = None, enabled: bool = True, viewer: Viewer = PUBLIC) -> RuleInfo:  # fmt: skip
    """Validate and save an alert rule; the scope is all companies, a sector or a watchlist
    (by id or name) the viewer may see."""
    name = check_text(name, "rule name", 200)
    checked = validate_params(rule_type, params)
    with session_factory.begin() as session:
        scope_value = _check_scope(session, scope_type, scope_value, viewer)
        _rule_name_taken(session, name, viewer)
        rule = AlertRule(name=name, rule_type=rule_type, params=checked, scope_type=scope_type,
                         scope_value=scope_value, enabled=enabled, created_by=user)  # fmt: skip
        session.add(rule)
        session.flush()
        audit.record(session, user=user, action="alert_rule_create", object_type="alert_rule", object_ref=name,
                     details={"rule_type": rule_type, "params": checked, "scope": scope_type})  # fmt: skip
        return _rule_info(session, rule)


def list_rules(*, session_factory: sessionmaker[Session], viewer: Viewer = PUBLIC) -> list[RuleInfo]:
    """Alert rules, except those watching a watchlist the viewer may not see."""
    with session_factory() as session:
        rules = session.scalars(select(AlertRule).where(rule_visible(viewer)).order_by(AlertRule.name))
        return [_rule_info(session, r) for r in rules]


def _visible_rule(session: Session, rule_id: int, viewer: Viewer) -> AlertRule:
    # A rule watching a hidden watchlist is missing to this viewer, not forbidden.
    rule = session.scalar(select(AlertRule).where(AlertRule.id == rule_id, rule_visible(viewer)))
    if rule is None:
        raise AlertRuleError(f"no alert rule with id {rule_id}")
    return rule


def set_rule_enabled(rule_id: int, enabled: bool, *, session_factory: sessionmaker[Session], user: str,
                     viewer: Viewer = PUBLIC) -> None:  # fmt: skip
    with session_factory.begin() as session:
        rule = _visible_rule(session, rule_id, viewer)
        rule.enabled = enabled
        audit.record(session, user=user, action="alert_rule_enable" if enabled else "alert_rule_disable",
                     object_type="alert_rule", object_ref=rule.name)  # fmt: skip


def delete_rule(rule_id: int, *, session_factory: sessionmaker[Session], user: str, viewer: Viewer = PUBLIC) -> None:
    with session_factory.begin() as session:
        rule = _visible_rule(session, rule_id, viewer)
        session.execute(delete(AlertEvent).where(AlertEvent.rule_id == rule_id))
        audit.record(session, user=user, action="alert_rule_delete", object_type="alert_rule", object_ref=rule.name)
        session.delete(rule)


DEFAULT_RULES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("Price move 10% in a week", "price_move", {"pct": 10, "days": 7}),
    ("52-week high", "high_52w", {}),
    ("52-week low", "low_52w", {}),
    ("Volume 3x the 30-day average", "volume_spike", {"multiple": 3, "days": 30}),
    ("Debt maturing within 12 months", "debt_maturity", {"months": 12}),
    ("New ECM or DCM deal", "new_deal", {"deal_types": [t for t in DEAL_TYPES if t != "ma"], "lookback_days": 7}),
    ("New M&A deal", "new_deal", {"deal_types": ["ma"], "lookback_days": 7}),
    ("New document", "new_document", {"lookback_days": 7}),
)


def install_default_rules(*, session_factory: sessionmaker[Session], user: str, scope_type: str = "all",
                          scope_value: str | None = None, viewer: Viewer = PUBLIC) -> int:  # fmt: skip
    """Create the standard rules that do not exist yet; returns how many were created."""
    existing = {r.name for r in list_rules(session_factory=session_factory, viewer=viewer)}
    created = 0
    for name, rule_type, params in DEFAULT_RULES:
        if name not in existing:
            create_rule(name, rule_type, params, session_factory=session_factory, user=user,
                        scope_type=scope_type, scope_value=scope_value, viewer=viewer)  # fmt: skip
            created += 1
    return created


# --------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------


@dataclass
class Candidate:
    dedupe_key: str
    reason: str
    figures: dict[str, Any]
    company_id: int | None = None
    deal_id: int | None = None
    document_id: int | None = None


@dataclass
class RuleOutcome:
    rule_id: int
    rule_name: str
    rule_type: str
    matched: int = 0
    new_events: int = 0
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    elapsed_ms: float = 0.0


@dataclass
class RunSummary:
    as_of: dt.date
    rules: list[RuleOutcome]
    issues: list[str]
    elapsed_ms: float

    @property
    def new_events(self) -> int:
        return sum(r.new_events for r in self.rules)

    @property
    def errors(self) -> list[str]:
        return [f"{r.rule_name}: {r.error}" for r in self.rules if r.error]

    def lines(self) -> list[str]:
        out = [f"Alerts as of {self.as_of:%Y-%m-%d}: {len(self.rules)} rules, {self.new_events} new events "
               f"in {self.elapsed_ms:.0f} ms"]  # fmt: skip
        for r in self.rules:
            state = f"error: {r.error}" if r.error else f"{r.matched} matched, {r.new_events} new"
            out.append(f"  {r.rule_name} ({r.rule_type}): {state}")
            out.extend(f"    {n}" for n in r.notes)
        out.extend(f"  data: {i}" for i in self.issues)
        return out


def _scope_company_ids(rule: AlertRule) -> Select[Any] | None:
    """The companies a rule watches, as a subquery for ``IN``; None means every company."""
    if rule.scope_type == "sector":
        return select(Company.id).where(Company.sector == rule.scope_value)
    if rule.scope_type == "watchlist":
        return select(WatchlistItem.company_id).where(WatchlistItem.watchlist_id == int(rule.scope_value or 0))
    return None


def _scope_readable(rule: AlertRule) -> bool:
    """A scope ``_scope_company_ids`` can turn into a query (the run reports the others as errors)."""
    value = rule.scope_value or ""
    return rule.scope_type in ("all", "sector") or (rule.scope_type == "watchlist" and value.isascii()
                                                    and value.isdigit())  # fmt: skip


def _in_scope(column: Any, scope: Select[Any] | None) -> Any:
    return column.in_(scope) if scope is not None else True


# Longest look-backs the price rules read from each company's key index (see ``PriceSnapshot``).
MAX_STALE_DAYS = 30
RECENT_DAYS = 31


def _day_numbers(values: Sequence[dt.date | None]) -> np.ndarray:
    """Dates as day numbers (proleptic ordinals), -1 where there is none."""
    return np.fromiter((-1 if v is None else v.toordinal() for v in values), dtype=np.int64, count=len(values))


def _numbers(values: Sequence[Any]) -> np.ndarray:
    """Numbers (SQL NULL as NaN) as float64: integers below 2**53, such as volume sums, stay exact."""
    return np.fromiter((np.nan if v is None else float(v) for v in values), dtype=np.float64, count=len(values))


class PriceSnapshot:
    """The per-company price figures that the price rules of one run share, each read once.

    Every read is one set-based query over the companies in the run's scope (the union of the
    price rules' scopes) that reaches a company's rows through its (company_id, date) key:
    a few index rows per company, whichever order the price rows were written in. (A
    date-range scan through ``ix_prices_date`` reads rows scattered over the whole table when
    prices were loaded company by company.) What the run's rules need is planned up front, so
    that one query reads each company's last close with the look-back closes of every price-move
    rule, and one more reads its recent close range with the volume totals of every volume rule.
    The results are arrays aligned on ``ids``; the rules filter them by scope and threshold in
    numpy, and only the few names that may fire are read further (a year of closes for 52-week
    extremes, split checks).
    """

    def __init__(self, session: Session, as_of: dt.date, rules: Sequence[tuple[AlertRule, dict[str, Any]]]) -> None:
        self.session = session
        self.as_of = as_of
        self.today = as_of.toordinal()
        self.year_start = as_of - dt.timedelta(days=364)
        self._scopes = [_scope_company_ids(rule) for rule, _p in rules]
        kinds = {rule.rule_type for rule, _p in rules}
        self._start_days = sorted({as_of - dt.timedelta(days=p["days"])
                                   for r, p in rules if r.rule_type == "price_move"})  # fmt: skip
        self._volume_since = sorted({as_of - dt.timedelta(days=p["days"] + p["stale_days"])
                                     for r, p in rules if r.rule_type == "volume_spike"})  # fmt: skip
        self._wants_range = bool(kinds & {"high_52w", "low_52w"})
        self._ready = False
        self._starts: dict[dt.date, tuple[np.ndarray, np.ndarray]] = {}
        self._volumes: dict[dt.date, tuple[np.ndarray, np.ndarray]] = {}
        self._recent: tuple[np.ndarray, np.ndarray] | None = None
        self._year: dict[int, _YearStats] = {}
        self._splits: dict[tuple[dt.date, int], dict[str, Any] | None] = {}
        self._scope_masks: dict[tuple[str, str | None], np.ndarray] = {}

    # -- reading ---------------------------------------------------------------------------

    def _company_filter(self) -> Any:
        if not self._scopes or any(s is None for s in self._scopes):
            return True
        return or_(*(Company.id.in_(s) for s in self._scopes))

    @staticmethod
    def _latest(column: Any, day: dt.date, window_days: int, positive: bool = True) -> Any:
        """A company's value of ``column`` on its last row on or before ``day`` within ``window_days``."""
        where = [Price.company_id == Company.id, Price.date <= day, Price.date > day - dt.timedelta(days=window_days)]
        if positive:
            where.append(Price.close > 0)
        return select(column).where(*where).order_by(Price.date.desc()).limit(1).correlate(Company).scalar_subquery()

    def _load(self) -> None:
        """Per company: its last positive close (day, close, volume) within the longest stale
        window a rule may set, the day of its last row of any kind within a year, and the
        look-back close of each price-move rule; then the recent range and volume totals."""
        if self._ready:
            return
        latest, as_of = self._latest, self.as_of
        columns = [Company.id, Company.name, Company.ticker, latest(Price.date, as_of, MAX_STALE_DAYS),
                   latest(Price.close, as_of, MAX_STALE_DAYS), latest(Price.volume, as_of, MAX_STALE_DAYS),
                   latest(Price.date, as_of, 365, positive=False)]  # fmt: skip
        for day in self._start_days:
            columns += [latest(Price.date, day, 10), latest(Price.close, day, 10)]
        rows = self.session.execute(select(*columns).where(self._company_filter()).order_by(Company.id)).all()
        cols = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
        self.ids = np.asarray(cols[0], dtype=np.int64)
        self.names: list[str] = list(cols[1])
        self.tickers: list[str | None] = list(cols[2])
        self.end_day = _day_numbers(cols[3])
        self.end_close = _numbers(cols[4])
        self.end_volume = _numbers(cols[5])
        self.last_row_day = _day_numbers(cols[6])
        for k, day in enumerate(self._start_days):
            self._starts[day] = (_day_numbers(cols[7 + 2 * k]), _numbers(cols[8 + 2 * k]))
        self._ready = True
        if self._wants_range or self._volume_since:
            self._read_window(self._volume_since, self._wants_range)

    def _read_window(self, volume_since: Sequence[dt.date], with_range: bool) -> None:
        """One grouped read of the recent days: per company, the highest and lowest positive
        close (every accepted last close is among them) and the volume totals from each date in
        ``volume_since``: the sum and count of non-negative volumes on days with a positive close."""
        lo = min([*volume_since, *([self.as_of - dt.timedelta(days=RECENT_DAYS - 1)] if with_range else [])])
        columns: list[Any] = []
        if with_range:
            # The range must stay within the 52 weeks: a wider one would hide a 52-week extreme.
            range_from = max(lo, self.year_start)
            close = Price.close if range_from == lo else case((Price.date >= range_from, Price.close))
            columns += [func.max(close), func.min(close)]
        for since in volume_since:
            counted = Price.volume >= 0 if since == lo else and_(Price.volume >= 0, Price.date >= since)
            volume = case((counted, Price.volume))
            columns += [func.sum(volume), func.count(volume)]
        company_ids = select(Company.id).where(self._company_filter())
        rows = self.session.execute(
            select(Price.company_id, *columns)
            .where(Price.company_id.in_(company_ids), Price.date >= lo, Price.date <= self.as_of, Price.close > 0)
            .group_by(Price.company_id)
        ).all()  # fmt: skip
        values = self._aligned(rows, len(columns))
        if with_range:
            self._recent = (values[0], values[1])
            values = values[2:]
        for k, since in enumerate(volume_since):
            self._volumes[since] = (values[2 * k], values[2 * k + 1])

    def _aligned(self, rows: Sequence[Any], width: int) -> list[np.ndarray]:
        """Columns of ``(company_id, v1, ...)`` rows as arrays aligned on ``ids`` (NaN where missing)."""
        out = [np.full(len(self.ids), np.nan) for _ in range(width)]
        if rows:
            cols = list(zip(*rows, strict=True))
            at = np.searchsorted(self.ids, np.asarray(cols[0], dtype=np.int64))
            for i in range(width):
                out[i][at] = _numbers(cols[i + 1])
        return out

    def start(self, day: dt.date) -> tuple[np.ndarray, np.ndarray]:
        """Per company, the day number and close of its last positive close on or before ``day``
        (within 10 days, to bridge holidays and missing days); -1 and NaN where there is none."""
        self._load()
        if day not in self._starts:
            rows = self.session.execute(
                select(Company.id, self._latest(Price.date, day, 10), self._latest(Price.close, day, 10))
                .where(self._company_filter()).order_by(Company.id)
            ).all()  # fmt: skip
            cols = list(zip(*rows, strict=True)) if rows else [(), (), ()]
            self._starts[day] = (_day_numbers(cols[1]), _numbers(cols[2]))
        return self._starts[day]

    def volume_totals(self, since: dt.date) -> tuple[np.ndarray, np.ndarray]:
        """Per company, the sum and count of non-negative volumes on days with a positive close
        from ``since`` to the as-of date (NaN where there are none)."""
        self._load()
        if since not in self._volumes:
            self._read_window([since], False)
        return self._volumes[since]

    def recent_range(self) -> tuple[np.ndarray, np.ndarray]:
        """Per company, the highest and lowest positive close of the recent days, which
        include every last close a rule accepts and lie within the 52 weeks."""
        self._load()
        if self._recent is None:
            self._read_window([], True)
        assert self._recent is not None
        return self._recent

    def year_stats(self, company_ids: Sequence[int]) -> dict[int, _YearStats]:
        """For the given companies, over the 52 weeks to the as-of date: highest and lowest
        positive close, first day with a positive close and first day with any row."""
        todo = sorted({int(c) for c in company_ids} - set(self._year))
        in_year = [Price.date >= self.year_start, Price.date <= self.as_of]
        # The first row of any kind is a seek on the key index; the aggregate reads positive closes only.
        first_row = (select(Price.date).where(Price.company_id == Company.id, *in_year).order_by(Price.date)
                     .limit(1).correlate(Company).scalar_subquery())  # fmt: skip
        for lo in range(0, len(todo), EVENT_INSERT_CHUNK):
            chunk = todo[lo:lo + EVENT_INSERT_CHUNK]
            firsts = dict(self.session.execute(select(Company.id, first_row).where(Company.id.in_(chunk))).all())
            for cid, high, low, first in self.session.execute(
                select(Price.company_id, func.max(Price.close), func.min(Price.close), func.min(Price.date))
                .where(Price.company_id.in_(chunk), *in_year, Price.close > 0).group_by(Price.company_id)
            ):  # fmt: skip
                self._year[int(cid)] = _YearStats(high, low, first, firsts[cid])
        return {int(c): self._year[int(c)] for c in company_ids if int(c) in self._year}

    def splits(self, company_ids: Sequence[int], start: dt.date) -> dict[int, dict[str, Any]]:
        """``probable_splits`` from ``start`` to the as-of date, each company checked once per run."""
        todo = sorted({int(c) for c in company_ids if (start, int(c)) not in self._splits})
        found = probable_splits(self.session, todo, start, self.as_of)
        for cid in todo:
            self._splits[(start, cid)] = found.get(cid)
        return {int(c): s for c in company_ids if (s := self._splits[(start, int(c))]) is not None}

    def year_splits(self, company_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """``splits`` over the 52 weeks, for companies whose ``year_stats`` are read.

        A probable split is a one-day move of -45 % / +90 % or more, so its two closes are at
        least 1.8x apart: only names whose closes over the year (and the close before it that
        the first day of the year is compared with) span that much are checked."""
        before: dict[int, float | None] = {}
        ids = [int(c) for c in company_ids]
        for lo in range(0, len(ids), EVENT_INSERT_CHUNK):
            before.update(self.session.execute(
                select(Company.id, self._latest(Price.close, self.year_start - dt.timedelta(days=1), 10))
                .where(Company.id.in_(ids[lo:lo + EVENT_INSERT_CHUNK]))
            ).all())  # fmt: skip
        wide = []
        for cid in ids:
            closes = [c for c in (self._year[cid].high, self._year[cid].low, before.get(cid)) if c is not None]
            if max(closes) >= min(closes) * SPLIT_MIN_SPAN:
                wide.append(cid)
        return self.splits(wide, self.year_start)

    # -- selecting -------------------------------------------------------------------------

    def in_scope(self, rule: AlertRule) -> np.ndarray:
        """A mask over ``ids``: the companies the rule watches."""
        self._load()
        key = (rule.scope_type, rule.scope_value)
        if key not in self._scope_masks:
            scope = _scope_company_ids(rule)
            if scope is None:
                mask = np.ones(len(self.ids), dtype=bool)
            else:
                mask = np.isin(self.ids, np.asarray(list(self.session.scalars(scope)), dtype=np.int64))
            self._scope_masks[key] = mask
        return self._scope_masks[key]

    def current(self, rule: AlertRule, stale_days: int) -> np.ndarray:
        """A mask over ``ids``: in the rule's scope with a positive close in the last ``stale_days`` days."""
        mask = self.in_scope(rule)
        return mask & (self.end_day > self.today - stale_days)

    def stale_count(self, rule: AlertRule, stale_days: int) -> int:
        """Names in scope with prices in the past year but none in the last ``stale_days`` days."""
        mask = self.in_scope(rule)
        day = self.last_row_day
        return int(np.count_nonzero(mask & (day >= 0) & (day <= self.today - stale_days)))

    def row(self, i: int) -> _PriceRow:
        return _PriceRow(int(self.ids[i]), self.names[i], self.tickers[i], dt.date.fromordinal(int(self.end_day[i])),
                         float(self.end_close[i]))  # fmt: skip


class _YearStats(NamedTuple):
    high: float  # highest and lowest positive close of the 52 weeks
    low: float
    first_close_day: dt.date  # first day with a positive close in the 52 weeks
    first_row_day: dt.date  # first day with a price row of any kind in the 52 weeks


@dataclass(frozen=True)
class _PriceRow:
    company_id: int
    name: str
    ticker: str | None
    day: dt.date
    close: float


def _label(name: str, ticker: str | None) -> str:
    return f"{name} ({ticker})" if ticker else name


def _split_factor(ratio: float) -> int | None:
    """The whole-number split factor a one-day price ratio is close to, else None."""
    if ratio <= 0:
        return None
    factor = 1 / ratio if ratio < 1 else ratio
    nearest = round(factor)
    if nearest >= 2 and abs(factor - nearest) / nearest <= SPLIT_TOLERANCE:
        return int(nearest) if ratio < 1 else -int(nearest)
    return None


def probable_splits(session: Session, company_ids: Sequence[int], start: dt.date,
                    end: dt.date) -> dict[int, dict[str, Any]]:  # fmt: skip
    """One-day moves beyond -45 %/+90 % with a whole-number ratio, per company (the latest one)."""
    if not company_ids:
        return {}
    found: dict[int, dict[str, Any]] = {}
    for lo in range(0, len(company_ids), EVENT_INSERT_CHUNK):
        ids = list(company_ids[lo:lo + EVENT_INSERT_CHUNK])
        inner = (
            select(Price.company_id, Price.date, Price.close,
                   func.lag(Price.close).over(partition_by=Price.company_id, order_by=Price.date).label("prev"))
            .where(Price.company_id.in_(ids), Price.date >= start - dt.timedelta(days=10), Price.date <= end,
                   Price.close > 0)
            .subquery()
        )  # fmt: skip
        rows = session.execute(
            select(inner.c.company_id, inner.c.date, inner.c.close, inner.c.prev)
            .where(inner.c.date > start, inner.c.prev > 0,
                   or_(inner.c.close < inner.c.prev * SPLIT_DOWN_RATIO, inner.c.close > inner.c.prev * SPLIT_UP_RATIO))
            .order_by(inner.c.company_id, inner.c.date)
        ).all()  # fmt: skip
        for cid, day, close, prev in rows:
            factor = _split_factor(close / prev)
            if factor is not None:
                ratio = f"{factor}:1" if factor > 0 else f"1:{-factor}"
                found[int(cid)] = {"split_date": day.isoformat(), "ratio": ratio, "close_before": prev,
                                   "close_after": close}  # fmt: skip
    return found


def _split_candidates(rule: AlertRule, rows: list[Any], splits: dict[int, dict[str, Any]],
                      outcome: RuleOutcome) -> list[Candidate]:  # fmt: skip
    out = []
    for r in rows:
        s = splits.get(int(r.company_id))
        if s is None:
            continue
        out.append(Candidate(
            f"split:c{r.company_id}:{s['split_date']}",
            f"{_label(r.name, r.ticker)}: probable {s['ratio']} split on {s['split_date']} "
            f"({s['close_before']:.2f} to {s['close_after']:.2f}); not treated as a price move.",
            {"kind": "probable_split", **s}, company_id=int(r.company_id)))  # fmt: skip
    if out:
        outcome.notes.append(f"{len(out)} probable split(s) reported instead of price alerts")
    return out


def _r(x: float | None, n: int = 4) -> float | None:
    return None if x is None else round(float(x), n)


def _eval_price_move(prices: PriceSnapshot, rule: AlertRule, p: dict[str, Any],
                     outcome: RuleOutcome) -> list[Candidate]:  # fmt: skip
    start_day = prices.as_of - dt.timedelta(days=p["days"])
    d0, c0 = prices.start(start_day)
    d1, c1 = prices.end_day, prices.end_close
    live = prices.current(rule, p["stale_days"]) & (d0 >= 0) & (d1 > d0)
    with np.errstate(invalid="ignore", divide="ignore"):
        change = (c1 - c0) / c0
    threshold = p["pct"] / 100.0
    moved = {"up": change >= threshold, "down": change <= -threshold}.get(
        p["direction"], (change >= threshold) | (change <= -threshold))
    hits = np.flatnonzero(live & moved)
    rows = [prices.row(i) for i in hits]
    splits = prices.splits([r.company_id for r in rows], start_day)
    out = _split_candidates(rule, rows, splits, outcome)
    for i, r in zip(hits, rows, strict=True):
        if r.company_id in splits:
            continue
        chg, start_close, start = float(change[i]), float(c0[i]), dt.date.fromordinal(int(d0[i]))
        verb = "rose" if chg > 0 else "fell"
        out.append(Candidate(
            f"r{rule.id}:c{r.company_id}:{r.day.isoformat()}",
            f"{_label(r.name, r.ticker)} {verb} {abs(chg) * 100:.1f}% over {p['days']} days: "
            f"{start_close:.2f} on {start:%Y-%m-%d} to {r.close:.2f} on {r.day:%Y-%m-%d} (threshold {p['pct']:g}%).",
            {"change_pct": _r(chg * 100, 2), "start_date": start.isoformat(), "start_close": _r(start_close),
             "end_date": r.day.isoformat(), "end_close": _r(r.close), "threshold_pct": p["pct"], "days": p["days"]},
            company_id=r.company_id))  # fmt: skip
    stale = prices.stale_count(rule, p["stale_days"])
    if stale:
        outcome.notes.append(f"{stale} name(s) skipped: no close in the last {p['stale_days']} days")
    return out


def _eval_extreme(prices: PriceSnapshot, rule: AlertRule, p: dict[str, Any],
                  outcome: RuleOutcome) -> list[Candidate]:  # fmt: skip
    high = rule.rule_type == "high_52w"
    # The last close is in the recent range, so only a name whose last close is that range's
    # high (low) can be at a 52-week one: only those names have their year read.
    recent_high, recent_low = prices.recent_range()
    near = np.flatnonzero(prices.current(rule, p["stale_days"])
                          & (prices.end_close == (recent_high if high else recent_low)))  # fmt: skip
    stats = prices.year_stats(prices.ids[near].tolist())
    history_until = prices.as_of - dt.timedelta(days=p["min_history_days"])
    rows = []
    for i in near:
        st = stats.get(int(prices.ids[i]))
        # No close in the year above (below) the last one, some close different from it, and a
        # price row on or before the start of the required history.
        if (st is not None and prices.end_close[i] == (st.high if high else st.low) and st.high != st.low
                and st.first_row_day <= history_until):  # fmt: skip
            rows.append(prices.row(i))
    splits = prices.year_splits([r.company_id for r in rows])
    out = _split_candidates(rule, rows, splits, outcome)
    word, other_word = ("high", "low") if high else ("low", "high")
    for r in rows:
        if r.company_id in splits:
            continue
        st = stats[r.company_id]
        other = st.low if high else st.high
        out.append(Candidate(
            f"r{rule.id}:c{r.company_id}:{r.day.isoformat()}",
            f"{_label(r.name, r.ticker)} closed at a 52-week {word} of {r.close:.2f} on {r.day:%Y-%m-%d} "
            f"({(r.close / other - 1) * 100:+.1f}% from the 52-week {other_word} of {other:.2f}).",
            {"close": _r(r.close), "date": r.day.isoformat(), "high_52w": _r(st.high), "low_52w": _r(st.low),
             "history_from": st.first_close_day.isoformat()}, company_id=r.company_id))  # fmt: skip
    return out


def _eval_volume(prices: PriceSnapshot, rule: AlertRule, p: dict[str, Any],
                 outcome: RuleOutcome) -> list[Candidate]:  # fmt: skip
    total, count = prices.volume_totals(prices.as_of - dt.timedelta(days=p["days"] + p["stale_days"]))
    volume = prices.end_volume
    # The average is of the days before the last close: take that day's volume out of the totals.
    counted = volume >= 0
    n = count - counted
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = (total - np.where(counted, volume, 0.0)) / n
        fires = (prices.current(rule, p["stale_days"]) & (n >= 5) & (avg > 0) & (avg >= p["min_avg_volume"])
                 & (volume >= avg * p["multiple"]))  # fmt: skip
    out = []
    for i in np.flatnonzero(fires):
        r, v, a = prices.row(i), float(volume[i]), float(avg[i])
        out.append(Candidate(
            f"r{rule.id}:c{r.company_id}:{r.day.isoformat()}",
            f"{_label(r.name, r.ticker)} traded {v:,.0f} shares on {r.day:%Y-%m-%d}, "
            f"{v / a:.1f}x its {p['days']}-day average of {a:,.0f}.",
            {"volume": int(v), "avg_volume": _r(a, 1), "multiple": _r(v / a, 2), "days_in_average": int(n[i]),
             "date": r.day.isoformat()}, company_id=r.company_id))  # fmt: skip
    return out


def _add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _eval_debt(session: Session, rule: AlertRule, p: dict[str, Any], as_of: dt.date,
               outcome: RuleOutcome) -> list[Candidate]:  # fmt: skip
    scope = _scope_company_ids(rule)
    until = _add_months(as_of, p["months"])
    rows = session.execute(
        select(DebtInstrument.id, DebtInstrument.company_id, DebtInstrument.instrument, DebtInstrument.amount_usd_m,
               DebtInstrument.coupon_pct, DebtInstrument.maturity_date, Company.name, Company.ticker)
        .join(Company, Company.id == DebtInstrument.company_id)
        .where(DebtInstrument.maturity_date >= as_of, DebtInstrument.maturity_date <= until,
               DebtInstrument.amount_usd_m >= p["min_amount_usd_m"], _in_scope(DebtInstrument.company_id, scope))
    ).all()  # fmt: skip
    out = []
    for r in rows:
        coupon = f" {r.coupon_pct:g}%" if r.coupon_pct is not None else ""
        months_left = (r.maturity_date - as_of).days / 30.44
        out.append(Candidate(
            f"r{rule.id}:debt{r.id}",
            f"{_label(r.name, r.ticker)} has ${r.amount_usd_m:,.0f}m {r.instrument}{coupon} maturing "
            f"{r.maturity_date:%Y-%m-%d}, in {months_left:.1f} months (window {p['months']} months).",
            {"instrument_id": int(r.id), "instrument": r.instrument, "amount_usd_m": _r(r.amount_usd_m, 2),
             "coupon_pct": _r(r.coupon_pct), "maturity_date": r.maturity_date.isoformat(),
             "months_to_maturity": _r(months_left, 1)}, company_id=int(r.company_id)))  # fmt: skip
    return out


def _eval_deal(session: Session, rule: AlertRule, p: dict[str, Any], as_of: dt.date,
               outcome: RuleOutcome) -> list[Candidate]:  # fmt: skip
    since = as_of - dt.timedelta(days=p["lookback_days"])
    where = [Deal.announced_date > since, Deal.announced_date <= as_of]
    if p["deal_types"]:
        where.append(Deal.deal_type.in_(p["deal_types"]))
    if p["min_size_usd_m"]:
        where.append(Deal.size_usd_m >= p["min_size_usd_m"])
    if rule.scope_type == "sector":
        where.append(Deal.sector == rule.scope_value)
    elif rule.scope_type == "watchlist":
        where.append(Deal.id.in_(select(DealParty.deal_id).where(DealParty.company_id.in_(_scope_company_ids(rule)))))
    principal = (
        select(func.min(DealParty.company_id)).where(
            DealParty.deal_id == Deal.id, DealParty.company_id.is_not(None),
            DealParty.role.in_([PartyRole.ISSUER.value, PartyRole.TARGET.value]))
        .scalar_subquery()
    )  # fmt: skip
    rows = session.execute(
        select(Deal.id, Deal.name, Deal.deal_type, Deal.announced_date, Deal.size_usd_m, Deal.sector,
               Deal.region, Deal.status, principal.label("company_id")).where(*where)
    ).all()  # fmt: skip
    out = []
    for r in rows:
        try:
            kind = DealType(r.deal_type).label
        except ValueError:
            kind = r.deal_type
        size = f" ${r.size_usd_m:,.0f}m" if r.size_usd_m is not None else ""
        out.append(Candidate(
            f"r{rule.id}:deal{r.id}",
            f"New{size} {kind} deal announced {r.announced_date:%Y-%m-%d}: {r.name}"
            f" ({r.sector or 'no sector'}, {r.region or 'no region'}).",
            {"deal_type": r.deal_type, "announced_date": r.announced_date.isoformat(), "size_usd_m": _r(r.size_usd_m, 2),
             "sector": r.sector, "region": r.region, "status": r.status},
            company_id=r.company_id, deal_id=int(r.id)))  # fmt: skip
    return out


def _eval_document(session: Session, rule: AlertRule, p: dict[str, Any], as_of: dt.date,
                   outcome: RuleOutcome) -> list[Candidate]:  # fmt: skip
    scope = _scope_company_ids(rule)
    since = as_of - dt.timedelta(days=p["lookback_days"])
    where = [Document.doc_date > since, Document.doc_date <= as_of, Document.company_id.is_not(None),
             _in_scope(Document.company_id, scope)]  # fmt: skip
    if p["doc_types"]:
        where.append(Document.doc_type.in_(p["doc_types"]))
    rows = session.execute(
        select(Document.id, Document.company_id, Document.doc_type, Document.title, Document.doc_date,
               Company.name, Company.ticker).join(Company, Company.id == Document.company_id).where(*where)
    ).all()  # fmt: skip
    return [Candidate(
        f"r{rule.id}:doc{r.id}",
        f"New {r.doc_type} for {_label(r.name, r.ticker)} dated {r.doc_date:%Y-%m-%d}: {r.title}",
        {"doc_type": r.doc_type, "title": r.title, "doc_date": r.doc_date.isoformat()},
        company_id=int(r.company_id), document_id=int(r.id)) for r in rows]  # fmt: skip


def _eval_screen(session_factory: sessionmaker[Session], rule: AlertRule, p: dict[str, Any], as_of: dt.date,
                 outcome: RuleOutcome, user: str) -> list[Candidate]:  # fmt: skip
    """Run the saved screen (kept as a run) and compare it with the run before."""
    from services.screens import compare_runs, get_screen, list_runs, run_saved_screen

    screen = get_screen(session_factory=session_factory, name=p["screen"])
    had_runs = bool(list_runs(screen.id, session_factory=session_factory))
    run, _result = run_saved_screen(screen.id, session_factory=session_factory, user=user, as_of=as_of)
    if not had_runs:
        outcome.notes.append(f"first run of screen {screen.name!r}: {run.row_count} names kept as the baseline")
        return []
    entered = compare_runs(run.id, session_factory=session_factory)
    entered = entered[entered["status"] == "entered"]
    if entered.empty:
        return []
    scope = _scope_company_ids(rule)
    with session_factory() as session:
        ids = dict(session.execute(
            select(Company.key, Company.id).where(Company.key.in_(entered["key"].tolist()), _in_scope(Company.id, scope))
        ).all())  # fmt: skip
    out = []
    for rec in entered.to_dict("records"):
        cid = ids.get(rec["key"])
        if cid is None:
            continue
        out.append(Candidate(
            f"r{rule.id}:screen{screen.id}:c{cid}:{run.as_of.isoformat()}",
            f"{rec['name']} entered saved screen {screen.name!r} at rank {rec['rank']} (as of {run.as_of:%Y-%m-%d}).",
            {"screen": screen.name, "rank": int(rec["rank"]), "score": rec.get("score"), "run_id": run.id},
            company_id=int(cid)))  # fmt: skip
    return out


PriceEvaluator = Callable[[PriceSnapshot, AlertRule, dict[str, Any], RuleOutcome], list[Candidate]]
# Price rules share one ``PriceSnapshot`` per run; the others are one query each.
PRICE_EVALUATORS: dict[str, PriceEvaluator] = {
    "price_move": _eval_price_move,
    "high_52w": _eval_extreme,
    "low_52w": _eval_extreme,
    "volume_spike": _eval_volume,
}
Evaluator = Callable[[Session, AlertRule, dict[str, Any], dt.date, RuleOutcome], list[Candidate]]
EVALUATORS: dict[str, Evaluator] = {
    "debt_maturity": _eval_debt,
    "new_deal": _eval_deal,
    "new_document": _eval_document,
}


def _write_events(session: Session, rule_id: int, as_of: dt.date, candidates: list[Candidate]) -> list[Candidate]:
    """Insert the candidates whose dedupe key is new; returns those written."""
    by_key = {c.dedupe_key: c for c in candidates}
    keys = list(by_key)
    seen: set[str] = set()
    for lo in range(0, len(keys), EVENT_INSERT_CHUNK):
        seen.update(session.scalars(select(AlertEvent.dedupe_key).where(
            AlertEvent.dedupe_key.in_(keys[lo:lo + EVENT_INSERT_CHUNK]))))  # fmt: skip
    fresh = [by_key[k] for k in keys if k not in seen]
    if not fresh:
        return []
    now = dt.datetime.now(dt.UTC)
    rows = [{"rule_id": rule_id, "company_id": c.company_id, "deal_id": c.deal_id, "document_id": c.document_id,
             "dedupe_key": c.dedupe_key, "as_of": as_of, "fired_at": now, "reason": c.reason[:4000],
             "figures": c.figures} for c in fresh]  # fmt: skip
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - the store runs on SQLite or PostgreSQL
        from sqlalchemy import insert as dialect_insert
    # A Core insert on the table (not the ORM bulk path): one executemany per chunk.
    stmt = dialect_insert(AlertEvent.__table__)
    if dialect in ("postgresql", "sqlite"):
        # Two runs at once (cron and "Run now") must not fail on each other's events.
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
    connection = session.connection()
    for lo in range(0, len(rows), EVENT_INSERT_CHUNK):
        connection.execute(stmt, rows[lo:lo + EVENT_INSERT_CHUNK])
    return fresh


def _data_issues(session: Session, as_of: dt.date) -> list[str]:
    # The recent days only: the rules skip bad rows anyway, and a scan of the whole year would
    # cost more than every rule together. A daily run sees each day's rows in this window.
    # "IN (companies)" reads them through the (company_id, date) key, like the price rules.
    since = as_of - dt.timedelta(days=BAD_ROW_DAYS)
    bad = session.execute(
        select(func.count(), func.count(func.distinct(Price.company_id)))
        .where(Price.company_id.in_(select(Company.id)), Price.date > since, Price.date <= as_of,
               or_(Price.close.is_(None), Price.close <= 0, Price.volume < 0,
                   and_(Price.high.is_not(None), Price.low.is_not(None), Price.high < Price.low)))
    ).one()  # fmt: skip
    if bad[0]:
        return [f"{bad[0]} bad price row(s) for {bad[1]} name(s) in the last {BAD_ROW_DAYS} days (non-positive close, "
                "negative volume or high below low): ignored"]  # fmt: skip
    return []


def _price_rules(rules: Sequence[AlertRule]) -> list[tuple[AlertRule, dict[str, Any]]]:
    """The price rules a run can evaluate, with their parameters, for its ``PriceSnapshot``."""
    out = []
    for rule in rules:
        if rule.rule_type in PRICE_EVALUATORS and _scope_readable(rule):
            try:
                out.append((rule, validate_params(rule.rule_type, rule.params)))
            except AlertRuleError:
                continue  # reported when the rule itself is evaluated
    return out


def run_alerts(*, session_factory: sessionmaker[Session], as_of: dt.date | None = None, user: str,
               rule_ids: Sequence[int] | None = None, viewer: Viewer | None = None) -> RunSummary:  # fmt: skip
    """Evaluate every enabled rule (or ``rule_ids``) as of a date and write new events.

    A rule that fails is reported in the summary and does not stop the others. The run
    itself sees every row (events are shared); with a ``viewer`` the summary it returns
    counts only what that viewer may see, so a count never reveals a private-side row.
    """
    as_of = as_of or dt.date.today()
    t0 = time.perf_counter()
    with session_factory() as session:
        query = select(AlertRule).order_by(AlertRule.id)
        query = query.where(AlertRule.id.in_(rule_ids)) if rule_ids is not None else query.where(AlertRule.enabled)
        rules = list(session.scalars(query))
        session.expunge_all()
    outcomes: list[RuleOutcome] = []
    screen_candidates: dict[int, list[Candidate]] = {}
    # Saved screens run in their own transactions (each run is kept), so before the main one.
    for rule in rules:
        if rule.rule_type != "screen_entry":
            continue
        outcome = RuleOutcome(rule.id, rule.name, rule.rule_type)
        t = time.perf_counter()
        try:
            params = validate_params(rule.rule_type, rule.params)
            screen_candidates[rule.id] = _eval_screen(session_factory, rule, params, as_of, outcome, user)
        except WorkbenchError as exc:
            outcome.error = str(exc)
        outcome.elapsed_ms = (time.perf_counter() - t) * 1000
        outcomes.append(outcome)
    found: dict[int, tuple[list[Candidate], list[Candidate]]] = {}  # rule id -> (matched, new)
    with session_factory.begin() as session:
        prices = PriceSnapshot(session, as_of, _price_rules(rules))
        for rule in rules:
            if rule.rule_type == "screen_entry":
                outcome = next(o for o in outcomes if o.rule_id == rule.id)
                if rule.id in screen_candidates:
                    found[rule.id] = (screen_candidates[rule.id],
                                      _write_events(session, rule.id, as_of, screen_candidates[rule.id]))
                continue
            outcome = RuleOutcome(rule.id, rule.name, rule.rule_type)
            outcomes.append(outcome)
            t = time.perf_counter()
            try:
                with session.begin_nested():
                    params = validate_params(rule.rule_type, rule.params)
                    if rule.scope_type not in SCOPE_TYPES:
                        raise AlertRuleError(f"unknown scope {_shown(rule.scope_type)}")
                    if rule.scope_type == "watchlist" and (
                        not (rule.scope_value or "").isdigit() or session.get(Watchlist, int(rule.scope_value)) is None
                    ):
                        raise AlertRuleError("its watchlist no longer exists")
                    if rule.rule_type in PRICE_EVALUATORS:
                        candidates = PRICE_EVALUATORS[rule.rule_type](prices, rule, params, outcome)
                    else:
                        candidates = EVALUATORS[rule.rule_type](session, rule, params, as_of, outcome)
                    found[rule.id] = (candidates, _write_events(session, rule.id, as_of, candidates))
            except WorkbenchError as exc:
                outcome.error = str(exc)
            outcome.elapsed_ms = (time.perf_counter() - t) * 1000
        issues = _data_issues(session, as_of)
        written = sum(len(new) for _, new in found.values())
        audit.record(session, user=user, action="alerts_run", object_type="alert_rules", row_count=written,
                     details={"as_of": as_of.isoformat(), "rules": len(rules),
                              "errors": [f"{o.rule_name}: {o.error}" for o in outcomes if o.error]})  # fmt: skip
        if viewer is not None:
            outcomes = _outcomes_seen_by(session, viewer, outcomes, found)
        else:
            for o in outcomes:
                o.matched, o.new_events = (len(found[o.rule_id][0]), len(found[o.rule_id][1])) if o.rule_id in found \
                    else (o.matched, o.new_events)
    return RunSummary(as_of, sorted(outcomes, key=lambda o: o.rule_id), issues, (time.perf_counter() - t0) * 1000)


def _outcomes_seen_by(session: Session, viewer: Viewer, outcomes: list[RuleOutcome],
                      found: dict[int, tuple[list[Candidate], list[Candidate]]]) -> list[RuleOutcome]:  # fmt: skip
    """The outcomes of the rules this viewer may see, counting only candidates on rows they may see."""
    visible_rules = set(session.scalars(select(AlertRule.id).where(rule_visible(viewer))))
    every = [c for matched, _ in found.values() for c in matched]
    deal_ids = {c.deal_id for c in every if c.deal_id is not None}
    doc_ids = {c.document_id for c in every if c.document_id is not None}
    hidden_deals = set(session.scalars(select(Deal.id).where(Deal.id.in_(deal_ids), ~visible(viewer, Deal.team_id))))
    hidden_docs = set(session.scalars(
        select(Document.id).where(Document.id.in_(doc_ids), ~visible(viewer, Document.team_id))))  # fmt: skip

    def seen(c: Candidate) -> bool:
        return c.deal_id not in hidden_deals and c.document_id not in hidden_docs

    kept = []
    for o in outcomes:
        if o.rule_id not in visible_rules:
            continue
        if o.rule_id in found:
            matched, new = found[o.rule_id]
            o.matched, o.new_events = sum(map(seen, matched)), sum(map(seen, new))
        kept.append(o)
    return kept


# --------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------

EVENT_COLUMNS = ["id", "as_of", "fired_at", "rule", "rule_type", "company", "ticker", "reason", "figures",
                 "acknowledged_at", "acknowledged_by", "company_id", "deal_id", "document_id"]  # fmt: skip


def list_events(*, session_factory: sessionmaker[Session], as_of: dt.date | None = None,
                since: dt.date | None = None, include_acknowledged: bool = True,
                rule_id: int | None = None, limit: int = 500, viewer: Viewer = PUBLIC) -> pd.DataFrame:  # fmt: skip
    """Alert events, newest first, with the rule and company they concern; events tied to a deal,
    document or watchlist the viewer may not see are left out."""
    query = (
        select(AlertEvent.id, AlertEvent.as_of, AlertEvent.fired_at, AlertRule.name.label("rule"),
               AlertRule.rule_type, Company.name.label("company"), Company.ticker, AlertEvent.reason,
               AlertEvent.figures, AlertEvent.acknowledged_at, AlertEvent.acknowledged_by, AlertEvent.company_id,
               AlertEvent.deal_id, AlertEvent.document_id)
        .join(AlertRule, AlertRule.id == AlertEvent.rule_id)
        .outerjoin(Company, Company.id == AlertEvent.company_id)
        .where(event_visible(viewer))
        .order_by(AlertEvent.as_of.desc(), AlertEvent.id.desc())
        .limit(max(1, min(int(limit), 100_000)))
    )  # fmt: skip
    if as_of is not None:
        query = query.where(AlertEvent.as_of == as_of)
    if since is not None:
        query = query.where(AlertEvent.as_of >= since)
    if not include_acknowledged:
        query = query.where(AlertEvent.acknowledged_at.is_(None))
    if rule_id is not None:
        query = query.where(AlertEvent.rule_id == rule_id)
    with session_factory() as session:
        rows = session.execute(query).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=EVENT_COLUMNS)


def latest_event_date(*, session_factory: sessionmaker[Session], viewer: Viewer = PUBLIC) -> dt.date | None:
    with session_factory() as session:
        return session.scalar(select(func.max(AlertEvent.as_of)).where(event_visible(viewer)))


def acknowledge_events(event_ids: Sequence[int], *, session_factory: sessionmaker[Session], user: str,
                       viewer: Viewer = PUBLIC) -> int:  # fmt: skip
    """Mark events as seen by ``user``; events already acknowledged keep their first acknowledgement."""
    ids = sorted({int(i) for i in event_ids})
    if not ids:
        return 0
    with session_factory.begin() as session:
        done = 0
        for lo in range(0, len(ids), EVENT_INSERT_CHUNK):
            result = session.execute(
                update(AlertEvent)
                .where(AlertEvent.id.in_(ids[lo:lo + EVENT_INSERT_CHUNK]), AlertEvent.acknowledged_at.is_(None),
                       event_visible(viewer))
                .values(acknowledged_at=dt.datetime.now(dt.UTC), acknowledged_by=user[:120])
            )  # fmt: skip
            done += result.rowcount or 0
        audit.record(session, user=user, action="alerts_acknowledge", object_type="alert_events", row_count=done)
        return done


def parse_params_text(text: str) -> dict[str, Any]:
    """``"pct=10, days=5, deal_types=ipo;follow_on"`` as a dict; values are checked by ``validate_params``."""
    params: dict[str, Any] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise AlertRuleError(f"write parameters as name=value, not {_shown(item.strip())}")
        value = value.strip()
        params[key.strip()] = [v.strip() for v in value.split(";") if v.strip()] if ";" in value else value
    return params
