"""The API's read-only representations of attributes, claims, contradictions and entity facts.

These classes declare the representation: the OpenAPI schema (drf-spectacular) and the CSV
columns are read from them. The viewsets do not run them a row: claims.api_rows writes the
same dicts from column values (tests/api/test_contract_equivalence.py holds both to the same
bytes), so a field added here is added there too."""

from __future__ import annotations

import functools
import operator

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from claims.display import plain_decimal, value_display
from claims.models import (
    NUMERIC_TYPES,
    Attribute,
    Claim,
    Contradiction,
    ContradictionStatus,
    Outcome,
    ValueType,
)
from kb.serializers import (
    EntityRefSerializer,
    PartialDateField,
    ReadOnlyModelSerializer,
    described,
    iso_at_precision,
)
from sources.models import Reliability
from sources.serializers import GRADE_HELP, SourceRefSerializer

_NUMBER = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$", "example": "180000000"}
_NULLABLE_NUMBER = {**_NUMBER, "nullable": True}

VALUE_SCHEMA = {
    "type": "object",
    "description": (
        "The claim's value: its structured form by `type`, `display` as people read it, and "
        "for numbers the interval it denotes (SPEC section 3), `high` null for no upper bound."
    ),
    "required": ["type", "display", "as_written"],
    "properties": {
        "type": {
            "type": "string",
            "enum": list(ValueType.values),
            "description": "The attribute's value type.",
        },
        "display": {"type": "string", "example": "$1.5 billion"},
        "as_written": {
            "type": "string",
            "nullable": True,
            "description": "The wording the source used, when it was recorded.",
        },
        "amount": {**_NUMBER, "description": "money, quantity, count: the number (a string)."},
        "max": {**_NUMBER, "description": "range only: the upper number."},
        "currency": {"type": "string", "description": "money: ISO 4217 code.", "example": "USD"},
        "unit": {"type": "string", "nullable": True, "description": "quantity, count: the unit."},
        "qualifier": {
            "type": "string",
            "enum": ["exact", "approximately", "at_least", "at_most", "range"],
        },
        "low": {**_NUMBER, "description": "numbers: the interval's lower bound."},
        "high": {**_NULLABLE_NUMBER, "description": "numbers: the upper bound, null for +∞."},
        "date": {
            "type": "string",
            "description": "date: as precise as known (2023, 2023-05, 2023-05-19).",
        },
        "precision": {"type": "string", "enum": ["year", "month", "day"]},
        "entity": {
            "type": "object",
            "description": "entity: the entity named.",
            "properties": {
                "id": {"type": "integer"},
                "key": {"type": "string"},
                "name": {"type": "string"},
            },
        },
        "boolean": {"type": "boolean"},
        "text": {"type": "string"},
    },
}


@extend_schema_field(VALUE_SCHEMA)
class ClaimValueField(serializers.Field):
    """The value of a claim in its structured form, with display and interval bounds."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, claim: Claim) -> dict:
        return claim_value_data(claim)


def claim_value_data(claim: Claim) -> dict:
    """A claim's `value` as the API gives it: structured form, display, interval bounds."""
    value_type = claim.value_type
    data: dict = {"type": value_type}
    if value_type in NUMERIC_TYPES:
        data["amount"] = plain_decimal(claim.amount)
        if claim.qualifier == "range":
            data["max"] = plain_decimal(claim.amount_max)
        if value_type == ValueType.MONEY:
            data["currency"] = claim.currency
        else:
            data["unit"] = claim.unit or None
        data["qualifier"] = claim.qualifier
        data["low"] = plain_decimal(claim.low)
        data["high"] = plain_decimal(claim.high)
    elif value_type == ValueType.DATE:
        data["date"] = iso_at_precision(claim.date_value, claim.date_precision)
        data["precision"] = claim.date_precision
    elif value_type == ValueType.ENTITY:
        entity = claim.entity_value
        data["entity"] = {"id": entity.pk, "key": entity.key, "name": entity.name}
    elif value_type == ValueType.BOOLEAN:
        data["boolean"] = claim.boolean_value
    else:
        data["text"] = claim.text_value
    data["display"] = value_display(claim)
    data["as_written"] = claim.value_as_written or None
    return data


