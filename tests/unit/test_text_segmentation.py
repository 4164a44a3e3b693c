"""Sentence segmentation of financial text: offsets are exact, abbreviations do not split."""

from __future__ import annotations

import pytest

from workbench.text import normalise, sentence_texts, split_sentences


def test_company_suffix_country_initials_and_amounts_do_not_end_sentences():
    text = "Apple Inc. reported revenue of $1.2 bn in the U.S. market. Margins rose approx. 2 points."
    assert sentence_texts(text) == [
        "Apple Inc. reported revenue of $1.2 bn in the U.S. market.",
        "Margins rose approx. 2 points.",
    ]


def test_quarter_at_sentence_end_splits():
    assert sentence_texts("Revenue grew in Q3. Costs fell in Q4.") == ["Revenue grew in Q3.", "Costs fell in Q4."]


def test_company_suffix_ends_a_sentence_before_a_common_opening_word():
    assert sentence_texts("We sold the unit to Acme Inc. The deal closed in May.") == [
        "We sold the unit to Acme Inc.",
        "The deal closed in May.",
    ]


def test_numbered_list_items_are_sentences_and_their_numbers_stay_attached():
    text = "Highlights:\n1. Revenue grew 10%.\n2. Margins expanded.\n3. Debt fell"
    assert sentence_texts(text) == ["Highlights:", "1. Revenue grew 10%.", "2. Margins expanded.", "3. Debt fell"]


def test_flattened_table_rows_are_separate_sentences():
    text = "Segment results\nRevenue 1,234 1,100\nEBITDA 300 250\nMargin 24.3% 22.7%"
    assert sentence_texts(text) == ["Segment results", "Revenue 1,234 1,100", "EBITDA 300 250", "Margin 24.3% 22.7%"]


def test_hard_wrapped_lines_join_into_one_sentence():
    text = "The Company must continually introduce new\nproducts and services to compete."
    assert sentence_texts(text) == [text]


def test_titles_and_initials_do_not_split():
    assert sentence_texts("Mr. J. Smith joined as CFO. He starts Monday.") == [
        "Mr. J. Smith joined as CFO.",
        "He starts Monday.",
    ]


def test_questions_and_exclamations_split():
    assert sentence_texts("Is guidance unchanged? Yes! We reaffirm it.") == [
        "Is guidance unchanged?", "Yes!", "We reaffirm it."
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Apple Inc. reported revenue of $1.2 bn in Q3. Revenue grew approx. 5% y/y.\n\n1. One.\n2. Two",
        "  Leading spaces. And trailing.   ",
        "Table\nA 1 2\nB 3 4\n\nClosing remark (see p. 4). Done.",
    ],
)
def test_every_span_slices_back_to_its_sentence_without_edges_of_whitespace(text):
    spans = split_sentences(text)
    assert spans
    for span in spans:
        piece = text[span.start : span.end]
        assert piece == piece.strip() and piece
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))


def test_very_long_run_on_text_is_cut_at_semicolons():
    clause = "the company may face risks from suppliers and customers in many markets"
    text = "; ".join([clause] * 60) + "."
    spans = split_sentences(text)
    assert len(spans) > 1
    assert all(s.end - s.start <= 1300 for s in spans)


def test_segmenting_the_normalised_filing_gives_sentences(shared_data):
    path = sorted((shared_data / "filings" / "10k_item1a").glob("*.txt"))[0]
    text = normalise(path.read_text(encoding="utf-8", errors="replace")).text
    sentences = sentence_texts(text)
    assert len(sentences) > 20
    assert not any("CONTENT_" in s for s in sentences)
