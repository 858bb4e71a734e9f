"""Writing a read bundle into the database, all or nothing: in dependency order, matched by
key, only what changed, every write recorded in history; then the changed groups rechecked.

It runs to about 500 lines because the import is one transaction whose steps share their state
(the rows written so far, the groups to recheck, the report), which _Writer keeps together."""

from __future__ import annotations

import functools
from collections import defaultdict, deque
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from claims.bundles.reading import (
    PERIOD_ENDS_BEFORE_IT_STARTS,
    NoProgress,
    Plan,
    _Reader,
    row_columns,
)
from claims.bundles.schema import SECTIONS, BundleInvalid, Problem
from claims.copying import (
    copy_applies,
    instances_create,
    overlapped,
    rows_create,
    statistics_refresh,
    update_with_history,
)
from claims.detection import RecheckReport, groups_recheck
from claims.display import date_value
from claims.models import (
    OUTCOMES_WITH_POSITION,
    Attribute,
    Claim,
    Contradiction,
    ContradictionClaim,
    ContradictionStatus,
)
from claims.selectors.candidates import entity_names
from claims.services import (
    QUOTE_NOT_IN_SOURCE,
    attribute_update,
    candidates_extract,
    claimed_on_columns,
    claims_reanchor,
    contradiction_flag,
    contradiction_flag_update,
    effective_period_columns,
    period_columns,
    quote_columns,
)
from claims.services.attributes import RULE_FIELDS, attribute_groups
from kb.api.compiled import rows_among
from kb.models import Entity, EntityAlias
from kb.runtime import bulk_allocation
from kb.services import unique_aliases
from sources.models import Publisher, Source

BATCH = 2000
# How many stored claims one query reads when an import compares them with its own
# (_claims_copied).
STORED_BATCH = 20_000
CHANGE_REASON = "bundle import"
KEPT_RANK = 'kept "{rank}" (the bundle says "{wanted}"), set by the decision on contradiction #{id}'
ALREADY_HOLDS_DATA = (
    "The database already holds data; {what} was not imported, and nothing was changed."
)
IMPORT_BUSY = "Another import is running; try again when it ends."
IMPORT_WAITING = "Another import is running; this one waits until it ends."


@dataclass
class ImportReport:
    dry_run: bool = False
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unchanged: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    detection: RecheckReport | None = None
    # Ranks an editor's decision set, which the bundle would have changed: left as decided.
    kept: list[Problem] = field(default_factory=list)

    def summary(self) -> str:
        parts = []
        for section in SECTIONS:
            parts.append(
                f"{section}: {self.created[section]} created, {self.updated[section]} updated, "
                f"{self.unchanged[section]} unchanged"
            )
        prefix = "dry run, nothing written. " if self.dry_run else ""
        if self.detection is not None:
            parts.append(
                f"contradictions: {self.detection.created} detected, "
                f"{self.detection.updated} updated, {self.detection.reopened} reopened"
            )
        if self.kept:
            parts.append(f"ranks: {len(self.kept)} kept as editors decided")
        return prefix + "; ".join(parts)


@dataclass(frozen=True)
class DecidedRank:
    rank: str
    contradiction_id: int


def claim_ranks_set_by_decisions() -> dict[str, DecidedRank]:
    """The claims whose rank an editor's decision set, by claim key: one query.

    A decision sets ranks when its outcome picks a position (one_is_wrong, superseded; see
    contradiction_resolve) and it still stands: the contradiction is resolved, not reopened
    (a withdrawn one included: it keeps its decision on record and may be detected again).
    Its claims keep the rank they now have (the decision's, or an editor's later edit). A
    claim in several such contradictions is reported with the latest decision.
    """
    memberships = (
        ContradictionClaim.objects.filter(
            contradiction__status=ContradictionStatus.RESOLVED,
            contradiction__outcome__in=OUTCOMES_WITH_POSITION,
        )
        .order_by("contradiction__resolved_at", "contradiction_id")
        .values_list("claim__key", "claim__rank", "contradiction_id")
    )
    return {key: DecidedRank(rank, contradiction_id) for key, rank, contradiction_id in memberships}


def knowledge_base_is_empty() -> bool:
    """Whether the database holds no sources, entities, attributes or claims: four queries."""
    return not any(model.objects.exists() for model in (Source, Entity, Attribute, Claim))


