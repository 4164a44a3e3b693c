"""Extractive summaries: deterministic, verbatim, ranked, length-bounded, finance-aware;
pieces are whole sentences or clauses of them, always exact slices of the source."""

from __future__ import annotations

import pytest

from workbench.embeddings import HashingEmbedder
from workbench.figures import extract_key_figures
from workbench.summarize import DEFAULT_WEIGHTS, clause_spans, select_pieces, summarize
from workbench.text import Span, normalise, split_sentences

TRANSCRIPT = normalise(
    "Good morning and welcome to the third quarter earnings call. "
    "Before we begin, I would remind you that this call contains forward-looking statements. "
    "We had a great team effort this year. "
    "Third quarter revenue was $1.52 billion, up 7% year-over-year. "
    "Adjusted earnings per share were $1.01, compared with $0.87 last year. "
    "Our people continue to do great work for our customers every day. "
    "For fiscal 2022, we expect revenue of $6.1 billion to $6.3 billion. "
    "We opened a new office in Austin. "
    "As noted, third quarter revenue was $1.52 billion, up 7% year-over-year. "
    "Thank you, operator, we will now take questions. "
    "What is your view on pricing? "
    "We like the weather in the spring."
).text
EMBEDDER = HashingEmbedder(128)


def test_summary_sentences_are_exact_slices_of_the_text():
    for s in summarize(TRANSCRIPT, EMBEDDER, max_sentences=5):
        assert TRANSCRIPT[s.start : s.end] == s.text


def test_summary_is_deterministic():
    first = summarize(TRANSCRIPT, EMBEDDER, max_sentences=4)
    again = summarize(TRANSCRIPT, EMBEDDER, max_sentences=4)
    assert first == again


def test_ranks_are_consecutive_and_scores_attached():
    summary = summarize(TRANSCRIPT, EMBEDDER, max_sentences=4)
    assert [s.rank for s in summary] == [1, 2, 3, 4]
    assert all(isinstance(s.score, float) for s in summary)


def test_figures_kpis_and_guidance_outrank_boilerplate_and_chatter():
    top = [s.text for s in summarize(TRANSCRIPT, EMBEDDER, max_sentences=3)]
    assert any("we expect revenue of $6.1 billion to $6.3 billion" in t for t in top)
    assert any(t.startswith("Adjusted earnings per share were $1.01") for t in top)
    assert not any("forward-looking" in t or "weather" in t or "Thank you" in t for t in top)


def test_near_duplicate_sentences_are_not_both_picked():
    top = [s.text for s in summarize(TRANSCRIPT, EMBEDDER, max_sentences=4)]
    assert sum("quarter revenue was $1.52 billion" in t for t in top) == 1


def test_word_budget_bounds_the_summary_but_keeps_at_least_one_sentence():
    summary = summarize(TRANSCRIPT, EMBEDDER, max_sentences=None, max_words=25)
    assert sum(len(s.text.split()) for s in summary) <= 25
    assert len(summarize(TRANSCRIPT, EMBEDDER, max_sentences=None, max_words=1)) == 1


def test_empty_text_gives_an_empty_summary():
    assert summarize("", EMBEDDER) == []


def test_selection_prefers_a_novel_sentence_over_a_duplicate_with_equal_salience():
    import numpy as np

    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    pieces = [Span(0, 10), Span(11, 20), Span(21, 30)]
    texts = ["sales rose", "sales grew", "costs fell"]
    picked = select_pieces(np.array([1.0, 1.0, 0.9]), pieces, np.arange(3), vectors, np.full(3, 2.0), texts,
                           DEFAULT_WEIGHTS, max_pieces=2, max_words=None)
    assert picked == [0, 2]


def test_selection_skips_overlapping_pieces_and_restated_figures():
    import numpy as np

    vectors = np.eye(3, dtype=np.float32)
    pieces = [Span(0, 30), Span(0, 12), Span(40, 60)]
    texts = ["revenue was $5 million, up 3%", "revenue was $5 million", "as noted, revenue was $5 million"]
    picked = select_pieces(np.array([1.0, 0.9, 0.8]), pieces, np.array([0, 0, 1]), vectors, np.array([6.0, 4.0, 6.0]),
                           texts, DEFAULT_WEIGHTS, max_pieces=3, max_words=None)
    assert picked == [0]


@pytest.mark.model
def test_real_model_summary_of_a_real_transcript_is_verbatim_and_about_results(shared_data):
    from workbench.embeddings import load_embedder
    from workbench.figures import extract_key_figures

    path = sorted((shared_data / "ectsum" / "val" / "ects").glob("*.txt"))[0]
    raw = path.read_text(encoding="utf-8", errors="replace")
    text = normalise(raw).text
    summary = summarize(text, load_embedder("all-MiniLM-L6-v2"), max_sentences=5)
    assert len(summary) == 5
    for s in summary:
        assert text[s.start : s.end] == s.text and s.text in raw
    figures = [f for s in summary for f in extract_key_figures(s.text)]
    assert figures and all(f.text in raw for f in figures)