FIELD_HELP = {
    "id": "The id (stable within this database).",
    "code": "The attribute's code, e.g. fms_case_value.",
    "label": "The attribute's name for people.",
    "description": "What the attribute means.",
    "value_type": "money, quantity, count, date, entity, boolean or text.",
    "unit": "For quantities and counts, e.g. people, km; empty otherwise.",
    "single_valued": "Whether an entity has one value at a time (only these are checked for "
    "conflicts).",
    "time_varying": "Whether the value changes over time (claims then conflict only when their "
    "periods overlap).",
    "choices": "For text: the closed list of allowed values; null if open.",
    "key": "The claim's stable external key.",
    "quote": "The verbatim words of the source that make the claim.",
    "credibility": "Admiralty scale: 1 confirmed by other sources ... 6 cannot be judged.",
    "rank": "preferred, normal or deprecated (as in Wikidata); an editor's decision sets it.",
    "status": "open, resolved or dismissed.",
    "note": "The editor's reason for the decision.",
    "detected_at": "When the contradiction was first detected or flagged.",
    "resolved_at": "When an editor decided; null while open.",
    "origin": "automatic: detected by the rules of SPEC section 3; manual: flagged by hand by "
    "an analyst (flag_note says why).",
    "flag_note": "Why an analyst flagged these claims by hand; empty for a detected one.",
    "reopened_at": "When a new or changed claim last reopened a decided contradiction; null if "
    "never.",
    "reopen_reason": "Which claim reopened it and why; empty if it was never reopened.",
    "withdrawn_at": "When its claims stopped conflicting (edited or deleted): it is kept on "
    "record but no longer listed by default; null while current.",
    "withdrawn_reason": "Why it was withdrawn; empty while current.",
}

CORROBORATION_RULE = (
    "Sources are counted by README's Independent corroboration: a source that repeats another "
    "(derived_from, directly or through a chain) or repeats the same source as another counts "
    "once with it."
)


class AttributeRefSerializer(ReadOnlyModelSerializer):
    """An attribute where a claim or contradiction names it."""

    class Meta:
        model = Attribute
        fields = ("code", "label")
        read_only_fields = fields
        extra_kwargs = described(FIELD_HELP, fields)


@extend_schema_field(_NUMBER)
class PlainDecimalField(serializers.Field):
    """A decimal as plain digits without trailing zeros: "0.1", not "0.100000"."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return plain_decimal(value)


@extend_schema_field({"type": "string", "nullable": True, "enum": [*Outcome.values, None]})
class OutcomeField(serializers.Field):
    """The outcome of a decision, null while there is none."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return value or None


class AttributeSerializer(ReadOnlyModelSerializer):
    tolerance = PlainDecimalField(
        help_text="Relative widening of every interval, e.g. 0.05 for 5% (SPEC section 3)."
    )
    approx_tolerance = PlainDecimalField(
        help_text="How far 'about' reaches, relative: 0.1 for 10% (SPEC section 3)."
    )

    class Meta:
        model = Attribute
        fields = (
            "id", "code", "label", "description", "value_type", "unit", "single_valued",
            "time_varying", "tolerance", "approx_tolerance", "choices",
        )  # fmt: skip
        read_only_fields = fields
        extra_kwargs = described(FIELD_HELP, fields)


class SourceNameSerializer(serializers.Serializer):
    """A source where corroboration names it."""

    id = serializers.IntegerField(help_text="The source's id.")
    key = serializers.CharField(help_text="The source's stable external key.")
    title = serializers.CharField(help_text="The document's title.")


class OriginSerializer(serializers.Serializer):
    """One independent source, and the sources that repeat it."""

    id = serializers.IntegerField(source="source.id", help_text="The source's id.")
    key = serializers.CharField(source="source.key", help_text="The source's stable key.")
    title = serializers.CharField(source="source.title", help_text="The document's title.")
    grade = serializers.ChoiceField(choices=Reliability.choices, help_text=GRADE_HELP)
    copies = SourceNameSerializer(
        many=True,
        help_text="The other sources here that repeat it, directly or through a chain, or "
        "repeat the same source: counted once, with it.",
    )
    repeats = SourceNameSerializer(
        allow_null=True,
        help_text="The source it derives from itself, which does not back this value (it is "
        "not among the claims counted); null if none.",
    )


class CorroborationSerializer(serializers.Serializer):
    """How many independent sources back a value, their best grade, and each one named."""

    independent = serializers.IntegerField(help_text="How many independent sources.")
    best_grade = serializers.ChoiceField(
        choices=Reliability.choices,
        allow_null=True,
        help_text="The best reliability grade among the independent sources (a copy's grade "
        "does not count); null when there are none.",
    )
    origins = OriginSerializer(
        many=True, help_text="The independent sources, best graded first, each with its copies."
    )


class ClaimContradictionSerializer(serializers.Serializer):
    """A contradiction a claim stands in, and where it stands."""

    id = serializers.IntegerField(help_text="The contradiction's id.")
    status = serializers.ChoiceField(
        choices=ContradictionStatus.choices, help_text=FIELD_HELP["status"]
    )
    outcome = OutcomeField(help_text="The editor's decision; null while open.")
    withdrawn = serializers.BooleanField(
        help_text="Whether it is withdrawn: its claims no longer conflict (kept on record)."
    )
    position = serializers.IntegerField(
        help_text="The claim's position in it, 0-based, in the order of its positions."
    )