def bundle_import(
    *,
    bundle: dict,
    user=None,
    dry_run: bool = False,
    progress: NoProgress | None = None,
    wait: bool = True,
    waiting: Callable[[], None] | None = None,
    streamed=None,
) -> ImportReport:
    """Import a kb-bundle/1 document, all or nothing.

    Every reference resolves against the bundle and the database together. Rows are matched
    by key: new ones are created, changed ones updated, identical ones left alone, so importing
    the same bundle twice changes nothing. Every write is recorded in the history with `user`.
    A rank set by an editor's decision (claim_ranks_set_by_decisions) is never changed: the
    import keeps it and lists it in the report's `kept`, with its place in the bundle. A
    changed attribute goes through attribute_update: the claims the bundle does not carry move
    with it, or the change is refused naming them. Raises BundleInvalid listing every problem
    with its place; then nothing is written. With `dry_run`, everything is checked and
    counted, and nothing is kept.

    On PostgreSQL, imports run one at a time (a transaction-level advisory lock, taken before
    the bundle is read against the database): one that finds another running calls `waiting`
    and waits for it to end, then reads what it wrote; with `wait=False` it raises ImportBusy
    instead. So two imports started at once end as if run one after the other.

    The claims are read and written CLAIMS_CHUNK at a time, so that the import holds the rows
    of one chunk, not of the whole bundle; once a problem is found nothing more is written,
    and the rest is still read so that every problem is listed (the transaction keeps
    nothing). `streamed` (claims.bundles.streaming) gives the claims' items as a file is
    read, `bundle` then holding the other sections.
    """
    progress = progress or NoProgress()
    report = ImportReport(dry_run=dry_run)
    with _no_query_log(), bulk_allocation(), transaction.atomic(), overlapped():
        _one_import_at_a_time(wait=wait, waiting=waiting)
        reader = _Reader(
            bundle,
            progress,
            claims=None if streamed is None else streamed.claims(),
            unstorable_checked=streamed is not None,
        )
        plan = reader.read_head()
        if streamed is not None:
            carried = streamed.claim_keys
        else:
            claims = bundle.get("claims")
            items = claims if isinstance(claims, list) else []

            def carried():
                return {i["key"] for i in items if isinstance(i, dict) and _is_text(i.get("key"))}

        writer = _Writer(plan, user=user, report=report, progress=progress, carried=carried)
        # The writer's own refusal (an attribute change, a quote not in its source): reported
        # when the reader found nothing wrong, as when a bundle was read whole first.
        refused = None
        if not reader.problems:
            try:
                writer.write_head()
            except BundleInvalid as error:
                refused = error
        for rows in reader.read_claims():
            if not reader.problems and refused is None:
                writer.write_claims(rows)
        reader.read_tail(plan)
        if refused is not None:
            raise refused
        if writer.problems:
            raise BundleInvalid(writer.problems)
        writer.write_tail()
        if dry_run:
            transaction.set_rollback(True)
    return report


def _is_text(value) -> bool:
    return isinstance(value, str) and bool(value)


@contextmanager
def _no_query_log():
    """Keep the import's queries out of Django's debug query log (DEBUG keeps the last 9,000
    queries' SQL: hundreds of megabytes for an import's batches), unless something asked for
    them (a test capturing queries sets force_debug_cursor)."""
    connection = transaction.get_connection()
    if connection.force_debug_cursor:
        yield
        return
    kept = connection.queries_log
    connection.queries_log = deque(maxlen=0)
    try:
        yield
    finally:
        connection.queries_log = kept


class ImportBusy(Exception):
    """Another import holds the lock and this one was asked not to wait."""

    def __init__(self):
        super().__init__(IMPORT_BUSY)


# The advisory lock imports take on PostgreSQL: any fixed number no other lock of this
# project uses ("kb-bundle" in ASCII, read as a number).
IMPORT_LOCK = int.from_bytes(b"kbbundle", "big")


