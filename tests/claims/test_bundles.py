"""Import and export of kb-bundle/1: all or nothing, idempotent, every error with its place."""

from __future__ import annotations

import copy
import io
import json

import pytest
from django.core.management import CommandError, call_command
from simple_history.utils import get_history_model_for_model

from claims.bundles import BundleInvalid, bundle_export, bundle_import
from claims.models import Attribute, Claim, Contradiction
from kb.models import Entity, EntityAlias
from sources.models import Publisher, Source

pytestmark = pytest.mark.django_db(transaction=False)


def small_bundle() -> dict:
    return {
        "format": "kb-bundle/1",
        "sources": [
            {
                "key": "wh-2024-11-fact-sheet",
                "title": "Fact sheet",
                "url": "https://example.org/fact-sheet",
                "publisher": "The White House",
                "author": None,
                "published_on": "2024-11",
                "kind": "official",
                "reliability": "B",
                "language": "en",
                "text": "The US approved a $180 million foreign military sales case.",
                "notes": "",
            },
            {
                "key": "dt-2026-01",
                "title": "Analysis",
                "url": None,
                "publisher": "Defence Talks",
                "published_on": "2026-01-15",
                "kind": "analysis",
                "reliability": "C",
            },
        ],
        "entities": [
            {
                "key": "callao-naval-base",
                "kind": "base",
                "name": "Callao Naval Base",
                "aliases": ["Base Naval del Callao"],
                "description": "",
                "country": "PE",
                "wikidata": None,
            },
            {"key": "iquitos", "kind": "place", "name": "Iquitos", "aliases": []},
        ],
        "attributes": [
            {
                "code": "fms_case_value",
                "label": "FMS case value",
                "value_type": "money",
                "single_valued": True,
                "time_varying": False,
                "tolerance": 0,
                "approx_tolerance": 0.1,
                "unit": None,
                "choices": None,
            },
            {"code": "located_in", "label": "Located in", "value_type": "entity"},
            {"code": "approved_on", "label": "Approved on", "value_type": "date"},
        ],
        "claims": [
            {
                "key": "wh-callao-180m",
                "subject": "callao-naval-base",
                "attribute": "fms_case_value",
                "value": {"amount": "180000000", "currency": "USD", "qualifier": "exact"},
                "valid_from": "2024",
                "valid_to": None,
                "claimed_on": "2024-11",
                "source": "wh-2024-11-fact-sheet",
                "quote": "a $180 million foreign military sales case",
                "credibility": 2,
                "notes": "",
            },
            {
                "key": "dt-callao-1-5bn",
                "subject": "base naval del callao",
                "attribute": "fms_case_value",
                "value": "more than $1.5 billion",
                "claimed_on": None,
                "source": "dt-2026-01",
                "quote": "a potential $1.5 billion sale",
                "credibility": 3,
            },
            {
                "key": "dt-callao-where",
                "subject": "Callao Naval Base",
                "attribute": "located_in",
                "value": {"entity": "IQUITOS"},
                "source": "dt-2026-01",
                "quote": "in Iquitos",
                "credibility": 6,
            },
            {
                "key": "dt-approved",
                "subject": "callao-naval-base",
                "attribute": "approved_on",
                "value": "January 15, 2026",
                "source": "dt-2026-01",
                "quote": "approved on January 15",
                "credibility": 3,
            },
        ],
    }


def database_state() -> dict:
    """Everything a user could see, for comparing before and after a refused import."""
    return {
        "export": bundle_export(),
        "publishers": sorted(Publisher.objects.values_list("name", flat=True)),
        "history": {
            model.__name__: get_history_model_for_model(model).objects.count()
            for model in (Source, Entity, EntityAlias, Attribute, Claim)
        },
    }


