"""FilterSets: the API's attributes, claims, entity facts and contradictions, and the editors'
queue of contradictions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils import timezone

from claims.display import Select, choice_selects
from claims.models import (
    Attribute,
    Claim,
    Contradiction,
    ContradictionClaim,
    ContradictionStatus,
    Outcome,
    Rank,
    ValueType,
)
from claims.selectors import (
    QUEUE_STATUSES,
    attributes_by_label,
    claim_search,
    claims_held_on,
    contradictions_for_queue,
    in_open_contradiction,
    queue_filters_chosen,
)
from kb.filters import (
    APIFilterSet,
    ListedModelChoiceFilter,
    PartialDateFilter,
    PeriodOverlapFilter,
    SearchFilter,
    StrictBooleanFilter,
)
from kb.memo import keep_bounded
from kb.models import MAX_ID, EntityKind
from sources.filters import grades_at_least, reliability_in
from sources.models import Reliability, SourceKind
from sources.selectors import publisher_choices

CREDIBILITY_CHOICES = [(str(grade), str(grade)) for grade in range(1, 7)]


class IdFilter(django_filters.NumberFilter):
    """An id: a whole number from 1 to MAX_ID; anything else (1.5, a 30-digit number) is a 400
    naming the parameter, not a rounded id or a database error."""

    field_class = forms.IntegerField

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class AttributeFilter(APIFilterSet):
    value_type = django_filters.ChoiceFilter(
        field_name="value_type", lookup_expr="exact", choices=ValueType.choices,
        help_text="The attribute's value type.",
    )  # fmt: skip
    code = django_filters.CharFilter(
        field_name="code", lookup_expr="exact", help_text="The attribute's code, exactly."
    )

    class Meta:
        model = Attribute
        fields = ("value_type", "code")


class ClaimTrustFilter(APIFilterSet):
    """The time and trust filters, shared by the claims list and an entity's facts."""

    as_of = PartialDateFilter(
        method="filter_as_of",
        help_text="What the knowledge base holds true on this date, by valid time (2024, "
        "2024-11 or 2024-11-05: at some day of it). A claim of a time-varying attribute holds "
        "over its valid period, else over the period of its claimed_on date, else always; a "
        "claim of any other attribute holds over its valid period when it states one, else "
        "always. When the claims were made does not matter: add claimed_before for that.",
    )
    min_reliability = django_filters.ChoiceFilter(
        choices=Reliability.choices, method="filter_min_reliability",
        help_text="Claims whose source is graded this or better (the grade in force): B keeps "
        "sources graded A and B.",
    )  # fmt: skip
    min_credibility = django_filters.TypedChoiceFilter(
        field_name="credibility", lookup_expr="lte", choices=CREDIBILITY_CHOICES, coerce=int,
        help_text="Claims of this credibility or better (Admiralty scale, 1 confirmed ... 6 "
        "cannot be judged): 2 keeps 1 and 2.",
    )  # fmt: skip
    attribute = django_filters.CharFilter(
        field_name="attribute__code", lookup_expr="exact", help_text="The attribute's code."
    )

    def filter_as_of(self, queryset, name, value):
        return queryset.filter(claims_held_on(value.start, value.end))

    def filter_min_reliability(self, queryset, name, value):
        return queryset.filter(reliability_in(grades_at_least(value), prefix="source__"))


class EntityFactsFilter(ClaimTrustFilter):
    class Meta:
        model = Claim
        fields = ("as_of", "min_reliability", "min_credibility", "attribute")


class ClaimFilter(ClaimTrustFilter):
    subject = IdFilter(
        field_name="subject_id", lookup_expr="exact", help_text="The subject entity's id."
    )
    subject_key = django_filters.CharFilter(
        field_name="subject__key", lookup_expr="exact", help_text="The subject entity's key."
    )
    source = IdFilter(field_name="source_id", lookup_expr="exact", help_text="The source's id.")
    source_key = django_filters.CharFilter(
        field_name="source__key", lookup_expr="exact", help_text="The source's key."
    )
    key = django_filters.CharFilter(
        field_name="key", lookup_expr="exact", help_text="The claim's key, exactly."
    )
    rank = django_filters.ChoiceFilter(
        field_name="rank", lookup_expr="exact", choices=Rank.choices,
        help_text="preferred, normal or deprecated.",
    )  # fmt: skip
    claimed_after = PartialDateFilter(
        field_name="claimed_on", lookup_expr="gte",
        help_text="Claimed on or after this date (2024, 2024-11 or 2024-11-05: from its first day).",
    )  # fmt: skip
    claimed_before = PartialDateFilter(
        field_name="claimed_on", lookup_expr="lte",
        help_text="Claimed on or before this date (2024, 2024-11 or 2024-11-05: to its last day).",
    )  # fmt: skip
    valid_at = PeriodOverlapFilter(
        start_field="valid_start", end_field="valid_end",
        help_text="Claims whose stated valid period includes this date (2024, 2024-11 or "
        "2024-11-05: some day of it); an open end is open, and a claim that states no period "
        "is valid at any date. See as_of for SPEC section 3's reading of claims without one.",
    )  # fmt: skip
    in_contradiction = StrictBooleanFilter(
        method="filter_in_contradiction",
        help_text="true: only claims in an open contradiction; false: only claims in none.",
    )
    q = SearchFilter(
        method="filter_q",
        help_text="Words, every one of which is in the quote, the source's title or the "
        "subject's name or an alias (English full-text search with stemming on PostgreSQL, "
        "case-insensitive substrings on SQLite). At most 8 words.",
    )

    class Meta:
        model = Claim
        fields = (
            "subject", "subject_key", "attribute", "source", "source_key", "key", "rank",
            "claimed_after", "claimed_before", "valid_at", "as_of", "in_contradiction",
            "min_reliability", "min_credibility", "q",
        )  # fmt: skip

    def filter_in_contradiction(self, queryset, name, value):
        return (
            queryset.filter(in_open_contradiction())
            if value
            else queryset.exclude(in_open_contradiction())
        )

    def filter_q(self, queryset, name, value):
        return claim_search(queryset, value)


