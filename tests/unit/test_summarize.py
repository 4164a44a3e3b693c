"""Extractive summaries: deterministic, verbatim, ranked, length-bounded, finance-aware."""

from __future__ import annotations

import pytest

from workbench.embeddings import HashingEmbedder
from workbench.summarize import mmr_order, summarize
from workbench.text import normalise

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
    assert "For fiscal 2022, we expect revenue of $6.1 billion to $6.3 billion." in top
    assert "Adjusted earnings per share were $1.01, compared with $0.87 last year." in top
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


def test_mmr_prefers_novel_sentence_over_duplicate_with_equal_salience():
    import numpy as np

    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    assert mmr_order(np.array([1.0, 1.0, 0.9]), vectors, 2, 0.5) == [0, 2]


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
