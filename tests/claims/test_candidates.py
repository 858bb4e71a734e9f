"""The candidates page: an analyst turns a found amount into a sourced, quoted claim."""

from __future__ import annotations

import pytest
from django.urls import reverse

from claims.bundles import bundle_import
from claims.models import Claim, Contradiction
from sources.services import source_ingest

pytestmark = pytest.mark.django_db

TEXT = (
    "WASHINGTON. The State Department approved a potential $1.5 billion Foreign Military Sale "
    "to Peru for the Callao Naval Base. Nine helicopters follow."
)


@pytest.fixture
def source(demo_bundle):
    bundle_import(bundle=demo_bundle)
    source, _ = source_ingest(title="Sale", kind="news", text=TEXT)
    return source


def test_the_page_lists_amounts_with_their_sentence_and_suggests_a_subject(client, source):
    page = client.get(reverse("candidates", args=[source.pk])).content.decode()

    assert "$1.5 billion" in page
    assert "The State Department approved a potential $1.5 billion" in page


def accept(client, source, **overrides):
    start = TEXT.index("$1.5 billion")
    prefix = f"c{start}"
    data = {
        "start": str(start),
        f"{prefix}-start": str(start),
        f"{prefix}-subject": "callao-fms-case",
        f"{prefix}-attribute": "fms_case_value",
        f"{prefix}-value": "$1.5 billion",
        f"{prefix}-quote": "approved a potential $1.5 billion Foreign Military Sale",
        f"{prefix}-credibility": "3",
    }
    data.update({f"{prefix}-{k}": v for k, v in overrides.items()})
    return client.post(reverse("candidates", args=[source.pk]), data)


def test_accepting_a_candidate_records_a_claim_that_joins_the_callao_contradiction(
    client, source, analyst
):
    client.force_login(analyst)

    response = accept(client, source)

    assert response.status_code == 302
    claim = Claim.objects.get(source=source)
    assert (claim.amount, claim.currency, claim.quote_status) == (1500000000, "USD", "anchored")
    assert TEXT[claim.quote_start : claim.quote_end] == claim.quote
    assert claim.created_by == analyst
    callao = Contradiction.objects.get(attribute__code="fms_case_value", withdrawn_at__isnull=True)
    assert claim in callao.claims.all()


def test_a_quote_that_is_not_the_sources_words_is_refused_on_the_page(client, source, analyst):
    client.force_login(analyst)

    response = accept(client, source, quote="approved a $1.5bn sale")

    assert response.status_code == 400
    assert "does not occur in the source" in response.content.decode()
    assert not Claim.objects.filter(source=source).exists()


def test_an_unknown_subject_is_refused_with_its_name(client, source, analyst):
    client.force_login(analyst)

    response = accept(client, source, subject="Atlantis")

    assert "No single entity is called &quot;Atlantis&quot;" in response.content.decode()


def test_a_reader_may_look_but_not_record(client, source, researcher):
    client.force_login(researcher)

    assert "Save claim" not in client.get(reverse("candidates", args=[source.pk])).content.decode()
    assert accept(client, source).status_code == 403
