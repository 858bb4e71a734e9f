"""Look-alike entity names: the analyst is asked about real duplicates, not about shared filler."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from kb.forms import LOOKALIKE
from kb.models import Entity
from kb.selectors import entity_lookalikes

pytestmark = pytest.mark.django_db

WARNING = LOOKALIKE.split(":")[0]  # "An entity with a name like this exists"


def names_like(name: str) -> list[str]:
    return [lookalike.entity.name for lookalike in entity_lookalikes(name)]


@pytest.mark.parametrize(
    ("name", "existing"),
    [
        ("Namru South", "U.S. Naval Medical Research Unit SOUTH"),  # its alias NAMRU-SOUTH
        ("Callao naval base", "Callao Naval Base"),
        ("Callao Naval Port", "Callao Naval Base"),  # its alias "Peruvian naval port at Callao"
        ("Base Naval de Iquitos", "Iquitos naval base"),
        ("Southern Command", "United States Southern Command"),
        ("Jose Jeri", "José Jerí"),
        ("Laura Richardsen", "Laura Richardson"),
        ("Artemis Accord", "Artemis Accords"),
        ("Chancay Port", "Port of Chancay"),
    ],
)
def test_a_name_like_an_existing_name_or_alias_of_the_demo_is_suggested(demo, name, existing):
    assert names_like(name)[0] == existing


@pytest.mark.parametrize(
    "name",
    [
        "Port of Ilo",  # once taken for United States, Peruvian Amazon, Callao Naval Base
        "Port of Pisco",
        "Peruvian Navy",
        "Peruvian Army",
        "US Space Force",
        "US Embassy Lima",
        "Legislative Resolution 4767",  # not Legislative Resolution 4766
        "Joint Task Force-North",
        "Pentagon",
    ],
)
def test_a_new_name_sharing_only_filler_words_with_the_demo_suggests_nothing(demo, name):
    assert names_like(name) == []


def test_port_of_ilo_raises_no_warning_in_the_admin(client, demo, analyst):
    page = AddPage(client, analyst)

    response = page.post(name="Port of Ilo", key="port-of-ilo", kind="base")

    assert response.status_code == 302
    assert Entity.objects.filter(key="port-of-ilo", name="Port of Ilo").exists()


class AddPage:
    """Entities → Add (the generic section), filled and posted as the browser does."""

    url = reverse("admin:kb_entity_add")

    def __init__(self, client, user):
        get_user_model().objects.filter(pk=user.pk).update(is_staff=True)
        client.force_login(user)
        self.client = client
        self.page = client.get(self.url)
        assert self.page.status_code == 200

    def browser_data(self) -> dict:
        """The inlines' management forms and empty extra forms, as the page renders them."""
        data = {}
        for inline in self.page.context["inline_admin_formsets"]:
            formset = inline.formset
            management = formset.management_form
            for name in management.fields:
                data[management[name].html_name] = management[name].value()
            for form in formset.forms:
                for field in form:
                    if field.widget_type != "checkbox":
                        data[field.html_name] = field.value() or ""
        return data

    def post(self, **fields):
        return self.client.post(self.url, {**self.browser_data(), "description": "", **fields})


def test_the_generic_add_form_shows_the_lookalike_checkbox_and_creates_the_entity_when_ticked(
    client, analyst
):
    Entity.objects.create(key="namru-south", kind="organization", name="NAMRU-SOUTH")
    page = AddPage(client, analyst)
    fields = {"kind": "organization", "name": "Namru South", "key": "namru-sur"}

    refused = page.post(**fields)
    accepted = page.post(**fields, different_entity="on")

    html = refused.content.decode()
    assert refused.status_code == 200
    assert WARNING in html
    assert 'name="different_entity"' in html  # the box the warning tells the analyst to tick
    assert accepted.status_code == 302
    assert Entity.objects.filter(key="namru-sur", name="Namru South").exists()
