"""Text normalisation with a map back to the original, and sentence segmentation with offsets.

Every summary sentence, key figure and answer cites character offsets into the stored
(normalised) text, so segmentation never rewrites text: a sentence is exactly
``text[start:end]``. Normalisation keeps a piecewise map to the original characters, so
that an offset in the stored text can be traced to the file it came from.
"""

from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass
from functools import lru_cache

# One pass over the raw text: each alternative is a rewrite, everything between matches is
# copied verbatim (which keeps the offset map short: one anchor per piece).
_REWRITES = re.compile(
    r"(?P<marker>(?m:^)[ \t]*CONTENT_\d+:[ \t]*)"
    # hyphenation at a line end: "finan-\ncial" -> "financial" (only between lowercase
    # letters, so "mid-\nCap" or "2019-\n2020" keep their hyphen)
    r"|(?P<hyphen>(?<=[a-z])-[ \t]*\r?\n[ \t]*(?=[a-z]))"
    r"|(?P<entity>&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]{2,8});)"
    r"|(?P<invisible>[\u00ad\u200b\u200c\u200d\ufeff])"
    r"|(?P<space>[ \t\r\n\f\v\u00a0\u2028\u2029]+)"
)
_LINE_BREAKS = re.compile(r"\r\n|\r|\n|\f|\u2028|\u2029")
_ENTITY_FIXES = {
    # Numeric entities in the 128-159 range are cp1252 bytes written as HTML (SEC filings).
    chr(c): bytes([c]).decode("cp1252", errors="replace") for c in range(128, 160)
}


@dataclass(frozen=True)
class NormalisedText:
    """Normalised text and, for each piece of it, where it started in the original."""

    text: str
    # anchors: (start in normalised text, start in original, piece copied verbatim?)
    _norm_starts: tuple[int, ...]
    _orig_starts: tuple[int, ...]
    _verbatim: tuple[bool, ...]
    original_length: int

    def to_original(self, index: int) -> int:
        """Original offset of the character at ``index`` (or of the end, for len(text))."""
        if index >= len(self.text):
            return self.original_length if not self._orig_starts else self._end_of_last()
        i = bisect.bisect_right(self._norm_starts, index) - 1
        if i < 0:
            return 0
        if self._verbatim[i]:
            return self._orig_starts[i] + (index - self._norm_starts[i])
        return self._orig_starts[i]

    def _end_of_last(self) -> int:
        i = len(self._norm_starts) - 1
        if self._verbatim[i]:
            return self._orig_starts[i] + (len(self.text) - self._norm_starts[i])
        return self._orig_starts[i] + 1

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        if end <= start:
            o = self.to_original(start)
            return o, o
        return self.to_original(start), self.to_original(end - 1) + 1


def _entity(match_text: str) -> str | None:
    value = html.unescape(match_text)
    if value == match_text:
        return None  # not an entity html knows: keep the text as it was
    return "".join(_ENTITY_FIXES.get(ch, ch) for ch in value)


