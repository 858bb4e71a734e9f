"""The API's FilterSet for sources, and the reliability grade in force as a condition."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from kb.filters import (
    APIFilterSet,
    PartialDateFilter,
    SearchFilter,
    TextMatches,
    search_terms,
    uses_postgres,
)
from sources.models import GRADES, Reliability, Source, SourceKind


def reliability_in(grades, *, prefix: str = "") -> Q:
    """Sources (or rows whose `prefix` leads to one) whose grade in force is one of `grades`:
    their own grade, else their publisher's default, else F (Source.grade, in SQL)."""
    grades = list(grades)
    own, default = f"{prefix}reliability", f"{prefix}publisher__default_reliability"
    condition = Q(**{f"{own}__in": grades}) | Q(**{own: "", f"{default}__in": grades})
    if Reliability.F in grades:
        condition |= Q(**{own: "", f"{prefix}publisher__isnull": True}) | Q(
            **{own: "", default: ""}
        )
    return condition


def grades_at_least(grade: str) -> list[str]:
    """The grades as good as `grade` or better: "B" gives A and B."""
    return GRADES[: GRADES.index(grade) + 1]


def source_search(queryset, text: str, *, prefix: str = ""):
    """Sources whose title holds every word: full text on PostgreSQL, substrings elsewhere."""
    for term in search_terms(text):
        if uses_postgres(queryset):
            queryset = queryset.filter(TextMatches(f"{prefix}title", term))
        else:
            queryset = queryset.filter(**{f"{prefix}title__icontains": term})
    return queryset


class SourceFilter(APIFilterSet):
    kind = django_filters.ChoiceFilter(
        field_name="kind", lookup_expr="exact", choices=SourceKind.choices,
        help_text="The kind of source.",
    )  # fmt: skip
    key = django_filters.CharFilter(
        field_name="key", lookup_expr="exact", help_text="The source's stable key, exactly."
    )
    reliability = django_filters.ChoiceFilter(
        choices=Reliability.choices, method="filter_reliability",
        help_text="The reliability grade in force (the source's own, else its publisher's, else F).",
    )  # fmt: skip
    min_reliability = django_filters.ChoiceFilter(
        choices=Reliability.choices, method="filter_min_reliability",
        help_text="Sources graded this or better: B keeps A and B.",
    )  # fmt: skip
    published_after = PartialDateFilter(
        field_name="published_on", lookup_expr="gte",
        help_text="Published on or after this date (2024, 2024-11 or 2024-11-05: from its first day).",
    )  # fmt: skip
    published_before = PartialDateFilter(
        field_name="published_on", lookup_expr="lte",
        help_text="Published on or before this date (2024, 2024-11 or 2024-11-05: to its last day).",
    )  # fmt: skip
    q = SearchFilter(
        method="filter_q",
        help_text="Words in the title, every one of them (English full-text search with "
        "stemming on PostgreSQL, case-insensitive substrings on SQLite).",
    )

    class Meta:
        model = Source
        fields = (
            "kind",
            "key",
            "reliability",
            "min_reliability",
            "published_after",
            "published_before",
            "q",
        )

    def filter_reliability(self, queryset, name, value):
        return queryset.filter(reliability_in([value]))

    def filter_min_reliability(self, queryset, name, value):
        return queryset.filter(reliability_in(grades_at_least(value)))

    def filter_q(self, queryset, name, value):
        return source_search(queryset, value)
