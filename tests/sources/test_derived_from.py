"""A source's derived_from never closes a circle of copies: refused, naming the chain, in the
service and in the admin's form."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from sources.models import DERIVATION_CYCLE, Source
from sources.selectors import source_chains, source_derivation_cycle
from sources.services import source_save
from tests.adminforms import choose
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(analyst):
    """The analyst, with the staff status the admin asks of its users."""
    analyst.is_staff = True
    analyst.save(update_fields=["is_staff"])
    return analyst


@pytest.fixture
def chain():
    """A <- B <- C: B repeats A, C repeats B."""
    a = SourceFactory(title="Agency wire")
    b = SourceFactory(title="Paper copy", derived_from=a)
    c = SourceFactory(title="Blog copy", derived_from=b)
    return a, b, c


def test_the_chains_of_sources_are_read_to_their_end_in_one_query(chain, django_assert_num_queries):
    a, b, c = chain
    with django_assert_num_queries(1):
        found = source_chains([c.pk])

    assert {source_id: link.derived_from for source_id, link in found.items()} == {
        c.pk: b.pk,
        b.pk: a.pk,
        a.pk: None,
    }


def test_no_sources_need_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert source_chains([]) == {}


def test_a_source_deriving_from_its_own_copy_is_refused_naming_the_chain(chain):
    a, b, c = chain
    a.derived_from = c

    with pytest.raises(ValidationError) as refused:
        source_save(source=a)

    expected = DERIVATION_CYCLE.format(
        chain="“Agency wire” → “Blog copy” → “Paper copy” → “Agency wire”"
    )
    assert refused.value.message_dict == {"derived_from": [expected]}
    a.refresh_from_db()
    assert a.derived_from is None


def test_two_sources_deriving_from_each_other_are_refused(chain):
    a, b, _ = chain
    a.derived_from = b

    assert [link.title for link in source_derivation_cycle(a)] == [
        "Agency wire",
        "Paper copy",
        "Agency wire",
    ]
    with pytest.raises(ValidationError):
        source_save(source=a)


def test_a_longer_chain_without_a_circle_is_saved(chain):
    _, _, c = chain
    d = SourceFactory(title="Aggregator")
    d.derived_from = c

    source_save(source=d)

    assert Source.objects.get(pk=d.pk).derived_from == c


def test_a_source_deriving_from_itself_is_refused_by_the_constraint(chain):
    a, _, _ = chain
    a.derived_from = a

    with pytest.raises(ValidationError) as refused:
        source_save(source=a)

    assert "source_not_derived_from_itself" in str(refused.value) or refused.value.messages


def test_an_analyst_posting_the_admin_form_is_told_of_the_circle(django_app, analyst, chain):
    a, _, c = chain
    page = django_app.get(f"/admin/sources/source/{a.pk}/change/", user=analyst)
    form = page.forms["source_form"]
    choose(form, "derived_from", c.pk)

    response = form.submit("_save")

    assert response.status_code == 200  # the form again, not a redirect
    assert "This would make a circle of copies" in response.text
    assert "“Agency wire” → “Blog copy” → “Paper copy” → “Agency wire”" in response.text
    a.refresh_from_db()
    assert a.derived_from is None


def test_an_analyst_sets_a_derivation_that_closes_no_circle(django_app, analyst, chain):
    _, _, c = chain
    d = SourceFactory(title="Aggregator")
    page = django_app.get(f"/admin/sources/source/{d.pk}/change/", user=analyst)
    form = page.forms["source_form"]
    choose(form, "derived_from", c.pk)

    assert form.submit("_save").status_code == 302
    d.refresh_from_db()
    assert d.derived_from == c