def normalise(raw: str) -> NormalisedText:
    """Whitespace collapsed (paragraphs kept as blank lines, lines as single newlines),
    line-end hyphenation joined, ``CONTENT_N:`` markers and invisible characters removed,
    HTML entities decoded."""
    out: list[str] = []
    norm_starts: list[int] = []
    orig_starts: list[int] = []
    verbatim: list[bool] = []
    length = 0
    # whitespace waiting to be written: 0 none, 1 space, 2 line break, 3 paragraph break
    pending = 0
    pending_at = 0

    def emit(piece: str, orig: int, is_verbatim: bool) -> None:
        nonlocal length, pending
        if pending and length:
            ws = " " if pending == 1 else "\n" if pending == 2 else "\n\n"
            out.append(ws)
            norm_starts.append(length)
            orig_starts.append(pending_at)
            verbatim.append(False)
            length += len(ws)
        pending = 0
        out.append(piece)
        norm_starts.append(length)
        orig_starts.append(orig)
        verbatim.append(is_verbatim)
        length += len(piece)

    pos = 0
    for m in _REWRITES.finditer(raw):
        if m.start() > pos:
            emit(raw[pos : m.start()], pos, True)
        kind = m.lastgroup
        if kind == "space":
            breaks = len(_LINE_BREAKS.findall(m.group()))
            level = 3 if breaks >= 2 else 2 if breaks == 1 else 1
            if level > pending:
                pending, pending_at = level, m.start()
        elif kind == "marker":
            # a marker starts a block of its own
            if 3 > pending:
                pending, pending_at = 3, m.start()
        elif kind == "entity":
            value = _entity(m.group())
            if value is None:
                emit(m.group(), m.start(), True)
            elif value.isspace():
                if pending < 1:
                    pending, pending_at = 1, m.start()
            else:
                emit(value, m.start(), False)
        # hyphen and invisible: dropped
        pos = m.end()
    if pos < len(raw):
        emit(raw[pos:], pos, True)
    return NormalisedText(
        text="".join(out),
        _norm_starts=tuple(norm_starts),
        _orig_starts=tuple(orig_starts),
        _verbatim=tuple(verbatim),
        original_length=len(raw),
    )


def normalise_text(raw: str) -> str:
    return normalise(raw).text


# ---------------------------------------------------------------------------------------
# Sentence segmentation


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


