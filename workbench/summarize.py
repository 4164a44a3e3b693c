"""Finance-aware extractive summaries: rank sentences, never rewrite them.

Salience = embedding centrality (how typical a sentence is of the document) plus features
an analyst reads for first: reported figures (money, per-share, percentages), the KPIs they
belong to (revenue, EPS, EBITDA, margins, cash flow), guidance language, and period
references; minus boilerplate (safe-harbour, call logistics, pleasantries) and questions.
Redundancy is controlled by maximal marginal relevance (MMR). The weights are set by hand
from that reasoning and are the same for every document; nothing is learnt from a corpus.
Ties break on position, so the same text always gives the same summary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from workbench.embeddings import Embedder
from workbench.figures import count_figures
from workbench.text import Span, split_sentences


@dataclass(frozen=True)
class SummarySentence:
    text: str  # exactly document_text[start:end]
    start: int
    end: int
    rank: int  # 1 = most important
    score: float  # salience in [0, 1]-ish; comparable within one document
    index: int  # position of the sentence in the document


@dataclass(frozen=True)
class Weights:
    centrality: float = 0.15
    figures: float = 0.30
    kpi: float = 0.25
    guidance: float = 0.20
    period: float = 0.12
    # prepared remarks, where results are stated, come before the Q&A
    position: float = 0.15
    headline: float = 0.3
    # a headline metric with its own figure a few words on ("revenue rose 5% to $2.1
    # billion", "EPS of $1.23"): the shape of a results headline, counted per metric
    metric_figure: float = 0.3
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
    r"dividend)\b"
    r"(?:\W+\w+){0,7}?\W+(?:\$\s?\d|\d[\d.,]*\s?(?:%|percent))",
    re.IGNORECASE,
)


def _features(texts: Sequence[str]) -> np.ndarray:
    """One row per sentence: figures, kpi, guidance, period, boilerplate, question, words,
    whether a figure stands next to a headline metric, and metric-figure pairs."""
    rows = np.zeros((len(texts), 9), dtype=np.float64)
    for i, t in enumerate(texts):
        rows[i, 0] = count_figures(t)
        rows[i, 1] = len(_KPI.findall(t))
        rows[i, 2] = len(_GUIDANCE.findall(t))
        rows[i, 3] = len(_PERIOD.findall(t))
        rows[i, 4] = 1.0 if _BOILERPLATE.search(t) else 0.0
        rows[i, 5] = 1.0 if t.rstrip().endswith("?") else 0.0
        rows[i, 6] = len(_WORD.findall(t))
        rows[i, 7] = 1.0 if rows[i, 0] and _HEADLINE.search(t) else 0.0
        rows[i, 8] = len(_METRIC_FIGURE.findall(t))
    return rows


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
    # saturating counts: the second figure in a sentence adds less than the first
    sat = lambda x, k: 1.0 - np.exp(-x / k)  # noqa: E731
    words = f[:, 6]
    positions = np.arange(n) if positions is None else positions
    position = 1.0 - positions / max((total or n) - 1, 1)
    score = (
        weights.centrality * centrality
        + weights.figures * sat(f[:, 0], 1.5)
        + weights.kpi * sat(f[:, 1], 1.5)
        + weights.guidance * sat(f[:, 2], 1.0)
        + weights.period * sat(f[:, 3], 1.0)
        + weights.position * position
        + weights.headline * f[:, 7]
        + weights.metric_figure * sat(f[:, 8], 1.0)
        - weights.boilerplate * f[:, 4]
        - weights.question * f[:, 5]
        - weights.short * (words < 6)
        - weights.long * np.clip((words - weights.long_from) / 40, 0, 1)
    )
    return score


def mmr_order(scores: np.ndarray, vectors: np.ndarray, k: int, lam: float,
              max_similarity: float = 1.01) -> list[int]:
    """Indices picked greedily by lam * salience - (1 - lam) * max similarity to those picked."""
    n = len(scores)
    k = min(k, n)
    if k <= 0:
        return []
    chosen: list[int] = []
    max_sim = np.full(n, -np.inf)
    available = np.ones(n, dtype=bool)
    for _ in range(k):
        redundancy = np.where(np.isfinite(max_sim), max_sim, 0.0)
        value = lam * scores - (1.0 - lam) * redundancy
        value = np.where(available & (redundancy <= max_similarity), value, -np.inf)
        if not np.isfinite(value).any():
            break
        # argmax returns the first maximum: ties go to the earlier sentence
        best = int(np.argmax(value))
        chosen.append(best)
        available[best] = False
        max_sim = np.maximum(max_sim, vectors @ vectors[best])
    return chosen


def summarize_spans(
    text: str,
    spans: Sequence[Span],
    embedder: Embedder,
    *,
    max_sentences: int | None = 5,
    max_words: int | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
    vectors: np.ndarray | None = None,
    max_candidates: int = 80,
) -> list[SummarySentence]:
    """Summary sentences in rank order. ``max_words`` caps the total words (at least one
    sentence is always returned); otherwise ``max_sentences`` sentences."""
    if not spans:
        return []
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
    limit = len(cand_texts) if max_words is not None else max(1, max_sentences or 5)
    # MMR over all sentences is O(n*k); with a word budget k stays small in practice
    k = min(len(cand_texts), limit if max_words is None else max(1, max_words // 5))
    picked = mmr_order(scores, vectors, k, weights.mmr_lambda, weights.max_similarity)
    order = [int(candidates[j]) for j in picked]
    score_of = {int(candidates[j]): float(scores[j]) for j in picked}
    out: list[SummarySentence] = []
    words = 0
    for i in order:
        n_words = len(texts[i].split())
        if max_words is not None and out and words + n_words > max_words:
            break
        words += n_words
        s = spans[i]
        out.append(SummarySentence(texts[i], s.start, s.end, len(out) + 1, round(score_of[i], 6), i))
        if max_words is not None and words >= max_words:
            break
    return out


def summarize(text: str, embedder: Embedder, *, max_sentences: int | None = 5,
              max_words: int | None = None, weights: Weights = DEFAULT_WEIGHTS) -> list[SummarySentence]:
    """Summary of normalised text (``workbench.text.normalise``)."""
    return summarize_spans(text, split_sentences(text), embedder, max_sentences=max_sentences,
                           max_words=max_words, weights=weights)