class PlannedSerializer(serializers.Serializer):
    """A serializer written out through a plan made once from its declared fields (_plan_of).

    DRF's walk over a claim's fields costs about 65 µs a claim, more than the rows' query; the
    same fields read through a plan cost a fraction of that. A page of contradictions holds
    hundreds of claims, each with its corroboration. tests/api checks both give the same.
    """

    def to_representation(self, instance) -> dict:
        return _represent(self._plan, instance)

    @functools.cached_property
    def _plan(self) -> tuple:
        return _plan_of(self)

    def generic_representation(self, instance) -> dict:
        """DRF's own walk over the declared fields, for the test that the two agree."""
        return super().to_representation(instance)


class ClaimSerializer(PlannedSerializer, ReadOnlyModelSerializer):
    """A claim as SPEC section 5 fixes it, with every contradiction it stands in and the
    independent sources giving its value."""

    subject = EntityRefSerializer(help_text="The entity the claim is about.")
    attribute = AttributeRefSerializer(help_text="The property the claim gives a value for.")
    value = ClaimValueField()
    valid_from = PartialDateField(
        precision_field="valid_from_precision",
        help_text="From when the value holds, as precisely as known; null if not stated.",
    )
    valid_to = PartialDateField(
        precision_field="valid_to_precision",
        help_text="Until when the value holds, as precisely as known; null if not stated.",
    )
    claimed_on = PartialDateField(
        precision_field="claimed_on_precision",
        help_text="When the source made the claim (by default its publication date).",
    )
    source = SourceRefSerializer(help_text="The source that makes the claim.")
    contradictions = serializers.ListField(
        source="open_contradiction_ids",
        child=serializers.IntegerField(),
        help_text="The ids of the open contradictions the claim stands in.",
    )
    all_contradictions = ClaimContradictionSerializer(
        many=True,
        help_text="Every contradiction the claim stands in, open, decided or withdrawn, by id, "
        "with its status and the claim's position.",
    )
    corroboration = CorroborationSerializer(
        help_text="The independent sources giving the same value: the sources of the claims "
        "of this subject and attribute whose value is the same (this claim's included). "
        + CORROBORATION_RULE
    )

    class Meta:
        model = Claim
        fields = (
            "id", "key", "subject", "attribute", "value", "valid_from", "valid_to",
            "claimed_on", "source", "quote", "credibility", "rank", "contradictions",
            "all_contradictions", "corroboration",
        )  # fmt: skip
        read_only_fields = fields
        extra_kwargs = described(FIELD_HELP, fields)


# A faster walk over a serializer's declared fields, for the claims a page shows by the hundred.

# Fields whose representation of a value read from the database is the value itself.
_AS_IS = (
    serializers.CharField.to_representation,
    serializers.IntegerField.to_representation,
    serializers.BooleanField.to_representation,
    serializers.ChoiceField.to_representation,
)


def _plan_of(serializer) -> tuple:
    """(name, read, represent) for each readable field of `serializer`, in order; represent
    is None where the value read is its own representation. Sources are attributes, not
    methods."""
    steps = []
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        if isinstance(field, serializers.Serializer):
            represent = functools.partial(_represent, _plan_of(field))
        elif type(field).to_representation in _AS_IS:
            represent = None
        elif isinstance(field, serializers.ListField) and (
            type(field.child).to_representation in _AS_IS
        ):
            represent = list
        elif isinstance(field, serializers.ListSerializer) and isinstance(
            field.child, serializers.Serializer
        ):
            represent = functools.partial(_represent_each, _plan_of(field.child))
        else:
            represent = field.to_representation
        steps.append((name, _reader(field.source_attrs), represent))
    return tuple(steps)


def _reader(attrs: list[str]):
    """What reads a field's source from an instance: the instance itself for "*", None past a
    null relation, as DRF reads it."""
    if not attrs:
        return lambda instance: instance
    if len(attrs) == 1:
        return operator.attrgetter(attrs[0])

    def read(instance):
        for attr in attrs:
            if instance is None:
                return None
            instance = getattr(instance, attr)
        return instance

    return read


def _represent(plan: tuple, instance) -> dict:
    data = {}
    for name, read, represent in plan:
        value = read(instance)
        data[name] = value if value is None or represent is None else represent(value)
    return data


def _represent_each(plan: tuple, instances) -> list[dict]:
    return [_represent(plan, instance) for instance in instances]


