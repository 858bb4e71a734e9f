"""FilterSets: the editors' queue of contradictions."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.db.models import Exists, OuterRef
from django.utils import timezone

from claims.models import Attribute, ContradictionClaim
from kb.models import EntityKind
from sources.models import SourceKind

AGES = [
    ("1", "today"),
    ("7", "this week"),
    ("30", "this month"),
    ("older", "older than a month"),
]


class ContradictionQueueFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(
        field_name="subject__kind", lookup_expr="exact", choices=EntityKind.choices,
        label="Entity kind", empty_label="any kind",
    )  # fmt: skip
    attribute = django_filters.ModelChoiceFilter(
        field_name="attribute",
        queryset=Attribute.objects.order_by("label"),
        to_field_name="code",
        label="Attribute",
        empty_label="any attribute",
    )
    source_kind = django_filters.ChoiceFilter(
        choices=SourceKind.choices,
        method="filter_source_kind",
        label="Source kind",
        empty_label="any source kind",
    )
    age = django_filters.ChoiceFilter(
        choices=AGES, method="filter_age", label="Detected", empty_label="any time"
    )

    def filter_source_kind(self, queryset, name, value):
        # Contradictions with at least one claim from a source of that kind.
        with_kind = ContradictionClaim.objects.filter(
            contradiction=OuterRef("pk"), claim__source__kind=value
        )
        return queryset.filter(Exists(with_kind))

    def filter_age(self, queryset, name, value):
        now = timezone.now()
        if value == "older":
            return queryset.filter(detected_at__lt=now - timedelta(days=30))
        return queryset.filter(detected_at__gte=now - timedelta(days=int(value)))
