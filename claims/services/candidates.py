"""Writes of a source's candidate claims: the extractor runs once over a text when it is stored
or changes, and what it finds is kept (claims.models.Candidate) for the candidates page, which
then reads rows and never runs the extractor."""

from __future__ import annotations

from django.db import transaction

from claims.extraction import ENTITY, extract_candidates, subject_suggestions
from claims.extraction import Candidate as Found
from claims.models import Candidate
from claims.selectors.candidates import entity_names
from sources.models import Source
from sources.services import document_text, source_ingest

# Characters of a long sentence kept on each side of its candidate: the page shows the
# sentence and offers it as the quote, so a text without full stops must not make every
# candidate carry the whole text.
SENTENCE_ROOM = 300
BATCH = 2000


def candidates_of_text(text: str, entities: list[tuple[int, str, list[str]]]) -> list[dict]:
    """The Candidate fields (all but the source) of every candidate in `text`: money, counts,
    dates and mentions of `entities` ((id, key, [name, *aliases]), see
    claims.selectors.entity_names), each money, count or date with the entity its sentence
    suggests as subject. Pure: no database."""
    ids = {key: pk for pk, key, _ in entities}
    found = extract_candidates(text, entities=[(key, names) for _, key, names in entities])
    suggestions = subject_suggestions(text, found)
    rows = []
    for candidate in found:
        sentence_start, sentence = _sentence(candidate)
        key = candidate.entity_key if candidate.kind == ENTITY else suggestions.get(candidate.start)
        rows.append(
            {
                "kind": candidate.kind,
                "start": candidate.start,
                "end": candidate.end,
                "text": candidate.text,
                "value": candidate.value,
                "sentence": sentence,
                "sentence_start": sentence_start,
                "entity_id": ids.get(key),
            }
        )
    return rows


def _sentence(candidate: Found) -> tuple[int, str]:
    """Where the candidate's sentence starts and the sentence, cut at spaces to SENTENCE_ROOM
    characters on each side of the candidate when it is longer: still the source's words."""
    sentence, start = candidate.sentence, candidate.sentence_start
    offset, end = candidate.start - start, candidate.end - start
    if offset > SENTENCE_ROOM:
        cut = sentence.find(" ", offset - SENTENCE_ROOM, offset)
        cut = offset if cut == -1 else cut + 1
        sentence, start, end = sentence[cut:], start + cut, end - cut
    if len(sentence) - end > SENTENCE_ROOM:
        cut = sentence.rfind(" ", end, end + SENTENCE_ROOM)
        sentence = sentence[: end if cut == -1 else cut]
    return start, sentence


@transaction.atomic
def candidates_extract(*, source: Source, entities: list | None = None) -> int:
    """Replace the source's stored candidates with those of its current text, and return how
    many there are. Runs the extractor over the whole text (about two seconds a megabyte);
    `entities` (claims.selectors.entity_names) spares a caller extracting many sources the two
    queries that read them."""
    Candidate.objects.filter(source=source).delete()
    if not source.text:
        return 0
    rows = candidates_of_text(source.text, entity_names() if entities is None else entities)
    Candidate.objects.bulk_create(
        [Candidate(source=source, **row) for row in rows], batch_size=BATCH
    )
    return len(rows)


def source_ingest_with_candidates(
    *, text: str = "", upload=None, url: str = "", **fields
) -> tuple[Source, bool]:
    """sources.services.source_ingest (the same `fields`), and the candidates of a new
    source's text stored in the same transaction: (source, created). The document is read or
    fetched before the transaction opens; ValidationError names the field at fault."""
    text = document_text(text=text, upload=upload, url=url)
    with transaction.atomic():
        source, created = source_ingest(text=text, url=url, **fields)
        if created:
            candidates_extract(source=source)
    return source, created
