"""Cell cleaners: text in, a typed value out, or a CellError saying why not.

What is cleaned (silently, the value keeps its meaning):
- leading and trailing whitespace; NUL bytes (removed, with a note in the preview);
- placeholders for "unknown": empty, ``-``, ``--``, ``n/a``, ``#N/A``, ``null``, ``nan``;
  for numbers also ``undisclosed``, ``undisclosed amount``, ``nm``;
- currency symbols and codes ($, €, £, ¥, USD, EUR, GBP), thousands separators, accounting
  negatives ``(12.5)``, a trailing ``%``;
- size suffixes on amounts: ``$1.2B`` is 1,200.0 million, ``$350M`` 350.0, ``$900K`` 0.9;
- dates as ISO ``2014-08-26`` (a time part is dropped), ``dd/mm/yyyy`` or ``mm/dd/yyyy`` (the
  column's order is detected from its values), ``26 Aug 2014``, ``Aug 26, 2014``, Excel dates;
- years inside text: ``2013 (1888)`` is 2013.

What is rejected (the row is invalid): text where a number is expected, a negative amount,
a date that does not parse or lies outside 1900 to five years from today (also a date built
from a year and month: ``month_start``), a year outside 1600 to five years from today, text
longer than its column allows.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

MISSING = frozenset({"", "-", "--", "—", "–", "n/a", "#n/a", "null", "nan", "none", "#value!", "#ref!"})
NUMBER_MISSING = MISSING | {"undisclosed", "undisclosed amount", "nm", "n.m.", "na", "not disclosed"}
MIN_DATE = dt.date(1900, 1, 1)
# Year cells also hold founding years (the S&P 500's oldest is 1784), so they go further back
# than dates; a deal dated by its year alone still has to pass MIN_DATE (see month_start).
MIN_YEAR = 1600
FUTURE_YEARS = 5
MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}  # fmt: skip
SUFFIXES = {"k": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "mil": 1e6, "b": 1e9, "bn": 1e9, "t": 1e12, "tn": 1e12}

_CURRENCY = re.compile(r"^(?:US\$|USD|EUR|GBP|JPY|CHF|CAD|AUD|[$€£¥])\s*|\s*(?:USD|EUR|GBP|JPY|CHF|CAD|AUD)$", re.I)
_NUMBER = re.compile(r"^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:e([+-]?\d+))?\s*([a-z]{1,3})?$", re.I)
_YEAR_IN_TEXT = re.compile(r"\b(\d{4})\b")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_SLASHED = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_DAY_MONTH_NAME = re.compile(r"^(\d{1,2})[ -]([a-z]{3,9})\.?[ -,]*(\d{4})$", re.I)
_MONTH_NAME_DAY = re.compile(r"^([a-z]{3,9})\.? (\d{1,2}),? (\d{4})$", re.I)


class CellError(ValueError):
    """A cell that cannot be turned into its field's type; the message is the reason."""


@dataclass(frozen=True)
class Amount:
    value: float
    # True when the cell said its own size (B, M, K): then the column's scale does not apply.
    absolute: bool


def max_year() -> int:
    return dt.date.today().year + FUTURE_YEARS


def is_missing(text: str | None, *, numeric: bool = False) -> bool:
    if text is None:
        return True
    return text.strip().lower() in (NUMBER_MISSING if numeric else MISSING)


def clean_text(text: str | None, *, max_len: int | None = None) -> str | None:
    """Strip surrounding whitespace; placeholders become None. Inner text is kept verbatim."""
    if is_missing(text):
        return None
    value = text.strip()  # type: ignore[union-attr]
    if max_len is not None and len(value) > max_len:
        raise CellError(f"longer than {max_len} characters ({len(value):,})")
    return value


def parse_amount(text: str | None) -> Amount | None:
    """A number with optional currency, separators, suffix (B/M/K), % or accounting negative."""
    if is_missing(text, numeric=True):
        return None
    raw = text.strip()  # type: ignore[union-attr]
    s = raw.replace("\u00a0", " ").replace(" ", "") if re.search(r"\d \d", raw) else raw
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1].strip()
    if s.startswith("-") and len(s) > 1 and not s[1].isdigit():
        negative, s = True, s[1:].strip()  # "-$5" as well as "$-5"
    s = _CURRENCY.sub("", s).strip()
    s = s.rstrip("%").strip()
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?(\s*[a-z]{1,3})?", s, re.I):
        s = s.replace(",", "")
    m = _NUMBER.match(s.replace(" ", ""))
    if not m:
        raise CellError("not a number")
    sign, digits, exponent, suffix = m.groups()
    # float() of the text, never 10 ** exponent: "1e999999999" would build a billion-digit integer.
    value = float(f"{digits}e{exponent}" if exponent else digits)
    if sign == "-":
        value = -value
    if negative:
        value = -value
    if suffix:
        multiplier = SUFFIXES.get(suffix.lower())
        if multiplier is None:
            raise CellError(f"unknown size suffix {suffix!r}")
        value *= multiplier
    if not math.isfinite(value):
        raise CellError("not a finite number")
    return Amount(value, absolute=bool(suffix))