def _one_import_at_a_time(*, wait: bool, waiting: Callable[[], None] | None) -> None:
    """Take the import lock for the rest of the transaction (PostgreSQL; SQLite writes one
    transaction at a time by itself)."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [IMPORT_LOCK])
        if cursor.fetchone()[0]:
            return
        if not wait:
            raise ImportBusy
        if waiting is not None:
            waiting()
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])


# The columns each optional field of an entry sets. An existing row whose entry leaves a field
# out keeps those columns as they are (a new row takes the field's default). A claim's dates
# are _claims' to keep, since its effective period is computed from all three.
COLUMNS = {
    "publishers": {"url": ("url",), "default_reliability": ("default_reliability",),
                   "notes": ("notes",)},
    "sources": {
        "url": ("url",), "publisher": ("publisher_id",), "author": ("author",),
        "published_on": ("published_on", "published_on_precision"),
        "reliability": ("reliability",), "language": ("language",),
        "text": ("text", "text_sha256"), "notes": ("notes",), "derived_from": ("derived_from_id",),
    },
    "entities": {"description": ("description",), "country": ("country",),
                 "wikidata": ("wikidata",)},
    "attributes": {
        name: (name,)
        for name in ("single_valued", "time_varying", "tolerance", "approx_tolerance", "unit",
                     "choices", "description")
    },
    "claims": {"value_as_written": ("value_as_written",), "rank": ("rank",), "notes": ("notes",)},
}  # fmt: skip


def _kept(section: str, row: dict) -> frozenset[str]:
    """The columns an existing row keeps because its entry leaves their fields out."""
    return _kept_of(section, row["_given"])


@functools.cache
def _kept_of(section: str, given: frozenset[str]) -> frozenset[str]:
    # Worked out once for each set of given names: a bundle's entries give a handful.
    return frozenset(
        column
        for name, columns in COLUMNS[section].items()
        if name not in given
        for column in columns
    )


class _Writer:
    """Writes a read bundle in three steps: write_head (the sections before the claims),
    write_claims (a chunk of claims at a time) and write_tail (the flags, then detection).
    `carried` gives the keys of every claim of the bundle (an attribute change leaves those
    claims to the bundle)."""

    def __init__(self, plan: Plan, *, user, report: ImportReport, progress: NoProgress, carried):
        self.plan, self.user, self.report, self.progress = plan, user, report, progress
        self.carried = carried
        self.dry_run = report.dry_run
        self.written: dict[type, list] = {}
        self.groups: set[tuple[int, int]] = set()
        self.changed_claims: set[int] = set()
        # The keys of the claims written so far (their quotes are the bundle's, not found
        # again when their source's text changes).
        self.claim_keys: set[str] = set()
        # Problems the writer finds in the claims (a quote not in its source): once there is
        # one, nothing more is written, and the other chunks are still checked.
        self.problems: list[Problem] = []
        self.decided: dict[str, DecidedRank] | None = None

    def write_head(self) -> None:
        self._publishers()
        self._sources()
        self._entities()
        self._candidates()
        self._attributes()

    def write_claims(self, planned: list[dict]) -> None:
        self._claims(planned)

    def write_tail(self) -> None:
        self._claims_end()
        self._flags()
        self._detect()

    def _upsert(
        self,
        model,
        section: str,
        rows: list[dict],
        key_field: str = "key",
        also_changed: set[str] = frozenset(),
        before_update=None,
        on_create: dict | None = None,
    ):
        """Create the new rows and update the changed ones.

        Returns ({key: instance}, keys created). Keys in `also_changed` count as updated even
        when their own fields are the same (an entity whose aliases changed). A row's `keep`
        names the fields an existing instance keeps as they are.
        """
        keys = [row[key_field] for row in rows]
        existing = {}
        for start in range(0, len(keys), BATCH):
            existing.update(
                model.objects.in_bulk(keys[start : start + BATCH], field_name=key_field)
            )
        to_create, to_update, changed_fields = [], [], set()
        for row in rows:
            fields = row["fields"]
            instance = existing.get(row[key_field])
            if instance is None:
                to_create.append(model(**fields, **(on_create or {})))
                continue
            keep = row.get("keep", ())
            changed = [
                name
                for name, value in fields.items()
                if name not in keep and getattr(instance, name) != value
            ]
            if changed:
                if before_update is not None:
                    before_update(instance)
                for name in changed:
                    setattr(instance, name, fields[name])
                to_update.append(instance)
                changed_fields.update(changed)
            elif row[key_field] in also_changed:
                self.report.updated[section] += 1
            else:
                self.report.unchanged[section] += 1
        created = []
        self.progress.start(len(to_create) + len(to_update), f"writing {section}")
        for start in range(0, len(to_create), BATCH):
            created += self._create(model, to_create[start : start + BATCH])
            self.progress.advance(len(to_create[start : start + BATCH]))
        if to_update:
            # bulk_update does not touch auto_now fields by itself.
            stamped = {"updated_at"} & {f.name for f in model._meta.concrete_fields}
            now = timezone.now()
            for instance in to_update:
                if stamped:
                    instance.updated_at = now
            fields = sorted(_field_names(model, changed_fields | stamped))
            update_with_history(model, to_update, fields, user=self.user, reason=CHANGE_REASON)
            self.progress.advance(len(to_update))
        self.progress.close()
        self.report.created[section] += len(to_create)
        self.report.updated[section] += len(to_update)
        self.written[model] = [*created, *to_update]
        result = dict(existing)
        result.update({getattr(obj, key_field): obj for obj in created})
        return result, {getattr(obj, key_field) for obj in created}

    def _create(self, model, instances: list) -> list:
        """Save new instances with their history (created by the import's user, now, for
        CHANGE_REASON), as bulk_create_with_history does; on PostgreSQL with COPY
        (copying.instances_create) from the instances' column values, without a second instance
        per history row. Returns the instances, saved."""
        if not copy_applies():
            return bulk_create_with_history(
                instances,
                model,
                batch_size=BATCH,
                default_user=self.user,
                default_change_reason=CHANGE_REASON,
            )
        instances_create(model, instances, now=timezone.now(), history=(self.user, CHANGE_REASON))
        return instances

    def _publishers(self) -> None:
        """The bundle's publishers section, matched by name; a publisher only named by a source
        is created by _sources with nothing but its name."""
        rows = [
            {"name": row["name"], "fields": row_columns(row), "keep": _kept("publishers", row)}
            for row in self.plan.publishers
        ]
        self.publishers, _ = self._upsert(Publisher, "publishers", rows, key_field="name")

    def _sources(self) -> None:
        publishers = self.publishers
        # The publishers only named by sources: those stored, then the others created.
        named = sorted({row["publisher"].strip() for row in self.plan.sources} - {""})
        missing = [name for name in named if name not in publishers]
        for start in range(0, len(missing), BATCH):
            chunk = missing[start : start + BATCH]
            publishers.update(Publisher.objects.in_bulk(chunk, field_name="name"))
        new = [Publisher(name=name) for name in missing if name not in publishers]
        for publisher in bulk_create_with_history(
            new,
            Publisher,
            batch_size=BATCH,
            default_user=self.user,
            default_change_reason=CHANGE_REASON,
        ):
            publishers[publisher.name] = publisher
        self.report.created["publishers"] += len(new)
        rows = [
            {
                "key": row["key"],
                "fields": {
                    **row_columns(row, {"publisher", "derived_from"}),
                    "publisher_id": publishers[row["publisher"].strip()].pk
                    if row["publisher"].strip()
                    else None,
                },
                "keep": _kept("sources", row),
            }
            for row in self.plan.sources
        ]
        old_digests: dict[str, str] = {}
        self.sources, created = self._upsert(
            Source,
            "sources",
            rows,
            before_update=lambda source: old_digests.setdefault(source.key, source.text_sha256),
        )
        # The sources whose text changed: their other claims' quotes are found again.
        self.retexted = {
            key for key, digest in old_digests.items() if self.sources[key].text_sha256 != digest
        }
        self.new_texts = self.retexted | {key for key in created if self.sources[key].text}
        # Derivations point at sources that may only now exist.
        derived = [
            {
                "key": row["key"],
                "derived_from_id": self._source_id(row["derived_from"])
                if row["derived_from"]
                else None,
            }
            for row in self.plan.sources
            if "derived_from" in row["_given"] or row["key"] in created
        ]
        changed = []
        for row in derived:
            instance = self.sources[row["key"]]
            if instance.derived_from_id != row["derived_from_id"]:
                instance.derived_from_id = row["derived_from_id"]
                changed.append(instance)
        update_with_history(Source, changed, ["derived_from"], user=self.user, reason=CHANGE_REASON)

    def _source_id(self, key: str) -> int:
        if key not in self.sources:
            self.sources[key] = Source.objects.get(key=key)
        return self.sources[key].pk

    def _entities(self) -> None:
        wanted = {
            row["key"]: unique_aliases(row["name"], row["aliases"]) for row in self.plan.entities
        }
        # An existing entity whose entry leaves its aliases out keeps them.
        unsaid = {row["key"] for row in self.plan.entities if "aliases" not in row["_given"]}
        current: dict[str, dict[str, EntityAlias]] = defaultdict(dict)
        keys = list(wanted)
        for start in range(0, len(keys), BATCH):
            aliases = EntityAlias.objects.filter(entity__key__in=keys[start : start + BATCH])
            for alias in aliases.select_related("entity"):
                current[alias.entity.key][alias.name] = alias
        rows = [
            {
                "key": row["key"],
                "fields": row_columns(row, {"aliases"}),
                "keep": _kept("entities", row),
            }
            for row in self.plan.entities
        ]
        for key in unsaid:
            if key in current:
                wanted[key] = list(current[key])
        alias_changed = {key for key in keys if set(current.get(key, {})) != set(wanted[key])}
        self.entities, created = self._upsert(Entity, "entities", rows, also_changed=alias_changed)
        to_create = []
        for key in alias_changed:
            have = current.get(key, {})
            for name, alias in have.items():
                if name not in wanted[key]:
                    alias._change_reason = CHANGE_REASON
                    alias.delete()
            entity = self.entities[key]
            to_create += [EntityAlias(entity=entity, name=n) for n in wanted[key] if n not in have]
        for start in range(0, len(to_create), BATCH):
            self._create(EntityAlias, to_create[start : start + BATCH])

    def _candidates(self) -> None:
        """The candidates of every new or changed text, found among the entities as this
        bundle leaves them. Not in a dry run, which keeps nothing."""
        if self.dry_run or not self.new_texts:
            return
        entities = entity_names()
        keys = sorted(self.new_texts)
        self.progress.start(len(keys), "finding candidate claims")
        for key in keys:
            candidates_extract(source=self.sources[key], entities=entities)
            self.progress.advance(1)
        self.progress.close()

    def _attributes(self) -> None:
        """New attributes are created; a changed one goes through attribute_update, which moves
        the claims this bundle does not carry (it rewrites the others) or refuses the change."""
        rows = [
            {"code": row["code"], "fields": row_columns(row), "keep": _kept("attributes", row)}
            for row in self.plan.attributes
        ]
        existing = Attribute.objects.in_bulk([row["code"] for row in rows], field_name="code")
        carried = None
        for row in rows:
            attribute = existing.get(row["code"])
            if attribute is None:
                continue
            data = {k: v for k, v in row["fields"].items() if k not in row["keep"]}
            changed = {name for name, value in data.items() if getattr(attribute, name) != value}
            if not changed:
                self.report.unchanged["attributes"] += 1
                continue
            if carried is None:
                carried = self.carried()
            try:
                attribute_update(
                    attribute=attribute,
                    data=data,
                    user=self.user,
                    skip_keys=carried,
                    recheck=False,
                )
            except ValidationError as error:
                place = row_place(self.plan.attributes, row["code"])
                raise BundleInvalid(
                    [
                        Problem(place if field == NON_FIELD_ERRORS else f"{place}.{field}", message)
                        for field, messages in error.message_dict.items()
                        for message in messages
                    ]
                ) from error
            self.report.updated["attributes"] += 1
            if changed & set(RULE_FIELDS):
                self.groups |= attribute_groups(attribute=attribute)
        new = [row for row in rows if row["code"] not in existing]
        self.attributes, _ = self._upsert(Attribute, "attributes", new, key_field="code")
        self.attributes.update(existing)

    def _attribute(self, code: str) -> Attribute:
        if code not in self.attributes:
            self.attributes[code] = Attribute.objects.get(code=code)
        return self.attributes[code]

    def _claims(self, planned: list[dict]) -> None:
        """A chunk of the bundle's claims: checked against what is stored, then written
        unless a problem was found in this chunk or an earlier one."""
        missing_sources = list({row["source"] for row in planned} - set(self.sources))
        for start in range(0, len(missing_sources), BATCH):
            chunk = missing_sources[start : start + BATCH]
            self.sources.update(Source.objects.in_bulk(chunk, field_name="key"))
        entity_refs = {row["subject"] for row in planned} | {
            row["entity_value_key"] for row in planned if row.get("entity_value_key")
        }
        missing_entities = list(entity_refs - set(self.entities))
        for start in range(0, len(missing_entities), BATCH):
            chunk = missing_entities[start : start + BATCH]
            self.entities.update(Entity.objects.only("id", "key").in_bulk(chunk, field_name="key"))
        stored = self._claims_keeping_dates(planned)
        rows, problems = [], self.problems
        entities, sources = self.entities, self.sources
        for row in planned:
            attribute = self._attribute(row["attribute"])
            source = sources[row["source"]]
            fields = row_columns(row, {"subject", "attribute", "source", *DATE_VALUES})
            entity_value_key = fields.pop("entity_value_key", None)
            fields.pop("entity_value", None)
            fields.update(
                subject_id=entities[row["subject"]].pk,
                attribute_id=attribute.pk,
                source_id=source.pk,
                value_type=attribute.value_type,
                entity_value_id=entities[entity_value_key].pk if entity_value_key else None,
                **claimed_on_columns(claimed_on=row["claimed_on_value"], source=source),
            )
            if row["key"] in stored:
                try:
                    fields.update(_dates_kept(row, stored[row["key"]]))
                except ValidationError:
                    problems.append(
                        Problem(f"{row['_place']}.valid_to", PERIOD_ENDS_BEFORE_IT_STARTS)
                    )
            fields.update(effective_period_columns(fields))
            try:
                fields.update(quote_columns(source=source, quote=row["quote"]))
            except ValidationError:
                problems.append(Problem(f"{row['_place']}.quote", QUOTE_NOT_IN_SOURCE))
            rows.append({"key": row["key"], "fields": fields, "keep": _kept("claims", row)})
        if problems:
            return
        self._keep_decided_ranks(rows, planned)
        if copy_applies():
            written = self._claims_copied(rows)
        else:
            self._upsert(
                Claim,
                "claims",
                rows,
                before_update=lambda c: self.groups.add((c.subject_id, c.attribute_id)),
                on_create={"created_by": self.user},
            )
            written = [(c.pk, c.subject_id, c.attribute_id) for c in self.written[Claim]]
        self.changed_claims.update(pk for pk, _, _ in written)
        if self.retexted:
            self.claim_keys.update(row["key"] for row in rows)
        self.groups.update((subject, attribute) for _, subject, attribute in written)

    def _claims_end(self) -> None:
        """The other claims of the sources whose text changed: their quotes found again."""
        for key in self.retexted:
            claims_reanchor(source=self.sources[key], user=self.user, skip_keys=self.claim_keys)

    def _claims_copied(self, rows: list[dict]) -> list[tuple[int, int, int]]:
        """_upsert for claims on PostgreSQL, without a model instance per claim: the stored
        claims compared as column values, the new ones written with COPY (copying.py) and
        recorded in the history as bulk_create_with_history would; the changed ones, few,
        go through _upsert. Returns (id, subject id, attribute id) of every claim written."""
        names = sorted({name for row in rows for name in row["fields"]})
        keys = [row["key"] for row in rows]
        stored = {
            values["key"]: values
            for values in rows_among(
                Claim.objects.values("key", *names), "key", keys, batch=STORED_BATCH
            )
        }
        new, changed = [], []
        for row in rows:
            values = stored.get(row["key"])
            if values is None:
                # The row's own fields, not a copy: a million claims hold one set each.
                row["fields"]["created_by_id"] = getattr(self.user, "pk", None)
                new.append(row["fields"])
                continue
            keep = row["keep"]
            if (
                any(
                    name not in keep and values[name] != value
                    for name, value in row["fields"].items()
                )
                if keep
                # Every field as stored (a subset of the stored items, compared in C).
                else not row["fields"].items() <= values.items()
            ):
                changed.append(row)
            else:
                self.report.unchanged["claims"] += 1
        del stored
        written = []
        if changed:
            self._upsert(
                Claim,
                "claims",
                changed,
                before_update=lambda c: self.groups.add((c.subject_id, c.attribute_id)),
            )
            written = [(c.pk, c.subject_id, c.attribute_id) for c in self.written[Claim]]
        self.progress.start(len(new), "writing claims")
        ids = rows_create(Claim, new, now=timezone.now(), history=(self.user, CHANGE_REASON))
        written += [
            (pk, row["subject_id"], row["attribute_id"]) for pk, row in zip(ids, new, strict=True)
        ]
        self.progress.advance(len(new))
        self.progress.close()
        self.report.created["claims"] += len(new)
        return written

    def _claims_keeping_dates(self, planned: list[dict]) -> dict[str, Claim]:
        """The stored claims whose entries leave a date out, by key: they keep that date."""
        keys = [
            row["key"]
            for row in planned
            if not {"valid_from", "valid_to", "claimed_on"} <= row["_given"]
        ]
        found = {}
        for start in range(0, len(keys), BATCH):
            found.update(Claim.objects.in_bulk(keys[start : start + BATCH], field_name="key"))
        return found

    def _keep_decided_ranks(self, rows: list[dict], planned_rows: list[dict]) -> None:
        """An editor's decision outranks the bundle: such a rank is left as it is, and said."""
        if self.decided is None:
            self.decided = claim_ranks_set_by_decisions()
        decided = self.decided
        if not decided:
            return
        for row, planned in zip(rows, planned_rows, strict=True):
            decision = decided.get(row["key"])
            if (
                decision is None
                or "rank" not in planned["_given"]
                or row["fields"]["rank"] == decision.rank
            ):
                continue
            self.report.kept.append(
                Problem(
                    f"{planned['_place']}.rank",
                    KEPT_RANK.format(
                        rank=decision.rank,
                        wanted=row["fields"]["rank"],
                        id=decision.contradiction_id,
                    ),
                )
            )
            del row["fields"]["rank"]

    def _flags(self) -> None:
        if not self.plan.flags:
            return
        keys = {key for row in self.plan.flags for key in row["claims"]}
        claims = {}
        for start in range(0, len(keys), BATCH):
            chunk = list(keys)[start : start + BATCH]
            claims.update(Claim.objects.in_bulk(chunk, field_name="key"))
        existing = Contradiction.objects.in_bulk(
            [row["key"] for row in self.plan.flags], field_name="key"
        )
        for row in self.plan.flags:
            members = [claims[key] for key in row["claims"]]
            contradiction = existing.get(row["key"])
            if contradiction is None:
                contradiction_flag(
                    claims=members,
                    note=row["note"],
                    user=self.user,
                    key=row["key"],
                    recheck=False,
                    agreeing=True,
                )
                self.report.created["flags"] += 1
            elif contradiction_flag_update(
                contradiction=contradiction, claims=members, note=row["note"], user=self.user
            ):
                self.report.updated["flags"] += 1
            else:
                self.report.unchanged["flags"] += 1
            self.groups.add((members[0].subject_id, members[0].attribute_id))

    def _detect(self) -> None:
        # Detection reads the claims of each group through the subject's index: planned for
        # the claims table as the import left it.
        statistics_refresh(Claim, self.report.created["claims"], ("subject", "attribute"))
        self.report.detection = groups_recheck(
            groups=self.groups,
            changed=self.changed_claims,
            user=self.user,
            progress=self.progress,
        )


# The dates a claim's entry gives, as the reader read them.
DATE_VALUES = ("valid_from_value", "valid_to_value", "claimed_on_value")


def _dates_kept(row: dict, claim: Claim) -> dict:
    """The date columns of a stored claim whose entry leaves some of its dates out: the given
    ones as given, the others as stored. ValidationError when the period would end before it
    starts."""
    given = row["_given"]
    columns = period_columns(
        valid_from=row["valid_from_value"]
        if "valid_from" in given
        else date_value(claim.valid_from, claim.valid_from_precision),
        valid_to=row["valid_to_value"]
        if "valid_to" in given
        else date_value(claim.valid_to, claim.valid_to_precision),
    )
    if "claimed_on" not in given:
        columns.update(claimed_on=claim.claimed_on, claimed_on_precision=claim.claimed_on_precision)
    return columns


def row_place(rows: list[dict], code: str) -> str:
    return next(row["_place"] for row in rows if row.get("code") == code)


def _field_names(model, names: set[str]) -> set[str]:
    # bulk_update takes field names, and a foreign key's attname ("source_id") is not one.
    by_attname = {f.attname: f.name for f in model._meta.concrete_fields}
    return {by_attname.get(name, name) for name in names}
