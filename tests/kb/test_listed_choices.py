"""A page's select of rows (an attribute, a publisher) reads them with one plain query, not
through a server-side cursor (kb.filters.ListedModelChoiceFilter)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.filters import ContradictionQueueFilter
from claims.models import Attribute, Contradiction

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def attributes():
    for code, label in (("port_cost", "Port cost"), ("troops", "Troops"), ("opened", "Opened")):
        Attribute.objects.create(code=code, label=label, value_type="count")


def test_the_queue_attribute_select_lists_every_attribute_with_one_plain_query():
    field = ContradictionQueueFilter({}, queryset=Contradiction.objects.all()).form.fields[
        "attribute"
    ]

    with CaptureQueriesContext(connection) as queries:
        choices = [(str(value), label) for value, label in field.choices]

    expected = [(a.code, str(a)) for a in Attribute.objects.order_by("label")]
    assert [code for code, _ in expected] == ["opened", "port_cost", "troops"]
    assert choices == [("", "any attribute"), *expected]
    # On PostgreSQL, Django's iterator() would DECLARE a cursor, FETCH twice and CLOSE it.
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT"]


def test_a_chosen_attribute_still_filters_and_an_unknown_one_is_refused():
    attribute = Attribute.objects.order_by("label").first()

    chosen = ContradictionQueueFilter(
        {"attribute": attribute.code}, queryset=Contradiction.objects.all()
    )
    unknown = ContradictionQueueFilter(
        {"attribute": "no-such-attribute"}, queryset=Contradiction.objects.all()
    )

    assert chosen.is_valid() and chosen.form.cleaned_data["attribute"] == attribute
    assert not unknown.is_valid() and "attribute" in unknown.errors
