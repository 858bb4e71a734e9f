"""When two claims conflict, and how conflicting claims group (SPEC section 3), without a database."""

from __future__ import annotations

from itertools import count

import pytest

from claims.conflicts import Facts, Rules, components, conflict, positions
from claims.values import parse_date, parse_money, parse_number

MONEY = Rules(value_type="money")
COUNT = Rules(value_type="count")
TIME_VARYING_COUNT = Rules(value_type="count", time_varying=True)

_ids = count(1)


def money(text: str, *, tolerance="0", approx="0.10", id: int | None = None) -> Facts:
    """The facts of a money claim, its interval as the attribute's tolerances make it."""
    value = parse_money(text)
    low, high = value.interval(tolerance=tolerance, approx_tolerance=approx)
    return Facts(id=id or next(_ids), low=low, high=high, currency=value.currency)


def number(
    text: str,
    *,
    unit: str = "helicopters",
    tolerance="0",
    approx="0.10",
    period=None,
    id: int | None = None,
) -> Facts:
    """The facts of a count claim; `period` is ("2020", "2021") style text or None."""
    value = parse_number(text, unit=unit)
    low, high = value.interval(tolerance=tolerance, approx_tolerance=approx)
    return Facts(id=id or next(_ids), low=low, high=high, unit=unit, period=_period(period))


def _period(period):
    if period is None:
        return None
    start, end = period
    return (
        parse_date(start).interval()[0] if start else None,
        parse_date(end).interval()[1] if end else None,
    )


def date(text: str) -> Facts:
    low, high = parse_date(text).interval()
    return Facts(id=next(_ids), date_low=low, date_high=high)


def ids(groups) -> list[list[int]]:
    return [[facts.id for facts in group] for group in groups]


# Numbers: each qualifier's interval.


def test_two_different_exact_amounts_conflict():
    assert conflict(money("$180 million"), money("$1.5 billion"), MONEY)


def test_the_same_exact_amount_written_two_ways_does_not_conflict():
    assert not conflict(money("$1.5 billion"), money("US$1,500 million"), MONEY)


def test_a_claim_never_conflicts_with_itself():
    claim = money("$180 million")
    other_value_same_id = money("$1.5 billion", id=claim.id)
    assert not conflict(claim, other_value_same_id, MONEY)


@pytest.mark.parametrize(
    ("approximate", "exact"),
    [("about 15", "16"), ("about 15", "14"), ("nearly 180", "195"), ("around 100", "91")],
)
def test_an_approximate_amount_agrees_with_an_exact_one_within_its_tolerance(approximate, exact):
    assert not conflict(number(approximate), number(exact), COUNT)


@pytest.mark.parametrize(
    ("approximate", "exact"), [("about 15", "20"), ("about 15", "13"), ("nearly 180", "200")]
)
def test_an_approximate_amount_conflicts_with_an_exact_one_beyond_its_tolerance(approximate, exact):
    assert conflict(number(approximate), number(exact), COUNT)


def test_a_wider_approximation_tolerance_makes_about_15_agree_with_20():
    assert conflict(number("about 15", approx="0.10"), number("20", approx="0.10"), COUNT)
    assert not conflict(number("about 15", approx="0.5"), number("20", approx="0.5"), COUNT)


def test_two_approximate_amounts_conflict_only_when_their_ranges_do_not_overlap():
    assert not conflict(number("about 100"), number("about 120"), COUNT)  # 90-110 / 108-132
    assert conflict(number("about 100"), number("about 130"), COUNT)  # 90-110 / 117-143


def test_more_than_conflicts_with_a_lower_exact_amount():
    assert conflict(money("more than $350 million"), money("$300 million"), MONEY)


def test_more_than_agrees_with_a_higher_exact_amount():
    assert not conflict(money("more than $350 million"), money("$400 million"), MONEY)


def test_two_lower_bounds_never_conflict():
    assert not conflict(number("more than 10"), number("at least 1000"), COUNT)


