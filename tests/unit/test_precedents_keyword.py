"""BM25 keyword scoring and highlighting of matched words and phrases."""

from __future__ import annotations

import numpy as np

from workbench.keyword import KeywordIndex, highlight, highlight_spans, matched_words, tokenize


def test_tokens_keep_tickers_numbers_and_hyphenated_words_whole():
    assert tokenize("AT&T buys a 1.2bn carve-out of MSFT's unit") == ["at&t", "buys", "1.2bn", "carve-out",
                                                                      "msft's", "unit"]


def test_bm25_finds_an_exact_name_that_only_one_document_has():
    index = KeywordIndex.build(["Adobe acquires EchoSign, e-signatures", "Adobe acquires Omniture, analytics",
                                None, "Oracle acquires Sun"])
    scores = index.scores("EchoSign")
    assert int(np.argmax(scores)) == 0 and scores[1] == 0 and scores[2] == 0


def test_bm25_weighs_rare_words_above_common_ones():
    index = KeywordIndex.build(["software deal", "software deal", "software deal", "chemicals deal"])
    scores = index.scores("chemicals software")
    assert scores[3] > scores[0] > 0


def test_query_with_only_unknown_or_hostile_words_scores_zero():
    index = KeywordIndex.build(["one deal", "another"])
    assert not index.scores("'; DROP TABLE deals; -- (.*)+ [").any()
    assert not index.scores("").any()


def test_matched_words_are_query_words_found_in_the_text():
    assert matched_words("sponsor carve-out of chemicals", "A carve-out in specialty chemicals") == [
        "carve-out", "chemicals"]


def test_highlight_wraps_words_and_joins_neighbours_into_phrases():
    text = "Carve-out of the specialty chemicals unit by a sponsor"
    assert highlight(text, ["specialty", "chemicals", "sponsor"]) == (
        "Carve-out of the **specialty chemicals** unit by a **sponsor**")
    assert highlight_spans(text, []) == []


def test_highlight_escapes_the_text_around_matches():
    escaped = highlight("*bold* [link](x) EchoSign", ["echosign"], escape=lambda s: s.replace("*", "\\*"))
    assert escaped == "\\*bold\\* [link](x) **EchoSign**"
