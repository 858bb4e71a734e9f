"""The analysts' and editors' daily paths through the admin, each named for what they see.

Every form is submitted as the browser submits it (WebTest), by an ordinary account with the
role that uses it.
"""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from claims.models import Claim, Contradiction, ContradictionStatus, EntityMerge, Rank
from claims.services import contradiction_resolve, entity_merge
from kb.models import Entity
from sources.models import Source
from tests.adminforms import add_inline_form, fill
from tests.factories import AttributeFactory, EntityFactory, SourceFactory

pytestmark = pytest.mark.django_db

TEXT = "LIMA - The United States will fund a $180 million naval port at Callao."


@pytest.fixture
def ana(django_user_model):
    user = django_user_model.objects.create_user("ana", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Analyst"))
    return user


@pytest.fixture
def eddie(django_user_model):
    user = django_user_model.objects.create_user("eddie", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Editor"))
    return user


@pytest.fixture
def world(db):
    return {
        "source": SourceFactory(key="callao-report", text=TEXT),
        "subject": EntityFactory(key="callao-port", name="Callao Naval Port"),
        "attribute": AttributeFactory(code="port_cost", label="Port cost", value_type="money"),
    }


def claim_form(app, user, world, **values):
    form = app.get(reverse("admin:claims_claim_add"), user=user).forms["claim_form"]
    fill(form, {
        "key": "port-cost", "subject": world["subject"], "attribute": world["attribute"],
        "source": world["source"], "value_text": "$180 million",
        "quote": "a $180 million naval port", "credibility": "2", **values,
    })  # fmt: skip
    return form


def field_errors(page, name: str) -> str:
    """The error list the admin shows under one field."""
    errors = page.html.select(f".field-{name} .errorlist")
    return " ".join(error.get_text(" ", strip=True) for error in errors)


# Sources


def test_an_analyst_saves_a_demo_source_with_its_claims_unchanged(django_app, ana, demo):
    source = Source.objects.filter(claims__isnull=False).order_by("id").first()
    claims_before = list(source.claims.order_by("id").values())
    versions = source.history.count()

    page = django_app.get(reverse("admin:sources_source_change", args=[source.pk]), user=ana)
    response = page.forms["source_form"].submit("_continue")

    assert response.status_code == 302, response.text[:3000]
    assert response.follow(user=ana).status_code == 200
    assert list(source.claims.order_by("id").values()) == claims_before
    assert source.history.count() == versions


def test_an_analyst_adds_a_claim_under_a_source_and_the_change_is_listed(django_app, ana, world):
    url = reverse("admin:sources_source_change", args=[world["source"].pk])
    form = django_app.get(url, user=ana).forms["source_form"]
    add_inline_form(form, "claims", {
        "key": "inline-claim", "subject": world["subject"], "attribute": world["attribute"],
        "value_text": "$180 million", "quote": "$180 million naval port", "credibility": "3",
    })  # fmt: skip

    response = form.submit("_save")

    assert response.status_code == 302, response.text[:3000]
    claim = Claim.objects.get(key="inline-claim")
    assert claim.created_by == ana and claim.history.get().history_user == ana
    # The admin's own log says what the save did (building that message once failed).
    entry = LogEntry.objects.filter(object_id=str(world["source"].pk)).latest("action_time")
    assert "Added claim" in entry.get_change_message() and entry.user == ana


def test_a_source_grade_outside_a_to_f_is_refused_on_its_field(django_app, ana):
    form = django_app.get(reverse("admin:sources_source_add"), user=ana).forms["source_form"]
    fill(form, {"title": "Graded", "key": "graded", "kind": "news", "reliability": "G"})

    page = form.submit("_save")

    assert page.status_code == 200
    assert "Select a valid choice" in field_errors(page, "reliability")
    assert not Source.objects.filter(key="graded").exists()


def test_a_duplicate_source_key_is_refused_on_its_field(django_app, ana, world):
    form = django_app.get(reverse("admin:sources_source_add"), user=ana).forms["source_form"]
    fill(form, {"title": "Again", "key": "callao-report", "kind": "news"})

    page = form.submit("_save")

    assert page.status_code == 200
    assert "Source with this Key already exists." in page.text
    assert Source.objects.filter(key="callao-report").count() == 1


def test_an_impossible_published_date_is_refused_on_its_field(django_app, ana):
    form = django_app.get(reverse("admin:sources_source_add"), user=ana).forms["source_form"]
    fill(form, {"title": "Dated", "key": "dated", "kind": "news", "published_on": "2024-02-30"})

    page = form.submit("_save")

    assert page.status_code == 200
    assert "Enter a valid date." in page.text
    assert not Source.objects.filter(key="dated").exists()


def test_analysts_see_the_rank_of_claims_under_a_source_read_only(django_app, ana, eddie, demo):
    source = Source.objects.filter(claims__isnull=False).order_by("id").first()
    url = reverse("admin:sources_source_change", args=[source.pk])

    as_analyst = django_app.get(url, user=ana).forms["source_form"]
    as_editor = django_app.get(url, user=eddie).forms["source_form"]

    assert "claims-0-rank" not in as_analyst.fields
    assert "claims-0-rank" in as_editor.fields


def test_an_analyst_cannot_set_a_rank_by_posting_it_under_a_source(django_app, ana, demo):
    source = Source.objects.filter(claims__isnull=False).order_by("id").first()
    claim = source.claims.order_by("id").first()
    form = django_app.get(reverse("admin:sources_source_change", args=[source.pk]), user=ana).forms[
        "source_form"
    ]
    index = next(n for n in range(50) if form.get(f"claims-{n}-id").value == str(claim.pk))

    django_app.post(
        form.action,
        dict(form.submit_fields(), **{f"claims-{index}-rank": "preferred"}),
        user=ana,
    )

    claim.refresh_from_db()
    assert claim.rank == Rank.NORMAL


# Claims


def test_a_quote_not_in_the_source_text_is_an_error_under_the_quote_field(django_app, ana, world):
    form = claim_form(django_app, ana, world, quote="a $250 million naval port")

    page = form.submit("_save")

    assert page.status_code == 200
    error = field_errors(page, "quote")
    assert "does not occur in the source's stored text" in error
    # What the analyst typed is still there.
    assert page.forms["claim_form"]["quote"].value == "a $250 million naval port"
    assert page.forms["claim_form"]["value_text"].value == "$180 million"
    assert not Claim.objects.exists()


def test_save_and_continue_editing_a_new_claim_opens_its_change_page(django_app, ana, world):
    response = claim_form(django_app, ana, world).submit("_continue")

    claim = Claim.objects.get(key="port-cost")
    assert response.location == reverse("admin:claims_claim_change", args=[claim.pk])
    page = response.follow(user=ana)
    assert "doesn’t exist" not in page.text and "port-cost" in page.text


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"value_text": "lots of money"}, "value_text", "could not read"),
        ({"valid_from_text": "February 30, 2024"}, "valid_from_text", ""),
        ({"valid_from_text": "2025", "valid_to_text": "2023"}, "valid_to_text", "ends before"),
        ({"credibility": "9"}, "credibility", "less than or equal to 6"),
    ],
)
def test_bad_claim_input_is_an_error_on_its_field_and_nothing_is_stored(
    django_app, ana, world, values, field, message
):
    form = claim_form(django_app, ana, world, **values)

    page = form.submit("_save")

    assert page.status_code == 200
    error = field_errors(page, field)
    assert error and message in error
    assert not Claim.objects.exists()


