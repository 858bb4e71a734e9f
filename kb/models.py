"""The entity graph: what claims are about, their aliases and the relations between them."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

# Ids are 64-bit integers at most on both databases: a larger number names no row.
MAX_ID = 2**63 - 1

KEY_PATTERN = r"^[A-Za-z0-9._-]+$"
KEY_HELP = "A stable external identifier: letters, digits, '-', '_' and '.'."
key_validator = RegexValidator(
    KEY_PATTERN, "A key may contain only letters, digits, '-', '_' and '.'."
)


class DatePrecision(models.TextChoices):
    """How much of a stored date is known; the date itself is the first day of that period."""

    YEAR = "year", "Year"
    MONTH = "month", "Month"
    DAY = "day", "Day"


class EntityKind(models.TextChoices):
    BASE = "base", "Base or facility"
    AGREEMENT = "agreement", "Agreement or legal act"
    OFFICIAL = "official", "Official"
    ORGANIZATION = "organization", "Organization"
    PLACE = "place", "Place"
    EVENT = "event", "Event"
    PROGRAM = "program", "Program"


class Entity(models.Model):
    Kind = EntityKind

    key = models.CharField(
        max_length=200, unique=True, validators=[key_validator], help_text=KEY_HELP
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    country = models.CharField(
        max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code, e.g. PE."
    )
    wikidata = models.CharField(
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^Q[0-9]+$", "A Wikidata id looks like Q419.")],
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged",
        editable=False,
        help_text="Set when this entity was merged into another as a duplicate.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "entities"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=EntityKind.values),
                name="entity_kind_valid",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="entity_name_not_empty"),
        ]
        indexes = [
            # The admin's per-kind sections list one kind ordered by name.
            models.Index(fields=["kind", "name"], name="entity_kind_name_idx"),
            # The entities page walks every entity by name, a page at a time.
            models.Index(fields=["name", "id"], name="entity_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class EntityAlias(models.Model):
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=300)

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "entity aliases"
        constraints = [
            models.UniqueConstraint(fields=["entity", "name"], name="alias_unique_per_entity"),
            models.CheckConstraint(condition=~models.Q(name=""), name="alias_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class EntityRelation(models.Model):
    """A dated link between two entities: an official holds an office, an agreement has a party."""

    class Kind(models.TextChoices):
        HOLDS_OFFICE_AT = "holds_office_at", "holds office at"
        PARTY_TO = "party_to", "is party to"
        LOCATED_IN = "located_in", "is located in"
        PART_OF = "part_of", "is part of"
        OPERATES = "operates", "operates"
        OTHER = "other", "other"

    subject = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="relations")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    object = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="inverse_relations")
    role = models.CharField(max_length=200, blank=True, help_text="e.g. President, Ambassador.")
    valid_from = models.DateField(null=True, blank=True)
    valid_from_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    valid_to = models.DateField(null=True, blank=True)
    valid_to_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    notes = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="relation_period_ordered",
            ),
            models.CheckConstraint(
                condition=~models.Q(subject=models.F("object")), name="relation_not_reflexive"
            ),
        ]

    def __str__(self) -> str:
        role = f" ({self.role})" if self.role else ""
        return f"{self.subject} {self.get_kind_display()} {self.object}{role}"


class EntityKindManager(models.Manager):
    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def get_queryset(self):
        return super().get_queryset().filter(kind=self.kind)


def _kind_proxy(class_name: str, kind: str, plural: str) -> type[Entity]:
    """A proxy of Entity limited to one kind, so that the admin gives each kind its section."""
    meta = type("Meta", (), {"proxy": True, "verbose_name_plural": plural})
    proxy = type(
        class_name,
        (Entity,),
        {"__module__": __name__, "Meta": meta, "objects": EntityKindManager(kind), "KIND": kind},
    )
    # The section's history pages read Entity's history, which the proxy inherits.
    proxy._meta.simple_history_manager_attribute = Entity._meta.simple_history_manager_attribute
    return proxy


Base = _kind_proxy("Base", Entity.Kind.BASE, "bases")
Agreement = _kind_proxy("Agreement", Entity.Kind.AGREEMENT, "agreements")
Official = _kind_proxy("Official", Entity.Kind.OFFICIAL, "officials")
Organization = _kind_proxy("Organization", Entity.Kind.ORGANIZATION, "organizations")
Place = _kind_proxy("Place", Entity.Kind.PLACE, "places")
Event = _kind_proxy("Event", Entity.Kind.EVENT, "events")
Program = _kind_proxy("Program", Entity.Kind.PROGRAM, "programs")

KIND_PROXIES = (Base, Agreement, Official, Organization, Place, Event, Program)
