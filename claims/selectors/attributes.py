"""Reads of attributes: the API's list, and every attribute by value type for a page of
claim forms."""

from __future__ import annotations

from claims.models import Attribute
from kb.memo import kept
from kb.selectors import related_count


def attribute_list():
    """Every attribute: one query per page."""
    return Attribute.objects.all()


def attributes_of_types(value_types) -> object:
    """The attributes of the given value types, by label: one query when read."""
    return Attribute.objects.filter(value_type__in=list(value_types)).order_by("label", "id")


def attributes_with_claim_totals(attributes=None):
    """Attributes (by default all) with `claim_total` (counted for the rows read): one
    query."""
    attributes = Attribute.objects.all() if attributes is None else attributes
    return attributes.annotate(claim_total=related_count(Attribute, "claims"))


def attributes_by_value_type() -> dict[str, list]:
    """{value type: its attributes by label}: one query, for a page of claim forms."""
    found: dict[str, list] = {}
    for attribute in Attribute.objects.order_by("label", "id"):
        found.setdefault(attribute.value_type, []).append(attribute)
    return found


def attributes_by_label():
    """Every attribute by label, as the pages' attribute selects list them: one query."""
    return Attribute.objects.order_by("label")


def attribute_options(version: str) -> list[tuple[str, str]]:
    """Every attribute as a select's option, (code, label) by label (attributes_by_label),
    kept in the process for `version` of the data (kb.memo.kept; version_of with Attribute
    among its models): no query while no attribute changes."""
    return kept(
        "attribute options",
        version,
        lambda: list(attributes_by_label().values_list("code", "label")),
    )
