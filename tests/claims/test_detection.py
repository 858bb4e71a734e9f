"""Contradiction detection through the services: what editors find on their queue, and why."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.bundles import bundle_import
from claims.detection import REOPENED, WITHDRAWN_MERGED, WITHDRAWN_NO_CONFLICT, WITHDRAWN_TOO_FEW
from claims.models import Claim, Contradiction, ContradictionClaim, Rank
from claims.selectors import contradiction_queue
from claims.services import (
    FLAG_ALL_AGREE,
    FLAG_SAME_TARGET,
    FOUR_EYES,
    NOTE_REQUIRED,
    StaleDecision,
    attribute_create,
    claim_create,
    claim_delete,
    claim_update,
    contradiction_flag,
    contradiction_resolve,
    value_parse,
)
from claims.values import parse_date
from tests.factories import EntityFactory, SourceFactory

pytestmark = pytest.mark.django_db


# Helpers: claims written the way an analyst writes them, and what the editors see.


@pytest.fixture
def subject():
    return EntityFactory(name="Callao Naval Base")


@pytest.fixture
def source():
    return SourceFactory(title="White House fact sheet")


@pytest.fixture
def analyst(django_user_model):
    return django_user_model.objects.create_user("analyst", password="pw")


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user("editor", password="pw")


@pytest.fixture
def fms_value():
    return attribute_create(code="fms_case_value", label="FMS case value", value_type="money")


def attribute(code: str, value_type: str = "count", **options):
    return attribute_create(
        code=code, label=code.replace("_", " "), value_type=value_type, **options
    )


def claim(
    key: str,
    value,
    *,
    attribute,
    subject,
    source=None,
    user=None,
    valid_from: str | None = None,
    valid_to: str | None = None,
    claimed_on: str | None = None,
    rank: str = Rank.NORMAL,
) -> Claim:
    """A claim; numbers and dates are given as the source words them ("nearly 180")."""
    if isinstance(value, str) and attribute.value_type != "text":
        value = value_parse(attribute=attribute, text=value)
    return claim_create(
        key=key,
        subject=subject,
        attribute=attribute,
        source=source or SourceFactory(),
        value=value,
        quote=f"the source says so ({key})",
        credibility=2,
        valid_from=parse_date(valid_from) if valid_from else None,
        valid_to=parse_date(valid_to) if valid_to else None,
        claimed_on=parse_date(claimed_on) if claimed_on else None,
        rank=rank,
        user=user,
    )


def current() -> list[Contradiction]:
    """The contradictions still detected (not withdrawn), oldest first."""
    return list(Contradiction.objects.filter(withdrawn_at__isnull=True).order_by("id"))


def positions(contradiction: Contradiction) -> list[list[str]]:
    """The keys of the claims in each position, position 0 first."""
    rows = ContradictionClaim.objects.filter(contradiction=contradiction).values_list(
        "position", "claim__key"
    )
    by_position: dict[int, list[str]] = {}
    for position, key in rows.order_by("position", "claim__key"):
        by_position.setdefault(position, []).append(key)
    # A gap in the numbering would show as None.
    return [by_position.get(index) for index in range(max(by_position, default=-1) + 1)]


def rank(key: str) -> str:
    return Claim.objects.get(key=key).rank


def reload(contradiction: Contradiction) -> Contradiction:
    return Contradiction.objects.get(pk=contradiction.pk)


def callao(subject, attribute, source, user=None) -> Contradiction:
    """The Callao case: $180 million against $1.5 billion, one contradiction."""
    claim("wh-180m", "$180 million", attribute=attribute, subject=subject, source=source, user=user)
    claim("dt-1-5bn", "$1.5 billion", attribute=attribute, subject=subject, user=user)
    (contradiction,) = current()
    return contradiction


# SPEC section 3, rule by rule.


def test_the_callao_amounts_make_one_open_contradiction_with_the_lower_value_first(
    subject, source, fms_value
):
    contradiction = callao(subject, fms_value, source)

    assert contradiction.origin == Contradiction.Origin.AUTOMATIC
    assert contradiction.status == Contradiction.Status.OPEN
    assert (contradiction.subject, contradiction.attribute) == (subject, fms_value)
    assert positions(contradiction) == [["wh-180m"], ["dt-1-5bn"]]
    assert list(contradiction_queue()) == [contradiction]


def test_a_single_claim_is_no_contradiction(subject, fms_value):
    claim("wh-180m", "$180 million", attribute=fms_value, subject=subject)
    assert current() == []


def test_amounts_that_agree_make_no_contradiction(subject, fms_value):
    claim("wh-180m", "$180 million", attribute=fms_value, subject=subject)
    claim("news-175m", "about $175 million", attribute=fms_value, subject=subject)
    assert current() == []


def test_claims_about_different_subjects_never_conflict(fms_value):
    claim("wh-180m", "$180 million", attribute=fms_value, subject=EntityFactory())
    claim("dt-1-5bn", "$1.5 billion", attribute=fms_value, subject=EntityFactory())
    assert current() == []


def test_claims_of_different_attributes_never_conflict(subject, fms_value):
    budget = attribute("annual_budget", "money")
    claim("wh-180m", "$180 million", attribute=fms_value, subject=subject)
    claim("dt-1-5bn", "$1.5 billion", attribute=budget, subject=subject)
    assert current() == []


def test_about_15_and_20_conflict_with_the_default_approximation(subject):
    troops = attribute("troops", approx_tolerance="0.10")
    claim("a", "about 15", attribute=troops, subject=subject)
    claim("b", "20", attribute=troops, subject=subject)
    (contradiction,) = current()
    assert positions(contradiction) == [["a"], ["b"]]


def test_about_15_and_20_agree_when_about_reaches_half_the_amount(subject):
    troops = attribute("troops", approx_tolerance="0.5")
    claim("a", "about 15", attribute=troops, subject=subject)
    claim("b", "20", attribute=troops, subject=subject)
    assert current() == []


def test_the_attribute_tolerance_makes_close_amounts_agree(subject):
    lenient = attribute("budget", "money", tolerance="0.05")
    claim("a", "$100 million", attribute=lenient, subject=subject)
    claim("b", "$105 million", attribute=lenient, subject=subject)
    assert current() == []


def test_without_tolerance_close_amounts_conflict(subject):
    strict = attribute("budget", "money")
    claim("a", "$100 million", attribute=strict, subject=subject)
    claim("b", "$105 million", attribute=strict, subject=subject)
    assert len(current()) == 1


def test_amounts_whose_widened_intervals_touch_agree(subject):
    # With tolerance 0.2, $100 is [$80, $120] and $150 is [$120, $180]: closed, so they meet.
    lenient = attribute("budget", "money", tolerance="0.2")
    claim("a", "$100", attribute=lenient, subject=subject)
    claim("b", "$150", attribute=lenient, subject=subject)
    assert current() == []


def test_an_amount_at_the_edge_of_about_agrees_and_one_cent_beyond_conflicts(subject):
    budget = attribute("budget", "money")
    claim("about-100", "about $100", attribute=budget, subject=subject)
    claim("exactly-110", "$110", attribute=budget, subject=subject)
    assert current() == []
    claim("beyond", "$110.01", attribute=budget, subject=subject)
    (contradiction,) = current()
    assert positions(contradiction) == [["about-100", "exactly-110"], ["beyond"]]


def test_more_than_conflicts_with_a_lower_amount(subject, fms_value):
    claim("more-than-350m", "more than $350 million", attribute=fms_value, subject=subject)
    claim("exactly-300m", "$300 million", attribute=fms_value, subject=subject)
    (contradiction,) = current()
    assert positions(contradiction) == [["exactly-300m"], ["more-than-350m"]]


def test_up_to_and_a_range_agree_where_they_overlap(subject):
    helicopters = attribute("helicopters")
    claim("up-to-20", "up to 20", attribute=helicopters, subject=subject)
    claim("range", "between 15 and 25", attribute=helicopters, subject=subject)
    claim("twenty", "20", attribute=helicopters, subject=subject)
    assert current() == []


def test_amounts_in_different_currencies_are_not_compared(subject, fms_value):
    claim("dollars", "$180 million", attribute=fms_value, subject=subject)
    claim("soles", "S/ 1.5 billion", attribute=fms_value, subject=subject)
    assert current() == []


# SQLite hands decimals back through a float: 15 significant digits (README, Values).
@pytest.mark.postgres_only
def test_amounts_of_a_trillion_that_differ_by_a_cent_conflict(subject, fms_value):
    # Sixteen significant digits: more than a floating-point column keeps.
    claim("a", "$10,000,000,000,000.01", attribute=fms_value, subject=subject)
    claim("b", "$10,000,000,000,000.02", attribute=fms_value, subject=subject)
    (contradiction,) = current()
    assert positions(contradiction) == [["a"], ["b"]]


def test_a_year_and_a_month_inside_it_agree(subject):
    opened = attribute("opened_on", "date")
    claim("year", "2024", attribute=opened, subject=subject)
    claim("month", "May 2024", attribute=opened, subject=subject)
    assert current() == []


def test_a_year_and_a_day_in_another_year_conflict(subject):
    opened = attribute("opened_on", "date")
    claim("day", "May 19, 2023", attribute=opened, subject=subject)
    claim("year", "2019", attribute=opened, subject=subject)
    (contradiction,) = current()
    assert positions(contradiction) == [["year"], ["day"]]


def test_claims_naming_different_entities_conflict(subject):
    located_in = attribute("located_in", "entity")
    lima, callao_city = EntityFactory(name="Lima"), EntityFactory(name="Callao")
    claim("in-lima", lima, attribute=located_in, subject=subject)
    claim("in-callao", callao_city, attribute=located_in, subject=subject)
    claim("also-lima", lima, attribute=located_in, subject=subject)
    (contradiction,) = current()
    assert positions(contradiction) == [["also-lima", "in-lima"], ["in-callao"]]


def test_claims_naming_the_same_entity_agree(subject):
    located_in = attribute("located_in", "entity")
    lima = EntityFactory(name="Lima")
    claim("a", lima, attribute=located_in, subject=subject)
    claim("b", lima, attribute=located_in, subject=subject)
    assert current() == []


def test_yes_and_no_conflict_with_no_first(subject):
    operational = attribute("operational", "boolean")
    claim("yes", True, attribute=operational, subject=subject)
    claim("no", False, attribute=operational, subject=subject)
    (contradiction,) = current()
    assert positions(contradiction) == [["no"], ["yes"]]


def test_different_choices_of_a_closed_text_attribute_conflict(subject):
    status = attribute("status", "text", choices=["active", "closed"])
    claim("active", "active", attribute=status, subject=subject)
    claim("closed", "closed", attribute=status, subject=subject)
    assert len(current()) == 1


def test_free_text_never_conflicts_automatically(subject):
    role = attribute("role", "text")
    claim("a", "naval base", attribute=role, subject=subject)
    claim("b", "airfield used by the US Navy", attribute=role, subject=subject)
    assert current() == []


def test_multi_valued_attributes_are_never_checked(subject):
    partners = attribute("partner_count", single_valued=False)
    claim("a", "9", attribute=partners, subject=subject)
    claim("b", "40", attribute=partners, subject=subject)
    assert current() == []


def test_deprecated_claims_still_count(subject, fms_value):
    claim("wh-180m", "$180 million", attribute=fms_value, subject=subject)
    claim("old", "$1.5 billion", attribute=fms_value, subject=subject, rank=Rank.DEPRECATED)
    (contradiction,) = current()
    assert positions(contradiction) == [["wh-180m"], ["old"]]


# Time-varying attributes.


@pytest.fixture
def personnel():
    return attribute("us_personnel", time_varying=True)


def test_time_varying_claims_valid_in_separate_periods_do_not_conflict(subject, personnel):
    claim("early", "40", attribute=personnel, subject=subject, valid_from="2020", valid_to="2021")
    claim("late", "9", attribute=personnel, subject=subject, valid_from="2023", valid_to="2023")
    assert current() == []


def test_time_varying_claims_valid_in_overlapping_periods_conflict(subject, personnel):
    claim("early", "40", attribute=personnel, subject=subject, valid_from="2020", valid_to="2023")
    claim("late", "9", attribute=personnel, subject=subject, valid_from="2023-06")
    (contradiction,) = current()
    assert positions(contradiction) == [["late"], ["early"]]


def test_time_varying_claims_without_valid_period_are_compared_on_their_claimed_dates(
    subject, personnel
):
    claim("said-2020", "40", attribute=personnel, subject=subject, claimed_on="2020-05")
    claim("said-2023", "9", attribute=personnel, subject=subject, claimed_on="2023-05-19")
    assert current() == []
    claim("valid-2023", "12", attribute=personnel, subject=subject, valid_from="2023")
    (contradiction,) = current()
    assert positions(contradiction) == [["said-2023"], ["valid-2023"]]


def test_a_time_varying_claim_with_no_date_at_all_overlaps_everything(subject, personnel):
    undated_source = SourceFactory(published_on=None)
    claim("early", "40", attribute=personnel, subject=subject, valid_from="2001", valid_to="2001")
    claim("late", "9", attribute=personnel, subject=subject, valid_from="2023", valid_to="2023")
    claim("undated", "100", attribute=personnel, subject=subject, source=undated_source)
    (contradiction,) = current()
    assert positions(contradiction) == [["early", "late"], ["undated"]]


def test_claims_of_an_attribute_that_is_not_time_varying_conflict_whatever_their_dates(subject):
    helicopters = attribute("helicopters")
    claim("early", "40", attribute=helicopters, subject=subject, valid_from="2020", valid_to="2021")
    claim("late", "9", attribute=helicopters, subject=subject, valid_from="2023", valid_to="2023")
    assert len(current()) == 1


# Claims that change: withdrawn, revived, extended, merged.


def test_editing_a_claim_so_that_it_agrees_withdraws_the_contradiction(subject, source, fms_value):
    contradiction = callao(subject, fms_value, source)

    claim_update(
        claim=Claim.objects.get(key="dt-1-5bn"),
        value=value_parse(attribute=fms_value, text="$180 million"),
    )

    contradiction = reload(contradiction)
    assert contradiction.withdrawn_at is not None
    assert contradiction.withdrawn_reason == WITHDRAWN_NO_CONFLICT
    assert list(contradiction_queue()) == []


def test_editing_the_claim_back_revives_the_same_contradiction(subject, source, fms_value):
    contradiction = callao(subject, fms_value, source)
    edited = Claim.objects.get(key="dt-1-5bn")
    claim_update(claim=edited, value=value_parse(attribute=fms_value, text="$180 million"))

    claim_update(claim=edited, value=value_parse(attribute=fms_value, text="$1.5 billion"))

    assert current() == [contradiction]
    assert reload(contradiction).withdrawn_reason == ""
    assert positions(contradiction) == [["wh-180m"], ["dt-1-5bn"]]
    assert list(contradiction_queue()) == [contradiction]


def test_deleting_a_claim_withdraws_its_contradiction(subject, source, fms_value):
    contradiction = callao(subject, fms_value, source)

    claim_delete(claim=Claim.objects.get(key="dt-1-5bn"))

    assert current() == []
    assert reload(contradiction).withdrawn_reason == WITHDRAWN_NO_CONFLICT
    assert list(contradiction_queue()) == []


def test_moving_a_claim_to_another_subject_withdraws_the_contradiction_it_left(
    subject, source, fms_value
):
    contradiction = callao(subject, fms_value, source)

    claim_update(claim=Claim.objects.get(key="dt-1-5bn"), subject=EntityFactory())

    assert reload(contradiction).withdrawn_at is not None
    assert current() == []


def test_a_third_claim_joins_the_same_contradiction(subject, source, fms_value):
    contradiction = callao(subject, fms_value, source)

    claim("gob-2bn", "$2 billion", attribute=fms_value, subject=subject)

    assert current() == [contradiction]
    assert positions(contradiction) == [["wh-180m"], ["dt-1-5bn"], ["gob-2bn"]]


def test_a_claim_agreeing_with_one_side_joins_that_position(subject, source, fms_value):
    contradiction = callao(subject, fms_value, source)

    claim("news-about-180m", "about $180 million", attribute=fms_value, subject=subject)

    assert current() == [contradiction]
    assert positions(contradiction) == [["news-about-180m", "wh-180m"], ["dt-1-5bn"]]


def merged_pair(subject, personnel) -> tuple[Contradiction, Contradiction]:
    """Two contradictions of one time-varying attribute, 2010 and 2020, then a claim valid
    2010-2020 that conflicts with all four claims."""
    for year in ("2010", "2020"):
        for value in ("9", "40"):
            claim(
                f"{value}-in-{year}",
                value,
                attribute=personnel,
                subject=subject,
                valid_from=year,
                valid_to=year,
            )
    first, second = Contradiction.objects.filter(attribute=personnel).order_by("id")
    claim(
        "100-all-decade",
        "100",
        attribute=personnel,
        subject=subject,
        valid_from="2010",
        valid_to="2020",
    )
    return first, second


def test_a_claim_that_links_two_contradictions_merges_them_into_one(subject, personnel):
    first, second = merged_pair(subject, personnel)

    (survivor,) = current()
    assert survivor in (first, second)
    assert positions(survivor) == [
        ["9-in-2010", "9-in-2020"],
        ["40-in-2010", "40-in-2020"],
        ["100-all-decade"],
    ]


def test_the_contradiction_merged_away_says_which_one_it_was_merged_into(subject, personnel):
    first, second = merged_pair(subject, personnel)

    (survivor,) = current()
    (merged,) = {first, second} - {survivor}
    assert reload(merged).withdrawn_reason == WITHDRAWN_MERGED.format(id=survivor.pk)


def test_deleting_the_linking_claim_splits_the_merged_contradiction_back_into_two(
    subject, personnel
):
    first, second = merged_pair(subject, personnel)

    claim_delete(claim=Claim.objects.get(key="100-all-decade"))

    assert current() == [first, second]
    assert positions(first) == [["9-in-2010"], ["40-in-2010"]]
    assert positions(second) == [["9-in-2020"], ["40-in-2020"]]


# Editors' decisions.


def test_one_is_wrong_makes_the_chosen_position_preferred_and_the_others_deprecated(
    subject, source, fms_value, editor
):
    contradiction = callao(subject, fms_value, source)

    resolved = contradiction_resolve(
        contradiction=contradiction,
        outcome="one_is_wrong",
        note="The fact sheet is the primary source.",
        user=editor,
        version=contradiction.version,
        position=0,
    )

    assert resolved.status == Contradiction.Status.RESOLVED
    assert (resolved.resolved_by, resolved.note) == (
        editor,
        "The fact sheet is the primary source.",
    )
    assert (rank("wh-180m"), rank("dt-1-5bn")) == (Rank.PREFERRED, Rank.DEPRECATED)
    assert list(contradiction_queue()) == []


def test_superseded_makes_the_chosen_position_preferred_and_leaves_the_others_normal(
    subject, source, fms_value, editor
):
    contradiction = callao(subject, fms_value, source)

    contradiction_resolve(
        contradiction=contradiction,
        outcome="superseded",
        note="The case was amended.",
        user=editor,
        version=contradiction.version,
        position=1,
    )

    assert (rank("wh-180m"), rank("dt-1-5bn")) == (Rank.NORMAL, Rank.PREFERRED)


def resolve_for_180m(contradiction, editor) -> Contradiction:
    return contradiction_resolve(
        contradiction=contradiction,
        outcome="one_is_wrong",
        note="The fact sheet is the primary source.",
        user=editor,
        version=contradiction.version,
        position=0,
    )


def test_a_new_claim_conflicting_with_the_preferred_position_reopens_the_contradiction(
    subject, source, fms_value, editor
):
    contradiction = resolve_for_180m(callao(subject, fms_value, source), editor)

    claim("gob-2bn", "$2 billion", attribute=fms_value, subject=subject)

    reopened = reload(contradiction)
    assert reopened.status == Contradiction.Status.OPEN
    assert (reopened.outcome, reopened.resolved_at) == ("", None)
    assert '"gob-2bn"' in reopened.reopen_reason
    assert reopened.reopened_at is not None
    assert reopened.version > contradiction.version
    assert list(contradiction_queue()) == [reopened]


def test_the_reopen_reason_names_the_new_claim_its_value_source_and_the_preferred_value(
    subject, source, fms_value, editor
):
    contradiction = resolve_for_180m(callao(subject, fms_value, source), editor)
    new_source = SourceFactory(title="Gobierno del Perú")

    claim("gob-2bn", "$2 billion", attribute=fms_value, subject=subject, source=new_source)

    assert reload(contradiction).reopen_reason == REOPENED.format(
        key="gob-2bn", value="$2 billion", source="Gobierno del Perú", preferred="$180 million"
    )


def test_a_new_claim_agreeing_with_the_preferred_position_does_not_reopen(
    subject, source, fms_value, editor
):
    contradiction = resolve_for_180m(callao(subject, fms_value, source), editor)

    claim("news-about-180m", "about $180 million", attribute=fms_value, subject=subject)

    still = reload(contradiction)
    assert still.status == Contradiction.Status.RESOLVED
    assert still.reopen_reason == ""
    assert positions(still) == [["news-about-180m", "wh-180m"], ["dt-1-5bn"]]


def test_a_new_claim_ranked_preferred_that_conflicts_with_the_preferred_position_reopens(
    subject, source, fms_value, editor
):
    # SPEC 3: "A new claim that conflicts with the preferred position of a resolved
    # contradiction reopens it" -- whatever rank the new claim was given.
    contradiction = resolve_for_180m(callao(subject, fms_value, source), editor)

    claim("gob-2bn", "$2 billion", attribute=fms_value, subject=subject, rank=Rank.PREFERRED)

    assert reload(contradiction).status == Contradiction.Status.OPEN


def test_editing_a_deprecated_claim_to_conflict_again_reopens(subject, source, fms_value, editor):
    contradiction = resolve_for_180m(callao(subject, fms_value, source), editor)

    claim_update(
        claim=Claim.objects.get(key="dt-1-5bn"),
        value=value_parse(attribute=fms_value, text="$1.6 billion"),
    )

    assert reload(contradiction).status == Contradiction.Status.OPEN


def test_a_decision_on_a_stale_version_is_refused_and_changes_nothing(
    subject, source, fms_value, editor, django_user_model
):
    loaded = callao(subject, fms_value, source)
    first_editor = django_user_model.objects.create_user("first-editor")
    resolve_for_180m(loaded, first_editor)

    with pytest.raises(StaleDecision):
        contradiction_resolve(
            contradiction=loaded,
            outcome="one_is_wrong",
            note="The analysis is more recent.",
            user=editor,
            version=loaded.version,
            position=1,
        )

    after = reload(loaded)
    assert (after.resolved_by, after.note) == (
        first_editor,
        "The fact sheet is the primary source.",
    )
    assert (rank("wh-180m"), rank("dt-1-5bn")) == (Rank.PREFERRED, Rank.DEPRECATED)


def test_a_decision_on_positions_that_changed_since_the_editor_read_them_is_refused(
    subject, source, fms_value, editor
):
    # The editor reads positions [$180 million] [$1.5 billion] and means $180 million; a new
    # $100 million claim then takes position 0. Deciding on the old version must not make
    # $100 million preferred.
    loaded = callao(subject, fms_value, source)
    claim("low-100m", "$100 million", attribute=fms_value, subject=subject)

    with pytest.raises(StaleDecision):
        resolve_for_180m(loaded, editor)

    assert rank("low-100m") == Rank.NORMAL


def test_four_eyes_refuses_an_editor_deciding_for_claims_only_they_created(
    subject, source, fms_value, editor, settings
):
    settings.KB_FOUR_EYES = True
    contradiction = callao(subject, fms_value, source, user=editor)

    with pytest.raises(ValidationError) as refused:
        resolve_for_180m(contradiction, editor)

    assert refused.value.message_dict == {"position": [FOUR_EYES]}
    assert reload(contradiction).status == Contradiction.Status.OPEN
    assert rank("wh-180m") == Rank.NORMAL


def test_four_eyes_lets_an_editor_decide_for_claims_someone_else_created(
    subject, source, fms_value, editor, analyst, settings
):
    settings.KB_FOUR_EYES = True
    contradiction = callao(subject, fms_value, source, user=analyst)

    assert resolve_for_180m(contradiction, editor).status == Contradiction.Status.RESOLVED


def test_without_four_eyes_an_editor_may_decide_for_their_own_claims(
    subject, source, fms_value, editor, settings
):
    settings.KB_FOUR_EYES = False
    contradiction = callao(subject, fms_value, source, user=editor)

    assert resolve_for_180m(contradiction, editor).status == Contradiction.Status.RESOLVED
    assert rank("wh-180m") == Rank.PREFERRED


def test_a_decision_without_a_note_is_refused(subject, source, fms_value, editor):
    contradiction = callao(subject, fms_value, source)

    with pytest.raises(ValidationError) as refused:
        contradiction_resolve(
            contradiction=contradiction,
            outcome="sources_disagree",
            note="   ",
            user=editor,
            version=contradiction.version,
        )

    assert refused.value.message_dict == {"note": [NOTE_REQUIRED]}
    assert reload(contradiction).status == Contradiction.Status.OPEN


def test_false_positive_dismisses_the_contradiction_and_keeps_the_ranks(
    subject, source, fms_value, editor
):
    contradiction = callao(subject, fms_value, source)

    dismissed = contradiction_resolve(
        contradiction=contradiction,
        outcome="false_positive",
        note="Two different cases.",
        user=editor,
        version=contradiction.version,
    )

    assert dismissed.status == Contradiction.Status.DISMISSED
    assert (rank("wh-180m"), rank("dt-1-5bn")) == (Rank.NORMAL, Rank.NORMAL)
    assert list(contradiction_queue()) == []


def test_sources_disagree_stays_resolved_when_another_claim_joins(
    subject, source, fms_value, editor
):
    contradiction = callao(subject, fms_value, source)
    contradiction_resolve(
        contradiction=contradiction,
        outcome="sources_disagree",
        note="Unsettled.",
        user=editor,
        version=contradiction.version,
    )

    claim("gob-2bn", "$2 billion", attribute=fms_value, subject=subject)

    assert reload(contradiction).status == Contradiction.Status.RESOLVED
    assert positions(contradiction) == [["wh-180m"], ["dt-1-5bn"], ["gob-2bn"]]


def test_a_withdrawn_contradiction_cannot_be_decided(subject, source, fms_value, editor):
    contradiction = callao(subject, fms_value, source)
    claim_delete(claim=Claim.objects.get(key="dt-1-5bn"))

    with pytest.raises(ValidationError):
        resolve_for_180m(reload(contradiction), editor)


# Hand flags.


@pytest.fixture
def role_claims(subject):
    role = attribute("role", "text")
    return [
        claim("a-naval-base", "naval base", attribute=role, subject=subject),
        claim("b-airfield", "airfield", attribute=role, subject=subject),
        claim("c-naval-base", "naval base", attribute=role, subject=subject),
    ]


def test_an_analyst_can_flag_free_text_claims_by_hand(role_claims, analyst):
    flag = contradiction_flag(claims=role_claims, note="A base is not an airfield.", user=analyst)

    assert flag.origin == Contradiction.Origin.MANUAL
    assert flag.status == Contradiction.Status.OPEN
    assert positions(flag) == [["b-airfield"], ["a-naval-base", "c-naval-base"]]
    assert list(contradiction_queue()) == [flag]


def test_a_flag_is_one_flagged_by_hand_in_its_history_with_its_key(role_claims, analyst):
    flag = contradiction_flag(claims=role_claims, note="A base is not an airfield.", user=analyst)

    flag.refresh_from_db()
    assert flag.key == f"flag-{flag.pk}"
    history = list(flag.history.all())
    assert [(h.history_change_reason, h.key, h.history_user) for h in history] == [
        ("flagged by hand", flag.key, analyst)
    ]


def test_a_flag_of_claims_about_different_subjects_is_refused(role_claims, analyst):
    elsewhere = claim(
        "elsewhere", "airfield", attribute=role_claims[0].attribute, subject=EntityFactory()
    )

    with pytest.raises(ValidationError) as refused:
        contradiction_flag(claims=[role_claims[0], elsewhere], note="Differ.", user=analyst)

    assert refused.value.messages == [FLAG_SAME_TARGET]
    assert current() == []


def test_a_flag_of_claims_that_all_give_the_same_value_is_refused(role_claims, analyst):
    naval_bases = [role_claims[0], role_claims[2]]  # "naval base" both

    with pytest.raises(ValidationError) as refused:
        contradiction_flag(claims=naval_bases, note="Differ?", user=analyst)

    assert refused.value.messages == [FLAG_ALL_AGREE]
    assert current() == []
    assert not Contradiction.history.exists()


def test_a_bundle_keeps_a_flag_whose_claims_have_come_to_agree(role_claims, analyst):
    """An export writes the flags as they stand; its import takes them back as they were."""
    flag = contradiction_flag(
        claims=role_claims[:2], note="A base is not an airfield.", user=analyst
    )
    claim_update(claim=role_claims[1], value="naval base", user=analyst)
    flag_row = {"key": reload(flag).key, "claims": ["a-naval-base", "b-airfield"], "note": "Same?"}
    Contradiction.objects.all().delete()

    report = bundle_import(bundle={"format": "kb-bundle/1", "flags": [flag_row]})

    assert report.created["flags"] == 1
    again = Contradiction.objects.get(key=flag_row["key"])
    assert positions(again) == [["a-naval-base", "b-airfield"]]


def test_a_flag_is_withdrawn_when_a_deletion_leaves_one_claim(role_claims, analyst):
    flag = contradiction_flag(claims=role_claims[:2], note="Differ.", user=analyst)

    claim_delete(claim=role_claims[1])

    flag = reload(flag)
    assert flag.withdrawn_at is not None
    assert flag.withdrawn_reason == WITHDRAWN_TOO_FEW
    assert list(contradiction_queue()) == []


def test_a_flag_keeps_its_other_claims_when_one_of_three_is_deleted(role_claims, analyst):
    flag = contradiction_flag(claims=role_claims, note="Differ.", user=analyst)

    claim_delete(claim=role_claims[0])

    assert current() == [flag]
    assert positions(flag) == [["b-airfield"], ["c-naval-base"]]


def test_a_flag_survives_detection_of_its_subject_and_attribute(role_claims, analyst, subject):
    flag = contradiction_flag(claims=role_claims[:2], note="Differ.", user=analyst)

    claim("d-port", "port", attribute=role_claims[0].attribute, subject=subject)

    assert current() == [flag]
    assert positions(flag) == [["b-airfield"], ["a-naval-base"]]


# The full recheck, imports, and the cost of detection.


def snapshot() -> list[tuple]:
    """Everything an editor sees of every contradiction, withdrawn ones included."""
    return [
        (
            c.pk,
            c.origin,
            c.status,
            c.outcome,
            c.version,
            c.withdrawn_at,
            c.withdrawn_reason,
            c.reopen_reason,
            tuple(map(tuple, positions(c))),
        )
        for c in Contradiction.objects.order_by("id")
    ] + [(c.key, c.rank) for c in Claim.objects.order_by("key")]


def test_the_full_recheck_after_all_kinds_of_changes_changes_nothing(
    subject, source, fms_value, personnel, editor, analyst
):
    resolve_for_180m(callao(subject, fms_value, source), editor)
    claim("gob-2bn", "$2 billion", attribute=fms_value, subject=subject)  # reopens
    merged_pair(subject, personnel)
    other = EntityFactory()
    claim("x", "$1", attribute=fms_value, subject=other)
    withdrawn_by_delete = claim("y", "$2", attribute=fms_value, subject=other)
    claim_delete(claim=withdrawn_by_delete)
    role = attribute("role", "text")
    flagged = [claim(k, k, attribute=role, subject=subject) for k in ("port", "base")]
    contradiction_flag(claims=flagged, note="Differ.", user=analyst)
    before = snapshot()
    out = io.StringIO()

    call_command("recheck_contradictions", stdout=out)

    assert snapshot() == before
    assert "0 contradictions detected, 0 updated, 0 withdrawn, 0 reopened" in out.getvalue()


def test_importing_a_bundle_detects_its_contradictions():
    bundle = {
        "format": "kb-bundle/1",
        "sources": [
            {
                "key": "wh-2024-11-fact-sheet",
                "title": "Fact sheet",
                "published_on": "2024-11",
                "kind": "official",
                "reliability": "B",
            },
            {
                "key": "dt-2026-01",
                "title": "Analysis",
                "published_on": "2026-01",
                "kind": "analysis",
            },
        ],
        "entities": [{"key": "callao-naval-base", "kind": "base", "name": "Callao Naval Base"}],
        "attributes": [
            {"code": "fms_case_value", "label": "FMS case value", "value_type": "money"}
        ],
        "claims": [
            {
                "key": "wh-callao-180m",
                "subject": "callao-naval-base",
                "attribute": "fms_case_value",
                "value": {"amount": "180000000", "currency": "USD", "qualifier": "exact"},
                "source": "wh-2024-11-fact-sheet",
                "quote": "a $180 million foreign military sales case",
                "credibility": 2,
            },
            {
                "key": "dt-callao-1-5bn",
                "subject": "Callao Naval Base",
                "attribute": "fms_case_value",
                "value": "$1.5 billion",
                "source": "dt-2026-01",
                "quote": "a $1.5 billion package",
                "credibility": 3,
            },
        ],
    }

    bundle_import(bundle=bundle)

    (contradiction,) = current()
    assert contradiction.subject.key == "callao-naval-base"
    assert positions(contradiction) == [["wh-callao-180m"], ["dt-callao-1-5bn"]]

    bundle_import(bundle=bundle)
    assert current() == [contradiction]


def test_detecting_on_one_subject_costs_the_same_however_many_other_subjects_there_are(
    fms_value,
):
    def queries_to_add_a_conflicting_claim() -> int:
        subject = EntityFactory()
        claim(f"{subject.key}-a", "$1", attribute=fms_value, subject=subject)
        source = SourceFactory()
        with CaptureQueriesContext(connection) as queries:
            claim(f"{subject.key}-b", "$2", attribute=fms_value, subject=subject, source=source)
        return len(queries)

    alone = queries_to_add_a_conflicting_claim()
    for _ in range(20):
        queries_to_add_a_conflicting_claim()

    assert queries_to_add_a_conflicting_claim() == alone