def test_it_imports_a_bundle_with_typed_values_and_resolved_references():
    report = bundle_import(bundle=small_bundle())

    assert report.created["claims"] == 4
    wh = Claim.objects.get(key="wh-callao-180m")
    assert (wh.amount, wh.currency, wh.qualifier) == (180000000, "USD", "exact")
    assert (wh.low, wh.high) == (180000000, 180000000)
    dt = Claim.objects.get(key="dt-callao-1-5bn")
    assert dt.subject.key == "callao-naval-base"  # an alias, case-insensitively
    assert (dt.qualifier, dt.low, dt.high) == ("at_least", 1500000000, None)
    assert dt.value_as_written == "more than $1.5 billion"
    # claimed_on defaults to the source's published date, with its precision.
    assert (str(dt.claimed_on), dt.claimed_on_precision) == ("2026-01-15", "day")
    assert Claim.objects.get(key="dt-callao-where").entity_value.key == "iquitos"
    approved = Claim.objects.get(key="dt-approved")
    assert (str(approved.date_low), str(approved.date_high)) == ("2026-01-15", "2026-01-15")
    source = Source.objects.get(key="wh-2024-11-fact-sheet")
    assert source.publisher.name == "The White House"
    assert len(source.text_sha256) == 64


def test_importing_the_same_bundle_twice_changes_nothing():
    bundle_import(bundle=small_bundle())
    before = database_state()

    report = bundle_import(bundle=small_bundle())

    assert sum(report.created.values()) == sum(report.updated.values()) == 0
    assert report.unchanged["claims"] == 4
    assert database_state() == before


def test_a_changed_bundle_updates_by_key_and_records_the_change():
    bundle_import(bundle=small_bundle())
    changed = small_bundle()
    changed["claims"][0]["value"] = "$190 million"
    changed["entities"][0]["aliases"] = ["Base Naval del Callao", "Callao base"]

    report = bundle_import(bundle=changed)

    assert report.updated["claims"] == 1 and report.updated["entities"] == 1
    claim = Claim.objects.get(key="wh-callao-180m")
    assert claim.amount == 190000000
    assert claim.history.count() == 2
    assert claim.history.first().history_change_reason == "bundle import"
    assert sorted(EntityAlias.objects.values_list("name", flat=True)) == [
        "Base Naval del Callao",
        "Callao base",
    ]


def test_bulk_imported_rows_have_history_with_who_and_when(django_user_model):
    user = django_user_model.objects.create_user("importer")

    bundle_import(bundle=small_bundle(), user=user)

    for model in (Source, Entity, EntityAlias, Attribute, Claim):
        history = get_history_model_for_model(model).objects.all()
        assert history.count() == model.objects.count() > 0
        assert {h.history_user_id for h in history} == {user.pk}
        assert all(h.history_date is not None for h in history)


def test_export_then_import_into_an_empty_database_gives_the_same_bundle_back(
    django_db_blocker,
):
    bundle_import(bundle=small_bundle())
    exported = bundle_export()
    for model in (Contradiction, Claim, Attribute, EntityAlias, Entity, Source, Publisher):
        model.objects.all().delete()
    assert Claim.objects.count() == 0

    bundle_import(bundle=json.loads(json.dumps(exported)))

    assert bundle_export() == exported


def test_the_demo_bundle_imports_twice_without_change_and_round_trips(demo_bundle):
    first = bundle_import(bundle=demo_bundle)
    assert first.created["claims"] == len(demo_bundle["claims"]) > 0
    exported = bundle_export()

    again = bundle_import(bundle=demo_bundle)
    assert sum(again.created.values()) == sum(again.updated.values()) == 0
    assert bundle_export() == exported

    for model in (Contradiction, Claim, Attribute, EntityAlias, Entity, Source, Publisher):
        model.objects.all().delete()
    bundle_import(bundle=exported)
    assert bundle_export() == exported


