"""Normalisation: whitespace, line-end hyphenation, CONTENT_N markers, with a map to the original."""

from __future__ import annotations

import re

from workbench.text import normalise

RAW = (
    "CONTENT_1:\n\nCONTENT_2:\nThe Company&#146;s finan-\ncial   results were\tstrong.\n\n\n"
    "CONTENT_3:\nRevenue of $1.2\u00a0bn rose 5%\u00ad.  Mid-\nCap peers lagged.\n"
)


def test_markers_whitespace_and_hyphenation_are_normalised():
    text = normalise(RAW).text
    assert text == (
        "The Company\u2019s financial results were strong.\n\n"
        "Revenue of $1.2 bn rose 5%. Mid-\nCap peers lagged."
    )


def test_every_copied_character_maps_back_to_the_same_character_of_the_original():
    result = normalise(RAW)
    mapped = 0
    for i, ch in enumerate(result.text):
        if ch.isalnum():
            assert RAW[result.to_original(i)] == ch
            mapped += 1
    assert mapped > 50


def test_a_span_maps_to_the_original_passage_it_came_from():
    result = normalise(RAW)
    start = result.text.index("financial")
    end = start + len("financial results")
    o_start, o_end = result.span_to_original(start, end)
    assert RAW[o_start:o_end] == "finan-\ncial   results"


def test_end_of_text_maps_to_end_of_last_copied_piece():
    result = normalise("  Hello world.  ")
    assert result.text == "Hello world."
    o_start, o_end = result.span_to_original(0, len(result.text))
    assert "  Hello world.  "[o_start:o_end] == "Hello world."


def test_unknown_entities_and_ampersands_are_kept_as_written():
    assert normalise("R&D and &notanentity; stay.").text == "R&D and &notanentity; stay."


def test_real_filing_loses_its_markers_and_keeps_its_words(shared_data):
    path = sorted((shared_data / "filings" / "10k_item1a").glob("*.txt"))[0]
    raw = path.read_text(encoding="utf-8", errors="replace")
    text = normalise(raw).text
    assert "CONTENT_" not in text
    assert not re.search(r"[ \t]{2,}", text)
    words = lambda s: re.findall(r"[A-Za-z]{4,}", s)  # noqa: E731
    assert len(words(text)) >= 0.97 * len([w for w in words(raw) if w != "CONTENT"])
