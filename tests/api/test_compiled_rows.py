"""Rows read by their ids with a query compiled once per connection (kb.api.compiled): the
same rows as the values() query gives, in its order, whatever reads them; and the API's filter
forms, which share their fields rather than copying them for each request."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, F, Q
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims.api_rows import claim_row, every_claim_values, every_contradiction_values
from claims.filters import ClaimFilter
from claims.models import Claim, Contradiction
from claims.selectors.claims import OpenContradictionIds
from kb.api.compiled import dicts_of, rows_among, rows_by_ids
from kb.api.urls import router
from tests import reads
from tests.api.conftest import keys

pytestmark = pytest.mark.django_db

CLAIMS = "/api/v1/claims/"


def _rows(order):
    return lambda: every_claim_values().order_by(*order)


@pytest.mark.parametrize("order", [("id",), ("-id",), ("-claimed_on", "id")])
def test_the_rows_are_those_of_the_values_query_in_its_order(small, order):
    expected = list(every_claim_values().order_by(*order))
    ids = Claim.objects.values("pk")

    found = rows_by_ids(("test", order), _rows(order), ids)

    # Every column as values() gives it: the database's JSON and arrays read by the same
    # converters, dates as dates.
    assert found == expected
    assert any(row["all_contradictions"] for row in found)
    assert any(claim_row(row).open_contradiction_ids for row in found)


def test_a_rows_open_contradictions_are_those_the_database_reads_as_open(small):
    # The API's `contradictions` of a claim: taken from all its contradictions, the open and
    # current ones, as OpenContradictionIds reads them (the pages' claims).
    def expected() -> dict:
        annotated = Claim.objects.annotate(open_ids=OpenContradictionIds())
        return dict(annotated.values_list("pk", "open_ids"))

    def found() -> dict:
        return {row["id"]: claim_row(row).open_contradiction_ids for row in every_claim_values()}

    assert found() == expected() and any(found().values())
    first, second = Contradiction.objects.order_by("pk")[:2]
    decided = {"status": "resolved", "outcome": "one_is_wrong", "resolved_at": timezone.now()}
    Contradiction.objects.filter(pk=first.pk).update(**decided)
    Contradiction.objects.filter(pk=second.pk).update(withdrawn_at=timezone.now())
    assert found() == expected() and not any(found().values())
    Contradiction.objects.filter(pk__in=[first.pk, second.pk]).update(
        status="open", outcome="", resolved_at=None, withdrawn_at=None
    )
    assert found() == expected() and any(found().values())


def test_annotations_among_the_fields_keep_their_names(small):
    # values() lists an annotation before a field and after another: each name its own value.
    def rows():
        return (
            Contradiction.objects.annotate(subject_name=F("subject__name"), members=Count("claims"))
            .values("members", "id", "subject_name", "status")
            .order_by("-id")
        )

    expected = list(rows())
    found = rows_by_ids("test annotations", rows, Contradiction.objects.values("pk"))

    assert found == expected
    assert all(isinstance(row["subject_name"], str) and row["members"] >= 2 for row in found)
    assert list(found[0]) == ["members", "id", "subject_name", "status"]


def test_only_the_rows_the_ids_give_are_read(small):
    ids = Claim.objects.filter(Q(key__startswith="c-staff") | Q(key="c-lethal-no"))

    found = rows_by_ids(("test", ("id",)), _rows(("id",)), ids.values("pk").order_by("id")[:2])

    assert [row["key"] for row in found] == [c.key for c in ids.order_by("id")[:2]]


def test_no_ids_is_no_rows(small):
    assert rows_by_ids(("test", ("id",)), _rows(("id",)), Claim.objects.none().values("pk")) == []
    nothing = Claim.objects.filter(pk__in=[]).values("pk")
    assert rows_by_ids(("test", ("id",)), _rows(("id",)), nothing) == []


def test_the_rows_query_is_compiled_once_per_connection_and_key(small, monkeypatch):
    compiled_queries = reads.compiled_sql(monkeypatch)
    key = ("test once", ("id",))
    ids = Claim.objects.values("pk")
    first = rows_by_ids(key, _rows(("id",)), ids)
    rows_query = [sql for sql in compiled_queries if '"quote"' in sql]
    compiled_queries.clear()

    again = [rows_by_ids(key, _rows(("id",)), ids) for _ in range(3)]

    assert len(rows_query) == 1
    assert again == [first] * 3
    # Only the ids' query is compiled again: the rows' columns are not.
    assert compiled_queries and not any('"quote"' in sql for sql in compiled_queries)


def test_the_rows_are_read_in_one_query_with_the_ids_inside_or_prepared_after_them(small):
    ids = Claim.objects.filter(credibility__lte=2).values("pk").order_by("id")[:3]

    with CaptureQueriesContext(connection) as queries:
        found = rows_by_ids(("test", ("id",)), _rows(("id",)), ids)

    assert len(queries.captured_queries) == reads.rows_by_ids()
    expected = list(Claim.objects.filter(credibility__lte=2).order_by("id")[:3])
    assert [row["id"] for row in found] == [claim.id for claim in expected]


def test_recurring_ids_are_read_in_one_query_whose_values_are_each_request_s(small):
    # A list's first page under each choice of filters: the ids' values are written into the
    # statement, so that one choice never reads another's rows, however often each comes.
    def first_three(credibility):
        ids = Claim.objects.filter(credibility=credibility).values("pk").order_by("id")[:3]
        return rows_by_ids(("test", ("id",)), _rows(("id",)), ids, recurring=True)

    def expected(credibility):
        return list(Claim.objects.filter(credibility=credibility).order_by("id")[:3])

    for _ in range(3):  # prepared from the second time the same text comes (kb.prepared)
        for credibility in (1, 2):
            with CaptureQueriesContext(connection) as queries:
                found = first_three(credibility)
            assert len(queries.captured_queries) == 1
            assert [row["id"] for row in found] == [claim.id for claim in expected(credibility)]
            assert found and all(row["credibility"] == credibility for row in found)


def test_other_models_and_orders_are_kept_apart(small):
    claims = rows_by_ids(("test", "claims"), _rows(("-id",)), Claim.objects.values("pk"))
    contradictions = rows_by_ids(
        ("test", "contradictions"),
        lambda: every_contradiction_values().order_by("id"),
        Contradiction.objects.values("pk"),
    )

    assert [row["id"] for row in claims] == sorted(Claim.objects.values_list("id", flat=True))[::-1]
    assert [row["id"] for row in contradictions] == sorted(
        Contradiction.objects.values_list("id", flat=True)
    )


def test_a_queryset_of_instances_is_refused(small):
    with pytest.raises(TypeError, match="values"):
        rows_by_ids(("test", "instances"), Claim.objects.all, Claim.objects.values("pk"))


def _compiled_claim_columns(monkeypatch) -> list[str]:
    """The queries compiled from here on that read claims' quotes (the rows' query)."""
    compiled_queries = []
    compile_ = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        sql, params = compile_(self, *args, **kwargs)
        if '"quote"' in sql:
            compiled_queries.append(sql)
        return sql, params

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    return compiled_queries


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/claims/?page_size=3",
        "/api/v1/claims/?ordering=-claimed_on&min_credibility=3",
        "/api/v1/contradictions/",
        "/api/v1/contradictions/{contradiction}/",
        "/api/v1/entities/{entity}/facts/",
        "/entities/{entity}/",
    ],
)
def test_requests_after_the_first_compile_no_rows_query(api, small, monkeypatch, url):
    url = url.format(
        contradiction=Contradiction.objects.first().pk,
        entity=Claim.objects.get(key="c-staff-over-300").subject_id,
    )
    if not url.startswith("/api/"):
        api.force_login(get_user_model().objects.create_user("reader"))
    assert api.get(url).status_code == 200
    compiled_queries = _compiled_claim_columns(monkeypatch)

    for _ in range(2):
        assert api.get(url).status_code == 200

    assert compiled_queries == []


# The API's filter forms.


def test_filter_forms_share_their_fields_and_keep_each_request_s_values_apart(api, small):
    first = ClaimFilter({"min_credibility": "2"}, queryset=Claim.objects.all())
    second = ClaimFilter({"min_credibility": "9"}, queryset=Claim.objects.all())

    assert first.form.fields["min_credibility"] is second.form.fields["min_credibility"]
    assert first.is_valid() and not second.is_valid()
    assert first.form.cleaned_data["min_credibility"] == 2
    assert "min_credibility" in second.errors
    # Requests one after the other: an error stays with its own request.
    assert api.get(CLAIMS, {"min_credibility": "9"}).status_code == 400
    found = keys(api.get(CLAIMS, {"min_credibility": "2"}))
    assert sorted(found) == sorted(
        Claim.objects.filter(credibility__lte=2).values_list("key", flat=True)
    )


@pytest.mark.parametrize("prefix,viewset", [(p, v) for p, v, _ in router.registry])
def test_every_list_filters_the_whole_table_its_rows_are_read_from(prefix, viewset):
    # A page's ids are taken from the model's rows (filter_base), its rows read by id from
    # get_queryset(): a condition in get_queryset() would be lost, so there is none.
    view = viewset()
    rows = view.get_queryset()
    base = view.filter_base()

    assert base.model is rows.model
    assert not rows.query.where and not base.query.where
    assert rows.query.values_select  # column values, read by rows_by_ids


def test_recurring_ids_kept_under_a_key_read_their_rows_and_an_empty_choice_none(
    small, monkeypatch
):
    import kb.api.compiled as compiled

    monkeypatch.setattr(compiled, "RECURRING_KEPT", 2)
    key = ("test kept", ("id",))

    def first_three(credibility):
        ids = Claim.objects.filter(credibility=credibility).values("pk").order_by("id")[:3]
        return rows_by_ids(key, _rows(("id",)), ids, recurring=True, ids_key=credibility)

    for _ in range(3):
        for credibility in (1, 2, 3):  # more choices than are kept: the oldest is written again
            expected = Claim.objects.filter(credibility=credibility).order_by("id")[:3]
            assert [row["id"] for row in first_three(credibility)] == [c.id for c in expected]
    nothing = Claim.objects.none().values("pk")
    for _ in range(2):
        assert rows_by_ids(key, _rows(("id",)), nothing, recurring=True, ids_key="none") == []


@pytest.mark.postgres_only
def test_rows_among_values_are_those_values_gives_batch_by_batch(small):
    # An import compares its claims with the stored ones so (claims.bundles.writing).
    names = sorted(field.attname for field in Claim._meta.concrete_fields)
    keys = [*Claim.objects.order_by("id").values_list("key", flat=True), "no-such-claim"]
    expected = {row["key"]: row for row in Claim.objects.values("key", *names)}

    with CaptureQueriesContext(connection) as queries:
        found = rows_among(Claim.objects.values("key", *names), "key", keys, batch=2)

    assert len(expected) > 2
    assert {row["key"]: row for row in found} == expected
    assert len(found) == len(expected)
    # One query a batch of two keys, the keys passed as one array.
    assert len(queries) == -(-len(keys) // 2)
    assert all("= ANY(" in query["sql"] for query in queries.captured_queries)


def test_rows_among_is_for_postgresql(small):
    if connection.vendor == "postgresql":
        pytest.skip("on PostgreSQL rows_among reads")
    with pytest.raises(TypeError, match="PostgreSQL"):
        rows_among(Claim.objects.values("key"), "key", ["k"], batch=10)


@pytest.mark.parametrize(
    "names",
    [["id", "name", 'it\'s "quoted"', "{braces}"], ["twice", "other", "twice"], ["alone"], []],
)
def test_rows_become_the_dicts_dict_and_zip_make(names):
    rows = [tuple(range(start, start + len(names))) for start in range(4)]

    assert dicts_of(names)(rows) == [dict(zip(names, row, strict=True)) for row in rows]


def test_a_row_of_another_length_or_a_name_not_text_is_refused():
    with pytest.raises(ValueError):
        dicts_of(["a", "b"])([(1, 2, 3)])
    with pytest.raises(ValueError):
        dicts_of(["a", "b"])([(1,)])
    with pytest.raises(TypeError):
        dicts_of(["a", 1])
