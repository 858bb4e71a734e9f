"""Every admin form, submitted as the browser submits it, by the role that writes it.

Each model in the admin has a row below. For each writable one, the writer (an ordinary
account with the role, never a superuser unless the model is the administrators' own) opens the
add page, fills it from factories, and presses "Save", "Save and continue editing" and "Save
and add another" in turn (WebTest posts the page's own fields: CSRF token, inline management
forms, hidden inputs); the redirect, the stored row and its history entry are checked. A change
form posted back unchanged changes nothing. Those who may not write it are refused. A model
added to the admin without a row here fails the first test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.forms.models import model_to_dict
from django.urls import reverse
from rest_framework.authtoken.models import Token, TokenProxy

from claims.models import Attribute, Claim, Contradiction, EntityMerge
from kb.models import KIND_PROXIES, Entity, EntityRelation
from sources.models import Publisher, Source
from tests.adminforms import add_inline_form, fill
from tests.factories import AttributeFactory, EntityFactory, PublisherFactory, SourceFactory

pytestmark = pytest.mark.django_db

TEXT = (
    "LIMA - The United States will fund a $180 million naval port at Callao. "
    "Peru will receive a dozen Black Hawk helicopters by 2026."
)
# Names unlike each other and unlike the world's entities, so no look-alike warning stops them.
NAMES = ["Chiclayo", "Yurimaguas", "Quillabamba"]
BUTTONS = ["_save", "_continue", "_addanother"]


@pytest.fixture
def world(db):
    """What the forms refer to: a publisher, a source with text, entities, an attribute."""
    source = SourceFactory(key="callao-report", text=TEXT, publisher=PublisherFactory(name="AP"))
    return {
        "source": source,
        "subject": EntityFactory(key="callao-port", name="Callao Naval Port"),
        "object": EntityFactory(key="peru", name="Republic of Peru", kind=Entity.Kind.PLACE),
        "attribute": AttributeFactory(code="port_cost", label="Port cost", value_type="money"),
        "people": [
            get_user_model().objects.create_user(f"holder{n}", password="pw") for n in range(3)
        ],
    }


# Fillers: (form, n, world) -> None, one per model; `find(n, world)` returns the stored row.


def fill_claim(form, n, world):
    fill(form, {
        "key": f"port-cost-{n}", "subject": world["subject"], "attribute": world["attribute"],
        "source": world["source"], "value_text": "$180 million",
        "quote": "a $180 million naval port", "credibility": "2", "valid_from_text": "2024",
    })  # fmt: skip


def fill_source(form, n, world):
    fill(form, {
        "title": f"Port report {n}", "key": f"port-report-{n}", "kind": "news",
        "publisher": world["source"].publisher, "reliability": "B",
        "published_on": "2024-11-05", "published_on_precision": "day",
        "text": f"Report {n}: the port will cost $200 million.",
    })  # fmt: skip
    # One claim typed in the inline under the new source, as "Add another Claim" does.
    add_inline_form(form, "claims", {
        "key": f"report-{n}-cost", "subject": world["subject"], "attribute": world["attribute"],
        "value_text": "$200 million", "quote": "the port will cost $200 million",
        "credibility": "3",
    })  # fmt: skip


def fill_entity(form, n, world):
    fill(form, {"kind": "base", "name": f"{NAMES[n]} Airfield", "key": f"airfield-{n}"})
    fill(form, {"aliases-0-name": f"{NAMES[n]} strip"})


def fill_kind_entity(form, n, world):
    fill(form, {"name": NAMES[n], "key": f"kind-{n}", "country": "PE"})


def fill_relation(form, n, world):
    fill(form, {
        "subject": world["subject"], "kind": "located_in", "object": world["object"],
        "role": f"role {n}",
    })  # fmt: skip


def fill_user(form, n, world):
    fill(form, {"username": f"newcomer{n}", "password1": "a-long-pass-phrase-9",
                "password2": "a-long-pass-phrase-9"})  # fmt: skip


@dataclass
class Row:
    """One model's line of the matrix."""

    writer: str | None  # the role that writes it; None: nobody writes it in the admin
    fill: Callable | None = None
    find: Callable | None = None
    refused: tuple[str, ...] = ("anonymous", "no_role", "reader_staff")
    # Where "Save" leads, when not to the list.
    after_save: str = "changelist"
    history: bool = True  # recorded by django-simple-history (else in the admin's log)
    extra_check: Callable | None = field(default=None)


ADMINS = ("anonymous", "no_role", "reader_staff", "analyst", "editor")

