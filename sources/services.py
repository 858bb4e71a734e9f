"""Writes to sources and publishers."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.text import slugify

from sources import ingest
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


ALREADY_STORED = "This document is already stored as “{title}”."
PASTED_TEXT = "The pasted text"


def source_find_duplicate(*, url: str = "", text: str = "") -> Source | None:
    """The source already holding this URL or this exact text, if any: at most two queries."""
    if url:
        found = Source.objects.filter(url=url).order_by("id").first()
        if found:
            return found
    if text:
        return Source.objects.filter(text_sha256=text_digest(text)).order_by("id").first()
    return None


def document_text(*, text: str = "", upload=None, url: str = "") -> str:
    """The cleaned text of a document given as pasted text, an uploaded file (.txt, .html,
    .pdf) or a URL to fetch, in that order of preference. Network I/O for a URL. Each is
    refused past KB_INGEST_MAX_BYTES (an upload before it is read). Raises ValidationError on
    the field the document came from ("text", "upload" or "url")."""
    field = "upload" if upload is not None else ("text" if text else "url")
    try:
        if upload is not None:
            kind = ingest.kind_of_upload(upload.name)
            # The size the upload declares is checked before the file is read.
            ingest.refuse_too_large(upload.size, what=f'"{upload.name}"')
            return ingest.text_from_bytes(upload.read(), kind=kind, what=f'"{upload.name}"')
        if text:
            ingest.refuse_too_large(len(text.encode("utf-8")), what=PASTED_TEXT)
            return ingest.clean_text(text)
        return ingest.fetch(url)[0]
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from error


def source_ingest(
    *,
    title: str,
    kind: str,
    text: str = "",
    upload=None,
    url: str = "",
    publisher: str = "",
    reliability: str = "",
    published_on=None,
    published_on_precision: str = "day",
    language: str = "en",
    user=None,
) -> tuple[Source, bool]:
    """Store an ingested document (pasted `text`, an `upload`, or else the `url` fetched) as a
    source, or find the one that already holds the same URL or the same text: (source,
    created). Recorded in the history with `user`. The document is read or fetched before the
    transaction opens; ValidationError names the field at fault."""
    text = document_text(text=text, upload=upload, url=url)
    return _source_store(
        title=title, kind=kind, text=text, url=url, publisher=publisher,
        reliability=reliability, published_on=published_on,
        published_on_precision=published_on_precision, language=language, user=user,
    )  # fmt: skip


@transaction.atomic
def _source_store(
    *, title, kind, text, url, publisher, reliability, published_on, published_on_precision,
    language, user,
) -> tuple[Source, bool]:  # fmt: skip
    existing = source_find_duplicate(url=url, text=text)
    if existing is not None:
        return existing, False
    source = Source(
        key=f"{slugify(title)[:60] or 'source'}-{text_digest(text)[:10]}",
        title=title,
        kind=kind,
        url=url,
        publisher=publisher_get_or_create(name=publisher) if publisher.strip() else None,
        reliability=reliability,
        published_on=published_on,
        published_on_precision=published_on_precision,
        language=language or "en",
        text=text,
    )
    source._history_user = user
    source._change_reason = "ingested"
    source_save(source=source)
    return source, True
