"""Finance-aware extractive summaries: rank pieces of the text, never rewrite them.

By default a piece is a whole sentence of the source, unaltered. With ``clauses`` a piece
may instead be a run of a sentence's clauses (cut at "; ", ", " and connectives such as
"compared to", "driven by", "which"): shorter highlights that let the clause carrying a
headline figure ("revenues were $481.1 million") stand without the comparison and drivers
around it. Either way a piece is an exact slice of the source, so it points to its place,
and it carries the offsets of its whole sentence, so a reader always sees the clause in the
sentence it was cut from (a cut can drop a qualifier such as "excluding one-off items").

Salience = embedding centrality of the piece's sentence (how typical it is of the
document) plus features an analyst reads for first: earnings per share with its figure, a
headline metric with its figure (revenue, net income, dividend), guidance given as a range,
KPIs (revenue, EPS, EBITDA, margins, cash flow), guidance language; minus boilerplate
(safe-harbour, call logistics, pleasantries), questions, comparisons with a prior period,
pieces opening on a connective, and a small cost per word. Redundancy is controlled by
maximal marginal relevance (MMR) and by never repeating a figure already given. The
weights are a handful of numbers set by hand, the same for every document; no model or
word list is learnt from a corpus. Ties break on position, so the same text always gives the same summary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from workbench.embeddings import Embedder
from workbench.figures import _FIGURE as FIGURE_PATTERN  # what count_figures counts
from workbench.text import Span, split_sentences


# Stored summaries (document_summaries) are keyed on this: change it whenever a change here
# or in the key-figure extraction changes what a summary of the same text comes out as.
METHOD = "pieces-2"


@dataclass(frozen=True)
class SummarySentence:
    text: str  # exactly document_text[start:end]: a sentence or (``clauses``) clauses of one
    start: int
    end: int
    rank: int  # 1 = most important
    score: float  # salience in [0, 1]-ish; comparable within one document
    index: int  # position in the document of the sentence the piece comes from
    sentence_start: int  # the whole sentence the piece comes from (= start, end for a sentence)
    sentence_end: int

    @property
    def is_whole_sentence(self) -> bool:
        return (self.start, self.end) == (self.sentence_start, self.sentence_end)


@dataclass(frozen=True)
class Weights:
    centrality: float = 0.15
    figures: float = 0.0
    kpi: float = 0.6
    guidance: float = 0.1
    period: float = 0.0
    # prepared remarks come before the Q&A, but the results are restated throughout:
    # position is available and off
    position: float = 0.0
    headline: float = 0.3
    # a headline metric with its own figure a few words on ("revenue rose 5% to $2.1
    # billion", "EPS of $1.23"): the shape of a results headline, counted per metric
    metric_figure: float = 0.3
    # earnings per share stated with its figure, and guidance given as a range
    eps: float = 0.7
    guided_figure: float = 0.5
    # a comparison with a prior period, and a piece opening on a connective ("which",
    # "driven by", "compared to"): supporting detail, not the headline
    prior: float = 0.4
    detail: float = 0.1
    boilerplate: float = 0.8
    question: float = 0.4
    short: float = 0.3
    long: float = 0.8
    long_from: float = 30.0
    # MMR trade-off: 1.0 is pure salience, lower trades it for novelty
    # (high: the near-duplicate cap below already removes restatements of one figure)
    mmr_lambda: float = 0.9
    # a sentence this similar to one already picked says the same thing: never pick it
    max_similarity: float = 0.85
    # a piece pays for every word it spends: a clause with the figure beats its sentence
    word_cost: float = 0.025
    # the best sentences are cut into clauses; the rest compete whole
    clause_sentences: int = 30


# The same weights serve whole sentences and clauses: a lower word cost or a later "long"
# penalty for whole sentences was tried on the two train samples and did not hold up on both.
DEFAULT_WEIGHTS = Weights()

_KPI = re.compile(
    r"\b(?:revenues?|sales|earnings|eps|per share|net income|net loss|ebitda|ebit|operating "
    r"(?:income|margin|profit|loss|cash flow)|gross margin|margins?|free cash flow|cash flow|"
    r"bookings|backlog|orders|arr|dividends?|buybacks?|repurchases?|same[- ]store|comparable|"
    r"organic|net interest|profit|guidance|outlook)\b",
    re.IGNORECASE,
)
_GUIDANCE = re.compile(
    r"\b(?:guidance|outlook|expects?|expected|anticipates?|forecasts?|sees|projects?|reaffirm\w*|"
    r"rais(?:e|es|ed|ing)|lower(?:s|ed|ing)?|narrow\w*|full[- ]year|fiscal (?:year )?20\d\d|"
    r"for (?:the )?(?:fiscal )?(?:year|20\d\d))\b",
    re.IGNORECASE,
)
_PERIOD = re.compile(
    r"\b(?:q[1-4]|first|second|third|fourth|quarter(?:ly)?|full[- ]year|fiscal|fy\d*|"
    r"year[- ]over[- ]year|sequential(?:ly)?|20\d\d)\b",
    re.IGNORECASE,
)
_BOILERPLATE = re.compile(
    r"forward[- ]looking|safe harbor|risks? and uncertaint|actual results (?:may|could)|"
    r"non-gaap (?:financial )?measures?|reconciliation|webcast|replay|conference call|"
    r"earnings (?:call|release|press release)|press release|investor relations|"
    r"(?:sec|10-k|10-q|8-k) (?:filings?|reports?)|good (?:morning|afternoon|evening)|"
    r"thank you|thanks|welcome to|operator|ladies and gentlemen|joining us|"
    r"(?:next|first) question|turn (?:the call|it) over|i(?:'d| would) like to|"
    r"slide \d+|on slide|call participants|listen-only|q&a session|questions? and answers?",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+")
_FIGURE_TEXT = re.compile(r"\$?\d[\d,.]*\d|\$?\d")
_EMBED_WORDS = 48
# The figures a results headline leads with: earnings per share, revenue, profit, guidance.
_HEADLINE = re.compile(
    r"\b(?:per (?:diluted )?share|eps|revenues?|sales|net (?:income|earnings|loss)|"
    r"ebitda|guidance|outlook|expects?)\b",
    re.IGNORECASE,
)


# A headline metric followed within a few words by a figure (money, per-share, percent).
# Only the metrics a results headline leads with (revenue, EPS, net income, dividend);
# EBITDA, margins and cash flow are supporting detail and already count as KPIs.
_METRIC_FIGURE = re.compile(
    r"\b(?:(?:total |net |consolidated |organic |comparable |same[- ]store )?(?:revenues?|sales)|"
    r"(?:earnings|income|profit|loss) per (?:diluted )?share|eps|net (?:income|earnings|loss)|"
    r"dividend|ffo|funds from operations)\b"
    r"(?:\W+\w+){0,7}?\W+(?:\$\s?\d|\d[\d.,]*\s?(?:%|percent))",
    re.IGNORECASE,
)

# Earnings per share with its figure: the first number of any results headline.
_EPS_FIGURE = re.compile(
    r"\b(?:(?:earnings|income|ffo) per (?:diluted )?share|eps|ffo)\b(?:\W+\w+){0,6}?\W+\$\s?\d"
    r"|\$\s?\d+\.\d+ (?:per|a) (?:diluted )?share\b",
    re.IGNORECASE,
)
# A range of figures ("$1.7 billion to $1.8 billion", "between 5% and 7%"): how guidance is given.
_RANGE = re.compile(r"\d[\d.,]*\s?(?:%|percent|[mb]illion)?\s?(?:to|-|and)\s?\$?\d", re.IGNORECASE)
# The period compared against: results are headlined on the current period.
_PRIOR = re.compile(
    r"\b(?:compar(?:ed|es?) (?:to|with)|versus|vs\.|(?:up|down) from|last year|prior[- ](?:year|quarter|period)|"
    r"year[- ]ago|a year earlier|previous (?:year|quarter)|same (?:quarter|period) (?:of |in )?last year)",
    re.IGNORECASE,
)
# A piece that opens on a connective is supporting detail: a driver, a comparison, an aside.
_DETAIL = re.compile(
    r"(?:which|who|that|where|when|compared|versus|vs\.|as compared|driven|due|reflecting|primarily|"
    r"mainly|largely|partially|partly|offset|including|excluding|resulting|representing|bringing|"
    r"up from|down from|an? (?:increase|decrease|improvement|decline))\b",
    re.IGNORECASE,
)
# Counted per sentence or piece, in this order (see ``_features``).
_PATTERNS = (FIGURE_PATTERN, _KPI, _GUIDANCE, _PERIOD, _BOILERPLATE, _WORD, _HEADLINE, _METRIC_FIGURE,
             _EPS_FIGURE, _RANGE, _PRIOR)
_N_FEATURES = 13


def _features(texts: Sequence[str]) -> np.ndarray:
    """One row per sentence: figures, kpi, guidance, period, boilerplate, question, words,
    whether a figure stands next to a headline metric, metric-figure pairs, whether earnings
    per share are stated with their figure, whether guidance comes with a range, whether a
    prior period is mentioned, and whether the text opens on a connective."""
    rows = np.zeros((len(texts), _N_FEATURES), dtype=np.float64)
    for i, t in enumerate(texts):
        figures, kpi, guidance, period, boilerplate, words, headline, metric_figure, eps, ranges, prior = (
            len(p.findall(t)) for p in _PATTERNS)
        rows[i] = (figures, kpi, guidance, period, 1.0 if boilerplate else 0.0,
                   1.0 if t.rstrip().endswith("?") else 0.0, words, 1.0 if figures and headline else 0.0,
                   metric_figure, 1.0 if eps else 0.0, 1.0 if guidance and ranges else 0.0,
                   1.0 if prior else 0.0, 1.0 if _DETAIL.match(t) else 0.0)
    return rows


def _content(f: np.ndarray, weights: Weights) -> np.ndarray:
    """The part of salience read off the words themselves (figures, KPIs, guidance, ...)."""
    # saturating counts: the second figure in a sentence adds less than the first
    sat = lambda x, k: 1.0 - np.exp(-x / k)  # noqa: E731
    words = f[:, 6]
    return (
        weights.figures * sat(f[:, 0], 1.5)
        + weights.kpi * sat(f[:, 1], 1.5)
        + weights.guidance * sat(f[:, 2], 1.0)
        + weights.period * sat(f[:, 3], 1.0)
        + weights.headline * f[:, 7]
        + weights.metric_figure * sat(f[:, 8], 1.0)
        + weights.eps * f[:, 9]
        + weights.guided_figure * f[:, 10]
        - weights.prior * f[:, 11]
        - weights.detail * f[:, 12]
        - weights.boilerplate * f[:, 4]
        - weights.question * f[:, 5]
        - weights.short * (words < 6)
        - weights.long * np.clip((words - weights.long_from) / 40, 0, 1)
    )


def salience(texts: Sequence[str], vectors: np.ndarray | None, weights: Weights = DEFAULT_WEIGHTS,
             positions: np.ndarray | None = None, total: int | None = None,
             features: np.ndarray | None = None) -> np.ndarray:
    """Salience per sentence; without vectors, the feature part only (used to pre-select)."""
    n = len(texts)
    if n == 0:
        return np.zeros(0)
    f = _features(texts) if features is None else features
    if vectors is not None:
        centroid = vectors.mean(axis=0)
        norm = np.linalg.norm(centroid)
        centrality = vectors @ (centroid / norm) if norm > 0 else np.zeros(n)
        lo, hi = float(centrality.min()), float(centrality.max())
        centrality = (centrality - lo) / (hi - lo) if hi > lo else np.zeros(n)
    else:
        centrality = np.zeros(n)
    positions = np.arange(n) if positions is None else positions
    position = 1.0 - positions / max((total or n) - 1, 1)
    return weights.centrality * centrality + weights.position * position + _content(f, weights)


# Where a sentence may be cut into clauses: after ";" or ":", at ", ", at a dash, and
# before the connectives that start supporting detail (comparisons, drivers, relative
# clauses). Figures never contain ", " or "; ", so a cut never splits a figure.
_CUT = re.compile(
    r"[;:]\s+|,\s+(?!\d{4}\b)|\s[-\u2013\u2014]+\s|\s+(?=(?:compared (?:to|with)|versus|vs\.|as compared|"
    r"driven (?:\w+ )?by|due (?:\w+ )?to|reflecting|which|primarily (?:due|driven|as)|"
    r"an? (?:increase|decrease|improvement|decline) of)\b)",
    re.IGNORECASE,
)
# Words that open a clause without adding to it: "and", "so", "now", "in addition", ...
_LEAD = re.compile(
    r"(?:(?:and|but|so|or|plus|also|now|well|then|while|whereas|again|overall|additionally|"
    r"finally|lastly|okay|ok|yes|in addition|as a result|as such|importantly)\b,?\s+)+",
    re.IGNORECASE,
)
_TRAIL = " \t\n,;:-\u2013\u2014"


def clause_spans(text: str, span: Span, max_clauses: int = 4, min_words: int = 4) -> list[Span]:
    """The sentence at ``span`` and its runs of up to ``max_clauses`` consecutive clauses,
    each an exact slice of ``text`` without leading connectives or trailing punctuation."""
    sentence = text[span.start : span.end]
    bounds: list[tuple[int, int]] = []
    cursor = 0
    for m in _CUT.finditer(sentence):
        if m.start() > cursor:
            bounds.append((cursor, m.start()))
        cursor = m.end()
    if cursor < len(sentence):
        bounds.append((cursor, len(sentence)))
    out = {span}
    for i in range(len(bounds)):
        lead = _LEAD.match(sentence, bounds[i][0])
        lo = lead.end() if lead else bounds[i][0]
        for j in range(i, min(len(bounds), i + max_clauses)):
            hi = bounds[j][1]
            if j < len(bounds) - 1:
                while hi > lo and sentence[hi - 1] in _TRAIL:
                    hi -= 1
            if len(_WORD.findall(sentence, lo, hi)) >= min_words:
                out.add(Span(span.start + lo, span.start + hi))
    return sorted(out, key=lambda s: (s.start, -s.end))


def summarize_spans(
    text: str,
    spans: Sequence[Span],
    embedder: Embedder,
    *,
    max_sentences: int | None = 5,
    max_words: int | None = None,
    weights: Weights | None = None,
    vectors: np.ndarray | None = None,
    max_candidates: int = 80,
    clauses: bool = False,
) -> list[SummarySentence]:
    """Summary pieces in rank order, each an exact slice of ``text``: a whole sentence or,
    with ``clauses``, the clauses of one that carry the figures. ``max_words`` caps the
    total words (at least one piece is always returned; the budget is filled with the best
    pieces that still fit); otherwise ``max_sentences`` pieces."""
    if not spans:
        return []
    weights = weights or DEFAULT_WEIGHTS
    texts = [text[s.start : s.end] for s in spans]
    features = _features(texts)
    candidates = np.arange(len(spans))
    if vectors is None and len(spans) > max_candidates:
        # Embedding is the slow part: embed only the sentences whose figures, KPIs and
        # guidance already make them contenders. Centrality is then measured among them.
        prior = salience(texts, None, weights, features=features)
        candidates = np.sort(np.argsort(-prior, kind="stable")[:max_candidates])
    cand_texts = [texts[i] for i in candidates]
    if vectors is None:
        # A batch is padded to its longest sentence, so one rambling sentence slows every
        # other; the first words carry what the sentence is about, and long sentences are
        # penalised anyway, so centrality is measured on at most _EMBED_WORDS words.
        vectors = embedder.encode([" ".join(t.split()[:_EMBED_WORDS]) for t in cand_texts])
    elif len(candidates) != len(vectors):
        vectors = vectors[candidates]
    scores = salience(cand_texts, vectors, weights, positions=candidates.astype(float),
                      total=len(spans), features=features[candidates])
    # pieces: each candidate sentence, and with ``clauses`` its runs of clauses, scored on
    # their own words plus the context (centrality, position) of their sentence
    owner: list[int] = []  # row in candidates of the sentence a piece comes from
    pieces: list[Span] = []
    top = set(np.argsort(-scores, kind="stable")[: weights.clause_sentences].tolist())
    for j, i in enumerate(candidates):
        own = clause_spans(text, spans[i]) if clauses and j in top else [spans[i]]
        pieces.extend(own)
        owner.extend([j] * len(own))
    owner_arr = np.array(owner)
    piece_texts = [text[p.start : p.end] for p in pieces]
    pf = _features(piece_texts)
    # a clause of boilerplate or of a question is still boilerplate or part of a question
    pf[:, 4:6] = np.maximum(pf[:, 4:6], features[candidates][owner_arr, 4:6])
    context = scores - _content(features[candidates], weights)
    piece_scores = context[owner_arr] + _content(pf, weights) - weights.word_cost * pf[:, 6]
    picked = select_pieces(piece_scores, pieces, owner_arr, vectors, pf[:, 6], piece_texts, weights,
                           max_pieces=None if max_words is not None else max(1, max_sentences or 5),
                           max_words=max_words)
    out: list[SummarySentence] = []
    for p in picked:
        s = pieces[p]
        index = int(candidates[owner_arr[p]])
        out.append(SummarySentence(piece_texts[p], s.start, s.end, len(out) + 1,
                                   round(float(piece_scores[p]), 6), index, spans[index].start, spans[index].end))
    return out


def select_pieces(scores: np.ndarray, pieces: Sequence[Span], owner: np.ndarray, vectors: np.ndarray,
                  words: np.ndarray, piece_texts: Sequence[str], weights: Weights, *,
                  max_pieces: int | None, max_words: int | None) -> list[int]:
    """Pieces picked greedily by maximal marginal relevance, ``lam * score - (1 - lam) *``
    the similarity of a piece's sentence to the sentences already used; no two pieces
    overlap, none only restates figures already picked, and none comes from a sentence
    more similar than ``max_similarity`` to one already used. Ties go to the earlier piece."""
    n = len(pieces)
    available = np.ones(n, dtype=bool)
    max_sim = np.zeros(len(vectors))  # per sentence: similarity to the sentences used
    used_sentences: set[int] = set()
    seen_figures: set[str] = set()
    chosen: list[int] = []
    total = 0
    starts = np.array([p.start for p in pieces])
    ends = np.array([p.end for p in pieces])
    while available.any():
        sim = max_sim[owner]
        value = weights.mmr_lambda * scores - (1.0 - weights.mmr_lambda) * sim
        value = np.where(available, value, -np.inf)
        best = int(np.argmax(value))
        if not np.isfinite(value[best]):
            break
        available[best] = False
        figures = set(_FIGURE_TEXT.findall(piece_texts[best]))
        s = int(owner[best])
        if (s not in used_sentences and sim[best] > weights.max_similarity) or (
                figures and figures <= seen_figures):
            continue
        if max_words is not None and chosen and total + words[best] > max_words:
            continue  # too long for what is left of the budget: a shorter piece may fit
        chosen.append(best)
        total += int(words[best])
        seen_figures |= figures
        if s not in used_sentences:
            used_sentences.add(s)
            max_sim = np.maximum(max_sim, vectors @ vectors[s])
        available &= (ends <= pieces[best].start) | (starts >= pieces[best].end)
        if (max_pieces is not None and len(chosen) >= max_pieces) or (
                max_words is not None and total >= max_words):
            break
    return chosen


def summarize(text: str, embedder: Embedder, *, max_sentences: int | None = 5,
              max_words: int | None = None, weights: Weights | None = None,
              clauses: bool = False) -> list[SummarySentence]:
    """Summary of normalised text (``workbench.text.normalise``)."""
    return summarize_spans(text, split_sentences(text), embedder, max_sentences=max_sentences,
                           max_words=max_words, weights=weights, clauses=clauses)