def test_up_to_conflicts_with_a_higher_exact_amount():
    assert conflict(number("up to 20"), number("25"), COUNT)


def test_up_to_agrees_with_a_lower_exact_amount_and_with_zero():
    assert not conflict(number("up to 20"), number("15"), COUNT)
    assert not conflict(number("up to 20"), number("0"), COUNT)


def test_an_upper_bound_conflicts_with_a_higher_lower_bound():
    assert conflict(number("up to 10"), number("more than 20"), COUNT)


def test_an_upper_bound_agrees_with_a_lower_lower_bound():
    assert not conflict(number("up to 20"), number("more than 10"), COUNT)


def test_a_range_agrees_with_an_amount_inside_it():
    assert not conflict(number("between 15 and 20"), number("18"), COUNT)


def test_a_range_conflicts_with_an_amount_outside_it():
    assert conflict(number("between 15 and 20"), number("21"), COUNT)
    assert conflict(number("15-20"), number("14"), COUNT)


def test_two_ranges_conflict_only_when_disjoint():
    assert not conflict(number("between 15 and 20"), number("between 19 and 30"), COUNT)
    assert conflict(number("between 15 and 20"), number("between 21 and 30"), COUNT)


# Boundaries: intervals are closed, so touching ones share a point and agree.


def test_an_exact_amount_at_the_end_of_a_range_agrees_with_it():
    assert not conflict(number("between 15 and 20"), number("20"), COUNT)
    assert not conflict(number("between 15 and 20"), number("15"), COUNT)


def test_up_to_and_at_least_the_same_amount_agree():
    assert not conflict(number("up to 20"), number("at least 20"), COUNT)


def test_an_exact_amount_exactly_at_the_approximation_tolerance_agrees():
    # about $100 with a = 0.10 is [$90, $110]
    assert not conflict(money("about $100"), money("$110"), MONEY)
    assert not conflict(money("about $100"), money("$90"), MONEY)


def test_an_exact_amount_a_cent_beyond_the_approximation_tolerance_conflicts():
    assert conflict(money("about $100"), money("$110.01"), MONEY)
    assert conflict(money("about $100"), money("$89.99"), MONEY)


def test_the_attribute_tolerance_widens_both_intervals():
    assert conflict(money("$100"), money("$105"), MONEY)
    assert not conflict(money("$100", tolerance="0.05"), money("$105", tolerance="0.05"), MONEY)


def test_intervals_widened_by_the_tolerance_until_they_touch_agree():
    # With t = 0.2: $100 is [$80, $120] and $150 is [$120, $180].
    assert not conflict(money("$100", tolerance="0.2"), money("$150", tolerance="0.2"), MONEY)
    assert conflict(money("$100", tolerance="0.2"), money("$151", tolerance="0.2"), MONEY)


def test_the_tolerance_also_widens_approximate_amounts():
    # about 15 is [13.5, 16.5], widened by 0.25 to [10.125, 20.625]; 20 is [15, 25].
    assert not conflict(number("about 15", tolerance="0.25"), number("20", tolerance="0.25"), COUNT)


# Different currencies and units are not compared.


def test_amounts_in_different_currencies_never_conflict():
    assert not conflict(money("$180 million"), money("1.5 billion euros"), MONEY)


def test_amounts_in_the_same_foreign_currency_conflict():
    assert conflict(money("180 million euros"), money("€1.5 billion"), MONEY)


def test_counts_of_different_units_never_conflict():
    assert not conflict(number("9", unit="helicopters"), number("40", unit="aircraft"), COUNT)


def test_quantities_in_the_same_unit_conflict():
    rules = Rules(value_type="quantity")
    assert conflict(number("9", unit="km"), number("40", unit="km"), rules)


# Dates: the interval each precision covers.


def test_a_year_and_a_month_inside_it_agree():
    assert not conflict(date("2024"), date("2024-05"), Rules(value_type="date"))


def test_a_month_and_a_day_inside_it_agree():
    assert not conflict(date("2023-05"), date("May 19, 2023"), Rules(value_type="date"))


