"""Keyword relevance: a vectorised BM25 over a sparse document-term matrix, and highlighting.

Exact names, tickers and numbers ("EchoSign", "MSFT", "1.2bn") are what sentence vectors
blur and keywords catch. The BM25 weight of every (document, term) pair is computed once at
build time, so scoring a query is one sparse column slice and a sum.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

# Words with inner dots, ampersands or hyphens stay whole: "1.2bn", "AT&T", "carve-out".
TOKEN_RE = re.compile(r"[0-9A-Za-z\u00C0-\u024F]+(?:[.&'\-][0-9A-Za-z\u00C0-\u024F]+)*")
STOPWORDS = frozenset(
    """a an and are as at be been but by for from has have in into is it its of on or that the
    their this to was were which with will would also than other its our we they such these
    those company companies inc corp ltd llc plc""".split()
)
K1 = 1.2
B = 0.75


def tokenize(text: str | None) -> list[str]:
    """Lower-cased word tokens without stop words; the same rule for documents and queries."""
    if not text:
        return []
    return [t for t in (m.group(0).lower() for m in TOKEN_RE.finditer(text)) if t not in STOPWORDS]


@dataclass
class KeywordIndex:
    """BM25 weights of n documents over a vocabulary, columns for fast per-term lookup."""

    vocabulary: dict[str, int]
    weights: sparse.csc_matrix  # n_docs x n_terms, BM25 weight of each pair
    idf: np.ndarray

    @property
    def size(self) -> int:
        return int(self.weights.shape[0])

    @classmethod
    def build(cls, texts: Sequence[str | None], *, k1: float = K1, b: float = B) -> KeywordIndex:
        vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        counts: list[int] = []
        lengths = np.zeros(len(texts), dtype=np.float64)
        for i, text in enumerate(texts):
            tokens = tokenize(text)
            lengths[i] = len(tokens)
            tf: dict[int, int] = {}
            for token in tokens:
                j = vocabulary.setdefault(token, len(vocabulary))
                tf[j] = tf.get(j, 0) + 1
            rows.extend([i] * len(tf))
            cols.extend(tf.keys())
            counts.extend(tf.values())
        n_docs, n_terms = len(texts), len(vocabulary)
        tf_matrix = sparse.csr_matrix(
            (np.asarray(counts, dtype=np.float64), (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))),
            shape=(n_docs, n_terms),
        )
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=n_terms).astype(np.float64)
        # BM25+ style floor at 0: a word in most documents adds nothing rather than subtracting.
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        avg = lengths.mean() if n_docs and lengths.mean() > 0 else 1.0
        norm = k1 * (1.0 - b + b * lengths / avg)  # per document
        tf_coo = tf_matrix.tocoo()
        data = tf_coo.data * (k1 + 1.0) / (tf_coo.data + norm[tf_coo.row]) * idf[tf_coo.col]
        weights = sparse.csc_matrix((data.astype(np.float32), (tf_coo.row, tf_coo.col)), shape=(n_docs, n_terms))
        return cls(vocabulary=vocabulary, weights=weights, idf=idf.astype(np.float32))

    def query_terms(self, text: str) -> list[int]:
        seen: dict[int, None] = {}
        for token in tokenize(text):
            j = self.vocabulary.get(token)
            if j is not None:
                seen[j] = None
        return list(seen)

    def scores(self, text: str) -> np.ndarray:
        """BM25 score of every document for the query (0 where no query word occurs)."""
        terms = self.query_terms(text)
        if not terms:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.weights[:, terms].sum(axis=1), dtype=np.float32).ravel()


def matched_words(query: str, text: str | None) -> list[str]:
    """The query's words that occur in the text, in query order."""
    words = set(tokenize(text))
    out: dict[str, None] = {}
    for token in tokenize(query):
        if token in words:
            out[token] = None
    return list(out)


def highlight_spans(text: str | None, words: Iterable[str]) -> list[tuple[int, int]]:
    """Character spans of the words in the text; neighbours joined into phrases."""
    wanted = {w.lower() for w in words}
    if not text or not wanted:
        return []
    spans: list[tuple[int, int]] = []
    for m in TOKEN_RE.finditer(text):
        if m.group(0).lower() not in wanted:
            continue
        if spans and text[spans[-1][1]:m.start()].strip() == "":
            spans[-1] = (spans[-1][0], m.end())
        else:
            spans.append((m.start(), m.end()))
    return spans


def highlight(text: str | None, words: Iterable[str], *, before: str = "**", after: str = "**",
              escape=lambda s: s) -> str:  # fmt: skip
    """The text with each matched word or phrase wrapped in markers; other text passed through ``escape``."""
    if not text:
        return ""
    parts: list[str] = []
    last = 0
    for start, end in highlight_spans(text, words):
        parts += [escape(text[last:start]), before, escape(text[start:end]), after]
        last = end
    parts.append(escape(text[last:]))
    return "".join(parts)