# Words that end with a period without ending the sentence, compared lowercased and
# without the trailing period.
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st mt rev hon gen col capt lt sgt
    approx appx est avg min max no nos vol vols fig figs p pp para sec art ch ed eds
    e.g i.e etc vs v cf al viz ca incl excl ex abt
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun
    dept div mgmt govt intl natl assn bros ref tel
    """.split()
)
# Company suffixes and country initials do end sentences ("...sold to Acme Inc. The deal"),
# but far more often sit inside one: end the sentence only before a common opening word.
_SOFT_ABBREVIATIONS = frozenset(
    "inc corp co ltd llc plc lp llp bhd pty ag sa nv bv gmbh u.s u.k u.s.a e.u n.a s.a".split()
)
_OPENERS = frozenset(
    """
    the a an we our i in this that these those it its as for on at by with after before
    during revenue sales net total however but and so also then there they he she you
    management following while when if although overall next finally additionally
    moving turning now let please thank thanks yes no first second third lastly
    """.split()
)
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, whitespace.
_BOUNDARY = re.compile(r"[.!?]+[\"'\u2019\u201d)\]]*(?=\s)")
_TOKEN_BEFORE = re.compile(r"(\S+)$")
_WORD_AFTER = re.compile(r"\s*[\"'\u2018\u201c(\[]*(\S*)")
_LIST_MARKER = re.compile(
    r"^(?:[-*\u2022\u25aa\u25cf\u2013\u2014>]\s|\(?\d{1,3}[.)]\s|\(?[a-zA-Z][.)]\s|\([ivxIVX]{1,5}\)\s|[ivxIVX]{1,5}[.)]\s)"
)
_ENDS_SENTENCE = re.compile(r"[.!?:;][\"'\u2019\u201d)\]]*$")
_TABLEISH_END = re.compile(r"(?:\d|%|\)|\$|-|\u2014|n/a|N/A|nm|NM)$")
_HAS_WORD = re.compile(r"[A-Za-z0-9]")
# Beyond this a "sentence" is a flattened table or a run-on list: cut it at semicolons.
MAX_SENTENCE_CHARS = 1200


def _line_is_break(prev: str, nxt: str) -> bool:
    """Whether a single line break between two lines ends a sentence."""
    p, n = prev.rstrip(), nxt.lstrip()
    if not p or not n:
        return True
    if _LIST_MARKER.match(n):
        return True
    first = n[0]
    if _ENDS_SENTENCE.search(p):
        token = _TOKEN_BEFORE.search(p)
        if token and _is_abbreviation(token.group(1)) and first.islower():
            return False
        return not first.islower()
    if first.islower():
        return False
    # flattened table rows and headings: a short line, or one ending in a figure
    if _TABLEISH_END.search(p) and (first.isupper() or first.isdigit() or first in "$("):
        return True
    return len(p) <= 60 and (first.isupper() or first.isdigit())


def _is_abbreviation(token: str) -> bool:
    word = token.strip("\"'([{\u2018\u201c").rstrip(".!?\"')]}\u2019\u201d").lower()
    return word in _ABBREVIATIONS or word in _SOFT_ABBREVIATIONS


def _boundary_ok(text: str, end: int, block_start: int) -> bool:
    """Whether the punctuation ending at ``end`` ends a sentence."""
    punct = text[end - 1] if end else ""
    token_start = max(text.rfind(" ", block_start, end), text.rfind("\n", block_start, end)) + 1
    token_start = max(token_start, block_start)
    token = text[token_start:end]
    after = _WORD_AFTER.match(text, end)
    next_word = after.group(1) if after else ""
    if not next_word:
        return True
    first = next_word[0]
    if first.islower():
        return False  # "approx. two", "Acme Inc. reported", "e.g. revenue"
    if punct in "!?":
        return True
    core = token.rstrip(".\"')]\u2019\u201d").lstrip("\"'([\u2018\u201c")
    lower = core.lower()
    if lower in _ABBREVIATIONS:
        return False
    if lower in _SOFT_ABBREVIATIONS or re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", core):
        return next_word.strip("\"'(").lower().rstrip(",") in _OPENERS
    if re.fullmatch(r"[A-Z]", core):  # an initial: "J. Smith"
        return False
    # a list number at the start of a block or line: "1. Revenue grew"
    line_start = text.rfind("\n", block_start, end) + 1
    line_start = max(line_start, block_start)
    if token_start == line_start and re.fullmatch(r"\(?(?:\d{1,3}|[ivxIVX]{1,5}|[a-zA-Z])", core):
        return False
    if lower in ("no", "nos") and first.isdigit():
        return False
    return True


def _split_long(text: str, start: int, end: int) -> list[Span]:
    if end - start <= MAX_SENTENCE_CHARS:
        return [Span(start, end)]
    spans: list[Span] = []
    cut = start
    for m in re.finditer(r";\s+", text[start:end]):
        piece_end = start + m.start() + 1
        if piece_end - cut >= 200:
            spans.append(Span(cut, piece_end))
            cut = start + m.end()
    spans.append(Span(cut, end))
    return spans


def _blocks(text: str) -> list[tuple[int, int]]:
    """Runs of text between sentence-ending line breaks."""
    blocks: list[tuple[int, int]] = []
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]
    if not lines:
        return blocks
    cur_start, cur_end = lines[0]
    for (s, e) in lines[1:]:
        gap = text[cur_end:s]
        if "\n\n" in gap or _line_is_break(text[cur_start:cur_end].rsplit("\n", 1)[-1], text[s:e]):
            blocks.append((cur_start, cur_end))
            cur_start = s
        cur_end = e
    blocks.append((cur_start, cur_end))
    return blocks


@lru_cache(maxsize=64)
def split_sentences(text: str) -> tuple[Span, ...]:
    """Sentences of normalised text as spans; ``text[s.start:s.end]`` is the sentence."""
    spans: list[Span] = []
    for b_start, b_end in _blocks(text):
        cursor = b_start
        for m in _BOUNDARY.finditer(text, b_start, b_end):
            if m.end() >= b_end:
                break
            if _boundary_ok(text, m.end(), b_start):
                spans.extend(_split_long(text, cursor, m.end()))
                nxt = m.end()
                while nxt < b_end and text[nxt].isspace():
                    nxt += 1
                cursor = nxt
        if cursor < b_end:
            spans.extend(_split_long(text, cursor, b_end))
    return tuple(t for t in (_trim(text, s) for s in spans) if _HAS_WORD.search(text, t.start, t.end))


def _trim(text: str, span: Span) -> Span:
    start, end = span.start, span.end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return span if (start, end) == (span.start, span.end) else Span(start, end)


def sentence_texts(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]