BAD_CASES = [
    (
        lambda b: b["claims"][0]["value"].update(currency="USDX"),
        'claims[0].value.currency: unknown currency "USDX"',
    ),
    (lambda b: b["claims"][1].update(value="$5 billion USDX"), "claims[1].value: "),
    (
        lambda b: b["claims"][2].update(subject="nowhere-base"),
        'claims[2].subject: unknown entity "nowhere-base"',
    ),
    (lambda b: b["claims"][3].update(value="February 30, 2026"), "claims[3].value: "),
    (lambda b: b["sources"][1].update(published_on="2026-13-01"), "sources[1].published_on: "),
    (
        lambda b: b["claims"][0].update(source="no-such-source"),
        'claims[0].source: unknown source "no-such-source"',
    ),
    (
        lambda b: b["sources"][0].update(reliability="G"),
        'sources[0].reliability: unknown reliability grade "G"',
    ),
    (lambda b: b["claims"][0].update(credibility=7), "claims[0].credibility: credibility must be"),
    (
        lambda b: b["claims"][0].update(key="bad key!"),
        "claims[0].key: \"bad key!\" is not a key (letters, digits, '-', '_' and '.' only)",
    ),
    (
        lambda b: b["claims"][1].update(key="wh-callao-180m"),
        'claims[1].key: the key "wh-callao-180m" is used twice',
    ),
    (
        lambda b: b["entities"][1].update(kind="planet"),
        'entities[1].kind: unknown kind "planet": use one of base, agreement',
    ),
    (lambda b: b.update(format="kb-bundle/2"), 'format: expected "kb-bundle/1"'),
    (
        lambda b: b.update(publishers=[{"name": "The White House", "default_reliability": "G"}]),
        'publishers[0].default_reliability: unknown reliability grade "G"',
    ),
    (lambda b: b["claims"][0].update(quote=""), "claims[0].quote: must not be empty"),
    (
        lambda b: b["claims"][0]["value"].update(qualifier="range", max="1"),
        "claims[0].value.max: the max of a range must not be below its amount",
    ),
]


@pytest.mark.parametrize(("spoil", "expected"), BAD_CASES)
def test_a_bad_bundle_is_refused_with_the_place_of_the_error_and_nothing_written(spoil, expected):
    bundle_import(bundle=small_bundle())
    before = database_state()
    bad = small_bundle()
    bad["claims"][0]["value"] = dict(bad["claims"][0]["value"])
    bad["claims"].append(copy.deepcopy(bad["claims"][0]) | {"key": "new-claim"})
    spoil(bad)

    with pytest.raises(BundleInvalid) as error:
        bundle_import(bundle=bad)

    messages = [str(problem) for problem in error.value.problems]
    assert any(message.startswith(expected) for message in messages), messages
    assert database_state() == before


def test_a_name_that_fits_two_entities_is_an_error():
    bundle = small_bundle()
    bundle["entities"][1]["aliases"] = ["Callao Naval Base"]

    with pytest.raises(BundleInvalid) as error:
        bundle_import(bundle=bundle)

    assert 'claims[2].subject: "Callao Naval Base" names more than one entity' in str(
        error.value.problems[0]
    )


def test_references_resolve_against_the_database_so_a_bundle_may_carry_only_new_claims():
    bundle_import(bundle=small_bundle())
    claim = small_bundle()["claims"][0] | {"key": "later-claim", "subject": "base naval del callao"}

    report = bundle_import(bundle={"format": "kb-bundle/1", "claims": [claim]})

    assert report.created["claims"] == 1
    assert Claim.objects.get(key="later-claim").subject.key == "callao-naval-base"


def test_every_error_is_reported_not_only_the_first():
    bad = small_bundle()
    bad["claims"][0]["value"]["currency"] = "USDX"
    bad["claims"][2]["subject"] = "atlantis"
    bad["sources"][0]["reliability"] = "Z"

    with pytest.raises(BundleInvalid) as error:
        bundle_import(bundle=bad)

    assert len(error.value.problems) == 3


def test_dry_run_checks_and_counts_but_writes_nothing():
    report = bundle_import(bundle=small_bundle(), dry_run=True)

    assert report.created["claims"] == 4
    assert Claim.objects.count() == Source.objects.count() == Publisher.objects.count() == 0


def write(tmp_path, bundle) -> str:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return str(path)