def test_a_year_and_a_day_in_another_year_conflict():
    assert conflict(date("2019"), date("2023-05-19"), Rules(value_type="date"))


def test_two_different_days_conflict():
    assert conflict(date("2023-05-19"), date("2023-05-20"), Rules(value_type="date"))


def test_a_month_and_the_next_year_conflict_although_they_are_adjacent():
    assert conflict(date("2023-12"), date("2024"), Rules(value_type="date"))


# Entities, booleans and text.


def test_claims_naming_different_entities_conflict():
    rules = Rules(value_type="entity")
    assert conflict(Facts(id=1, entity_id=10), Facts(id=2, entity_id=11), rules)


def test_claims_naming_the_same_entity_agree():
    rules = Rules(value_type="entity")
    assert not conflict(Facts(id=1, entity_id=10), Facts(id=2, entity_id=10), rules)


def test_yes_and_no_conflict():
    rules = Rules(value_type="boolean")
    assert conflict(Facts(id=1, boolean=True), Facts(id=2, boolean=False), rules)
    assert not conflict(Facts(id=1, boolean=False), Facts(id=2, boolean=False), rules)


def test_free_text_never_conflicts_automatically():
    rules = Rules(value_type="text")
    assert not conflict(Facts(id=1, text="naval base"), Facts(id=2, text="airfield"), rules)


def test_different_choices_of_a_closed_text_attribute_conflict():
    rules = Rules(value_type="text", choices=("active", "closed"))
    assert conflict(Facts(id=1, text="active"), Facts(id=2, text="closed"), rules)
    assert not conflict(Facts(id=1, text="active"), Facts(id=2, text="active"), rules)


# Multi-valued and time-varying attributes.


def test_multi_valued_attributes_are_never_checked():
    rules = Rules(value_type="count", single_valued=False)
    a, b = number("9"), number("40")
    assert not conflict(a, b, rules)
    assert components([a, b], rules) == []


def test_time_varying_claims_with_overlapping_periods_conflict():
    a = number("9", period=("2020", "2022"))
    b = number("40", period=("2022-06", "2023"))
    assert conflict(a, b, TIME_VARYING_COUNT)


def test_time_varying_claims_with_periods_sharing_one_day_conflict():
    a = number("9", period=("2020", "2021-12-31"))
    b = number("40", period=("2021-12-31", None))
    assert conflict(a, b, TIME_VARYING_COUNT)


def test_time_varying_claims_with_separate_periods_do_not_conflict():
    a = number("9", period=("2020", "2021"))
    b = number("40", period=("2023", "2023"))
    assert not conflict(a, b, TIME_VARYING_COUNT)


def test_an_open_ended_period_overlaps_every_later_one():
    a = number("9", period=("2020", None))
    b = number("40", period=("2031", "2032"))
    assert conflict(a, b, TIME_VARYING_COUNT)


def test_an_open_started_period_does_not_reach_a_later_one():
    a = number("9", period=(None, "2020"))
    b = number("40", period=("2021", None))
    assert not conflict(a, b, TIME_VARYING_COUNT)


def test_a_time_varying_claim_with_no_period_overlaps_everything():
    a = number("9", period=None)
    b = number("40", period=("1990", "1990"))
    assert conflict(a, b, TIME_VARYING_COUNT)


def test_claims_of_an_attribute_that_is_not_time_varying_conflict_whatever_their_periods():
    a = number("9", period=("2020", "2021"))
    b = number("40", period=("2023", "2023"))
    assert conflict(a, b, COUNT)


# Connected components: one contradiction per component.


def test_a_claim_conflicting_with_two_others_joins_them_into_one_component():
    # 10 and 20 conflict, 20 and 8-12 conflict; 10 and 8-12 agree.
    ten, twenty, eight_to_twelve = number("10"), number("20"), number("between 8 and 12")
    found = components([ten, twenty, eight_to_twelve], COUNT)
    assert ids(found) == [[eight_to_twelve.id, ten.id, twenty.id]]


