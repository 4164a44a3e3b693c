"""Screen spec validation: registry-checked fields, typed values, hostile strings refused or bound."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from services.screening import (
    EXAMPLE_SPEC,
    FIELDS,
    Condition,
    Op,
    ScreenSpec,
    ScreenSpecError,
    describe_spec,
    parse_spec,
    run_screen,
)
from screen_store import add_company, seeded

HOSTILE = [
    "x'; DROP TABLE companies; --",
    "' OR '1'='1",
    'sector" OR 1=1 --',
    "a\x00b",
    "A" * 5000,
    "Energy\u202e",  # right-to-left override
    "En\u200bergy",  # zero-width space
    "\x1b[31mred",
    "%' UNION SELECT * FROM audit_log --",
]


def _spec(**overrides) -> dict:
    spec = copy.deepcopy(EXAMPLE_SPEC)
    spec.update(overrides)
    return spec


def test_example_spec_round_trips_through_json_and_yaml():
    spec = parse_spec(EXAMPLE_SPEC)
    assert parse_spec(spec.to_json()) == spec
    assert parse_spec(spec.to_yaml()) == spec
    assert spec.as_of == dt.date(2026, 11, 20)


def test_unknown_field_is_refused_with_a_suggestion():
    with pytest.raises(ScreenSpecError, match=r"unknown field 'market_cap'.*market_cap_usd_m"):
        parse_spec({"filters": {"conditions": [{"field": "market_cap", "op": ">", "value": 1}]}})


def test_text_value_for_a_number_field_is_refused():
    with pytest.raises(ScreenSpecError, match="takes a number"):
        parse_spec({"filters": {"conditions": [{"field": "market_cap_usd_m", "op": ">", "value": "1000"}]}})


def test_boolean_is_not_taken_for_a_number():
    with pytest.raises(ScreenSpecError, match="takes a number"):
        parse_spec({"filters": {"conditions": [{"field": "revenue_usd_m", "op": ">", "value": True}]}})


def test_operator_must_fit_the_field_type():
    with pytest.raises(ScreenSpecError, match="does not apply to Market cap"):
        parse_spec({"filters": {"conditions": [{"field": "market_cap_usd_m", "op": "contains", "value": 1}]}})
    with pytest.raises(ScreenSpecError, match="does not apply to Listing status"):
        parse_spec({"filters": {"conditions": [{"field": "listing_status", "op": ">", "value": "listed"}]}})


def test_unknown_operator_is_refused():
    with pytest.raises(ScreenSpecError, match="filters.conditions.0.op"):
        parse_spec({"filters": {"conditions": [{"field": "sector", "op": "LIKE", "value": "E%"}]}})


def test_between_needs_two_values_and_in_a_list():
    with pytest.raises(ScreenSpecError, match="two values"):
        parse_spec({"filters": {"conditions": [{"field": "revenue_usd_m", "op": "between", "value": [1]}]}})
    with pytest.raises(ScreenSpecError, match="non-empty list"):
        parse_spec({"filters": {"conditions": [{"field": "sector", "op": "in", "value": "Energy"}]}})
    with pytest.raises(ScreenSpecError, match="takes no value"):
        parse_spec({"filters": {"conditions": [{"field": "sector", "op": "is empty", "value": "x"}]}})


def test_ratings_and_choices_are_checked_against_their_vocabulary():
    cond = parse_spec({"filters": {"conditions": [{"field": "rating", "op": ">=", "value": "bbb-"}]}}).conditions()[0]
    assert cond.value == "BBB-"
    with pytest.raises(ScreenSpecError, match="not a rating"):
        parse_spec({"filters": {"conditions": [{"field": "rating", "op": ">=", "value": "BBB+++"}]}})
    with pytest.raises(ScreenSpecError, match="not a Ownership value"):
        parse_spec({"filters": {"conditions": [{"field": "ownership", "op": "=", "value": "pirate"}]}})


def test_reversed_between_bounds_are_put_in_order():
    cond = Condition(field="revenue_usd_m", op=Op.BETWEEN, value=[500, 100])
    assert cond.value == [100, 500]


def test_unknown_keys_and_score_names_are_refused():
    with pytest.raises(ScreenSpecError, match="Extra inputs"):
        parse_spec(_spec(sql="SELECT 1"))
    with pytest.raises(ScreenSpecError, match="score.name"):
        parse_spec(_spec(score={"name": "ecm; DROP TABLE deals"}))


def test_weights_must_name_factors_of_the_score_and_be_sensible():
    with pytest.raises(ScreenSpecError, match="unknown factor"):
        parse_spec(_spec(score={"name": "dcm", "weights": {"momentum": 1}}))
    with pytest.raises(ScreenSpecError, match="from 0 to 100"):
        parse_spec(_spec(score={"name": "dcm", "weights": {"leverage": -1}}))
    zero = {k: 0 for k in ("maturity_wall_cash", "maturity_wall_ebitda", "leverage", "rating", "coupon_gap")}
    with pytest.raises(ScreenSpecError, match="above zero"):
        parse_spec(_spec(score={"name": "dcm", "weights": zero}))


def test_too_many_conditions_or_too_deep_nesting_is_refused():
    many = [{"field": "revenue_usd_m", "op": ">", "value": i} for i in range(61)]
    with pytest.raises(ScreenSpecError, match="at most 60 conditions"):
        parse_spec({"filters": {"conditions": many}})
    deep: dict = {"field": "revenue_usd_m", "op": ">", "value": 1}
    for _ in range(6):
        deep = {"combine": "or", "conditions": [deep]}
    with pytest.raises(ScreenSpecError, match="nest at most"):
        parse_spec({"filters": deep})


def test_text_that_is_not_a_spec_gets_a_clear_error():
    with pytest.raises(ScreenSpecError, match="neither valid JSON nor YAML"):
        parse_spec("{not json")
    with pytest.raises(ScreenSpecError, match="mapping"):
        parse_spec("- just\n- a list\n")
    with pytest.raises(ScreenSpecError, match="not UTF-8"):
        parse_spec(b"\xff\xfe\x00")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_screen_name_is_refused_or_kept_verbatim(hostile):
    try:
        spec = parse_spec(_spec(name=hostile))
    except ScreenSpecError as exc:
        assert "screen name" in str(exc)
        assert "\x00" not in str(exc) and len(str(exc)) < 600
    else:
        assert spec.name == hostile.strip()


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_field_name_is_refused(hostile):
    with pytest.raises(ScreenSpecError, match="field") as info:
        parse_spec({"filters": {"conditions": [{"field": hostile, "op": "=", "value": "x"}]}})
    assert "\x00" not in str(info.value) and len(str(info.value)) < 600


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_operator_is_refused(hostile):
    with pytest.raises(ScreenSpecError, match="op"):
        parse_spec({"filters": {"conditions": [{"field": "sector", "op": hostile, "value": "x"}]}})


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_score_name_and_weight_key_are_refused(hostile):
    with pytest.raises(ScreenSpecError):
        parse_spec(_spec(score={"name": hostile}))
    with pytest.raises(ScreenSpecError, match="unknown factor|weights"):
        parse_spec(_spec(score={"name": "ecm", "weights": {hostile: 1}}))


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_combine_is_refused(hostile):
    with pytest.raises(ScreenSpecError, match="combine"):
        parse_spec({"filters": {"combine": hostile, "conditions": []}})


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_filter_value_is_refused_or_bound_harmlessly(sqlite_store, hostile):
    seeded(sqlite_store.session_factory, lambda s: {"a": add_company(s, "A", sector="Energy", name="Alpha")})
    for op, value in (("=", hostile), ("in", [hostile, "Energy"]), ("contains", hostile), ("!=", hostile)):
        try:
            spec = parse_spec({"filters": {"conditions": [{"field": "sector", "op": op, "value": value}]}})
        except ScreenSpecError as exc:
            assert "value for Sector" in str(exc)
            continue
        result = run_screen(spec, session_factory=sqlite_store.session_factory, as_of=dt.date(2026, 11, 20))
        expected = {"=": 0, "in": 1, "contains": 0, "!=": 1}[op]
        assert len(result.rows) == expected, (op, hostile)
    # The table is still there and intact.
    result = run_screen(ScreenSpec(), session_factory=sqlite_store.session_factory, as_of=dt.date(2026, 11, 20))
    assert list(result.rows["key"]) == ["A"]


def test_sql_wildcards_in_contains_are_literal(sqlite_store):
    seeded(sqlite_store.session_factory, lambda s: [add_company(s, "A", name="Alpha"), add_company(s, "B", name="50% Beta_x")])
    for value, keys in (("%", ["B"]), ("_", ["B"]), ("z_x", []), ("alpha", ["A"])):
        spec = parse_spec({"filters": {"conditions": [{"field": "name", "op": "contains", "value": value}]}})
        result = run_screen(spec, session_factory=sqlite_store.session_factory, as_of=dt.date(2026, 11, 20))
        assert sorted(result.rows["key"]) == keys, value


def test_criteria_read_as_sentences():
    lines = describe_spec(parse_spec(EXAMPLE_SPEC))
    assert lines[0].startswith("Companies where Sector is one of Industrials, Materials AND Market cap is at least $500m")
    assert "(Credit rating is at most BB+ OR Debt maturing in 24m / cash is above 1x)" in lines[0]
    assert lines[1].startswith("Ranked by DCM refinancing score (weights: Maturity wall vs cash 3")
    assert lines[2] == "Top 50"


def test_every_registered_field_has_a_label_and_operators():
    for fd in FIELDS.values():
        assert fd.label and fd.ops, fd.name