def test_a_duplicate_claim_key_is_refused_on_its_field(django_app, ana, world):
    claim_form(django_app, ana, world).submit("_save")

    page = claim_form(django_app, ana, world).submit("_save")

    assert page.status_code == 200
    assert "Claim with this Key already exists." in field_errors(page, "key")
    assert Claim.objects.count() == 1


# History and revert


@pytest.fixture
def decided(demo, eddie):
    """The Callao contradiction, resolved by an editor: one position preferred."""
    contradiction = Contradiction.objects.get(attribute__code="fms_case_value")
    contradiction_resolve(
        contradiction=contradiction, outcome="one_is_wrong", position=0,
        note="The fact sheet is the primary source.", user=eddie,
        version=contradiction.version,
    )  # fmt: skip
    contradiction.refresh_from_db()
    return contradiction


@pytest.mark.parametrize("role", ["ana", "eddie"])
def test_no_one_reverts_a_decided_contradiction_from_its_history(
    django_app, decided, role, request
):
    user = request.getfixturevalue(role)
    first = decided.history.order_by("history_date").first()
    url = reverse("admin:claims_contradiction_history", args=[decided.pk]) + f"{first.history_id}/"

    page = django_app.get(url, user=user)
    refused = django_app.post(
        url, {"status": "open", "version": "1", "_save": "Revert"}, user=user, expect_errors=True
    )

    assert 'name="_save"' not in page.text
    assert refused.status_code == 403
    decided.refresh_from_db()
    assert decided.status == ContradictionStatus.RESOLVED and decided.version == 2


