"""The fast import: on PostgreSQL new claims and detected contradictions are written with COPY
(claims.copying) instead of model instances. What a user sees must not change: the same
history (who, when, "bundle import"), the same contradictions, nothing kept when a late row
fails, and a number of queries that does not grow with the claims."""

from __future__ import annotations

import copy
import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import claims.bundles.writing as writing
import claims.copying as copying
import claims.detection as detection
from claims.bundles import CHANGE_REASON, BundleInvalid, bundle_import, bundle_parse
from claims.bundles.schema import _ITEMS, _QUICK, DEFINITIONS
from claims.management.commands.synthetic_bundle import synthetic_bundle
from claims.models import Attribute, Claim, Contradiction, ContradictionClaim
from kb.models import Entity, EntityAlias
from sources.models import Publisher, Source

pytestmark = pytest.mark.django_db(transaction=False)

postgres_only = pytest.mark.postgres_only


def old_path(monkeypatch) -> None:
    """The import and detection as they were: model instances, bulk_create_with_history."""
    monkeypatch.setattr(writing, "copy_applies", lambda: False)
    monkeypatch.setattr(detection, "copy_applies", lambda: False)
    monkeypatch.setattr(detection, "overlapping", lambda: False)
    monkeypatch.setattr(copying, "copy_applies", lambda: False)


def claim_history() -> list[dict]:
    """Every claim history row, foreign keys as the keys they name, sorted by claim key."""
    names = {
        "subject_id": dict(Entity.objects.values_list("pk", "key")),
        "entity_value_id": dict(Entity.objects.values_list("pk", "key")),
        "attribute_id": dict(Attribute.objects.values_list("pk", "code")),
        "source_id": dict(Source.objects.values_list("pk", "key")),
    }
    rows = []
    for row in Claim.history.model.objects.values():
        for column, by_pk in names.items():
            row[column] = by_pk.get(row[column])
        for name in ("id", "history_id"):
            del row[name]
        rows.append(row)
    return sorted(rows, key=lambda row: (row["key"], row["history_type"]))


def contradictions() -> list[tuple]:
    """Every contradiction as what a reader sees: group, status, claims by position, and its
    history rows (who, why, what)."""
    members = {}
    for cid, key, position in ContradictionClaim.objects.values_list(
        "contradiction_id", "claim__key", "position"
    ):
        members.setdefault(cid, []).append((position, key))
    history = {}
    for row in Contradiction.history.model.objects.values(
        "id", "history_type", "history_change_reason", "history_user_id", "status", "origin"
    ):
        history.setdefault(row.pop("id"), []).append(tuple(sorted(row.items())))
    found = [
        (
            c.subject.key,
            c.attribute.code,
            c.origin,
            c.status,
            c.version,
            tuple(sorted(members[c.pk])),
            tuple(history[c.pk]),
        )
        for c in Contradiction.objects.select_related("subject", "attribute")
    ]
    return sorted(found)


def import_timed(bundle, user) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.now()
    bundle_import(bundle=bundle, user=user)
    return start, timezone.now()


def both_ways(bundle, user, monkeypatch, measure):
    """`measure()` after importing `bundle` the fast way, then the old way, each into the
    same empty database (the first rolled back)."""
    results = []
    for fast in (True, False):
        with monkeypatch.context() as patch:
            if not fast:
                old_path(patch)
            with transaction.atomic():
                window = import_timed(copy.deepcopy(bundle), user)
                results.append((measure(), window))
                transaction.set_rollback(True)
    return results


@postgres_only
def test_history_rows_are_those_of_the_old_path(analyst, monkeypatch):
    bundle = synthetic_bundle(claims=300)
    (fast, fast_window), (old, old_window) = both_ways(bundle, analyst, monkeypatch, claim_history)
    assert len(fast) == len(old) == 300

    def shown(rows, window):
        for row in rows:
            # When: within the import (each path stamps its own moment).
            for name in ("history_date", "created_at", "updated_at"):
                assert window[0] <= row.pop(name) <= window[1]
        return rows

    assert shown(fast, fast_window) == shown(old, old_window)
    assert {
        (r["history_user_id"], r["history_change_reason"], r["history_type"]) for r in fast
    } == {(analyst.pk, CHANGE_REASON, "+")}
    assert {r["created_by_id"] for r in fast} == {analyst.pk}