def test_a_headline_metric_stated_with_its_figure_scores_above_the_same_words_apart():
    import numpy as np

    from workbench.summarize import salience

    apart = "We spent 5% more, $2.1 billion, on capital projects, and revenue rose in the quarter."
    stated = "In the quarter revenue rose 5% to $2.1 billion, and we spent more on capital projects."
    scores = salience([apart, stated], None, positions=np.zeros(2), total=2)
    assert scores[1] > scores[0]


RESULTS = normalise(
    "Thank you, operator, and good morning everyone. "
    "For the first quarter of 2021, revenues were $481.1 million compared to $432.8 million "
    "for the first quarter of 2020, an increase of 11.1%, driven by strong demand in our stores. "
    "And on a non-GAAP basis, diluted earnings per share were $1.24, up from $0.30 a year ago. "
    "Our teams worked hard, and we are proud of them. "
    "Between 2019 and 2021, margins improved from 9.5% to 15.4%; leverage fell to 1.2 times."
).text


def test_clauses_are_exact_slices_inside_their_sentence_and_include_the_sentence():
    for sentence in split_sentences(RESULTS):
        pieces = clause_spans(RESULTS, sentence)
        assert sentence in pieces
        for p in pieces:
            assert sentence.start <= p.start < p.end <= sentence.end
            if p == sentence:
                continue
            piece = RESULTS[p.start : p.end]
            assert piece == piece.strip() and not piece.lower().startswith(("and ", "so "))
            assert not piece.endswith((",", ";"))


def test_a_clause_never_cuts_a_figure_in_two():
    for sentence in split_sentences(RESULTS):
        whole = {(f.start, f.end) for f in extract_key_figures(RESULTS, [sentence])}
        for p in clause_spans(RESULTS, sentence):
            assert all(not (a < p.end and b > p.start) or p.start <= a < b <= p.end for a, b in whole)
            assert {(f.start, f.end) for f in extract_key_figures(RESULTS, [p])} <= whole


def test_the_clause_with_the_headline_figure_is_picked_without_its_filler():
    summary = summarize(RESULTS, EMBEDDER, max_sentences=2, clauses=True)
    texts = [s.text for s in summary]
    assert any("revenues were $481.1 million" in t and "driven by" not in t for t in texts)
    assert any("diluted earnings per share were $1.24" in t and not t.startswith("And") for t in texts)
    for s in summary:
        assert RESULTS[s.start : s.end] == s.text
        sentence = split_sentences(RESULTS)[s.index]
        assert sentence.start <= s.start and s.end <= sentence.end
        assert (s.sentence_start, s.sentence_end) == (sentence.start, sentence.end)
        assert all(f.text in RESULTS for f in extract_key_figures(RESULTS, [Span(s.start, s.end)]))


def test_pieces_never_overlap_and_whole_sentences_by_default():
    summary = summarize(RESULTS, EMBEDDER, max_sentences=None, max_words=200, clauses=True)
    ranges = sorted((s.start, s.end) for s in summary)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(ranges, ranges[1:]))
    whole = summarize(RESULTS, EMBEDDER, max_sentences=3)
    sentences = {(s.start, s.end) for s in split_sentences(RESULTS)}
    assert whole and all((s.start, s.end) in sentences and s.is_whole_sentence for s in whole)


def test_a_word_budget_is_filled_with_the_best_pieces_that_still_fit():
    import numpy as np

    vectors = np.eye(3, dtype=np.float32)
    pieces = [Span(0, 10), Span(20, 80), Span(90, 100)]
    texts = ["revenue was $5 million", "a long sentence " * 4, "EPS was $1.10"]
    # 6 words, then 30 (does not fit in 20), then 5: the third still fits after the second is skipped
    picked = select_pieces(np.array([1.0, 0.9, 0.8]), pieces, np.arange(3), vectors, np.array([6.0, 30.0, 5.0]),
                           texts, DEFAULT_WEIGHTS, max_pieces=None, max_words=20)
    assert picked == [0, 2]


def test_a_clause_of_a_safe_harbour_sentence_is_still_boilerplate():
    text = normalise(
        "This call contains forward-looking statements; we expect revenue of $9.9 billion to $10.1 billion. "
        "Revenue was $2.1 billion in the quarter. "
        "Diluted earnings per share were $0.45."
    ).text
    summary = summarize(text, EMBEDDER, max_sentences=2)
    assert not any("$9.9 billion" in s.text for s in summary)
