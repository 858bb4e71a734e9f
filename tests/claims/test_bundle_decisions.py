"""Re-importing a bundle keeps editors' decisions: ranks they set stay, and the output says so."""

from __future__ import annotations

import copy
import io
import json

import pytest
from django.conf import settings
from django.core.management import call_command

from claims.bundles import (
    ALREADY_HOLDS_DATA,
    CHANGE_REASON,
    bundle_import,
    claim_ranks_set_by_decisions,
)
from claims.models import Claim, Contradiction, Rank
from claims.services import contradiction_resolve

pytestmark = pytest.mark.django_db

DEMO = str(settings.KB_DEMO_BUNDLE)
CALLAO = ("wh-callao-fms-180m", "dt-callao-fms-1-5bn")  # $180 million against $1.5 billion


def callao_contradiction() -> Contradiction:
    return Contradiction.objects.get(attribute__code="fms_case_value", withdrawn_at__isnull=True)


def resolve(contradiction: Contradiction, editor, outcome: str = "one_is_wrong") -> Contradiction:
    wh_position = contradiction.memberships.get(claim__key=CALLAO[0]).position
    return contradiction_resolve(
        contradiction=contradiction,
        outcome=outcome,
        note="The White House fact sheet is the primary source.",
        user=editor,
        version=contradiction.version,
        position=wh_position,
    )


def ranks() -> tuple[str, str]:
    return tuple(Claim.objects.get(key=key).rank for key in CALLAO)


@pytest.fixture
def decided(demo_bundle, editor) -> Contradiction:
    """The demo, and the Callao contradiction resolved: the White House is right."""
    bundle_import(bundle=demo_bundle)
    return resolve(callao_contradiction(), editor)


def test_importing_the_demo_again_keeps_the_ranks_an_editor_decided_and_says_so(
    decided, demo_bundle, tmp_path
):
    assert ranks() == (Rank.PREFERRED, Rank.DEPRECATED)
    # The demo as an export taken before the decision writes it: every rank said.
    written = copy.deepcopy(demo_bundle)
    for entry in written["claims"]:
        entry["rank"] = "normal"
    path = tmp_path / "before-the-decision.json"
    path.write_text(json.dumps(written), encoding="utf-8")
    out = io.StringIO()

    call_command("import_bundle", str(path), stdout=out)

    assert ranks() == (Rank.PREFERRED, Rank.DEPRECATED)
    after = Contradiction.objects.get(pk=decided.pk)
    assert (after.status, after.outcome, after.version) == (
        Contradiction.Status.RESOLVED,
        "one_is_wrong",
        decided.version,
    )
    printed = out.getvalue()
    assert (
        f'{path}: claims[0].rank: kept "preferred" (the bundle says "normal"), '
        f"set by the decision on contradiction #{decided.pk}"
    ) in printed
    assert (
        f'{path}: claims[1].rank: kept "deprecated" (the bundle says "normal"), '
        f"set by the decision on contradiction #{decided.pk}"
    ) in printed
    assert "ranks: 2 kept as editors decided" in printed


def test_a_kept_rank_writes_nothing_and_the_decision_stays_in_the_history(decided, demo_bundle):
    claim = Claim.objects.get(key=CALLAO[1])
    claim_history = claim.history.count()
    contradiction_history = decided.history.count()

    report = bundle_import(bundle=demo_bundle)

    assert sum(report.updated.values()) == 0
    assert claim.history.count() == claim_history
    assert decided.history.count() == contradiction_history
    latest = claim.history.first()
    assert latest.rank == Rank.DEPRECATED
    assert latest.history_change_reason == f"contradiction #{decided.pk}: one_is_wrong"


def test_a_changed_bundle_updates_a_decided_claim_but_not_its_rank(decided, demo_bundle):
    changed = copy.deepcopy(demo_bundle)
    changed["claims"][0]["notes"] = "Checked again in 2026."
    changed["claims"][0]["rank"] = "deprecated"

    report = bundle_import(bundle=changed)

    claim = Claim.objects.get(key=CALLAO[0])
    assert (claim.notes, claim.rank) == ("Checked again in 2026.", Rank.PREFERRED)
    assert claim.history.first().history_change_reason == CHANGE_REASON
    # The second claim's entry says no rank: it keeps its own, and nothing is to be said.
    assert [str(kept) for kept in report.kept] == [
        f'claims[0].rank: kept "preferred" (the bundle says "deprecated"), '
        f"set by the decision on contradiction #{decided.pk}",
    ]
    assert Contradiction.objects.get(pk=decided.pk).status == Contradiction.Status.RESOLVED


def test_superseded_ranks_are_kept_too_but_a_bundle_that_agrees_is_not_reported(
    demo_bundle, editor
):
    bundle_import(bundle=demo_bundle)
    resolve(callao_contradiction(), editor, outcome="superseded")
    agreeing = copy.deepcopy(demo_bundle)
    agreeing["claims"][0]["rank"] = "preferred"

    report = bundle_import(bundle=agreeing)

    assert ranks() == (Rank.PREFERRED, Rank.NORMAL)
    assert report.kept == []


def test_decisions_that_set_no_rank_leave_the_bundles_ranks_to_the_import(demo_bundle, editor):
    bundle_import(bundle=demo_bundle)
    contradiction = callao_contradiction()
    contradiction_resolve(
        contradiction=contradiction,
        outcome="sources_disagree",
        note="Two cases, perhaps.",
        user=editor,
        version=contradiction.version,
    )
    ranked = copy.deepcopy(demo_bundle)
    ranked["claims"][0]["rank"] = "preferred"

    report = bundle_import(bundle=ranked)

    assert claim_ranks_set_by_decisions() == {}
    assert report.kept == []
    assert ranks() == (Rank.PREFERRED, Rank.NORMAL)


def test_import_if_empty_loads_the_demo_into_an_empty_database():
    out = io.StringIO()

    call_command("import_bundle", DEMO, "--if-empty", stdout=out)

    assert Claim.objects.count() > 0
    assert "claims: " in out.getvalue()


def test_import_if_empty_leaves_a_database_that_holds_data_as_it_is(decided):
    claims, history = Claim.objects.count(), Claim.history.count()
    out = io.StringIO()

    call_command("import_bundle", DEMO, "--if-empty", stdout=out)

    assert out.getvalue().strip() == ALREADY_HOLDS_DATA.format(what=DEMO)
    assert (Claim.objects.count(), Claim.history.count()) == (claims, history)
    assert ranks() == (Rank.PREFERRED, Rank.DEPRECATED)
