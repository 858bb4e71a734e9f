"""Sources: the documents that make statements, and their publishers."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from kb.models import KEY_HELP, DatePrecision, key_validator


class Reliability(models.TextChoices):
    """The Admiralty scale's source reliability grades."""

    A = "A", "A: completely reliable"
    B = "B", "B: usually reliable"
    C = "C", "C: fairly reliable"
    D = "D", "D: not usually reliable"
    E = "E", "E: unreliable"
    F = "F", "F: reliability cannot be judged"


GRADES = Reliability.values


def grade_in_force(reliability: str, publisher_grade: str | None) -> str:
    """The reliability grade in force: the source's own, else its publisher's, else F."""
    return reliability or publisher_grade or Reliability.F


# A message users see; tests assert on it.
DERIVATION_CYCLE = (
    "This would make a circle of copies: {chain} (each derives from the next). Choose the "
    "source this one repeats, not one that repeats it."
)


class Publisher(models.Model):
    name = models.CharField(max_length=300, unique=True)
    url = models.URLField(max_length=2000, blank=True)
    default_reliability = models.CharField(
        max_length=1,
        choices=Reliability.choices,
        blank=True,
        help_text="The grade a source of this publisher gets unless it sets its own.",
    )
    notes = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(default_reliability__in=["", *GRADES]),
                name="publisher_reliability_a_to_f",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="publisher_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class SourceKind(models.TextChoices):
    OFFICIAL = "official", "Official"
    NEWS = "news", "News"
    ANALYSIS = "analysis", "Analysis"
    OPINION = "opinion", "Opinion"
    AGGREGATOR = "aggregator", "Aggregator / AI-generated"
    CONTENT_SITE = "content_site", "Content site"
    LEGAL = "legal", "Legal text"
    ACADEMIC = "academic", "Academic"
    OTHER = "other", "Other"


class Source(models.Model):
    Kind = SourceKind

    key = models.CharField(
        max_length=200, unique=True, validators=[key_validator], help_text=KEY_HELP
    )
    title = models.CharField(max_length=500)
    url = models.URLField(max_length=2000, blank=True)
    publisher = models.ForeignKey(
        Publisher, on_delete=models.PROTECT, null=True, blank=True, related_name="sources"
    )
    author = models.CharField(max_length=300, blank=True)
    published_on = models.DateField(
        null=True, blank=True, help_text="The first day of the period the precision covers."
    )
    published_on_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reliability = models.CharField(
        max_length=1,
        choices=Reliability.choices,
        blank=True,
        help_text="Leave empty to inherit the publisher's default grade.",
    )
    language = models.CharField(max_length=10, default="en", help_text="BCP 47 code, e.g. en, es.")
    text = models.TextField(blank=True, help_text="The full text, when the source may be stored.")
    text_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    derived_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="derivatives",
        help_text="The source this one repeats; a copy never counts as independent corroboration.",
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reliability__in=["", *GRADES]), name="source_reliability_a_to_f"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=SourceKind.values), name="source_kind_valid"
            ),
            models.CheckConstraint(condition=~models.Q(title=""), name="source_title_not_empty"),
            models.CheckConstraint(
                condition=~models.Q(derived_from=models.F("id")),
                name="source_not_derived_from_itself",
            ),
            # The digest is there exactly when the text is.
            models.CheckConstraint(
                condition=models.Q(text="", text_sha256="")
                | (~models.Q(text="") & ~models.Q(text_sha256="")),
                name="source_text_has_digest",
            ),
        ]
        indexes = [
            # The API's published_after / published_before filters and newest-first lists.
            models.Index(fields=["published_on", "id"], name="source_published_idx"),
            # Ingest recognises a document it already holds, by URL or by its text's digest.
            models.Index(fields=["url"], name="source_url_idx"),
            models.Index(fields=["text_sha256"], name="source_text_digest_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        """Refuse a derived_from that would close a circle of copies (one query), naming the
        chain: the admin's form and source_save (full_clean) both ask."""
        # Imported here: the selectors read this module's models.
        from sources.selectors import source_derivation_cycle

        if self.derived_from_id is None or self.derived_from_id == self.pk:
            return  # nothing to check, or the constraint source_not_derived_from_itself says it
        cycle = source_derivation_cycle(self)
        if cycle:
            chain = " → ".join(f"“{link.title}”" for link in cycle)
            raise ValidationError({"derived_from": DERIVATION_CYCLE.format(chain=chain)})

    @property
    def grade(self) -> str:
        """The reliability grade in force (grade_in_force)."""
        if self.reliability or not self.publisher_id:
            return grade_in_force(self.reliability, None)
        return grade_in_force(self.reliability, self.publisher.default_reliability)
