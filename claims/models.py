"""Attributes and claims: typed, dated, quoted statements by one source about one entity.

Longer than most modules because a claim's integrity lives in its named check constraints
(one per value type and interval rule), which belong beside the columns they guard."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Greatest
from simple_history.models import HistoricalRecords

from kb.models import KEY_HELP, DatePrecision, Entity, key_validator
from sources.models import Source

# Amounts up to 10^22 with six decimals: enough for any budget in any currency, exact.
AMOUNT = {"max_digits": 28, "decimal_places": 6}


class ValueType(models.TextChoices):
    MONEY = "money", "Money"
    QUANTITY = "quantity", "Quantity"
    COUNT = "count", "Count"
    DATE = "date", "Date"
    ENTITY = "entity", "Entity"
    BOOLEAN = "boolean", "Yes / no"
    TEXT = "text", "Text"


NUMERIC_TYPES = (ValueType.MONEY, ValueType.QUANTITY, ValueType.COUNT)


class Qualifier(models.TextChoices):
    EXACT = "exact", "exact"
    APPROXIMATELY = "approximately", "approximately"
    AT_LEAST = "at_least", "at least"
    AT_MOST = "at_most", "at most"
    RANGE = "range", "range"


class Attribute(models.Model):
    code = models.CharField(
        max_length=100,
        unique=True,
        validators=[RegexValidator(r"^[a-z0-9_]+$", "Use lower-case letters, digits and '_'.")],
    )
    label = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    value_type = models.CharField(max_length=10, choices=ValueType.choices)
    unit = models.CharField(
        max_length=50, blank=True, help_text="For quantities and counts, e.g. people, km."
    )
    single_valued = models.BooleanField(
        default=True, help_text="Only single-valued attributes are checked for conflicts."
    )
    time_varying = models.BooleanField(
        default=False, help_text="Claims conflict only when their valid periods overlap."
    )
    tolerance = models.DecimalField(
        max_digits=7,
        decimal_places=6,
        default=Decimal("0"),
        help_text="Relative widening of every interval, e.g. 0.05 for 5%.",
    )
    approx_tolerance = models.DecimalField(
        max_digits=7,
        decimal_places=6,
        default=Decimal("0.10"),
        help_text="How far 'about' reaches, relative, e.g. 0.10 for 10%.",
    )
    choices = models.JSONField(
        null=True, blank=True, help_text="For text: a closed list of allowed values."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(value_type__in=ValueType.values),
                name="attribute_value_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(tolerance__gte=0) & Q(approx_tolerance__gte=0, approx_tolerance__lt=1),
                name="attribute_tolerances_in_range",
            ),
            models.CheckConstraint(
                condition=Q(choices__isnull=True) | Q(value_type=ValueType.TEXT),
                name="attribute_choices_only_for_text",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Rank(models.TextChoices):
    """As in Wikidata: preferred, normal or deprecated."""

    PREFERRED = "preferred", "preferred"
    NORMAL = "normal", "normal"
    DEPRECATED = "deprecated", "deprecated"


class QuoteStatus(models.TextChoices):
    UNCHECKED = "unchecked", "no source text to check against"
    ANCHORED = "anchored", "found in the source text"
    DRIFTED = "drifted", "quote drifted: not in the source's new text"


class Claim(models.Model):
    Rank = Rank
    QuoteStatus = QuoteStatus

    key = models.CharField(
        max_length=200, unique=True, validators=[key_validator], help_text=KEY_HELP
    )
    subject = models.ForeignKey(
        Entity, on_delete=models.PROTECT, related_name="claims", db_index=False
    )
    attribute = models.ForeignKey(Attribute, on_delete=models.PROTECT, related_name="claims")
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="claims", db_index=False
    )

    # The value, typed. value_type copies the attribute's so that constraints can check it.
    value_type = models.CharField(max_length=10, choices=ValueType.choices, editable=False)
    value_as_written = models.CharField(
        max_length=500, blank=True, help_text="The wording the source used, e.g. 'nearly 180'."
    )
    qualifier = models.CharField(max_length=15, choices=Qualifier.choices, blank=True)
    amount = models.DecimalField(null=True, blank=True, **AMOUNT)
    amount_max = models.DecimalField(null=True, blank=True, **AMOUNT)
    currency = models.CharField(max_length=3, blank=True, help_text="ISO 4217, e.g. USD.")
    unit = models.CharField(max_length=50, blank=True)
    date_value = models.DateField(null=True, blank=True)
    date_precision = models.CharField(max_length=5, choices=DatePrecision.choices, blank=True)
    entity_value = models.ForeignKey(
        Entity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mentioned_in_claims",
    )
    boolean_value = models.BooleanField(null=True, blank=True)
    text_value = models.TextField(blank=True)

    # The interval the value denotes (SPEC section 3), normalised so that conflicts are queries.
    # Numbers: [low, high], high NULL for +infinity. Dates: [date_low, date_high].
    low = models.DecimalField(null=True, blank=True, editable=False, **AMOUNT)
    high = models.DecimalField(null=True, blank=True, editable=False, **AMOUNT)
    date_low = models.DateField(null=True, blank=True, editable=False)
    date_high = models.DateField(null=True, blank=True, editable=False)

    # When the claim holds (valid time) and when it was made.
    valid_from = models.DateField(null=True, blank=True)
    valid_from_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    valid_to = models.DateField(null=True, blank=True)
    valid_to_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    # The valid period as a closed day interval; NULL ends are open.
    valid_start = models.DateField(null=True, blank=True, editable=False)
    valid_end = models.DateField(null=True, blank=True, editable=False)
    claimed_on = models.DateField(null=True, blank=True)
    claimed_on_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    # When the claim holds, for time-varying conflicts: its valid period, else the period of
    # its claimed_on date; period_known false means "overlaps everything". NULL ends are open.
    period_known = models.BooleanField(default=False, editable=False)
    period_start = models.DateField(null=True, blank=True, editable=False)
    period_end = models.DateField(null=True, blank=True, editable=False)

    quote = models.TextField(help_text="The verbatim words of the source that make the claim.")
    # Where the quote stands in the source's stored text (W3C TextQuoteSelector: the exact
    # words, and some context either side to find them again when the text changes).
    quote_status = models.CharField(
        max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.UNCHECKED
    )
    quote_start = models.PositiveIntegerField(null=True, blank=True, editable=False)
    quote_end = models.PositiveIntegerField(null=True, blank=True, editable=False)
    quote_prefix = models.CharField(max_length=64, blank=True, editable=False)
    quote_suffix = models.CharField(max_length=64, blank=True, editable=False)
    credibility = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(6)],
        help_text="Admiralty scale: 1 confirmed by other sources ... 6 cannot be judged.",
    )
    rank = models.CharField(max_length=10, choices=Rank.choices, default=Rank.NORMAL)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # A claim's history is read by the claim (id), by version (history_id) and by time
    # (history_date); the indexes simple-history would add for the key and each foreign key
    # serve no query and cost every write, a third of a bundle import's history COPY.
    history = HistoricalRecords(
        no_db_index=["key", "subject", "attribute", "source", "entity_value", "created_by"]
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(credibility__gte=1, credibility__lte=6), name="claim_credibility_1_to_6"
            ),
            models.CheckConstraint(condition=Q(rank__in=Rank.values), name="claim_rank_valid"),
            models.CheckConstraint(condition=~Q(quote=""), name="claim_quote_not_empty"),
            models.CheckConstraint(
                condition=~Q(quote_status=QuoteStatus.ANCHORED)
                | Q(quote_start__isnull=False, quote_end__gt=F("quote_start")),
                name="claim_anchored_quote_has_offsets",
            ),
            models.CheckConstraint(
                condition=~Q(value_type=ValueType.MONEY)
                | (Q(amount__isnull=False) & ~Q(currency="")),
                name="claim_money_has_amount_and_currency",
            ),
            models.CheckConstraint(
                condition=~Q(value_type__in=[ValueType.QUANTITY, ValueType.COUNT])
                | Q(amount__isnull=False),
                name="claim_number_has_amount",
            ),
            models.CheckConstraint(
                condition=~Q(value_type__in=NUMERIC_TYPES)
                | (~Q(qualifier="") & Q(low__isnull=False)),
                name="claim_number_has_qualifier_and_interval",
            ),
            models.CheckConstraint(
                condition=~Q(qualifier=Qualifier.RANGE)
                | Q(amount_max__isnull=False, amount_max__gte=F("amount")),
                name="claim_range_max_not_below_min",
            ),
            models.CheckConstraint(
                condition=Q(high__isnull=True) | Q(low__isnull=True) | Q(high__gte=F("low")),
                name="claim_interval_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(value_type=ValueType.DATE)
                | Q(
                    date_value__isnull=False,
                    date_low__isnull=False,
                    date_high__gte=F("date_low"),
                )
                & ~Q(date_precision=""),
                name="claim_date_has_date_and_precision",
            ),
            models.CheckConstraint(
                condition=~Q(value_type=ValueType.ENTITY) | Q(entity_value__isnull=False),
                name="claim_entity_value_set",
            ),
            models.CheckConstraint(
                condition=~Q(value_type=ValueType.BOOLEAN) | Q(boolean_value__isnull=False),
                name="claim_boolean_value_set",
            ),
            models.CheckConstraint(
                condition=~Q(value_type=ValueType.TEXT) | ~Q(text_value=""),
                name="claim_text_value_set",
            ),
            models.CheckConstraint(
                condition=Q(valid_start__isnull=True)
                | Q(valid_end__isnull=True)
                | Q(valid_end__gte=F("valid_start")),
                name="claim_valid_period_ordered",
            ),
        ]
        indexes = [
            # Conflict detection and the entity page read all claims of one subject and attribute.
            models.Index(fields=["subject", "attribute", "id"], name="claim_subject_attribute_idx"),
            # The claims of one source: the source page, the API's source filter.
            models.Index(fields=["source", "id"], name="claim_source_idx"),
            # The API's claimed_after / claimed_before filters.
            models.Index(fields=["claimed_on", "id"], name="claim_claimed_on_idx"),
            # The API's rank filter: preferred and deprecated claims are few, and without it a
            # page of them walked every claim (160 ms at a million). Normal claims need none.
            models.Index(
                fields=["rank", "id"], condition=~Q(rank=Rank.NORMAL), name="claim_rank_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.key


class ContradictionStatus(models.TextChoices):
    OPEN = "open", "open"
    RESOLVED = "resolved", "resolved"
    DISMISSED = "dismissed", "dismissed"


class Outcome(models.TextChoices):
    ONE_IS_WRONG = "one_is_wrong", "One position is wrong"
    SUPERSEDED = "superseded", "Superseded by a later value"
    DIFFERENT_SCOPE = "different_scope", "Different scope: not the same fact"
    SOURCES_DISAGREE = "sources_disagree", "Sources genuinely disagree"
    FALSE_POSITIVE = "false_positive", "False positive: no disagreement"


# The outcomes that pick a position as the one that holds.
OUTCOMES_WITH_POSITION = (Outcome.ONE_IS_WRONG, Outcome.SUPERSEDED)


def last_activity():
    """A contradiction's latest activity: the latest of its detected, resolved, reopened and
    withdrawn times (each NULL one stands for detected_at, since SQLite's MAX gives NULL with
    any NULL argument). The queue orders by it, through the indexes below."""
    detected = F("detected_at")
    return Greatest(
        detected,
        Coalesce("resolved_at", detected),
        Coalesce("reopened_at", detected),
        Coalesce("withdrawn_at", detected),
    )


class Contradiction(models.Model):
    """Claims on one subject and attribute that cannot all be true, and what an editor decided."""

    class Origin(models.TextChoices):
        AUTOMATIC = "automatic", "detected"
        MANUAL = "manual", "flagged by hand"

    Status = ContradictionStatus
    Outcome = Outcome

    key = models.CharField(
        max_length=200, unique=True, null=True, blank=True, validators=[key_validator],
        help_text="For hand flags carried in bundles.",
    )  # fmt: skip
    subject = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="contradictions")
    attribute = models.ForeignKey(
        Attribute, on_delete=models.PROTECT, related_name="contradictions"
    )
    origin = models.CharField(max_length=10, choices=Origin.choices)
    status = models.CharField(
        max_length=10, choices=ContradictionStatus.choices, default=ContradictionStatus.OPEN
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    note = models.TextField(blank=True, help_text="The editor's reason for the decision.")
    flag_note = models.TextField(blank=True, help_text="Why an analyst flagged these claims.")
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detected_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopen_reason = models.TextField(blank=True)
    # Set when the claims no longer conflict (edited or deleted): kept on record, off the queue.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)
    # Optimistic concurrency: a decision names the version it was made on.
    version = models.PositiveIntegerField(default=1)
    claims = models.ManyToManyField(
        Claim, through="ContradictionClaim", related_name="contradictions"
    )

    # Read by the contradiction (id), by version and by time, as a claim's history is.
    history = HistoricalRecords(
        no_db_index=["key", "subject", "attribute", "flagged_by", "resolved_by"]
    )

    class Meta:
        permissions = [
            ("flag_contradiction", "Can flag claims as contradicting by hand"),
            ("resolve_contradiction", "Can resolve or dismiss contradictions and set ranks"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ContradictionStatus.values),
                name="contradiction_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["", *Outcome.values]), name="contradiction_outcome_valid"
            ),
            # A decision has an outcome and a date; an open contradiction has neither.
            models.CheckConstraint(
                condition=Q(status=ContradictionStatus.OPEN, outcome="", resolved_at__isnull=True)
                | (
                    ~Q(status=ContradictionStatus.OPEN)
                    & ~Q(outcome="")
                    & Q(resolved_at__isnull=False)
                ),
                name="contradiction_decision_complete",
            ),
        ]
        indexes = [
            # The editors' queue: open, current, newest first.
            models.Index(fields=["status", "-detected_at", "-id"], name="contradiction_queue_idx"),
            # The admin's list of every contradiction, newest detected first (without it, a page
            # sorts them all: 130 ms at a million claims).
            models.Index(fields=["-detected_at", "-id"], name="contradiction_detected_idx"),
            # Detection reconciles the contradictions of one subject and attribute.
            models.Index(fields=["subject", "attribute"], name="contradiction_group_idx"),
            # The editors' queue, latest activity first: all of it, and one status of it.
            models.Index(last_activity().desc(), F("id").desc(), name="contradiction_activity_idx"),
            models.Index(
                F("status"),
                last_activity().desc(),
                F("id").desc(),
                name="contradiction_status_activ_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} / {self.attribute} ({self.status})"


class ContradictionClaim(models.Model):
    """A claim's place in a contradiction: the position (0, 1, ...) it stands in.

    Its changes are recorded in the contradiction's history ("claims changed").
    """

    # No index of their own: the unique constraint (contradiction, claim) and
    # membership_claim_idx (claim, contradiction) lead with each.
    contradiction = models.ForeignKey(
        Contradiction, on_delete=models.CASCADE, related_name="memberships", db_index=False
    )
    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="memberships", db_index=False
    )
    position = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contradiction", "claim"], name="contradiction_claim_unique"
            ),
        ]
        indexes = [
            # A claim's contradictions: the API's in_contradiction filter and reopening.
            models.Index(fields=["claim", "contradiction"], name="membership_claim_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.claim} in {self.contradiction_id} at {self.position}"


class EntityMerge(models.Model):
    """One entity merged into another as its duplicate: what moved, so that it can be undone."""

    duplicate = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="merges_away")
    into = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="merges_in")
    # The ids of what moved: {"subject_claims": [...], "value_claims": [...], "aliases": [...],
    # "relations_subject": [...], "relations_object": [...], "contradictions": [...],
    # "added_alias": id or null}.
    moved = models.JSONField(default=dict)
    merged_at = models.DateTimeField(auto_now_add=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(duplicate=F("into")), name="merge_not_into_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.duplicate} merged into {self.into}"


class CandidateKind(models.TextChoices):
    MONEY = "money", "money"
    COUNT = "count", "count"
    DATE = "date", "date"
    ENTITY = "entity", "entity mention"


#: The kinds of candidate an analyst may turn into a claim (the candidates page lists these).
CLAIMABLE_CANDIDATE_KINDS = (CandidateKind.MONEY, CandidateKind.COUNT, CandidateKind.DATE)


class Candidate(models.Model):
    """A money amount, count, date or entity mention that claims.extraction found in a source's
    text, stored when the text was (claims.services.candidates_extract), so that the candidates
    page reads rows instead of running the extractor. `text` is source.text[start:end].

    Derived data, rebuilt whole whenever the text changes: no history.
    """

    Kind = CandidateKind

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="candidates")
    kind = models.CharField(max_length=10, choices=CandidateKind.choices)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.TextField()
    # The claims.values form ({"amount": ..., "currency": ...}, {"date": "2023-05"},
    # {"entity": key}), or null for a date claims.values cannot hold ("in October").
    value = models.JSONField(null=True, blank=True)
    # The sentence around the candidate, cut to at most a few hundred characters around it
    # when it is longer (claims.services.candidates.SENTENCE_ROOM), and where it starts.
    sentence = models.TextField()
    sentence_start = models.PositiveIntegerField()
    # A money, count or date candidate: the entity its sentence names first, suggested as the
    # claim's subject. An entity mention: the entity it names.
    entity = models.ForeignKey(
        Entity, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            # Candidates of one kind never overlap. Its index serves the candidates page: a
            # source's candidates in text order, a page at a time.
            models.UniqueConstraint(
                fields=["source", "start", "kind"], name="candidate_source_start_kind_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=CandidateKind.values), name="candidate_kind_valid"
            ),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="candidate_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.text!r} at {self.start} in source {self.source_id}"