WITHDRAWN_CHOICES = [
    ("false", "false: current contradictions only (the default)"),
    ("true", "true: withdrawn ones only"),
    ("any", "any: both"),
]


class ContradictionFilter(APIFilterSet):
    status = django_filters.ChoiceFilter(
        field_name="status", lookup_expr="exact", choices=ContradictionStatus.choices,
        help_text="open, resolved or dismissed.",
    )  # fmt: skip
    subject = IdFilter(
        field_name="subject_id", lookup_expr="exact", help_text="The subject entity's id."
    )
    subject_key = django_filters.CharFilter(
        field_name="subject__key", lookup_expr="exact", help_text="The subject entity's key."
    )
    attribute = django_filters.CharFilter(
        field_name="attribute__code", lookup_expr="exact", help_text="The attribute's code."
    )
    outcome = django_filters.ChoiceFilter(
        field_name="outcome", lookup_expr="exact", choices=Outcome.choices,
        help_text="The editor's decision.",
    )  # fmt: skip
    withdrawn = django_filters.ChoiceFilter(
        choices=WITHDRAWN_CHOICES, method="filter_withdrawn",
        help_text="Contradictions whose claims no longer conflict are withdrawn: kept on "
        "record, no longer listed. false (the default) lists current ones, true withdrawn ones, "
        "any both.",
    )  # fmt: skip

    class Meta:
        model = Contradiction
        fields = ("status", "subject", "subject_key", "attribute", "outcome", "withdrawn")

    def filter_queryset(self, queryset):
        # Without the parameter, the default: current contradictions only.
        if not self.form.cleaned_data.get("withdrawn"):
            queryset = queryset.filter(withdrawn_at__isnull=True)
        return super().filter_queryset(queryset)

    def filter_withdrawn(self, queryset, name, value):
        if value == "true":
            return queryset.filter(withdrawn_at__isnull=False)
        if value == "false":
            return queryset.filter(withdrawn_at__isnull=True)
        return queryset


# The editors' queue.


AGES = [
    ("1", "today"),
    ("7", "this week"),
    ("30", "this month"),
    ("older", "older than a month"),
]


QUEUE_STATUS_CHOICES = [
    ("open", "Open"),
    ("resolved", "Resolved"),
    ("dismissed", "Dismissed"),
    ("withdrawn", "Withdrawn"),
    ("all", "All"),
]
# Without a status the queue shows what waits for an editor.
DEFAULT_QUEUE_STATUS = "open"