def head_rows() -> dict[str, list[dict]]:
    """The rows of the sections before the claims and their history rows, each row's ids
    and times left out and its references given as the keys (names) they point to."""
    key_of = {
        "publisher_id": dict(Publisher.objects.values_list("pk", "name")),
        "derived_from_id": dict(Source.objects.values_list("pk", "key")),
        "entity_id": dict(Entity.objects.values_list("pk", "key")),
    }
    left_out = {"id", "history_id", "history_date", "created_at", "updated_at", "fetched_at"}
    found = {}
    for model in (Publisher, Source, Entity, EntityAlias, Attribute):
        for table in (model, model.history.model):
            rows = []
            for row in table.objects.values():
                for column, keys in key_of.items():
                    if column in row:
                        row[column] = keys.get(row[column])
                rows.append({k: v for k, v in row.items() if k not in left_out})
            found[table.__name__] = sorted(rows, key=repr)
    return found


@postgres_only
def test_the_sections_before_the_claims_are_written_as_the_old_path_wrote_them(
    analyst, monkeypatch, demo_bundle
):
    bundle = synthetic_bundle(claims=300)
    for section in ("publishers", "sources", "entities", "attributes"):
        bundle[section] = demo_bundle.get(section, []) + bundle.get(section, [])
    (fast, _), (old, _) = both_ways(bundle, analyst, monkeypatch, head_rows)

    assert fast == old
    assert len(fast["HistoricalSource"]) == len(bundle["sources"])
    assert fast["HistoricalEntityAlias"]  # the demo's aliases, recorded
    assert {
        (row["history_user_id"], row["history_change_reason"], row["history_type"])
        for rows in fast.values()
        for row in rows
        if "history_type" in row
    } == {(analyst.pk, CHANGE_REASON, "+")}


@postgres_only
def test_new_sources_keep_their_times_and_history_moment(analyst):
    bundle_import(bundle=synthetic_bundle(claims=20), user=analyst)
    source = Source.objects.first()
    assert source.history.get().history_date == source.created_at


@postgres_only
def test_a_claims_history_time_is_when_it_was_created(analyst):
    bundle_import(bundle=synthetic_bundle(claims=20), user=analyst)
    claim = Claim.objects.first()
    assert claim.history.get().history_date == claim.created_at == claim.updated_at


@postgres_only
def test_detection_finds_what_the_old_path_found(analyst, monkeypatch):
    # 2,000 claims: hundreds of contradictions in one round trip, written with COPY.
    bundle = synthetic_bundle(claims=2000)
    copied = []
    monkeypatch.setattr(
        detection,
        "_create_copied",
        lambda *args, _real=detection._create_copied: copied.append(1) or _real(*args),
    )
    (fast, _), (old, _) = both_ways(bundle, analyst, monkeypatch, contradictions)
    assert copied, "the fast path was not taken"
    assert len(fast) > detection.COPY_FROM
    assert fast == old


def changed_both_ways(first, second, user, monkeypatch, measure):
    """`measure(report, window)` after importing `first` then `second` (which changes it),
    the fast way, then the old way, each rolled back; and the models rows_update was called
    for on the fast way. `window` is when the second import ran."""
    updated, results = [], []
    for fast in (True, False):
        with monkeypatch.context() as patch:
            if fast:
                patch.setattr(
                    copying,
                    "rows_update",
                    lambda *args, _real=copying.rows_update, **kwargs: (
                        updated.append(args[0]) or _real(*args, **kwargs)
                    ),
                )
            else:
                old_path(patch)
            with transaction.atomic():
                bundle_import(bundle=copy.deepcopy(first), user=user)
                start = timezone.now()
                report = bundle_import(bundle=copy.deepcopy(second), user=user)
                results.append(measure(report, (start, timezone.now())))
                transaction.set_rollback(True)
    return results, updated


@postgres_only
def test_detection_reading_each_chunk_ahead_finds_what_the_old_path_found(analyst, monkeypatch):
    """Inside the import, detection reads a chunk's rows before writing the chunk before. With
    chunks of 37 groups, an import that creates contradictions, then one that changes most
    values (updating, withdrawing and creating them), end as chunk by chunk in transactions."""
    monkeypatch.setattr(detection, "CHUNK", 37)
    read_ahead = []  # the old way patches overlapping() again, to False
    monkeypatch.setattr(
        detection,
        "overlapping",
        lambda _real=detection.overlapping: read_ahead.append(_real()) or _real(),
    )
    first, second = synthetic_bundle(claims=1500), synthetic_bundle(claims=1500, seed=2)
    results, _ = changed_both_ways(
        first, second, analyst, monkeypatch, lambda report, _: (report.detection, contradictions())
    )
    (fast_report, fast), (old_report, old) = results
    assert read_ahead == [True, True]  # each import's detection read ahead
    assert fast_report.updated and fast_report.withdrawn and fast_report.created
    assert (fast_report, fast) == (old_report, old)