def test_two_separate_conflicting_pairs_are_two_components():
    early_a, early_b = number("9", period=("2010", "2011")), number("40", period=("2010", "2011"))
    late_a, late_b = number("9", period=("2020", "2021")), number("40", period=("2020", "2021"))
    found = components([early_a, late_a, early_b, late_b], TIME_VARYING_COUNT)
    assert ids(found) == [[early_a.id, early_b.id], [late_a.id, late_b.id]]


def test_a_claim_compatible_with_everyone_is_in_no_component():
    ten, twenty, vague = number("10"), number("20"), number("more than 1")
    found = components([ten, twenty, vague], COUNT)
    assert ids(found) == [[ten.id, twenty.id]]


def test_claims_without_any_conflict_make_no_component():
    assert components([number("10"), number("about 10"), number("up to 12")], COUNT) == []


def test_claims_in_different_currencies_form_separate_components():
    dollars = [money("$10"), money("$20")]
    euros = [money("€10"), money("€20")]
    found = components([dollars[0], euros[0], dollars[1], euros[1]], MONEY)
    assert ids(found) == [[c.id for c in dollars], [c.id for c in euros]]


def test_components_list_their_claims_by_value_whatever_the_input_order():
    big, small, middle = number("30"), number("10"), number("20")
    assert ids(components([big, small, middle], COUNT)) == [[small.id, middle.id, big.id]]


# Positions: mutually compatible claims stand together, ordered by value.


def test_the_lower_value_is_the_first_position():
    billion, million = money("$1.5 billion"), money("$180 million")
    (component,) = components([billion, million], MONEY)
    assert ids(positions(component, MONEY)) == [[million.id], [billion.id]]


def test_compatible_claims_share_a_position():
    about_175 = money("about $175 million")
    exact_180 = money("$180 million")
    more_than_1bn = money("more than $1 billion")
    exact_1_5bn = money("$1.5 billion")
    claims = [exact_1_5bn, exact_180, more_than_1bn, about_175]
    (component,) = components(claims, MONEY)
    assert ids(positions(component, MONEY)) == [
        [about_175.id, exact_180.id],
        [more_than_1bn.id, exact_1_5bn.id],
    ]


def test_claims_with_the_same_value_share_a_position():
    first, second, other = money("$180 million"), money("$180 million"), money("$1.5 billion")
    (component,) = components([first, other, second], MONEY)
    assert ids(positions(component, MONEY)) == [[first.id, second.id], [other.id]]


def test_a_claim_agreeing_with_two_conflicting_ones_stands_with_the_lower():
    ten, twenty, thirty = number("10"), number("20"), number("30")
    ten_to_twenty = number("between 10 and 20")
    (component,) = components([ten, twenty, thirty, ten_to_twenty], COUNT)
    assert ids(positions(component, COUNT)) == [
        [ten.id, ten_to_twenty.id],
        [twenty.id],
        [thirty.id],
    ]


def test_every_position_holds_only_mutually_compatible_claims():
    claims = [number(text) for text in ("10", "about 11", "12", "15", "up to 14", "at least 13")]
    for component in components(claims, COUNT):
        for position in positions(component, COUNT):
            for a in position:
                assert not any(conflict(a, b, COUNT) for b in position)


def test_positions_of_dates_are_ordered_by_date():
    rules = Rules(value_type="date")
    late, early, early_day = date("2023-05-19"), date("2019"), date("2019-03-02")
    (component,) = components([late, early, early_day], rules)
    assert ids(positions(component, rules)) == [[early.id, early_day.id], [late.id]]


def test_entity_claims_are_in_one_position_per_entity():
    rules = Rules(value_type="entity")
    a1, b, a2 = Facts(id=1, entity_id=7), Facts(id=2, entity_id=3), Facts(id=3, entity_id=7)
    (component,) = components([a1, b, a2], rules)
    assert ids(positions(component, rules)) == [[2], [1, 3]]