class PositionSerializer(PlannedSerializer):
    """One side of a contradiction: the claims that agree with each other."""

    display = serializers.CharField(help_text="The position's value, as people read it.")
    corroboration = CorroborationSerializer(
        help_text="The independent sources behind the position's claims. " + CORROBORATION_RULE
    )
    claims = ClaimSerializer(many=True, help_text="The claims of this position, in full.")


class DecisionSerializer(serializers.Serializer):
    """An editor's decision, as the contradiction's history keeps it."""

    decided_at = serializers.DateTimeField(help_text="When it was decided.")
    by = serializers.CharField(allow_null=True, help_text="Who decided (a username), if known.")
    status = serializers.ChoiceField(
        choices=ContradictionStatus.choices, help_text="resolved, or dismissed (false positive)."
    )
    outcome = OutcomeField(help_text="The outcome recorded.")
    note = serializers.CharField(help_text="The editor's reason.")


class ContradictionSerializer(PlannedSerializer, ReadOnlyModelSerializer):
    """A contradiction as SPEC section 5 fixes it, its positions side by side, with what its
    page says: origin, flag, reopening, withdrawal and every decision."""

    subject = EntityRefSerializer(help_text="The entity the claims are about.")
    attribute = AttributeRefSerializer(help_text="The attribute they disagree on.")
    outcome = OutcomeField(help_text="The editor's decision; null while open.")
    flagged_by = serializers.CharField(
        source="flagged_by.username",
        allow_null=True,
        help_text="Who flagged it by hand (a username); null for a detected one.",
    )
    resolved_by = serializers.CharField(
        source="resolved_by.username",
        allow_null=True,
        help_text="Who made the decision in force (a username); null while open.",
    )
    decisions = DecisionSerializer(
        many=True,
        help_text="Every decision recorded on it, oldest first: a revised decision, or one "
        "made after a reopening, adds one.",
    )
    positions = PositionSerializer(
        many=True,
        source="api_positions",
        help_text="The groups of claims that agree, ordered by value.",
    )

    class Meta:
        model = Contradiction
        fields = (
            "id", "status", "outcome", "note", "subject", "attribute", "detected_at",
            "resolved_at", "origin", "flag_note", "flagged_by", "resolved_by", "reopened_at",
            "reopen_reason", "withdrawn_at", "withdrawn_reason", "decisions", "positions",
        )  # fmt: skip
        read_only_fields = fields
        extra_kwargs = described(FIELD_HELP, fields)


# Entity facts.


class FactValueSerializer(serializers.Serializer):
    """One value an attribute of the entity is given, and the claims (with sources) that give it."""

    display = serializers.CharField(help_text="The value, as people read it.")
    claims = ClaimSerializer(many=True, help_text="The claims that give it, with their sources.")


class FactContradictionSerializer(ReadOnlyModelSerializer):
    """Where a contradiction over the attribute stands."""

    outcome = OutcomeField(help_text="The editor's decision; null while open.")

    class Meta:
        model = Contradiction
        fields = ("id", "status", "outcome", "note", "detected_at", "resolved_at")
        read_only_fields = fields
        extra_kwargs = described(FIELD_HELP, fields)


class FactSerializer(serializers.Serializer):
    attribute = AttributeSerializer(help_text="The attribute.")
    best = FactValueSerializer(
        allow_null=True,
        help_text="The best value: among the values of the best rank (preferred claims, else "
        "normal ones), the best supported (source grade, then credibility, then how many "
        "claims, then the latest); null when every claim is deprecated. Named even while "
        "contested.",
    )
    best_values = FactValueSerializer(
        many=True,
        help_text="The values that hold, as the entity page shows them: the best value alone "
        "for a single-valued attribute, every value of the best rank otherwise.",
    )
    contested = serializers.BooleanField(
        help_text="Whether an open contradiction stands between this attribute's claims."
    )
    values = FactValueSerializer(many=True, help_text="Every value claimed, best first.")
    contradictions = FactContradictionSerializer(
        many=True, help_text="The contradictions over this attribute, open and decided."
    )


class EntityFactsSerializer(serializers.Serializer):
    entity = EntityRefSerializer(help_text="The entity.")
    facts = FactSerializer(many=True, help_text="One entry per attribute claimed, by label.")


class FactRowSerializer(serializers.Serializer):
    """One claim of an entity's facts: a row of the facts endpoint's CSV (long format)."""

    entity = EntityRefSerializer(help_text="The entity.")
    attribute = AttributeRefSerializer(help_text="The attribute.")
    value = serializers.CharField(help_text="The value the claim gives, as people read it.")
    best = serializers.BooleanField(help_text="Whether it is the attribute's best value.")
    holds = serializers.BooleanField(help_text="Whether it is among the values that hold.")
    contested = serializers.BooleanField(help_text="Whether the attribute is contested.")
    claim = ClaimSerializer(help_text="The claim, with its source.")