@postgres_only
def test_updated_claims_and_their_history_are_those_of_the_old_path(analyst, monkeypatch):
    """A bundle that changes every claim's value: the claims are set with one UPDATE from
    copied values (rows_update), and each is recorded as bulk_update_with_history recorded it:
    the row as it now stands, "~", by the importing user, for the bundle import."""

    def measure(report, window):
        rows = claim_history()
        for row in rows:
            if row["history_type"] == "~":
                assert window[0] <= row["history_date"] <= window[1]
                assert row["updated_at"] >= window[0]
            for name in ("history_date", "created_at", "updated_at"):
                del row[name]
        return report.updated["claims"], rows

    first, second = synthetic_bundle(claims=300), synthetic_bundle(claims=300, seed=2)
    results, updated = changed_both_ways(first, second, analyst, monkeypatch, measure)
    assert updated == [Claim]
    (fast_count, fast), (old_count, old) = results
    assert fast_count == old_count > 250
    assert fast == old
    assert {
        (r["history_user_id"], r["history_change_reason"]) for r in fast if r["history_type"] == "~"
    } == {(analyst.pk, CHANGE_REASON)}


@postgres_only
def test_contradictions_detection_updates_are_those_of_the_old_path(analyst, monkeypatch):
    """Hundreds of contradictions changed by one re-import are set with rows_update and
    recorded as bulk_update_with_history recorded them (status, version, reason, user)."""
    first, second = synthetic_bundle(claims=2000), synthetic_bundle(claims=2000, seed=2)
    results, updated = changed_both_ways(
        first, second, analyst, monkeypatch, lambda report, _: (report.detection, contradictions())
    )
    assert Contradiction in updated
    (fast_report, fast), (old_report, old) = results
    assert fast_report.updated > detection.COPY_FROM
    assert (fast_report, fast) == (old_report, old)


def test_reimport_and_update_keep_history_as_before(analyst):
    """An unchanged claim writes nothing; a changed one is updated and recorded as before."""
    bundle = synthetic_bundle(claims=50)
    bundle_import(bundle=copy.deepcopy(bundle), user=analyst)
    report = bundle_import(bundle=copy.deepcopy(bundle), user=analyst)
    assert report.unchanged["claims"] == 50 and report.created["claims"] == 0
    bundle["claims"][7]["credibility"] = 1 + bundle["claims"][7]["credibility"] % 6
    report = bundle_import(bundle=bundle, user=analyst)
    assert (report.updated["claims"], report.unchanged["claims"]) == (1, 49)
    changed = Claim.history.model.objects.filter(key="syn-claim-7").order_by("history_id")
    assert [(h.history_type, h.history_change_reason, h.history_user_id) for h in changed] == [
        ("+", CHANGE_REASON, analyst.pk),
        ("~", CHANGE_REASON, analyst.pk),
    ]
    assert changed.last().credibility == bundle["claims"][7]["credibility"]


@postgres_only
def test_a_late_failing_row_leaves_nothing(analyst, monkeypatch):
    """COPY writes chunk by chunk; a row failing in the last chunk undoes the earlier ones."""
    monkeypatch.setattr(copying, "CHUNK", 50)
    real = writing.rows_create

    def with_a_bad_last_row(model, rows, **kwargs):
        rows = list(rows)
        rows[-1] = {**rows[-1], "credibility": 9}  # the database refuses it
        return real(model, rows, **kwargs)

    monkeypatch.setattr(writing, "rows_create", with_a_bad_last_row)
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        bundle_import(bundle=synthetic_bundle(claims=300), user=analyst)
    assert not Claim.objects.exists()
    assert not Claim.history.model.objects.exists()
    assert not Source.objects.exists() and not Entity.objects.exists()


