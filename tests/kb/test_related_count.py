"""kb.selectors.related_count: how many related rows each row has, as a subquery that counts
the rows of the foreign key's index, with no GROUP BY and no join into the outer query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kb.selectors import related_count
from sources.models import Publisher
from tests.factories import PublisherFactory, SourceFactory

pytestmark = pytest.mark.django_db


def test_each_row_counts_its_own_related_rows_and_none_is_zero():
    busy, idle = PublisherFactory(), PublisherFactory()
    SourceFactory.create_batch(3, publisher=busy)

    with CaptureQueriesContext(connection) as queries:
        totals = dict(
            Publisher.objects.annotate(total=related_count(Publisher, "sources"))
            .filter(pk__in=[busy.pk, idle.pk])
            .values_list("pk", "total")
        )

    assert totals == {busy.pk: 3, idle.pk: 0}
    # As the database gives them, with no converter: ints on both databases.
    assert {type(total) for total in totals.values()} == {int}
    (sql,) = [q["sql"].upper() for q in queries.captured_queries]
    assert "COUNT(*)" in sql and "GROUP BY" not in sql and " JOIN " not in sql


def test_rows_can_be_filtered_and_ordered_by_their_count():
    few, many = PublisherFactory(), PublisherFactory()
    SourceFactory.create_batch(1, publisher=few)
    SourceFactory.create_batch(2, publisher=many)

    found = (
        Publisher.objects.annotate(total=related_count(Publisher, "sources"))
        .filter(total__gte=1, pk__in=[few.pk, many.pk])
        .order_by("-total")
    )

    assert [p.pk for p in found] == [many.pk, few.pk]
