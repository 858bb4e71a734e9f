"""A claim's recorded history, each change with who, when, why and what it changed
(django-simple-history's diff_against between consecutive records), for the claim's page."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from claims.models import Attribute, Claim
from claims.values.types import plain
from kb.models import Entity
from sources.models import Source

HISTORY_LIMIT = 50

# The fields people edit, in the form's order. The others are derived from them by the
# services (value type, intervals, periods, quote offsets) or stamped (created, updated), so a
# change to those shows through these.
HISTORY_FIELDS = (
    "key", "subject", "attribute", "source", "value_as_written", "qualifier", "amount",
    "amount_max", "currency", "unit", "date_value", "date_precision", "entity_value",
    "boolean_value", "text_value", "valid_from", "valid_from_precision", "valid_to",
    "valid_to_precision", "claimed_on", "claimed_on_precision", "quote", "quote_status",
    "credibility", "rank", "notes",
)  # fmt: skip

# Foreign keys, shown by name: the model each refers to.
_REFERENCES = {
    "subject": Entity,
    "entity_value": Entity,
    "attribute": Attribute,
    "source": Source,
}


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: datetime.datetime
    who: object  # the user, or None (an import, a command)
    what: str  # the reason recorded, else "Created", "Changed" or "Deleted"
    changes: list[Change] = field(default_factory=list)


def _shown(value, choices: dict) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(choices.get(value, value))


def claim_history(claim: Claim, *, limit: int = HISTORY_LIMIT) -> list[HistoryEntry]:
    """The claim's recorded changes, newest first (at most `limit`), each with the fields it
    changed, old and new, foreign keys by name and choices by label: one query for the
    records, and one for each kind of row a changed foreign key names."""
    records = list(
        claim.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    deltas = []
    for newer, older in zip(records, records[1:] + [None], strict=True):
        delta = [] if older is None else newer.diff_against(older, included_fields=HISTORY_FIELDS)
        deltas.append((newer, [] if older is None else delta.changes))
    names = _referenced_names(change for _, changes in deltas for change in changes)
    fields = {name: Claim._meta.get_field(name) for name in HISTORY_FIELDS}
    entries = []
    for record, changes in deltas[:limit]:
        shown = []
        for change in sorted(changes, key=lambda c: HISTORY_FIELDS.index(c.field)):
            model_field = fields[change.field]
            if change.field in _REFERENCES:
                model = _REFERENCES[change.field]
                old, new = (names[model].get(v, "—") for v in (change.old, change.new))
            else:
                choices = dict(model_field.choices or ())
                old, new = _shown(change.old, choices), _shown(change.new, choices)
            shown.append(Change(str(model_field.verbose_name).capitalize(), old, new))
        what = record.history_change_reason or record.get_history_type_display()
        entries.append(HistoryEntry(record.history_date, record.history_user, what, shown))
    return entries


def _referenced_names(changes) -> dict:
    """{model: {id: name}} for every id a foreign-key change names: one query a model."""
    wanted: dict = {model: set() for model in _REFERENCES.values()}
    for change in changes:
        if change.field in _REFERENCES:
            wanted[_REFERENCES[change.field]] |= {change.old, change.new} - {None}
    names: dict = {}
    for model, ids in wanted.items():
        names[model] = (
            {pk: str(row) for pk, row in model.objects.in_bulk(ids).items()} if ids else {}
        )
    return names
