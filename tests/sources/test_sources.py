"""Sources: inherited reliability, the text digest, and deletes that would lose claims."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from claims.bundles import bundle_import
from sources.models import Publisher, Source
from sources.services import SOURCE_IS_CITED, source_delete, source_save
from tests.factories import PublisherFactory, SourceFactory

pytestmark = pytest.mark.django_db


def test_a_source_inherits_its_publishers_grade_unless_it_sets_its_own():
    publisher = PublisherFactory(default_reliability="B")
    inherits = SourceFactory(publisher=publisher, reliability="")
    own = SourceFactory(publisher=publisher, reliability="E")
    orphan = SourceFactory(publisher=None, reliability="")

    assert (inherits.grade, own.grade, orphan.grade) == ("B", "E", "F")


def test_saving_a_source_stores_the_sha256_of_its_text():
    source = SourceFactory.build(text="The quick brown fox.", publisher=PublisherFactory())

    source_save(source=source)

    assert source.text_sha256 == hashlib.sha256(b"The quick brown fox.").hexdigest()
    source.text = ""
    source_save(source=source)
    assert source.text_sha256 == ""


def test_deleting_a_source_that_claims_cite_is_refused(demo_bundle):
    bundle_import(bundle=demo_bundle)
    cited = Source.objects.filter(claims__isnull=False).first()

    with pytest.raises(ValidationError) as error:
        source_delete(source=cited)

    assert error.value.messages[0].startswith(SOURCE_IS_CITED.split("{")[0])
    assert Source.objects.filter(pk=cited.pk).exists()


def test_deleting_an_uncited_source_works_and_stays_in_history():
    source = SourceFactory()
    pk = source.pk

    source_delete(source=source)

    assert not Source.objects.filter(pk=pk).exists()
    assert Source.history.filter(id=pk, history_type="-").exists()


def test_the_database_refuses_a_grade_outside_a_to_f():
    with pytest.raises(IntegrityError):
        Publisher.objects.create(name="Bad", default_reliability="G")
