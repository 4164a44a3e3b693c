"""Summary quality on ECTSum (earnings-call transcripts with Reuters bullet summaries).

Scoring rule of ../shared/data/README.md: a summary is the summariser's sentences in rank
order, cut to the gold summary's word count; ROUGE-1/2/L F1 (rouge-score, stemming),
averaged over documents. Side by side in one run: ours (whole sentences, the default),
ours with clause highlights (``clauses=True``), LexRank, TextRank, first sentences.
Also checks that every summary piece is an exact slice of the source (``text[start:end]``)
and that every figure in our summaries is found verbatim in the source and whole: a piece
that is part of a sentence never cuts one of the sentence's figures in two.

    .venv/bin/python bench/bench_ectsum.py [--split val] [--limit N] [--hashing]
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.embeddings import HashingEmbedder, load_embedder  # noqa: E402
from workbench.figures import extract_key_figures  # noqa: E402
from workbench.summarize import summarize_spans  # noqa: E402
from workbench.text import Span, normalise, split_sentences  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "ectsum"
_TOKEN = re.compile(r"[a-z0-9]+")


def load_split(split: str, limit: int | None) -> list[tuple[str, str, str]]:
    folder = DATA / split
    names = sorted(p.name for p in (folder / "ects").glob("*.txt"))
    if limit:
        names = names[:limit]
    out = []
    for name in names:
        gold_path = folder / "gt_summaries" / name
        if not gold_path.exists():
            continue
        out.append((name, (folder / "ects" / name).read_text(encoding="utf-8", errors="replace"),
                    gold_path.read_text(encoding="utf-8", errors="replace")))
    return out


def cut(sentences: list[str], n_words: int) -> str:
    words: list[str] = []
    for s in sentences:
        words.extend(s.split())
        if len(words) >= n_words:
            break
    return " ".join(words[:n_words])


class _Memo:
    """The embedder with its vectors kept per text: both modes embed the same candidates."""

    def __init__(self, inner) -> None:  # noqa: ANN001
        self.inner, self.name, self._seen = inner, inner.name, {}

    def encode(self, texts, *, batch_size: int = 64) -> np.ndarray:  # noqa: ANN001
        missing = [t for t in dict.fromkeys(texts) if t not in self._seen]
        if missing:
            self._seen.update(zip(missing, self.inner.encode(missing, batch_size=batch_size)))
        return np.stack([self._seen[t] for t in texts])

    def clear(self) -> None:
        self._seen.clear()


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def _tfidf(texts: list[str]) -> np.ndarray:
    docs = [Counter(_tokens(t)) for t in texts]
    vocab = {w: i for i, w in enumerate(sorted({w for d in docs for w in d}))}
    df = Counter(w for d in docs for w in d)
    n = len(texts)
    m = np.zeros((n, len(vocab)))
    for i, d in enumerate(docs):
        for w, c in d.items():
            m[i, vocab[w]] = c * math.log(n / df[w] + 1)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norms == 0, 1, norms)


def _pagerank(sim: np.ndarray, damping: float = 0.85, iters: int = 50) -> np.ndarray:
    n = len(sim)
    rows = sim.sum(axis=1, keepdims=True)
    trans = np.where(rows > 0, sim / np.where(rows == 0, 1, rows), 1.0 / n)
    r = np.full(n, 1.0 / n)
    for _ in range(iters):
        r = (1 - damping) / n + damping * trans.T @ r
    return r


def lexrank(texts: list[str], threshold: float = 0.1) -> list[int]:
    if not texts:
        return []
    v = _tfidf(texts)
    sim = (v @ v.T >= threshold).astype(float)
    np.fill_diagonal(sim, 0)
    return list(np.argsort(-_pagerank(sim), kind="stable"))


def textrank(texts: list[str]) -> list[int]:
    toks = [set(_tokens(t)) for t in texts]
    n = len(texts)
    sim = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            if len(toks[i]) > 1 and len(toks[j]) > 1:
                s = len(toks[i] & toks[j]) / (math.log(len(toks[i])) + math.log(len(toks[j])))
                sim[i, j] = sim[j, i] = s
    return list(np.argsort(-_pagerank(sim), kind="stable")) if n else []


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="val")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--hashing", action="store_true", help="hashing embedder instead of the model")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"ECTSum not found at {DATA}")
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    embedder = _Memo(HashingEmbedder(256) if args.hashing else load_embedder("all-MiniLM-L6-v2"))
    docs = load_split(args.split, args.limit)
    systems = ("ours", "clauses", "lexrank", "textrank", "first")
    totals = {s: np.zeros(3) for s in systems}
    figures_total = figures_verbatim = pieces_total = pieces_exact = 0
    started = time.perf_counter()
    for name, raw, gold in docs:
        text = normalise(raw).text
        spans = split_sentences(text)
        texts = [text[s.start : s.end] for s in spans]
        n_words = len(gold.split())
        embedder.clear()
        by_sentence = summarize_spans(text, spans, embedder, max_sentences=None, max_words=n_words + 60)
        summary = summarize_spans(text, spans, embedder, max_sentences=None, max_words=n_words + 60, clauses=True)
        pieces_total += len(by_sentence)
        pieces_exact += sum(text[s.start : s.end] == s.text and (s.start, s.end) == (spans[s.index].start, spans[s.index].end)
                            for s in by_sentence)
        for s in summary:
            pieces_total += 1
            sentence = spans[s.index]
            pieces_exact += text[s.start : s.end] == s.text and sentence.start <= s.start <= s.end <= sentence.end
            whole = {(f.start, f.end) for f in extract_key_figures(text, [sentence])}
            for f in extract_key_figures(text, [Span(s.start, s.end)]):
                figures_total += 1
                figures_verbatim += (f.text in raw or f.text in text) and (f.start, f.end) in whole
            # a figure of the sentence that the piece only partly covers is a cut figure
            figures_total += sum(1 for a, b in whole if a < s.end and b > s.start and not s.start <= a < b <= s.end)
        candidates = {
            "ours": [s.text for s in by_sentence],
            "clauses": [s.text for s in summary],
            "lexrank": [texts[i] for i in lexrank(texts)],
            "textrank": [texts[i] for i in textrank(texts)],
            "first": texts,
        }
        for system, sentences in candidates.items():
            scores = scorer.score(gold, cut(sentences, n_words))
            totals[system] += [scores[k].fmeasure for k in ("rouge1", "rouge2", "rougeL")]
    elapsed = time.perf_counter() - started
    n = max(len(docs), 1)
    print(f"ECTSum {args.split}: {len(docs)} documents, {elapsed:.0f} s, embedder {embedder.name}")
    print(f"{'system':<10} {'R-1':>6} {'R-2':>6} {'R-L':>6}")
    for system in systems:
        r1, r2, rl = totals[system] / n
        print(f"{system:<10} {r1:6.3f} {r2:6.3f} {rl:6.3f}")
    print("published MatchSum 0.314 0.126 0.335 (test split, their ROUGE code)")
    share = 100.0 * figures_verbatim / figures_total if figures_total else 100.0
    exact = 100.0 * pieces_exact / pieces_total if pieces_total else 100.0
    r1, r2, rl = totals["ours"] / n
    c1, c2, cl = totals["clauses"] / n
    lr = totals["lexrank"] / n
    tr = totals["textrank"] / n
    fs = totals["first"] / n
    print(
        f"ours_rouge1: {r1:.3f}, ours_rouge2: {r2:.3f}, ours_rougeL: {rl:.3f}, "
        f"clauses_rouge1: {c1:.3f}, clauses_rouge2: {c2:.3f}, clauses_rougeL: {cl:.3f}, "
        f"lexrank_rouge1: {lr[0]:.3f}, lexrank_rouge2: {lr[1]:.3f}, lexrank_rougeL: {lr[2]:.3f}, "
        f"textrank_rouge1: {tr[0]:.3f}, textrank_rouge2: {tr[1]:.3f}, textrank_rougeL: {tr[2]:.3f}, "
        f"first_rouge1: {fs[0]:.3f}, first_rouge2: {fs[1]:.3f}, first_rougeL: {fs[2]:.3f}, "
        f"pieces_exact: {exact:.1f} %, figures_verbatim: {share:.1f} %"
    )


if __name__ == "__main__":
    main()
