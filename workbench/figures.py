"""Key figures in financial text: money, percentages, per-share values, ranges, guidance.

Every figure is a verbatim slice of the text it was found in (``text[start:end]``), with
the metric it most likely refers to, the period, and the sentence around it. Nothing is
computed into the figure's text, so a figure shown to a reader is always in the source.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from workbench.text import Span, split_sentences

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_SCALE = (
    r"(?:\s?(?:trillion|billion|million|thousand|bn|tn|mln|mn|mm|b|m|k)\b\.?)"
)
_CUR_PREFIX = r"(?:US\$|C\$|A\$|HK\$|S\$|R\$|\$|€|£|¥|₹|(?:USD|EUR|GBP|JPY|CHF|CAD|AUD|CNY|INR)\s?)"
_CUR_SUFFIX = r"(?:\s(?:dollars|euros|pounds|USD|EUR|GBP))"
# "$(3.2) million" is a negative amount the accounting way; "25 cents" is money too
_MONEY = (rf"(?:{_CUR_PREFIX}(?:\((?:{_NUM})\)|{_NUM}){_SCALE}?|(?:{_NUM}){_SCALE}?{_CUR_SUFFIX}"
          rf"|(?<![\w.,])(?:{_NUM})\s?cents?\b)")
_PCT = rf"(?:(?:{_NUM})\s?(?:%|percent\b|per cent\b|percentage points?\b|basis points?\b|bps\b|pts\b))"
_PER_SHARE = r"(?:\s(?:per|a)\s(?:diluted\s|basic\s|fully\s+diluted\s)?(?:share|ADS|unit)\b)"
_BARE = rf"(?:{_NUM}){_SCALE}?"
_RANGE_SEP = r"(?:\s?(?:-|–|—)\s?|\sto\s)"

_FIGURE = re.compile(
    # ranges first: "$1.82bn to $1.83bn", "$3.00 to $3.25 per diluted share", "5% to 7%",
    # "between 5 and 7%", "$2.85-3.10"
    rf"(?P<range>(?<=between\s)(?:{_MONEY}|{_PCT}|{_BARE})\sand\s(?:{_MONEY}|{_PCT}){_PER_SHARE}?"
    rf"|(?:{_MONEY}|{_BARE}){_RANGE_SEP}(?:{_MONEY}|{_PCT}|{_BARE}(?=\s(?:per|a)\s)){_PER_SHARE}?"
    rf"|{_PCT}{_RANGE_SEP}{_PCT}|(?<!\w)(?:{_NUM}){_RANGE_SEP}{_PCT})"
    rf"|(?P<money>{_MONEY}{_PER_SHARE}?)"
    rf"|(?P<pct>{_PCT})"
    # "EPS of 1.10" has no unit but is a per-share value: only with "per share"
    rf"|(?P<bare_ps>(?<![\w.,])(?:{_NUM}){_PER_SHARE})",
    re.IGNORECASE,
)

_SINGLE = re.compile(
    rf"(?P<money>{_MONEY}{_PER_SHARE}?)|(?P<pct>{_PCT})|(?P<bare_ps>(?<![\w.,])(?:{_NUM}){_PER_SHARE})",
    re.IGNORECASE,
)

# (pattern, metric name), checked nearest to the figure first. Longer phrases come first so
# "adjusted EBITDA margin" wins over "EBITDA".
_METRICS: list[tuple[str, str]] = [
    (r"adjusted ebitda margins?", "adjusted EBITDA margin"),
    (r"ebitda margins?", "EBITDA margin"),
    (r"adjusted ebitda", "adjusted EBITDA"),
    (r"ebitda", "EBITDA"),
    (r"adjusted (?:diluted )?(?:earnings|eps|net income) per (?:diluted )?share|adjusted (?:diluted )?eps", "adjusted EPS"),
    (r"(?:diluted )?(?:earnings|net income|income) (?:from continuing operations )?per (?:diluted )?share|(?:diluted )?eps", "EPS"),
    (r"dividends?", "dividend"),
    (r"gross margins?", "gross margin"),
    (r"operating margins?", "operating margin"),
    (r"net margins?|profit margins?", "net margin"),
    (r"free cash flow", "free cash flow"),
    (r"operating cash flow|cash (?:flow )?from operations", "operating cash flow"),
    (r"capital expenditures?|capex", "capex"),
    (r"net interest income", "net interest income"),
    (r"net interest margin", "net interest margin"),
    (r"(?:adjusted )?operating (?:income|loss)|operating profit|ebit\b", "operating income"),
    (r"(?:adjusted )?net (?:income|earnings|profit|loss)", "net income"),
    (r"(?:same[- ]store|comparable(?: store)?|like[- ]for[- ]like) sales", "same-store sales"),
    (r"organic (?:revenue |sales )?growth", "organic growth"),
    (r"(?:total |net |core )?revenues?|(?:net |total )?sales|top line|turnover", "revenue"),
    (r"bookings|orders|order intake", "bookings"),
    (r"backlog", "backlog"),
    (r"annual recurring revenue|\barr\b", "ARR"),
    (r"(?:operating )?expenses|opex|costs", "expenses"),
    (r"(?:effective )?tax rate", "tax rate"),
    (r"(?:share )?(?:repurchases?|buybacks?)", "share repurchases"),
    (r"(?:net )?debt|leverage", "debt"),
    (r"cash (?:and (?:cash )?equivalents)?|liquidity", "cash"),
    (r"market share", "market share"),
    (r"margins?", "margin"),
    (r"(?:gross )?profit", "profit"),
    (r"earnings", "earnings"),
]
_METRIC_RES = [(re.compile(rf"\b(?:{p})\b", re.IGNORECASE), name) for p, name in _METRICS]

_PERIOD = re.compile(
    r"\b(?:FY\b|(?:fiscal|FY|full[- ]year|calendar)\s?(?:year\s)?'?(?:19|20)?\d{2}\b"
    r"|Q[1-4](?:\s?(?:FY)?'?(?:19|20)?\d{2})?\b|[1-4]Q\s?'?\d{2}\b"
    r"|(?:first|second|third|fourth)[- ]quarter(?:\sof\s(?:fiscal\s)?(?:19|20)\d{2})?"
    r"|(?:first|second)[- ]half(?:\sof\s(?:fiscal\s)?(?:19|20)\d{2})?|H[12]\s?'?(?:19|20)?\d{2}\b"
    r"|full[- ]year|fiscal year|(?:this|the|next|last|prior)\s(?:fiscal\s)?(?:year|quarter)"
    r"|(?:prior|previous|year)[- ](?:year|ago)(?:\s(?:quarter|period))?|a year ago"
    r"|year[- ]over[- ]year|(?:19|20)\d{2})",
    re.IGNORECASE,
)
_GUIDANCE = re.compile(
    r"\b(?:guidance|guide[sd]?|outlook|sees|expects?|expected|expecting|anticipates?|"
    r"forecasts?|projects?|projected|targets?|targeting|estimates?|reaffirm(?:s|ed)?|"
    r"raises?|raised|lowers?|lowered|narrow(?:s|ed)?|will be|to be in the range)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class KeyFigure:
    text: str  # verbatim: document_text[start:end]
    start: int
    end: int
    kind: str  # money | per_share | percent | range
    value: float | None
    value_high: float | None  # ranges only
    unit: str  # USD, EUR, %, bps, USD/share, ...
    metric: str | None
    period: str | None
    guidance: bool
    sentence: str
    sentence_start: int
    sentence_end: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_SCALES = {"cents": 0.01, "cent": 0.01, "trillion": 1e12, "tn": 1e12, "billion": 1e9, "bn": 1e9, "b": 1e9, "million": 1e6,
           "mn": 1e6, "mln": 1e6, "mm": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3}
_CURRENCIES = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR",
               "c$": "CAD", "a$": "AUD", "hk$": "HKD", "s$": "SGD", "r$": "BRL",
               "dollars": "USD", "euros": "EUR", "pounds": "GBP"}
_NUM_RE = re.compile(_NUM)


def _shared_scale(fragment: str, values: list[float]) -> list[float]:
    """In "$1.82 to $1.83 billion" the scale written once applies to both ends."""
    raw = [float(m.group().replace(",", "")) for m in _NUM_RE.finditer(fragment)]
    if len(raw) >= 2 and values[0] == raw[0] and values[1] != raw[1] and raw[1]:
        return [values[0] * values[1] / raw[1], *values[1:]]
    return values


def _numbers(fragment: str) -> list[float]:
    values = []
    for m in _NUM_RE.finditer(fragment):
        value = float(m.group().replace(",", ""))
        if fragment[m.start() - 1 : m.start()] == "(" and fragment[m.end() : m.end() + 1] == ")":
            value = -value
        scale = re.match(r"\)?\s?([A-Za-z]+)", fragment[m.end() :])
        if scale and scale.group(1).lower() in _SCALES:
            value *= _SCALES[scale.group(1).lower()]
        values.append(value)
    return values


def _unit(fragment: str, kind: str) -> str:
    low = fragment.lower()
    if "bps" in low or "basis point" in low:
        return "bps"
    if "percentage point" in low or "pts" in low:
        return "pp"
    if "%" in low or "percent" in low or "per cent" in low:
        return "%"
    currency = None
    for symbol, code in sorted(_CURRENCIES.items(), key=lambda kv: -len(kv[0])):
        if symbol in low:
            currency = code
            break
    if currency is None and re.search(r"\d\s?cents?\b", low):
        currency = "USD"
    if currency is None:
        m = re.search(r"\b(USD|EUR|GBP|JPY|CHF|CAD|AUD|CNY|INR)\b", fragment)
        currency = m.group(1) if m else ("USD" if kind == "per_share" else "")
    if kind == "per_share" or re.search(_PER_SHARE, fragment, re.IGNORECASE):
        return f"{currency or 'USD'}/share"
    return currency


def _metric(sentence: str, rel_start: int, rel_end: int) -> str | None:
    best: tuple[int, str] | None = None
    for pattern, name in _METRIC_RES:
        for m in pattern.finditer(sentence):
            if m.end() <= rel_start:
                distance = rel_start - m.end()
            elif m.start() >= rel_end:
                # a metric after the figure ("$1.2bn of revenue") is less likely the subject
                distance = (m.start() - rel_end) * 2 + 10
            else:
                continue
            if best is None or distance < best[0]:
                best = (distance, name)
    return best[1] if best and best[0] <= 160 else None


# a period that is the base of a comparison ("compared to $4.50 last year"): it belongs to
# the figure it follows, never to the headline figure of the sentence
_PRIOR = re.compile(r"last|prior|previous|ago|year[- ]over[- ]year", re.IGNORECASE)
_COMPARED = re.compile(r"(?:compared (?:to|with)|versus|vs\.?|(?:up|down) from|from|against)\s+$",
                       re.IGNORECASE)


def _period(sentence: str, rel_start: int, rel_end: int | None = None) -> str | None:
    """The period a figure is for: the nearest named one (quarter, fiscal year, half), else
    a year, else "this/next year"; a prior period ("last year", "a year ago") only for a
    figure that is itself the comparison ("versus $430 million a year ago"), or when the
    sentence names no other period."""
    rel_end = rel_start if rel_end is None else rel_end
    compared = bool(_COMPARED.search(sentence[max(0, rel_start - 30) : rel_start]))
    best: tuple[int, int, str] | None = None
    for m in _PERIOD.finditer(sentence):
        if m.start() <= rel_start < m.end():
            continue  # the figure itself ("2021" inside a number)
        text = m.group()
        prior = bool(_PRIOR.search(text))
        if compared and prior and 0 <= m.start() - rel_end <= 40:
            return text  # "$430 million in the prior-year quarter"
        if prior:
            rank = 3
        elif re.search(r"q[1-4]|quarter|fiscal|fy|half|h[12]|full", text, re.I):
            rank = 0
        else:
            rank = 1 if re.search(r"\d", text) else 2
        key = (rank, abs(m.start() - rel_start), text)
        if best is None or key[:2] < best[:2]:
            best = key
    return best[2] if best else None


def _kind(group: str, fragment: str) -> str:
    if group == "range":
        return "range"
    if group == "bare_ps" or re.search(_PER_SHARE, fragment, re.IGNORECASE):
        return "per_share"
    if group == "pct":
        return "percent"
    return "money"


def _is_year_or_noise(fragment: str, group: str) -> bool:
    if group != "range":
        return False
    # "2019 to 2021" and "10-K" are not figures: a range needs a unit somewhere
    return not re.search(r"[$€£¥₹%]|percent|per cent|point|bps|share|dollar|euro|USD|EUR|GBP|"
                         r"billion|million|thousand|\bbn\b|\bmn\b", fragment, re.IGNORECASE)


def _same_units(fragment: str) -> bool:
    parts = re.split(_RANGE_SEP + r"|\sand\s", fragment, maxsplit=1)
    if len(parts) != 2:
        return True
    a, b = (_unit(p, "money") for p in parts)
    return not a or not b or a == b or (a.endswith("/share") or b.endswith("/share"))


def _per_share_amount(fragment: str) -> bool:
    """An amount that can be a per-share value: no scale word ("$1.23", not "$1.2 billion")."""
    return not re.search(_SCALE, fragment, re.IGNORECASE) or bool(re.search(r"cents?\b", fragment, re.I))


def _per_share_metric(sentence: str, rel_start: int, metric: str | None) -> str:
    if metric in ("EPS", "adjusted EPS", "dividend"):
        return metric
    before = sentence[:rel_start].lower()
    if "dividend" in before[-80:]:
        return "dividend"
    return "adjusted EPS" if "adjusted" in before else "EPS"


def _singles(text: str, span: Span, sentence: str, offset: int, fragment: str,
             is_guidance: bool) -> list[KeyFigure]:
    out = []
    for m in _SINGLE.finditer(fragment):
        part = m.group().rstrip(" .")
        rel_start = offset + m.start()
        rel_end = rel_start + len(part)
        kind = _kind(m.lastgroup or "money", part)
        values = _numbers(part)
        out.append(KeyFigure(
            text=part, start=span.start + rel_start, end=span.start + rel_end, kind=kind,
            value=values[0] if values else None, value_high=None, unit=_unit(part, kind),
            metric=_metric(sentence, rel_start, rel_end), period=_period(sentence, rel_start, rel_end),
            guidance=is_guidance, sentence=sentence, sentence_start=span.start,
            sentence_end=span.end,
        ))
    return out


def figures_in_sentence(text: str, span: Span) -> list[KeyFigure]:
    sentence = text[span.start : span.end]
    found: list[KeyFigure] = []
    is_guidance = bool(_GUIDANCE.search(sentence))
    for m in _FIGURE.finditer(sentence):
        group = m.lastgroup or "money"
        fragment = m.group().rstrip(" .")
        if not fragment or _is_year_or_noise(fragment, group):
            continue
        if group == "money" and not re.search(r"\d", fragment):
            continue
        rel_start, rel_end = m.start(), m.start() + len(fragment)
        kind = _kind(group, fragment)
        values = _numbers(fragment)
        if kind == "range" and len(values) >= 2:
            values = _shared_scale(fragment, values)
        if kind == "range" and not _same_units(fragment):
            # "400 basis points to 8.3%" is a move and a level, not a range: two figures
            found.extend(_singles(text, span, sentence, rel_start, fragment, is_guidance))
            continue
        metric = _metric(sentence, rel_start, rel_end)
        if kind == "money" and metric in ("EPS", "adjusted EPS") and _per_share_amount(fragment):
            kind = "per_share"  # "EPS of $1.23": a per-share value with no "per share"
        if kind == "per_share" or (kind == "range" and "share" in fragment.lower()):
            metric = _per_share_metric(sentence, rel_start, metric)
        found.append(
            KeyFigure(
                text=fragment,
                start=span.start + rel_start,
                end=span.start + rel_end,
                kind=kind,
                value=values[0] if values else None,
                value_high=values[1] if kind == "range" and len(values) > 1 else None,
                unit=_unit(fragment, kind),
                metric=metric,
                period=_period(sentence, rel_start, rel_end),
                guidance=is_guidance,
                sentence=sentence,
                sentence_start=span.start,
                sentence_end=span.end,
            )
        )
    return found


def extract_key_figures(text: str, spans: Sequence[Span] | None = None) -> list[KeyFigure]:
    """Every figure in ``text`` (or in the given sentences of it), in reading order."""
    figures: list[KeyFigure] = []
    for span in spans if spans is not None else split_sentences(text):
        figures.extend(figures_in_sentence(text, span))
    return figures


def count_figures(sentence: str) -> int:
    return sum(1 for _ in _FIGURE.finditer(sentence))
