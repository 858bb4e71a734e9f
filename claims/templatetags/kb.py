"""Template filters for claims: values, intervals and dates with their precision."""

from __future__ import annotations

from django import template

from claims.display import claim_interval_display, claim_value_with_unit, date_display

register = template.Library()


@register.filter
def value(claim) -> str:
    return claim_value_with_unit(claim)


@register.filter
def interval(claim) -> str:
    return claim_interval_display(claim)


@register.simple_tag
def dated(obj, field: str) -> str:
    """`{% dated claim "claimed_on" %}`: the date at its stored precision."""
    return date_display(getattr(obj, field), getattr(obj, f"{field}_precision"))