def parse_float(text: str | None) -> float | None:
    amount = parse_amount(text)
    if amount is None:
        return None
    if amount.absolute:
        raise CellError("size suffix not allowed here")
    return amount.value


def parse_money(text: str | None, *, scale: float = 1.0) -> float | None:
    """Amount in millions: a suffixed cell (``$1.2B``) converts itself, else ``value * scale``."""
    amount = parse_amount(text)
    if amount is None:
        return None
    return amount.value / 1e6 if amount.absolute else amount.value * scale


def parse_pct(text: str | None, *, scale: float = 1.0) -> float | None:
    """Percentage points; ``scale=100`` for columns holding fractions (0.0175 for 1.75%)."""
    if text is not None and text.strip().endswith("%"):
        scale = 1.0  # "1.75%" says its own unit
    value = parse_float(text)
    return None if value is None else value * scale


def parse_int(text: str | None) -> int | None:
    value = parse_float(text)
    if value is None:
        return None
    if value != int(value):
        raise CellError("not a whole number")
    if abs(value) > 2**63 - 1:
        raise CellError("too large for a whole number")
    return int(value)


def parse_year(text: str | None) -> int | None:
    if is_missing(text, numeric=True):
        return None
    s = text.strip()  # type: ignore[union-attr]
    if re.fullmatch(r"\d{4}(\.0+)?", s):
        year = int(float(s))
    else:
        m = _YEAR_IN_TEXT.search(s)
        if not m:
            raise CellError("not a year")
        year = int(m.group(1))
    if not MIN_YEAR <= year <= max_year():
        raise CellError(f"implausible year (expected {MIN_YEAR} to {max_year()})")
    return year


def parse_month(text: str | None) -> int | None:
    if is_missing(text, numeric=True):
        return None
    s = text.strip().lower().rstrip(".")  # type: ignore[union-attr]
    if s.isdigit() and 1 <= int(s) <= 12:
        return int(s)
    if (len(s) == 3 or s in _FULL_MONTHS) and s[:3] in MONTHS:
        return MONTHS[s[:3]]
    raise CellError("not a month")


_FULL_MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december", "sept"}  # fmt: skip


def slashed_date_order(values: list[str | None]) -> str:
    """'dmy' or 'mdy' for a column of d/m/y-like cells: a first part above 12 means day first."""
    day_first = month_first = False
    for v in values:
        if not v:
            continue
        m = _SLASHED.match(v.strip())
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            day_first |= a > 12
            month_first |= b > 12
    if month_first and not day_first:
        return "mdy"
    # Day first when the column says so or cannot tell: most non-US exports write it that way.
    return "dmy"


def _checked(year: int, month: int, day: int) -> dt.date:
    try:
        value = dt.date(year, month, day)
    except ValueError as exc:
        raise CellError(f"not a calendar date ({exc})") from None
    if not MIN_DATE <= value <= dt.date(max_year(), 12, 31):
        raise CellError(f"implausible date (expected {MIN_DATE.year} to {max_year()})")
    return value


def month_start(year: int, month: int | None = None) -> dt.date:
    """The date of a row that gives only a year (and maybe a month): the first of the month, or
    1 January; checked like any date, so a year before 1900 is rejected here."""
    return _checked(year, month or 1, 1)


def parse_date(text: str | None, *, order: str = "dmy") -> dt.date | None:
    if is_missing(text):
        return None
    s = text.strip()  # type: ignore[union-attr]
    if m := _ISO.match(s):
        return _checked(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _SLASHED.match(s):
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        day, month = (a, b) if order == "dmy" else (b, a)
        return _checked(y, month, day)
    if m := _DAY_MONTH_NAME.match(s):
        month = MONTHS.get(m.group(2)[:3].lower())
        if month:
            return _checked(int(m.group(3)), month, int(m.group(1)))
    if m := _MONTH_NAME_DAY.match(s):
        month = MONTHS.get(m.group(1)[:3].lower())
        if month:
            return _checked(int(m.group(3)), month, int(m.group(2)))
    if re.fullmatch(r"\d{8}", s):
        return _checked(int(s[:4]), int(s[4:6]), int(s[6:]))
    raise CellError("not a date (expected e.g. 2014-08-26 or 26/08/2014)")


def split_list(text: str | None, separators: str = ";|") -> list[str]:
    """Cells holding several names: split, strip, drop placeholders, keep order, drop repeats."""
    if is_missing(text):
        return []
    parts = re.split("[" + re.escape(separators) + "]", text)  # type: ignore[arg-type]
    seen: dict[str, None] = {}
    for part in parts:
        value = clean_text(part)
        if value is not None:
            seen.setdefault(value, None)
    return list(seen)


def split_exchange_ticker(text: str | None) -> tuple[str | None, str | None]:
    """``NasdaqGS:AAPL`` -> (``NasdaqGS``, ``AAPL``); a bare ``AAPL`` is a ticker alone."""
    value = clean_text(text)
    if value is None:
        return None, None
    if ":" in value:
        exchange, _, ticker = value.partition(":")
        return (exchange.strip() or None), (ticker.strip() or None)
    return None, value
