"""The editors' queue works out each choice of its filters once per worker
(claims.filters.QueueFilters): a choice that the values alone decide is not validated again,
and its selects are not listed again, while what the database or the clock decides is worked
out at every request."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from claims import filters
from claims.filters import ContradictionQueueFilter
from claims.models import Attribute

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(monkeypatch):
    """The choices of filters the queue works out, and the filter sets it builds, from an
    empty keep."""
    monkeypatch.setattr(filters, "_CHOICES", {})
    monkeypatch.setattr(filters, "_SELECTS", {})
    made = {"choices": [], "selects": [], "filter sets": []}
    original_init = ContradictionQueueFilter.__init__

    def init(self, *args, **kwargs):
        made["filter sets"].append(self)
        original_init(self, *args, **kwargs)

    def spy(name, original):
        def called(*args, **kwargs):
            made[name].append(args)
            return original(*args, **kwargs)

        return called

    monkeypatch.setattr(ContradictionQueueFilter, "__init__", init)
    monkeypatch.setattr(
        filters, "queue_filters_chosen", spy("choices", filters.queue_filters_chosen)
    )
    monkeypatch.setattr(filters, "choice_selects", spy("selects", filters.choice_selects))
    return made


def selected(page: str, name: str) -> list[str]:
    select = page[page.index(f'<select name="{name}"') :]
    select = select[: select.index("</select>")]
    return re.findall(r'<option value="([^"]*)" selected>', select)


def shown(page: str) -> list[str]:
    return re.findall(r'<tr id="contradiction-(\d+)">', page)


def test_a_choice_of_filters_is_worked_out_once_and_each_shows_its_own(client, demo, editor, built):
    client.force_login(editor)
    first = client.get(reverse("queue"), {"kind": "official"}).text
    assert len(built["choices"]) == len(built["selects"]) == 1

    again = client.get(reverse("queue"), {"kind": "official"}).text
    other = client.get(reverse("queue"), {"kind": "base", "status": "all"}).text
    plain = client.get(reverse("queue")).text

    # The same choice was not worked out again; each other one was, once.
    assert len(built["choices"]) == len(built["selects"]) == 3
    assert shown(again) == shown(first) and shown(first)
    assert selected(again, "kind") == ["official"]
    assert selected(other, "kind") == ["base"] and 'aria-current="page" data-status="all"' in (
        other.replace('class="current" ', "")
    )
    assert selected(plain, "kind") == [""]
    assert set(shown(plain)) > set(shown(first))


def test_a_later_page_of_a_kept_choice_still_filters(client, demo, editor, built):
    client.force_login(editor)
    client.get(reverse("queue"), {"kind": "official"})
    later = client.get(
        reverse("queue"), {"kind": "official", "after": "2999-01-01T00:00:00+00:00~1"}
    ).text

    # Its ids are read past the link's place under the same filters: the filter set is built.
    assert len(built["choices"]) == 1 and len(built["filter sets"]) == 2
    assert selected(later, "kind") == ["official"]
    assert "Presidential status" in later and "FMS case value" not in later.split("<tbody>")[1]


def test_a_wrong_value_is_refused_at_every_request(client, demo, editor, built):
    client.force_login(editor)
    pages = [client.get(reverse("queue"), {"kind": "no-such-kind"}).text for _ in range(2)]

    assert len(built["choices"]) == len(built["selects"]) == 2
    for page in pages:
        assert '<div class="errors">' in page and "no-such-kind" in page
    assert filters._CHOICES == {}


def test_a_value_given_twice_is_read_as_the_form_reads_it(client, demo, editor):
    client.force_login(editor)
    for _ in range(2):
        page = client.get(reverse("queue") + "?kind=base&kind=official").text
        assert selected(page, "kind") == ["official"]
        assert "Presidential status" in page.split("<tbody>")[1]


def test_an_attribute_or_an_age_is_worked_out_at_each_request(client, demo, editor, built):
    client.force_login(editor)
    for _ in range(2):
        client.get(reverse("queue"), {"attribute": "fms_case_value"})
        client.get(reverse("queue"), {"age": "1"})
    assert len(built["choices"]) == 4

    # An attribute that goes away is refused at the next request.
    Attribute.objects.create(code="zz_gone", label="Gone", value_type="text")
    assert '<div class="errors">' not in client.get(reverse("queue"), {"attribute": "zz_gone"}).text
    Attribute.objects.filter(code="zz_gone").delete()
    assert '<div class="errors">' in client.get(reverse("queue"), {"attribute": "zz_gone"}).text


def test_the_kept_choices_are_bounded(client, demo, editor, built, monkeypatch):
    monkeypatch.setattr(filters, "CHOICES_KEPT", 2)
    client.force_login(editor)
    for kind in ("official", "base", "agreement"):
        client.get(reverse("queue"), {"kind": kind})

    assert len(filters._CHOICES) == 2
    assert len(filters._SELECTS) == 2


@pytest.mark.postgres_only
def test_a_kept_choice_builds_no_filter_set_for_its_first_page(client, demo, editor, built):
    # Its first page's statement and counts are kept too (kb.api.compiled, kb.memo).
    client.force_login(editor)
    for _ in range(2):
        client.get(reverse("queue"), {"kind": "official"})
    built["filter sets"].clear()

    page = client.get(reverse("queue"), {"kind": "official"}).text

    assert built["filter sets"] == [] and "Presidential status" in page
