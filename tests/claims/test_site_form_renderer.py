"""The site's forms write their widgets and errors with Django's Jinja2 form templates in the
pages' environment (kb.jinja2.FormRenderer): the same HTML as Django's own renderer writes,
escaped as Django escapes, the blank lines between tags aside."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.forms.renderers import DjangoTemplates

from claims.forms import SITE_FORM_RENDERER, CandidateClaimForm, FlagForm, IngestForm, ResolveForm

pytestmark = pytest.mark.django_db

DJANGO_RENDERER = DjangoTemplates()
POSITIONS = [
    SimpleNamespace(index=0, display='$180 "million" <b>'),
    SimpleNamespace(index=1, display="O'Neil"),
]


def written(form) -> list[str]:
    """Every field as a page writes it (widget, errors, help) and the form's own errors."""
    parts = [str(form.non_field_errors())]
    for bound in form:
        parts += [str(bound), str(bound.errors), str(bound.help_text)]
    return [re.sub(r">\s+<", "><", part).strip() for part in parts]


@pytest.mark.parametrize(
    "make",
    [
        lambda renderer: ResolveForm(
            positions=POSITIONS, initial={"version": 3}, renderer=renderer
        ),
        lambda renderer: ResolveForm(
            {"outcome": "one_is_wrong", "note": "", "version": "x<"},
            positions=POSITIONS,
            renderer=renderer,
        ),
        lambda renderer: FlagForm({"claims": ["9999"], "note": '"why" & <how>'}, renderer=renderer),
        lambda renderer: IngestForm(
            {"title": "", "kind": "no-such", "url": "not a url"}, renderer=renderer
        ),
        lambda renderer: CandidateClaimForm(
            {"c1-subject": "Atlantis"}, prefix="c1", renderer=renderer
        ),
    ],
    ids=["resolve", "resolve with errors", "flag with errors", "ingest with errors", "candidate"],
)
def test_a_site_form_writes_what_djangos_renderer_writes(make):
    site, django = make(SITE_FORM_RENDERER), make(DJANGO_RENDERER)
    site.is_bound and site.is_valid()
    django.is_bound and django.is_valid()

    assert written(site) == written(django)


def test_the_site_forms_use_the_site_renderer_and_escape_as_the_pages_do():
    form = ResolveForm(positions=POSITIONS)
    assert form.renderer is SITE_FORM_RENDERER
    select = str(form["position"])
    assert "Position 1: $180 &quot;million&quot; &lt;b&gt;" in select
    assert "Position 2: O&#x27;Neil" in select


def test_the_decision_forms_help_is_the_text_its_fields_name_as_their_description(
    client, editor, demo
):
    from claims.models import Contradiction

    client.force_login(editor)
    page = client.get(f"/contradictions/{Contradiction.objects.order_by('pk').first().pk}/")

    html = page.content.decode()
    for field in ("position", "note"):
        assert f'aria-describedby="id_{field}_helptext"' in html
        assert f'<span class="help" id="id_{field}_helptext">' in html