ROWS: dict[str, Row] = {
    "sources.Source": Row(
        "analyst",
        fill_source,
        lambda n, w: Source.objects.get(key=f"port-report-{n}", claims__key=f"report-{n}-cost"),
    ),
    "sources.Publisher": Row(
        "analyst",
        lambda f, n, w: fill(f, {"name": f"Publisher {NAMES[n]}", "default_reliability": "C"}),
        lambda n, w: Publisher.objects.get(name=f"Publisher {NAMES[n]}"),
    ),
    "kb.Entity": Row(
        "analyst",
        fill_entity,
        lambda n, w: Entity.objects.get(key=f"airfield-{n}", aliases__name=f"{NAMES[n]} strip"),
    ),
    **{
        proxy._meta.label: Row(
            "analyst",
            fill_kind_entity,
            lambda n, w, kind=proxy.KIND: Entity.objects.get(key=f"kind-{n}", kind=kind),
        )
        for proxy in KIND_PROXIES
    },
    "kb.EntityRelation": Row(
        "analyst", fill_relation, lambda n, w: EntityRelation.objects.get(role=f"role {n}")
    ),
    "claims.Attribute": Row(
        "analyst",
        lambda f, n, w: fill(
            f,
            {
                "code": f"troops_{n}",
                "label": f"Troops {n}",
                "value_type": "count",
                "unit": "people",
            },
        ),  # fmt: skip
        lambda n, w: Attribute.objects.get(code=f"troops_{n}"),
    ),
    "claims.Claim": Row(
        "analyst", fill_claim, lambda n, w: Claim.objects.get(key=f"port-cost-{n}")
    ),
    "claims.Contradiction": Row(None, refused=ADMINS),
    "claims.EntityMerge": Row(None, refused=ADMINS),
    # django-axes' sign-in records: administrators read them and delete an attempt to unlock;
    # nobody adds one by hand (tests/deploy/test_signin_lockout.py).
    "axes.AccessAttempt": Row(None, refused=ADMINS),
    "axes.AccessLog": Row(None, refused=ADMINS),
    "axes.AccessFailureLog": Row(None, refused=ADMINS),
    "auth.User": Row(
        "administrator",
        fill_user,
        lambda n, w: get_user_model().objects.get(username=f"newcomer{n}"),
        refused=ADMINS,
        after_save="change",
        history=False,
    ),
    "auth.Group": Row(
        "administrator",
        lambda f, n, w: fill(f, {"name": f"Reviewers {n}"}),
        lambda n, w: Group.objects.get(name=f"Reviewers {n}"),
        refused=ADMINS,
        history=False,
    ),
    "authtoken.TokenProxy": Row(
        "administrator",
        lambda f, n, w: fill(f, {"user": w["people"][n]}),
        lambda n, w: TokenProxy.objects.get(user=w["people"][n]),
        refused=ADMINS,
        history=False,
    ),
}
WRITABLE = sorted(label for label, row in ROWS.items() if row.writer)


@pytest.fixture
def people(django_user_model):
    """One account per role; only the administrator is a superuser."""

    def member(name, group=None, staff=True):
        user = django_user_model.objects.create_user(name, password="pw", is_staff=staff)
        if group:
            user.groups.add(Group.objects.get(name=group))
        return user

    return {
        "anonymous": None,
        "no_role": member("walker", staff=False),
        "reader_staff": member("reader"),  # staff status, but no role
        "analyst": member("ana", "Analyst"),
        "editor": member("eddie", "Editor"),
        "administrator": django_user_model.objects.create_superuser("root", password="pw"),
    }


def _urls(label: str) -> dict:
    model = admin.site._registry and next(m for m in admin.site._registry if m._meta.label == label)
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    return {
        "model": model,
        "form": f"{model._meta.model_name}_form",
        "add": reverse(f"{prefix}_add"),
        "changelist": reverse(f"{prefix}_changelist"),
        "change": lambda pk: reverse(f"{prefix}_change", args=[pk]),
        "history": lambda pk: reverse(f"{prefix}_history", args=[pk]),
    }


def _recorded_by(row: Row, obj, user) -> bool:
    if row.history:
        return obj.history.order_by("-history_date").first().history_user == user
    return LogEntry.objects.filter(object_id=str(obj.pk), user=user).exists()


def test_every_model_in_the_admin_has_a_row_in_this_matrix():
    registered = {model._meta.label for model in admin.site._registry}

    assert registered == set(ROWS)