def test_a_failure_after_the_claims_are_written_leaves_nothing(analyst, monkeypatch):
    def failing(**kwargs):
        raise BundleInvalid([])

    monkeypatch.setattr(writing, "groups_recheck", failing)
    with pytest.raises(BundleInvalid):
        bundle_import(bundle=synthetic_bundle(claims=300), user=analyst)
    assert not Claim.objects.exists()
    assert not Claim.history.model.objects.exists()
    assert not Contradiction.objects.exists()


@postgres_only
def test_queries_do_not_grow_with_the_claims(analyst):
    """Ten times the claims, about the same queries: they come in batches, not per claim.
    (PostgreSQL: on SQLite a bulk insert takes about 20 claims a statement, at most 999
    variables.)"""
    counts = []
    for claims in (200, 2000):
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            bundle_import(bundle=synthetic_bundle(claims=claims), user=analyst)
            transaction.set_rollback(True)
        counts.append(len(queries))
    # A dozen more at most: the larger import's contradictions are many enough to be
    # written with COPY (a fixed handful of statements), and its claims take one more batch.
    assert counts[1] - counts[0] <= 20, counts


def test_the_debug_query_log_keeps_no_import_queries(settings, analyst):
    settings.DEBUG = True
    connection.queries_log.clear()
    bundle_import(bundle=synthetic_bundle(claims=30), user=analyst)
    assert len(connection.queries_log) == 0
    assert Claim.objects.count() == 30


# The quick structure check (schema._QUICK) may doubt a good item but never pass a bad one.


def _variants(item: dict, definition: dict):
    """The item with each member wrong in every way the schema can say."""
    yield {**item, "unknown_member": 1}
    for name in definition.get("required", []):
        yield {k: v for k, v in item.items() if k != name}
    for name in definition["properties"]:
        for wrong in (None, 1, 1.5, True, "", " ", "x" * 2001, [], {}, ["x"], [1], "2024-13-45"):
            yield {**item, name: wrong}
        for wrong in (0, 7, -1, "1", {"amount": "x"}, {"text": ""}, {"boolean": 1}, {"bad": 1}):
            yield {**item, name: wrong}


@pytest.mark.parametrize("section", ["publishers", "sources", "entities", "attributes", "claims"])
def test_the_quick_check_never_passes_what_the_schema_refuses(section):
    bundle = bundle_parse(
        '{"format": "kb-bundle/1", '
        '"publishers": [{"name": "P", "url": "https://p.example", "notes": ""}], '
        '"sources": [{"key": "s", "title": "T", "kind": "news", "reliability": "A", '
        '"published_on": "2024-05"}], '
        '"entities": [{"key": "e", "kind": "base", "name": "E", "aliases": ["F"], '
        '"country": "PE", "wikidata": "Q1"}], '
        '"attributes": [{"code": "a", "label": "A", "value_type": "money", "tolerance": 0.1, '
        '"choices": null}], '
        '"claims": [{"key": "c", "subject": "e", "attribute": "a", "value": {"amount": "5", '
        '"currency": "USD"}, "source": "s", "quote": "q", "credibility": 3, "rank": "normal", '
        '"valid_from": "2020"}]}'
    )
    name = {"publishers": "publisher", "sources": "source", "entities": "entity"}.get(
        section, section[:-1]
    )
    item = bundle[section][0]
    quick, validator = _QUICK[name], _ITEMS[name]
    assert quick(item) and not list(validator.iter_errors(item))
    checked = 0
    for variant in _variants(item, DEFINITIONS[name]):
        if list(validator.iter_errors(variant)):
            assert not quick(variant), variant
            checked += 1
    assert checked > 20


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rows_update_outside_a_transaction_updates_and_records(analyst):
    """Called with the connection in autocommit, rows_update makes its own transaction (its
    temporary table would otherwise be dropped as soon as it is made)."""
    bundle_import(bundle=synthetic_bundle(claims=20), user=analyst)
    claims = list(Claim.objects.order_by("id"))
    for claim in claims:
        claim.credibility = 1 + claim.credibility % 6
    assert connection.get_autocommit()
    copying.rows_update(
        Claim, claims, ["credibility"], now=timezone.now(), history=(analyst, "by hand")
    )
    stored = dict(Claim.objects.values_list("pk", "credibility"))
    assert stored == {claim.pk: claim.credibility for claim in claims}
    recorded = Claim.history.model.objects.filter(history_change_reason="by hand")
    assert sorted(recorded.values_list("id", "credibility")) == sorted(stored.items())