def test_an_analyst_reverting_a_claim_keeps_the_rank_an_editor_set(django_app, ana, decided):
    claim = Claim.objects.filter(memberships__contradiction=decided, rank=Rank.DEPRECATED).first()
    first = claim.history.order_by("history_date").first()
    url = reverse("admin:claims_claim_history", args=[claim.pk]) + f"{first.history_id}/"

    form = django_app.get(url, user=ana).forms["historicalclaim_form"]
    response = form.submit("_save")

    assert response.status_code == 302, response.text[:3000]
    claim.refresh_from_db()
    assert claim.rank == Rank.DEPRECATED


def test_an_analyst_reverts_a_claims_value_through_the_services(django_app, ana, world):
    claim_form(django_app, ana, world).submit("_save")
    claim = Claim.objects.get(key="port-cost")
    first = claim.history.get()
    change = django_app.get(reverse("admin:claims_claim_change", args=[claim.pk]), user=ana)
    form = change.forms["claim_form"]
    form["value_text"] = "$1.5 billion"
    form["quote"] = "naval port"
    form.submit("_save")
    claim.refresh_from_db()
    assert claim.low == 1_500_000_000

    url = reverse("admin:claims_claim_history", args=[claim.pk]) + f"{first.history_id}/"
    response = django_app.get(url, user=ana).forms["historicalclaim_form"].submit("_save")

    assert response.status_code == 302, response.text[:3000]
    claim.refresh_from_db()
    assert (claim.low, claim.quote) == (180_000_000, "a $180 million naval port")
    assert claim.quote_start is not None
    latest = claim.history.order_by("-history_date").first()
    assert latest.history_user == ana


def test_a_staff_reader_who_may_only_view_claims_cannot_revert_one(
    django_app, django_user_model, ana, world
):
    claim_form(django_app, ana, world).submit("_save")
    claim = Claim.objects.get(key="port-cost")
    reader = django_user_model.objects.create_user("reader", password="pw", is_staff=True)
    viewers = Group.objects.create(name="Viewers")
    viewers.permissions.add(Permission.objects.get(codename="view_claim"))
    reader.groups.add(viewers)
    version = claim.history.get().history_id
    url = reverse("admin:claims_claim_history", args=[claim.pk]) + f"{version}/"

    page = django_app.get(url, user=reader)
    refused = django_app.post(url, {"quote": "naval port"}, user=reader, expect_errors=True)

    assert 'name="_save"' not in page.text
    assert refused.status_code == 403
    claim.refresh_from_db()
    assert claim.quote == "a $180 million naval port"


# Merges


@pytest.mark.parametrize("role", ["ana", "eddie"])
def test_analysts_and_editors_undo_a_merge(django_app, request, role):
    user = request.getfixturevalue(role)
    keep = EntityFactory(name="NAMRU-SOUTH")
    duplicate = EntityFactory(name="Namru South")
    merge = entity_merge(duplicate=duplicate, into=keep, user=user)
    page = django_app.get(reverse("admin:claims_entitymerge_changelist"), user=user)
    form = page.forms["changelist-form"]
    form["action"] = "undo_merges"
    form.get("_selected_action", index=0).checked = True

    response = form.submit("index", index=0)

    assert response.status_code == 302, response.text[:2000]
    merge.refresh_from_db()
    assert merge.undone_by == user
    assert Entity.objects.get(pk=duplicate.pk).merged_into is None
    assert not EntityMerge.objects.filter(undone_at__isnull=True).exists()


def test_an_analyst_merges_duplicates_from_the_entity_list(django_app, ana):
    keep = EntityFactory(name="NAMRU-SOUTH")
    duplicate = EntityFactory(name="Namru South")
    page = django_app.get(reverse("admin:kb_entity_changelist"), user=ana)
    form = page.forms["changelist-form"]
    form["action"] = "merge_entities"
    for checkbox in form.fields["_selected_action"]:
        checkbox.checked = True
    confirm = form.submit("index", index=0)
    confirm_form = next(f for f in confirm.forms.values() if "keep" in f.fields)
    confirm_form["keep"] = str(keep.pk)

    response = confirm_form.submit()

    assert response.status_code == 302, response.text[:2000]
    assert Entity.objects.get(pk=duplicate.pk).merged_into_id == keep.pk