@pytest.mark.parametrize("label", WRITABLE)
def test_the_writer_adds_one_with_each_save_button_and_it_is_stored_and_recorded(
    label, django_app, people, world
):
    row, urls = ROWS[label], _urls(label)
    writer = people[row.writer]

    for n, button in enumerate(BUTTONS):
        form = django_app.get(urls["add"], user=writer).forms[urls["form"]]
        row.fill(form, n, world)
        response = form.submit(button)

        assert response.status_code == 302, response.text[:3000]
        obj = row.find(n, world)
        expected = {
            "_save": urls["change"](obj.pk) if row.after_save == "change" else urls["changelist"],
            "_continue": urls["change"](obj.pk),
            "_addanother": urls["add"],
        }[button]
        assert response.location.split("?")[0] == expected
        assert _recorded_by(row, obj, writer)
        page = response.follow(user=writer)
        assert page.status_code == 200


def _add_one(label: str, app, people, world):
    """The writer adds one through the add page: (row, urls, writer, the stored object)."""
    row, urls = ROWS[label], _urls(label)
    writer = people[row.writer]
    form = app.get(urls["add"], user=writer).forms[urls["form"]]
    row.fill(form, 0, world)
    form.submit("_save")
    return row, urls, writer, row.find(0, world)


def _stored(row: Row, world) -> dict:
    return model_to_dict(row.find(0, world))


@pytest.mark.parametrize("label", WRITABLE)
def test_a_change_form_posted_back_unchanged_changes_nothing(label, django_app, people, world):
    row, urls, writer, obj = _add_one(label, django_app, people, world)
    before = _stored(row, world)
    versions = obj.history.count() if row.history else None

    page = django_app.get(urls["change"](obj.pk), user=writer)
    response = page.forms[urls["form"]].submit("_save")

    assert response.status_code == 302, response.text[:3000]
    assert _stored(row, world) == before
    if row.history:
        assert obj.history.count() == versions
    if label == "sources.Source":
        assert obj.claims.get().history.count() == 1


@pytest.mark.parametrize("label", WRITABLE)
def test_the_writer_opens_the_history_and_a_past_version(label, django_app, people, world):
    row, urls, writer, obj = _add_one(label, django_app, people, world)

    history = django_app.get(urls["history"](obj.pk), user=writer)

    assert history.status_code == 200
    if row.history:
        version = obj.history.first().history_id
        past = django_app.get(f"{urls['history'](obj.pk)}{version}/", user=writer)
        assert past.status_code == 200
        assert "Revert" in past.text


def _refusals():
    for label, row in sorted(ROWS.items()):
        for role in row.refused:
            yield label, role


@pytest.mark.parametrize(("label", "role"), list(_refusals()))
def test_those_who_may_not_write_it_are_refused_and_nothing_is_stored(
    label, role, client, people, world
):
    urls = _urls(label)
    model = urls["model"]
    user = people[role]
    if user is not None:
        client.force_login(user)
    count = model._default_manager.count()

    page = client.get(urls["add"])
    posted = client.post(urls["add"], {"name": "x", "key": "x", "title": "x", "code": "x"})

    if user is None or not user.is_staff:
        # Not signed in to the admin: sent to its login page.
        assert page.status_code == 302 and "/admin/login/" in page["Location"]
        assert posted.status_code == 302 and "/admin/login/" in posted["Location"]
    else:
        assert page.status_code == 403
        assert posted.status_code == 403
    assert model._default_manager.count() == count


@pytest.mark.parametrize("role", ["analyst", "editor"])
def test_contradictions_and_merges_are_read_only_in_the_admin_for_every_role(
    role, django_app, people, demo_contradiction
):
    user = people[role]
    url = reverse("admin:claims_contradiction_change", args=[demo_contradiction.pk])

    page = django_app.get(url, user=user)

    assert page.status_code == 200
    assert "contradiction_form" not in page.forms or "_save" not in page.text
    refused = django_app.post(url, {"status": "open"}, user=user, expect_errors=True)
    assert refused.status_code == 403


@pytest.fixture
def demo_contradiction(demo):
    return Contradiction.objects.filter(attribute__code="fms_case_value").get()


@pytest.fixture
def demo(demo_bundle):
    from claims.bundles import bundle_import

    bundle_import(bundle=demo_bundle)


def test_the_token_matrix_row_stores_a_real_token():
    # TokenProxy is the admin's face of Token: the row above checks the same table.
    assert TokenProxy._meta.concrete_model is Token


def test_entity_merges_have_no_add_page(django_app, people):
    urls = _urls("claims.EntityMerge")

    response = django_app.get(urls["add"], user=people["analyst"], expect_errors=True)

    assert response.status_code == 403
    assert not EntityMerge.objects.exists()
