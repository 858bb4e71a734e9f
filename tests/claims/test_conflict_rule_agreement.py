"""SPEC section 3's conflict rule is written once in Python (claims.conflicts, which detection
runs) and once as a query on the stored columns (claims.selectors.claim_conflicts, kept for
speed where one claim's conflicts are needed). On generated claims of every value type, with
and without valid periods, both find exactly the same conflicts."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims import conflicts
from claims.detection import FACT_FIELDS, facts_of
from claims.models import Claim
from claims.selectors import claim_conflicts
from claims.services import attribute_create, claim_create, value_parse
from claims.values import parse_date
from tests.factories import EntityFactory, SourceFactory

pytestmark = pytest.mark.django_db

# One attribute per rule the SPEC distinguishes, and wordings of its values.
ATTRIBUTES = {
    "money": (
        {"value_type": "money"},
        [
            "$180 million",
            "$1.5 billion",
            "about $190 million",
            "more than $150 million",
            "up to $100 million",
            "between $170 million and $200 million",
            "€180 million",
        ],
    ),
    "count_over_time": (
        {"value_type": "count", "unit": "people", "time_varying": True},
        [
            "nine",
            "about 12",
            "at least 10",
            "between 8 and 11",
            "a dozen",
            "up to 5",
        ],
    ),
    "quantity": (
        {"value_type": "quantity", "unit": "km", "tolerance": "0.05"},
        [
            "100 km",
            "about 104 km",
            "more than 120 km",
            "90 km",
        ],
    ),
    "date": ({"value_type": "date"}, ["2019", "March 2023", "May 19, 2023", "2023", "2024"]),
    "entity": ({"value_type": "entity"}, [0, 1, 2]),
    "boolean": ({"value_type": "boolean"}, [True, False]),
    "status": (
        {"value_type": "text", "choices": ["planned", "delivered"]},
        [
            "planned",
            "delivered",
        ],
    ),
    "free_text": ({"value_type": "text"}, ["a port", "a base"]),
    "parties": ({"value_type": "entity", "single_valued": False}, [0, 1, 2]),
}
PERIOD_DATES = [None, "2020", "2023", "June 2023", "2025"]


def claims_of(code: str):
    """Claims of one attribute on two subjects: most pairs share subject and attribute."""
    return st.lists(
        st.tuples(
            st.sampled_from((0, 0, 1)),  # subject
            st.just(code),
            st.integers(min_value=0, max_value=6),  # value index (modulo the wordings)
            st.sampled_from(PERIOD_DATES),  # valid from
            st.sampled_from(PERIOD_DATES),  # valid to
        ),
        min_size=2,
        max_size=10,
    )


class _Rollback(Exception):
    pass


def _value(attribute, code: str, index: int, entities):
    wordings = ATTRIBUTES[code][1]
    raw = wordings[index % len(wordings)]
    if attribute.value_type == "entity":
        return entities[raw]
    if attribute.value_type == "boolean":
        return raw
    if attribute.value_type == "text":
        return raw
    return value_parse(attribute=attribute, text=raw)


def _period(valid_from, valid_to):
    start = parse_date(valid_from) if valid_from else None
    end = parse_date(valid_to) if valid_to else None
    if start and end and end.interval()[1] < start.interval()[0]:
        start, end = end, start
    return start, end


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.parametrize("code", sorted(ATTRIBUTES))
@given(data=st.data())
def test_the_query_and_the_rules_find_the_same_conflicts_for_every_value_type(code, data):
    specs = data.draw(claims_of(code))
    try:
        with transaction.atomic():
            subjects = [EntityFactory(), EntityFactory()]
            entities = [EntityFactory(), EntityFactory(), EntityFactory()]
            attributes = {
                code: attribute_create(code=code, label=code, **fields)
                for code, (fields, _) in ATTRIBUTES.items()
            }
            source = SourceFactory()
            for index, (subject, code, value, valid_from, valid_to) in enumerate(specs):
                attribute = attributes[code]
                start, end = _period(valid_from, valid_to)
                claim_create(
                    key=f"c{index}", subject=subjects[subject], attribute=attribute,
                    source=source, value=_value(attribute, code, value, entities),
                    quote="q", credibility=3, valid_from=start, valid_to=end,
                )  # fmt: skip

            rows = {row["id"]: row for row in Claim.objects.values(*FACT_FIELDS)}
            for claim in Claim.objects.select_related("attribute"):
                rules = conflicts.Rules.of(claim.attribute)
                mine = facts_of(rows[claim.pk])
                by_rules = {
                    pk
                    for pk, row in rows.items()
                    if (row["subject_id"], row["attribute_id"])
                    == (claim.subject_id, claim.attribute_id)
                    and conflicts.conflict(mine, facts_of(row), rules)
                }
                by_query = set(claim_conflicts(claim).values_list("pk", flat=True))
                assert by_query == by_rules, (claim.key, claim.attribute.code)
            raise _Rollback
    except _Rollback:
        pass