class ContradictionQueueFilter(APIFilterSet):
    """The editors' queue. Status is applied last, so that `without_status` (every other
    filter applied) can be counted per status. Built as cheaply as the API's (APIFilterSet:
    its page only validates the filters and lists their choices, which changes no field)."""

    status = django_filters.ChoiceFilter(
        choices=QUEUE_STATUS_CHOICES, method="filter_status", label="Status", empty_label=None
    )
    kind = django_filters.ChoiceFilter(
        field_name="subject__kind", lookup_expr="exact", choices=EntityKind.choices,
        label="Entity kind", empty_label="any kind",
    )  # fmt: skip
    attribute = ListedModelChoiceFilter(
        field_name="attribute",
        queryset=attributes_by_label(),
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

    @property
    def chosen_status(self) -> str:
        """The status chosen, or the default when none (or an unknown one) is given."""
        if self.form.is_valid() and self.form.cleaned_data.get("status"):
            return self.form.cleaned_data["status"]
        return DEFAULT_QUEUE_STATUS

    def filter_status(self, queryset, name, value):
        return queryset  # applied in filter_queryset, after the others

    def filter_queryset(self, queryset):
        # `queryset` is the filter set's own, which without_status() filters.
        return self.without_status().filter(QUEUE_STATUSES[self.chosen_status])

    def without_status(self):
        """The contradictions with every filter applied but the status, to count per status:
        built once, when first asked for (the queue's counts are mostly kept)."""
        if not hasattr(self, "_without_status"):
            self.is_valid()
            self._without_status = super().filter_queryset(self.queryset.all())
        return self._without_status


# The editors' queue's filters as a request gives them (QueueFilters).

# The choices of filters each worker keeps worked out (QueueFilters), and the selects for each
# with the options it was last shown with; beyond these the oldest are forgotten.
CHOICES_KEPT = 1024
_CHOICES: dict[tuple, QueueChoice] = {}
_SELECTS: dict[tuple, tuple[dict, list]] = {}


@dataclass(frozen=True)
class QueueChoice:
    """What the queue's filters choose: the status shown (ContradictionQueueFilter's
    chosen_status), the other filters as the counts are kept under them
    (queue_filters_chosen), whether an age is chosen (`moving`: the rows then move with the
    clock) and each filter's value as given (what its select shows chosen)."""

    status: str
    filters: str
    moving: bool
    values: tuple[tuple[str, str], ...]


class QueueFilters:
    """The queue's filters as a request gives them. What they choose (`choice`) is worked out
    by ContradictionQueueFilter once per worker for each choice that the values alone decide,
    and its selects once per choice and options: building the filter set, validating its form
    and listing its choices cost more than the page's rows statement (7% of a queue request).
    A choice is worked out afresh at each request when it is not valid (its errors are shown),
    when an attribute is chosen (whether it exists is the database's to say) or an age (the
    ages slide with the clock). The filter set, which filters the contradictions, is built
    only when something asks for it (`filterset()`): a later page, the counts after a write."""

    # The filters whose outcome the request's values alone do not decide.
    RECOMPUTED = ("attribute", "age")

    def __init__(self, data):
        self.data = data
        self._filterset: ContradictionQueueFilter | None = None
        # Each filter's value as its form reads it (the last one given).
        given = tuple(
            (name, data.get(name) or "") for name in ContradictionQueueFilter.base_filters
        )
        recomputed = any(value for name, value in given if name in self.RECOMPUTED)
        key = None if recomputed else given
        choice = _CHOICES.get(key) if key is not None else None
        if choice is None:
            filterset = self.filterset()
            choice = QueueChoice(
                status=filterset.chosen_status,
                filters=queue_filters_chosen(filterset),
                moving=bool(getattr(filterset.form, "cleaned_data", {}).get("age")),
                values=given,
            )
            if key is not None and filterset.is_valid():
                keep_bounded(_CHOICES, key, choice, CHOICES_KEPT)
        self.choice = choice

    def filterset(self) -> ContradictionQueueFilter:
        """The filter set of the request's values, built once."""
        if self._filterset is None:
            self._filterset = ContradictionQueueFilter(
                self.data, queryset=contradictions_for_queue()
            )
        return self._filterset

    @property
    def errors(self):
        """The form's errors, if any (a kept choice has none)."""
        return None if self._filterset is None else self._filterset.form.errors

    def selects(self, *, leave_out=(), options=None) -> list[Select]:
        """choice_selects of the filter set's form, listed once per choice and `options` (the
        same lists: attribute_options keeps one per version of the data)."""
        options = options or {}
        key = (self.choice.values, tuple(leave_out), tuple((n, id(o)) for n, o in options.items()))
        kept = _SELECTS.get(key)
        if kept is not None and all(kept[0].get(n) is o for n, o in options.items()):
            return kept[1]
        selects = choice_selects(self.filterset().form, leave_out=leave_out, options=options)
        if self._filterset.is_valid():
            # The options are kept with them, so that their ids stay theirs.
            keep_bounded(_SELECTS, key, (dict(options), selects), CHOICES_KEPT)
        return selects


# The sources index.


class SourceIndexFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(
        field_name="kind", lookup_expr="exact", choices=SourceKind.choices, label="Kind",
        empty_label="any kind",
    )  # fmt: skip
    grade = django_filters.ChoiceFilter(
        choices=Reliability.choices, method="filter_grade", label="Grade",
        empty_label="any grade",
    )  # fmt: skip
    publisher = ListedModelChoiceFilter(
        field_name="publisher", lookup_expr="exact", queryset=lambda request: publisher_choices(),
        label="Publisher", empty_label="any publisher",
    )  # fmt: skip
    published_after = PartialDateFilter(
        field_name="published_on", lookup_expr="gte", label="Published from",
        help_text="2024, 2024-11 or 2024-11-05",
    )  # fmt: skip
    published_before = PartialDateFilter(
        field_name="published_on", lookup_expr="lte", label="to",
        help_text="2024, 2024-11 or 2024-11-05",
    )  # fmt: skip

    def filter_grade(self, queryset, name, value):
        # The grade in force: the source's own, else its publisher's, else F.
        return queryset.filter(reliability_in([value]))
