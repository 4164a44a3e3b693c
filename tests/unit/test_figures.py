"""Key figures: money, percentages, per-share values, ranges and guidance, always verbatim."""

from __future__ import annotations

import re

import pytest

from workbench.figures import extract_key_figures
from workbench.text import normalise

TEXT = (
    "Compname sees FY revenue $1.82bn to $1.83bn. "
    "For fiscal 2021, the company expects adjusted income from continuing operations of $3.00 to $3.25 per diluted share. "
    "Adjusted EBITDA margins expanded more than 400 basis points to 8.3% compared to last year. "
    "Q1 GAAP earnings per share were $1.10 per share. "
    "Total revenue was approximately $1.5 billion, a 7.5% decline. "
    "We expect Q3 sales growth between 5% and 7%. "
    "The plan covered 2019 to 2021 and is described in our 10-K."
)


def by_text(figures):
    return {f.text: f for f in figures}


def test_guidance_range_with_metric_period_and_scale():
    f = by_text(extract_key_figures(TEXT))["$1.82bn to $1.83bn"]
    assert (f.kind, f.metric, f.period, f.guidance) == ("range", "revenue", "FY", True)
    assert (f.value, f.value_high, f.unit) == (1.82e9, 1.83e9, "USD")


def test_per_share_range_is_adjusted_eps_guidance():
    f = by_text(extract_key_figures(TEXT))["$3.00 to $3.25 per diluted share"]
    assert (f.kind, f.metric, f.period, f.guidance, f.unit) == ("range", "adjusted EPS", "fiscal 2021", True, "USD/share")


def test_move_and_level_are_two_figures_not_a_range():
    figures = by_text(extract_key_figures(TEXT))
    assert figures["400 basis points"].unit == "bps"
    assert figures["8.3%"].metric == "adjusted EBITDA margin"


def test_reported_per_share_money_and_percentages():
    figures = by_text(extract_key_figures(TEXT))
    assert figures["$1.10 per share"].kind == "per_share" and figures["$1.10 per share"].metric == "EPS"
    assert figures["$1.10 per share"].period == "Q1"
    assert figures["$1.5 billion"].value == 1.5e9 and figures["$1.5 billion"].metric == "revenue"
    assert figures["7.5%"].kind == "percent"
    assert figures["5% and 7%"].kind == "range" and figures["5% and 7%"].guidance


def test_years_and_form_names_are_not_figures():
    texts = [f.text for f in extract_key_figures(TEXT)]
    assert not any(re.fullmatch(r"\d{4}( to \d{4})?|10", t) for t in texts)


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("Net income was EUR 5m in the quarter.", "EUR 5m"),
        ("Revenue was \u00a3240 million.", "\u00a3240 million"),
        ("The quarterly dividend is $0.25 a share.", "$0.25 a share"),
        ("Organic growth was 4 percent.", "4 percent"),
    ],
)
def test_other_currencies_and_wordings(sentence, expected):
    assert expected in [f.text for f in extract_key_figures(sentence)]


def test_every_figure_is_verbatim_at_its_offsets_in_a_real_transcript(shared_data):
    paths = sorted((shared_data / "ectsum" / "val" / "ects").glob("*.txt"))[:25]
    total = 0
    for path in paths:
        text = normalise(path.read_text(encoding="utf-8", errors="replace")).text
        for f in extract_key_figures(text):
            assert text[f.start : f.end] == f.text
            assert text[f.sentence_start : f.sentence_end] == f.sentence
            assert f.sentence_start <= f.start < f.end <= f.sentence_end
            total += 1
    assert total > 200


def test_cents_per_share_is_a_per_share_value_in_dollars():
    f = by_text(extract_key_figures("The board declared a quarterly dividend of 25 cents per share."))["25 cents per share"]
    assert (f.kind, f.metric, f.unit) == ("per_share", "dividend", "USD/share")
    assert f.value == pytest.approx(0.25)


def test_amount_in_parentheses_is_a_negative_figure():
    f = by_text(extract_key_figures("Operating loss was $(3.2) million in the quarter."))["$(3.2) million"]
    assert (f.kind, f.unit, f.metric) == ("money", "USD", "operating income")
    assert f.value == pytest.approx(-3.2e6)


def test_eps_stated_in_dollars_is_a_per_share_value():
    f = by_text(extract_key_figures("Third-quarter EPS of $1.23 beat expectations."))["$1.23"]
    assert (f.kind, f.metric, f.unit) == ("per_share", "EPS", "USD/share")


@pytest.mark.parametrize(("sentence", "figure", "period"), [
    ("For fiscal 2021, we expect revenue growth of 5% to 7% over last year.", "5% to 7%", "fiscal 2021"),
    ("Looking to 2022, we expect revenue of $1.9 billion, up from $1.7 billion last year.", "$1.9 billion", "2022"),
    ("In the third quarter, revenue rose 12% from a year ago to $480 million.", "$480 million", "third quarter"),
    ("Revenue grew 9% compared to last year.", "9%", "last year"),
    # a comparison figure takes the prior period
    ("We now expect full-year 2021 EPS of $5.10 to $5.20, compared to $4.50 last year.", "$5.10 to $5.20", "full-year 2021"),
    ("We now expect full-year 2021 EPS of $5.10 to $5.20, compared to $4.50 last year.", "$4.50", "last year"),
    ("Q3 revenue was $480 million versus $430 million in the prior-year quarter.", "$480 million", "Q3"),
    ("Q3 revenue was $480 million versus $430 million in the prior-year quarter.", "$430 million", "prior-year quarter"),
    ("Q3 revenue was $480 million, up from $430 million a year ago.", "$430 million", "a year ago"),
])
def test_period_is_the_figures_own_and_a_comparison_figure_takes_the_prior_one(sentence, figure, period):
    assert by_text(extract_key_figures(sentence))[figure].period == period
