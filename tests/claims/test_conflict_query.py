"""The conflict query (claims.selectors.claim_conflicts) finds, with the interval and period
columns alone, exactly the claims that SPEC section 3 says conflict."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.selectors import claim_conflicts
from claims.services import attribute_create, claim_create
from tests.claims.test_detection_properties import (
    dates,
    expected_period,
    numeric,
    periods,
    spec_conflict,
    values,
)
from tests.factories import EntityFactory, SourceFactory

pytestmark = pytest.mark.django_db

claims_to_make = st.lists(
    st.tuples(st.sampled_from((0, 1)), st.sampled_from(("money", "count")), values, periods),
    min_size=2,
    max_size=12,
)


class _Rollback(Exception):
    pass


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(made=claims_to_make)
def test_the_conflict_query_agrees_with_spec_section_3(made):
    try:
        with transaction.atomic():
            subjects = [EntityFactory(), EntityFactory()]
            attributes = {
                "money": attribute_create(code="value", label="Value", value_type="money"),
                "count": attribute_create(
                    code="staff", label="Staff", value_type="count", unit="people",
                    time_varying=True,
                ),
            }  # fmt: skip
            dated, undated = SourceFactory(), SourceFactory(published_on=None)
            model = {}
            for index, (subject, kind, value, period) in enumerate(made):
                parsed = numeric(kind, value)
                claim = claim_create(
                    key=f"c{index}", subject=subjects[subject], attribute=attributes[kind],
                    source=undated if period[0] == "none" else dated, value=parsed, quote="q", credibility=3, **dates(period),
                )  # fmt: skip
                model[claim.pk] = {
                    "claim": claim,
                    "subject": subject,
                    "kind": kind,
                    "value": parsed,
                    "period": expected_period(period),
                }
            for pk, facts in model.items():
                expected = {o for o in model if o != pk and spec_conflict(facts, model[o])}
                found = set(claim_conflicts(facts["claim"]).values_list("pk", flat=True))
                assert found == expected
            raise _Rollback
    except _Rollback:
        pass
