"""A page's select of rows (an attribute, a publisher) reads them with one plain query, not
through a server-side cursor (kb.filters.ListedModelChoiceFilter)."""

import html
import re

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_filters.fields import ChoiceField

from claims.display import choice_selects
from claims.filters import ContradictionQueueFilter
from claims.models import Attribute, Contradiction
from kb.filters import _SharedFields
from kb.models import EntityKind

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def attributes():
    for code, label in (("port_cost", "Port cost"), ("troops", "Troops"), ("opened", "Opened")):
        Attribute.objects.create(code=code, label=label, value_type="count")


def test_the_queue_attribute_select_lists_every_attribute_with_one_plain_query():
    field = ContradictionQueueFilter({}, queryset=Contradiction.objects.all()).form.fields[
        "attribute"
    ]

    with CaptureQueriesContext(connection) as queries:
        choices = [(str(value), label) for value, label in field.choices]

    expected = [(a.code, str(a)) for a in Attribute.objects.order_by("label")]
    assert [code for code, _ in expected] == ["opened", "port_cost", "troops"]
    assert choices == [("", "any attribute"), *expected]
    # On PostgreSQL, Django's iterator() would DECLARE a cursor, FETCH twice and CLOSE it.
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT"]


def test_a_chosen_attribute_still_filters_and_an_unknown_one_is_refused():
    attribute = Attribute.objects.order_by("label").first()

    chosen = ContradictionQueueFilter(
        {"attribute": attribute.code}, queryset=Contradiction.objects.all()
    )
    unknown = ContradictionQueueFilter(
        {"attribute": "no-such-attribute"}, queryset=Contradiction.objects.all()
    )

    assert chosen.is_valid() and chosen.form.cleaned_data["attribute"] == attribute
    assert not unknown.is_valid() and "attribute" in unknown.errors


@pytest.mark.usefixtures("sql_as_text")
def test_the_queue_page_lists_an_attribute_made_after_its_query_was_compiled(client, editor):
    client.force_login(editor)
    client.get(reverse("queue"))  # compiles the select's query on this connection
    Attribute.objects.create(code="zz_new", label="Aardvark <count>", value_type="text")

    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("queue"), {"attribute": "zz_new"}).text

    select = page[page.index('<select name="attribute"') :]
    select = select[: select.index("</select>")]
    labels = [html.unescape(label) for label in re.findall(r">([^<]*)</option>", select)]
    expected = Attribute.objects.order_by("label").values_list("label", flat=True)
    assert labels == ["any attribute", *expected]
    assert '<option value="zz_new" selected>Aardvark &lt;count&gt;</option>' in select
    assert sum('FROM "claims_attribute"' in q["sql"] for q in queries) == 2  # select, filter


def test_one_queue_requests_filters_leave_nothing_to_the_next(client, editor):
    # The queue's filter forms share their fields (kb.filters.APIFilterSet).
    client.force_login(editor)
    chosen = client.get(reverse("queue"), {"attribute": "troops", "kind": "base"}).text
    wrong = client.get(reverse("queue"), {"attribute": "no-such-attribute"}).text
    plain = client.get(reverse("queue")).text

    assert '<option value="troops" selected>' in chosen
    assert '<option value="base" selected>' in chosen
    assert "no-such-attribute" not in plain and "errors" in wrong
    assert '<div class="errors">' in wrong and '<div class="errors">' not in plain
    attribute_select = plain.split('<select name="attribute"')[1].split("</select>")[0]
    assert '<option value="" selected>any attribute</option>' in attribute_select
    assert attribute_select.count(" selected>") == 1


@pytest.mark.usefixtures("sql_as_text")
def test_the_queue_reads_its_attribute_choices_again_only_after_a_write(client, editor):
    # Kept in the process for the data's version (claims.selectors.attribute_options).
    client.force_login(editor)
    client.get(reverse("queue"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("queue"))
    assert not any('FROM "claims_attribute"' in q["sql"] for q in queries)

    attribute = Attribute.objects.order_by("label").first()
    attribute.label = "Zebra <count>"
    attribute.save()
    page = client.get(reverse("queue")).text

    select = page[page.index('<select name="attribute"') :]
    select = select[: select.index("</select>")]
    labels = [html.unescape(label) for label in re.findall(r">([^<]*)</option>", select)]
    assert labels[-1] == "Zebra <count>"
    assert labels == [
        "any attribute",
        *Attribute.objects.order_by("label").values_list("label", flat=True),
    ]
    assert f'<option value="{attribute.code}">Zebra &lt;count&gt;</option>' in select


def test_a_selects_fixed_choices_are_listed_with_the_one_chosen_at_each_request(client, editor):
    # A field's fixed choices are listed once and kept (claims.display._listed_choices); which
    # one is selected is each request's own.
    client.force_login(editor)
    kinds = [str(label) for _, label in EntityKind.choices]
    for chosen in ("base", "official", ""):
        page = client.get(reverse("queue"), {"kind": chosen}).text
        select = page[page.index('<select name="kind"') :]
        select = select[: select.index("</select>")]
        labels = [html.unescape(label) for label in re.findall(r">([^<]*)</option>", select)]
        assert labels == ["any kind", *kinds]
        assert re.findall(r'<option value="([^"]*)" selected>', select) == [chosen]


def test_choices_a_function_gives_are_asked_for_at_each_listing():
    asked = []

    def choices():
        asked.append(1)
        return [("a", f"A{len(asked)}")]

    class Form(forms.Form):
        pick = ChoiceField(choices=choices, empty_label="any")

    # Its forms share their fields, as the filter sets' do.
    Form.base_fields = _SharedFields(Form.base_fields)

    first, second = (choice_selects(Form({"pick": "a"}))[0].options for _ in range(2))

    assert first == [("", "any", False), ("a", "A1", True)]
    assert second == [("", "any", False), ("a", "A2", True)]
