"""Incremental detection agrees with the full recheck and with SPEC section 3, whatever analysts do.

Random sequences of creating, editing and deleting claims on one or two subjects and two
attributes (money, single-valued; a time-varying count), with small amounts so that conflicts
are frequent. Each example runs in a transaction that is rolled back, so none leaks into the next.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims import detection
from claims.models import Claim, Contradiction
from claims.services import attribute_create, claim_create, claim_delete, claim_update
from claims.values import DateValue, NumericValue
from tests.factories import EntityFactory, SourceFactory

pytestmark = pytest.mark.django_db

QUALIFIERS = ("exact", "approximately", "at_least", "at_most", "range")
YEARS = st.integers(min_value=2021, max_value=2024)
SOURCE_PUBLISHED = datetime.date(2024, 11, 1)  # SourceFactory: November 2024, month precision

values = st.builds(
    lambda qualifier, amount, spread, currency: (qualifier, amount, spread, currency),
    st.sampled_from(QUALIFIERS),
    st.integers(min_value=1, max_value=6),
    st.integers(min_value=0, max_value=3),
    st.sampled_from(("USD", "USD", "USD", "USD", "EUR")),
)
# How a claim is dated: a valid period (either end may be open), only a claimed_on year,
# its dated source's publication month, or nothing at all (an undated source).
periods = st.one_of(
    st.tuples(st.just("valid"), YEARS, YEARS, st.sampled_from(("both", "from", "to"))),
    st.tuples(st.just("claimed"), YEARS),
    st.just(("source",)),
    st.just(("none",)),
)
creates = st.tuples(
    st.just("create"),
    st.sampled_from((0, 0, 1)),
    st.sampled_from(("money", "count")),
    values,
    periods,
)
edits = st.tuples(st.just("edit"), st.integers(0, 50), values, periods | st.none())
deletes = st.tuples(st.just("delete"), st.integers(0, 50))
# A few claims first, so that there is something to conflict, edit and delete.
operations = st.builds(
    lambda first, then: first + then,
    st.lists(creates, min_size=2, max_size=8),
    st.lists(st.one_of(creates, edits, deletes), max_size=10),
)


def numeric(kind: str, value) -> NumericValue:
    qualifier, amount, spread, currency = value
    return NumericValue(
        kind=kind,
        amount=amount,
        qualifier=qualifier,
        max=amount + spread if qualifier == "range" else None,
        currency=currency if kind == "money" else None,
    )


def dates(period) -> dict:
    """The claim_create / claim_update date arguments for a generated period."""
    arguments = {"valid_from": None, "valid_to": None, "claimed_on": None}
    if period[0] == "valid":
        _, first, second, ends = period
        start, end = sorted((first, second))
        if ends in ("both", "from"):
            arguments["valid_from"] = DateValue(datetime.date(start, 1, 1), "year")
        if ends in ("both", "to"):
            arguments["valid_to"] = DateValue(datetime.date(end, 1, 1), "year")
    elif period[0] == "claimed":
        arguments["claimed_on"] = DateValue(datetime.date(period[1], 1, 1), "year")
    return arguments


def expected_period(period):
    """When the claim holds by SPEC section 3: None overlaps everything."""
    kind = period[0]
    if kind == "valid":
        _, first, second, ends = period
        start, end = sorted((first, second))
        return (
            datetime.date(start, 1, 1) if ends in ("both", "from") else None,
            datetime.date(end, 12, 31) if ends in ("both", "to") else None,
        )
    if kind == "claimed":
        return (datetime.date(period[1], 1, 1), datetime.date(period[1], 12, 31))
    if kind == "source":
        return (SOURCE_PUBLISHED, datetime.date(2024, 11, 30))
    return None


def spec_conflict(a: dict, b: dict) -> bool:
    """SPEC section 3, written out again independently of claims.conflicts."""
    if (a["subject"], a["kind"]) != (b["subject"], b["kind"]):
        return False
    va, vb = a["value"], b["value"]
    if va.currency != vb.currency:
        return False
    (low_a, high_a), (low_b, high_b) = va.interval(), vb.interval()
    disjoint = (high_a is not None and high_a < low_b) or (high_b is not None and high_b < low_a)
    if not disjoint or a["kind"] == "money":
        return disjoint
    pa, pb = a["period"], b["period"]
    if pa is None or pb is None:
        return True
    return not (
        (pa[1] is not None and pb[0] is not None and pa[1] < pb[0])
        or (pb[1] is not None and pa[0] is not None and pb[1] < pa[0])
    )


def spec_components(model: dict[int, dict]) -> set[frozenset[int]]:
    """The connected components of the conflict graph with at least one conflict."""
    neighbours = {
        a: {b for b in model if b != a and spec_conflict(model[a], model[b])} for a in model
    }
    seen: set[int] = set()
    result = set()
    for start in model:
        if start in seen or not neighbours[start]:
            continue
        component, todo = set(), [start]
        while todo:
            current = todo.pop()
            if current not in component:
                component.add(current)
                todo.extend(neighbours[current] - component)
        seen |= component
        result.add(frozenset(component))
    return result


def snapshot() -> frozenset:
    """The contradictions still detected: subject, attribute and the claim ids of each position."""
    result = set()
    for contradiction in Contradiction.objects.filter(withdrawn_at__isnull=True):
        by_position: dict[int, set[int]] = {}
        for claim_id, position in contradiction.memberships.values_list("claim_id", "position"):
            by_position.setdefault(position, set()).add(claim_id)
        result.add(
            (
                contradiction.subject_id,
                contradiction.attribute_id,
                tuple(frozenset(by_position[p]) for p in sorted(by_position)),
            )
        )
    return frozenset(result)


def run(steps) -> dict[int, dict]:
    """Apply the operations through the services; returns what each remaining claim says."""
    subjects = [EntityFactory(), EntityFactory()]
    attributes = {
        "money": attribute_create(code="fms_case_value", label="FMS value", value_type="money"),
        "count": attribute_create(
            code="us_personnel", label="US personnel", value_type="count", time_varying=True
        ),
    }
    dated, undated = SourceFactory(), SourceFactory(published_on=None)
    model: dict[int, dict] = {}
    for number, step in enumerate(steps):
        if step[0] == "create":
            _, subject, kind, value, period = step
            value = numeric(kind, value)
            created = claim_create(
                key=f"claim-{number}",
                subject=subjects[subject],
                attribute=attributes[kind],
                source=undated if period[0] == "none" else dated,
                value=value,
                quote="as quoted",
                credibility=3,
                **dates(period),
            )
            model[created.pk] = {
                "subject": subject,
                "kind": kind,
                "value": value,
                "period": expected_period(period),
                "source_dated": period[0] != "none",
            }
        elif model and step[0] == "edit":
            _, index, value, period = step
            pk = sorted(model)[index % len(model)]
            entry = model[pk]
            if period is not None and period[0] == "none" and entry["source_dated"]:
                period = ("source",)  # the source stays; its date then stands
            if period is not None and period[0] == "source" and not entry["source_dated"]:
                period = ("none",)
            entry["value"] = numeric(entry["kind"], value)
            arguments = dates(period) if period is not None else {}
            claim_update(claim=Claim.objects.get(pk=pk), value=entry["value"], **arguments)
            if period is not None:
                entry["period"] = expected_period(period)
        elif model and step[0] == "delete":
            pk = sorted(model)[step[1] % len(model)]
            claim_delete(claim=Claim.objects.get(pk=pk))
            del model[pk]
    return model


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
def test_incremental_detection_matches_the_full_recheck_and_the_spec(steps):
    with transaction.atomic():
        model = run(steps)
        incremental = snapshot()

        # The contradictions are exactly the connected components SPEC section 3 describes.
        assert {frozenset().union(*positions) for _, _, positions in incremental} == (
            spec_components(model)
        )
        # A position holds only claims that agree with each other.
        for _, _, positions in incremental:
            for position in positions:
                assert not any(
                    spec_conflict(model[a], model[b]) for a in position for b in position
                )

        # The full recheck over what incremental detection left changes nothing.
        report = detection.recheck_all()
        assert snapshot() == incremental
        assert (report.created, report.updated, report.withdrawn) == (0, 0, 0)

        # Rebuilt from scratch, the same claims stand in the same positions.
        Contradiction.objects.filter(origin=Contradiction.Origin.AUTOMATIC).delete()
        detection.recheck_all()
        assert snapshot() == incremental

        transaction.set_rollback(True)
