"""The site's template environment (kb/jinja2.py): Jinja2 with Django's meanings where the pages
rely on them."""

from __future__ import annotations

import datetime
import html
import types
import zoneinfo

import pytest
from django.template import engines
from django.test.utils import override_settings
from django.urls import set_script_prefix
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe


def render(source: str, **context) -> str:
    return engines["jinja2"].from_string(source).render(context)


def test_the_site_pages_are_jinja2_and_the_admin_stays_on_djangos_language():
    from django.template.loader import get_template

    assert type(get_template("base.html")).__module__ == "django.template.backends.jinja2"
    assert type(get_template("admin/base_site.html")).__module__ == (
        "django.template.backends.django"
    )


def test_a_dict_row_reads_its_key_before_a_method_of_the_same_name():
    # The pages' rows are values() dicts; a column named like a dict method is still the column.
    assert (
        render("{{ row.items }} {{ row.name }}", row={"items": 3, "name": "Callao"}) == "3 Callao"
    )


def test_a_missing_key_of_a_dict_row_prints_nothing():
    assert render("[{{ row.missing }}]", row={"name": "Callao"}) == "[]"


def test_attributes_read_alike_on_dicts_objects_and_nested_values():
    # `row.name` on a variable is read inline (kb.jinja2._CodeGenerator.visit_Getattr); on
    # anything else through the environment: both read the same.
    row = types.SimpleNamespace(name="<Callao>", kind={"label": "base"})
    assert render(
        "{{ row.name }} {{ row.kind.label }} {{ d.nested.name }} {{ d.keys }}",
        row=row,
        d={"nested": {"name": "Lima"}},
    ).startswith("&lt;Callao&gt; base Lima &lt;built-in method keys")


def test_missing_variables_print_nothing_at_any_depth():
    # The 500 page renders without a request, user or permissions.
    assert render("[{{ user.username }}{{ perms.sources.add_source }}]") == "[]"
    assert render("{% if user.is_authenticated %}in{% else %}out{% endif %}") == "out"


def test_a_templates_own_text_beyond_ascii_is_written_as_character_references():
    # A browser reads "&#8250;" as "›"; the values printed keep their characters.
    page = render('<a title="À · b">Home › {{ name }} — x</a>', name="Perú › Lima")

    assert page == '<a title="&#192; &#183; b">Home &#8250; Perú › Lima &#8212; x</a>'
    assert html.unescape(page) == '<a title="À · b">Home › Perú › Lima — x</a>'


def test_a_page_whose_values_are_ascii_is_ascii(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("ana", password="x8!Kq2#pLm"))

    page = client.get("/contradictions/").content

    assert b"&#8250;" in page and page.isascii()


def test_text_is_escaped_and_safe_html_kept():
    page = render("{{ text }} {{ safe }}", text="<script>x</script>", safe=mark_safe("<b>b</b>"))
    assert page == "&lt;script&gt;x&lt;/script&gt; <b>b</b>"


def test_quotes_are_escaped_as_django_escapes_them():
    assert render("{{ text }}", text='"it\'s"') == "&quot;it&#x27;s&quot;"


@pytest.mark.parametrize("character", ["&", "<", ">", '"', "'"])
def test_each_character_alone_is_escaped_as_django_escapes_it(character):
    text = f"a {character} b"
    assert render("{{ text }} {{ number }}", text=text, number=7) == f"{escape(text)} 7"


def test_an_object_whose_text_is_safe_html_prints_as_html():
    # A message made with format_html (a link to what was just saved) stays a link.
    class Message:
        def __str__(self):
            return format_html('<a href="{}">{}</a>', "/claims/1/", "See it & more")

    assert render("{{ m }}", m=Message()) == '<a href="/claims/1/">See it &amp; more</a>'
    assert render("{{ n }}", n=12) == "12"


def test_linebreaksbr_escapes_before_it_breaks():
    assert render("{{ note|linebreaksbr }}", note="a <b>\nc") == "a &lt;b&gt;<br>c"


def test_url_reverses_with_arguments():
    assert render("{{ url('entity', 7) }}") == "/entities/7/"
    assert render("{{ url('entity', pk=8) }}") == "/entities/8/"


