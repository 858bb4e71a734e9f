"""URLs reversed once per script prefix and URLconf (kb/reversing.py): the same as Django's
reverse() under any prefix and URLconf, for every id."""

from __future__ import annotations

import pytest
from django.test.utils import override_settings
from django.urls import reverse, set_script_prefix

from kb.reversing import pk_url, plain_url


@pytest.fixture
def under_a_prefix():
    set_script_prefix("/kb/")
    yield
    set_script_prefix("/")


@pytest.mark.parametrize("name", ["contradiction", "claim", "source", "entity"])
@pytest.mark.parametrize("pk", [1, 42, 9_223_372_036_854_775_807])
def test_a_rows_url_is_what_reverse_gives(name, pk):
    assert pk_url(name)(pk) == reverse(name, args=[pk])


def test_a_rows_url_follows_the_script_prefix_and_the_urlconf(under_a_prefix):
    assert pk_url("contradiction")(7) == "/kb/contradictions/7/"
    set_script_prefix("/")
    assert pk_url("contradiction")(7) == "/contradictions/7/"
    with override_settings(ROOT_URLCONF="tests.kb.other_urls"):
        assert pk_url("contradiction")(7) == "/elsewhere/7/"


def test_a_plain_url_follows_the_script_prefix(under_a_prefix):
    assert plain_url("queue") == "/kb/contradictions/"
    set_script_prefix("/")
    assert plain_url("queue") == "/contradictions/"
