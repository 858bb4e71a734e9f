"""Writes to sources and publishers."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from sources.models import Publisher, Source

SOURCE_IS_CITED = (
    "This source cannot be deleted: {count} claim(s) cite it. Delete or move those claims first."
)


def text_digest(text: str) -> str:
    """The SHA-256 of a source's text as stored (UTF-8), empty for no text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if text else ""


def publisher_get_or_create(*, name: str) -> Publisher:
    """The publisher of that exact name, created when it is new."""
    publisher, _ = Publisher.objects.get_or_create(name=name.strip())
    return publisher


@transaction.atomic
def source_save(*, source: Source) -> Source:
    """Validate and save a new or changed source, keeping its text digest in step."""
    source.text_sha256 = text_digest(source.text)
    source.full_clean()
    source.save()
    return source


@transaction.atomic
def source_delete(*, source: Source) -> None:
    """Delete a source; refused with a ValidationError while any claim cites it."""
    try:
        source.delete()
    except ProtectedError as error:
        raise ValidationError(SOURCE_IS_CITED.format(count=len(error.protected_objects))) from error