def test_the_import_command_prints_each_error_and_exits_non_zero(tmp_path):
    bad = small_bundle()
    bad["claims"][0]["value"]["currency"] = "USDX"
    bad["claims"][2]["subject"] = "atlantis"
    stderr = io.StringIO()

    with pytest.raises(CommandError, match="2 error"):
        call_command("import_bundle", write(tmp_path, bad), stderr=stderr)

    assert 'claims[0].value.currency: unknown currency "USDX"' in stderr.getvalue()
    assert 'claims[2].subject: unknown entity "atlantis"' in stderr.getvalue()
    assert Claim.objects.count() == 0


def test_the_import_command_reports_bad_json_with_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "kb-bundle/1",\n "claims": [}', encoding="utf-8")
    stderr = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_bundle", str(path), stderr=stderr)

    assert "line 2, column" in stderr.getvalue()


def test_the_import_command_reads_standard_input(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(small_bundle())))
    stdout = io.StringIO()

    call_command("import_bundle", "-", stdout=stdout)

    assert "claims: 4 created" in stdout.getvalue()


def test_the_import_command_dry_run_writes_nothing(tmp_path):
    stdout = io.StringIO()

    call_command("import_bundle", write(tmp_path, small_bundle()), "--dry-run", stdout=stdout)

    assert "dry run" in stdout.getvalue()
    assert Claim.objects.count() == 0


def test_the_export_command_writes_the_bundle_to_standard_output_or_a_file(tmp_path):
    bundle_import(bundle=small_bundle())
    stdout = io.StringIO()

    call_command("export_bundle", stdout=stdout)
    call_command("export_bundle", str(tmp_path / "out.json"), stderr=io.StringIO())

    exported = json.loads(stdout.getvalue())
    assert exported["format"] == "kb-bundle/1"
    assert [c["key"] for c in exported["claims"]] == sorted(
        c["key"] for c in small_bundle()["claims"]
    )
    assert json.loads((tmp_path / "out.json").read_text()) == exported


def test_a_missing_file_is_a_clear_command_error():
    with pytest.raises(CommandError, match="no-such.json: no such file"):
        call_command("import_bundle", "no-such.json")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_large_import_shows_a_progress_bar_on_a_terminal(tmp_path, monkeypatch):
    from claims.management.commands.synthetic_bundle import synthetic_bundle

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)

    call_command(
        "import_bundle", write(tmp_path, synthetic_bundle(claims=2500)), stdout=io.StringIO()
    )

    shown = terminal.getvalue()
    assert "reading claims" in shown and "writing claims" in shown
    assert "2500/2500" in shown
    assert Claim.objects.count() == 2500


def test_no_progress_bar_is_drawn_when_standard_error_is_not_a_terminal(tmp_path, monkeypatch):
    from claims.management.commands.synthetic_bundle import synthetic_bundle

    captured = io.StringIO()
    monkeypatch.setattr("sys.stderr", captured)

    call_command(
        "import_bundle", write(tmp_path, synthetic_bundle(claims=2500)), stdout=io.StringIO()
    )

    assert captured.getvalue() == ""


def test_a_source_that_inherits_its_grade_still_inherits_it_after_export_and_import():
    bundle = small_bundle()
    bundle["publishers"] = [{"name": "Defence Talks", "default_reliability": "B"}]
    bundle["sources"][1]["reliability"] = None  # dt-2026-01, published by Defence Talks
    bundle_import(bundle=bundle)
    exported = bundle_export()
    for model in (Contradiction, Claim, Attribute, EntityAlias, Entity, Source, Publisher):
        model.objects.all().delete()

    bundle_import(bundle=json.loads(json.dumps(exported)))

    source = Source.objects.get(key="dt-2026-01")
    assert (source.reliability, source.grade) == ("", "B")
    assert [s["reliability"] for s in exported["sources"]] == [None, "B"]
    assert exported["publishers"][0] == {
        "name": "Defence Talks",
        "url": None,
        "default_reliability": "B",
        "notes": "",
    }
    # A later change to the publisher's default still reaches the source.
    bundle_import(
        bundle={**exported, "publishers": [{"name": "Defence Talks", "default_reliability": "A"}]}
    )
    assert Source.objects.get(key="dt-2026-01").grade == "A"
    assert Publisher.history.filter(name="Defence Talks").first().history_change_reason == (
        "bundle import"
    )