def test_a_url_without_arguments_is_the_same_under_its_script_prefix_and_urlconf():
    # Reversed once per script prefix and URLconf (the header's links).
    assert render("{{ url('queue') }}") == "/contradictions/"
    set_script_prefix("/kb/")
    try:
        assert render("{{ url('queue') }}") == "/kb/contradictions/"
    finally:
        set_script_prefix("/")
    assert render("{{ url('queue') }}") == "/contradictions/"
    with override_settings(ROOT_URLCONF="tests.kb.other_urls"):
        assert render("{{ url('queue') }}") == "/elsewhere/"


def test_a_pages_urls_are_under_the_script_prefix_of_its_own_request(rf):
    # Read once per request (kb.reversing.place), not once for all.
    template = engines["jinja2"].from_string("{{ url('queue') }} {{ url('entities') }}")
    set_script_prefix("/kb/")
    try:
        first = rf.get("/contradictions/")
        assert template.render({}, request=first) == "/kb/contradictions/ /kb/entities/"
    finally:
        set_script_prefix("/")
    assert template.render({}, request=rf.get("/")) == "/contradictions/ /entities/"
    assert template.render({}) == "/contradictions/ /entities/"


def test_date_shows_the_current_time_zone_as_djangos_templates_do():
    moment = datetime.datetime(2026, 12, 4, 13, 30, tzinfo=datetime.UTC)
    assert render('{{ at|date("Y-m-d H:i") }}', at=moment) == "2026-12-04 13:30"
    with timezone.override(zoneinfo.ZoneInfo("America/Lima")):
        assert render('{{ at|date("Y-m-d H:i") }}', at=moment) == "2026-12-04 08:30"


def test_djangos_filters_keep_their_meaning():
    assert render("{{ n }} claim{{ n|pluralize }}", n=2) == "2 claims"
    assert render("{{ s|capfirst }}", s="open and DECIDED") == "Open and DECIDED"
    assert render("{{ s|urlencode }}", s="/a b&c") == "/a%20b%26c"
    assert render("{{ s|truncatewords(2) }}", s="one two three") == "one two …"


def test_a_page_extending_another_is_written_whole_and_each_block_at_once():
    # Each block is joined before it is passed on (kb.jinja2._CodeGenerator.blockvisit), not
    # yielded piece by piece through every template that extends it: the page is the same.
    from jinja2 import DictLoader

    env = engines["jinja2"].env.overlay(
        loader=DictLoader(
            {
                "frame.html": "<h>{% block title %}Base{% endblock %}</h>"
                "{% block body %}{% endblock %}{% include 'part.html' %}",
                "part.html": "<f>{{ who }}</f>",
                "page.html": "{% extends 'frame.html' %}"
                "{% block title %}{{ super() }} · {{ who }}{% endblock %}"
                "{% block body %}{% macro cell(x) %}<td>{{ x }}</td>{% endmacro %}"
                "{% for row in rows %}<tr>{{ cell(row) }}"
                "{% if loop.last %}!{% endif %}</tr>{% endfor %}"
                "{% filter upper %}x{{ who }}{% endfilter %}{% endblock %}",
            }
        )
    )
    template = env.get_template("page.html")
    context = {"who": "<Ana>", "rows": ["a", "b&"]}

    assert template.render(context) == (
        "<h>Base &#183; &lt;Ana&gt;</h><tr><td>a</td></tr><tr><td>b&amp;</td>!</tr>"
        "X&LT;ANA&GT;<f>&lt;Ana&gt;</f>"
    )
    body = env.get_template("page.html").blocks["body"]
    pieces = list(body(template.new_context(context)))
    assert pieces == ["<tr><td>a</td></tr><tr><td>b&amp;</td>!</tr>X&LT;ANA&GT;"]


def test_static_is_djangos_and_follows_a_change_of_settings():
    from django.templatetags.static import static as djangos

    assert render("{{ static('kb/site.css') }}") == djangos("kb/site.css")
    with override_settings(STATIC_URL="/assets/"):
        assert render("{{ static('kb/site.css') }}") == "/assets/kb/site.css"
    assert render("{{ static('kb/site.css') }}") == djangos("kb/site.css")
    assert djangos("kb/site.css") != "/assets/kb/site.css"
