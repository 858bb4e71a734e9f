"""Reads of attributes: the API's list, and every attribute by value type for a page of
claim forms."""

from __future__ import annotations

from claims.models import Attribute


def attribute_list():
    """Every attribute: one query per page."""
    return Attribute.objects.all()


def attributes_by_value_type() -> dict[str, list]:
    """{value type: its attributes by label}: one query, for a page of claim forms."""
    found: dict[str, list] = {}
    for attribute in Attribute.objects.order_by("label", "id"):
        found.setdefault(attribute.value_type, []).append(attribute)
    return found
