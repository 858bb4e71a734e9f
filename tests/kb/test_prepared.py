"""The queries that read a request's rows are prepared on the connection (kb.prepared): the same
rows as the query sent as text, from the second time it comes; sent as text where PostgreSQL
cannot prepare it, on SQLite and with DATABASE_PREPARED_STATEMENTS off."""

from __future__ import annotations

import html
import re

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from rest_framework.test import APIClient

from claims.api_rows import every_contradiction_values
from claims.filters import ContradictionQueueFilter
from claims.models import Contradiction
from claims.services import contradiction_resolve
from kb import prepared
from kb.api.compiled import _CompiledRows
from tests import reads
from tests.factories import PublisherFactory

pytestmark = pytest.mark.django_db

NAMED = "SELECT name FROM sources_publisher WHERE id = %s AND name LIKE %s ORDER BY id"


def decide(contradiction, editor) -> None:
    contradiction_resolve(
        contradiction=contradiction,
        user=editor,
        outcome="one_is_wrong",
        note="Checked.",
        position=0,
        version=contradiction.version,
    )


def prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'kb_prepared_%%'")
        return {row[0] for row in cursor.fetchall()}


def run(sql: str, params=()) -> tuple[list, str]:
    """The rows, and the SQL that went to the database."""
    with CaptureQueriesContext(connection) as sent, connection.cursor() as cursor:
        prepared.execute(cursor, sql, params)
        rows = cursor.fetchall()
    return rows, sent.captured_queries[-1]["sql"]


def forget():
    prepared.forget_prepared(using=DEFAULT_DB_ALIAS)


@pytest.fixture(autouse=True)
def _fresh_statements():
    forget()
    yield
    forget()


def test_placeholders_are_numbered_and_percent_signs_unescaped():
    assert prepared.numbered("SELECT %s, '50%%', %s || '%%s'") == "SELECT $1, '50%', $2 || '%s'"
    assert prepared.numbered("SELECT 1") == "SELECT 1"


@pytest.mark.postgres_only
def test_the_second_time_a_query_comes_it_is_prepared_and_gives_the_same_rows():
    publisher = PublisherFactory(name="Reuters 100%")
    PublisherFactory(name="Other")

    first, first_sql = run(NAMED, [publisher.pk, "%100%%"])
    second, second_sql = run(NAMED, [publisher.pk, "%100%%"])
    third, third_sql = run(NAMED, [publisher.pk, "Reuters%"])

    assert first == second == third == [("Reuters 100%",)]
    assert "sources_publisher" in first_sql
    assert second_sql.startswith("EXECUTE kb_prepared_")
    assert third_sql == second_sql.replace("'%100%%'", "'Reuters%'")
    assert len(prepared_names()) == 1
    # Other values, through the same statement.
    assert run(NAMED, [publisher.pk, "Other%"])[0] == []


@pytest.mark.postgres_only
def test_a_query_without_values_is_prepared_too():
    PublisherFactory(name="Only")
    sql = "SELECT name FROM sources_publisher ORDER BY name"

    assert run(sql)[0] == run(sql)[0] == [("Only",)]
    assert run(sql)[1].startswith("EXECUTE kb_prepared_")


@pytest.mark.postgres_only
def test_a_query_postgresql_cannot_prepare_is_sent_as_it_is_and_the_transaction_goes_on():
    """Inside a transaction (as every test is), a refused PREPARE must not end it."""
    sql = "SELECT %s IS NULL"
    publisher = PublisherFactory(name="Kept")

    for _ in range(3):
        rows, sent = run(sql, [None])
        assert rows == [(True,)]
        assert sent == "SELECT NULL IS NULL"
    # The transaction still works and holds what it wrote.
    assert run(NAMED, [publisher.pk, "Kept"])[0] == [("Kept",)]
    assert prepared_names() == set()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_outside_a_transaction_a_refused_query_is_sent_as_it_is():
    for _ in range(3):
        assert run("SELECT %s IS NULL", [1])[0] == [(False,)]
    assert prepared_names() == set()


@pytest.mark.postgres_only
def test_a_statement_survives_the_rollback_of_the_transaction_that_prepared_it():
    publisher = PublisherFactory(name="Survivor")
    with pytest.raises(RuntimeError), transaction.atomic():
        run(NAMED, [publisher.pk, "Survivor"])
        run(NAMED, [publisher.pk, "Survivor"])
        raise RuntimeError

    rows, sent = run(NAMED, [publisher.pk, "Survivor"])

    assert rows == [("Survivor",)]
    assert sent.startswith("EXECUTE kb_prepared_")


@pytest.mark.postgres_only
def test_at_most_the_limit_is_kept_the_least_recently_used_given_up(monkeypatch):
    monkeypatch.setattr(prepared, "PREPARED_LIMIT", 2)
    queries = [f"SELECT {n} + %s" for n in range(3)]
    for sql in queries[:2]:
        run(sql, [1])
        run(sql, [1])
    run(queries[0], [1])  # the first is used again: the second is now the oldest

    run(queries[2], [1])
    rows, sent = run(queries[2], [1])
    assert rows == [(3,)]
    assert sent.startswith("EXECUTE")

    assert len(prepared_names()) == 2
    assert run(queries[0], [1])[1].startswith("EXECUTE")
    assert not run(queries[1], [1])[1].startswith("EXECUTE")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_new_server_connection_prepares_again():
    sql = "SELECT 41 + %s"
    run(sql, [1])
    run(sql, [1])
    connection.close()

    first, first_sql = run(sql, [1])
    second, second_sql = run(sql, [1])

    assert first == second == [(42,)]
    assert not first_sql.startswith("EXECUTE")
    assert second_sql.startswith("EXECUTE")


@pytest.mark.postgres_only
def test_migrate_gives_up_the_statements():
    sql = "SELECT 1 + %s"
    run(sql, [1])
    run(sql, [1])
    assert prepared_names()

    emit_post_migrate_signal(verbosity=0, interactive=False, db=DEFAULT_DB_ALIAS)

    assert prepared_names() == set()
    assert not run(sql, [1])[1].startswith("EXECUTE")
    assert run(sql, [1])[1].startswith("EXECUTE")


@override_settings(DATABASE_PREPARED_STATEMENTS=False)
def test_turned_off_every_query_is_sent_as_it_is():
    for _ in range(3):
        rows, sent = run("SELECT 1 + %s", [1])
        assert rows == [(2,)]
        assert sent == "SELECT 1 + 1"


def test_on_sqlite_queries_are_sent_as_they_are():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite's path")
    for _ in range(3):
        assert run("SELECT 1 + %s", [1]) == ([(2,)], "SELECT 1 + 1")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_table_changed_by_another_connection_gives_up_the_statements_and_reads_anew():
    """A worker's statements outlive a deploy's migrate on another connection: PostgreSQL
    refuses one whose columns changed, and the query is read again as text."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE kb_prepared_probe (a int)")
        cursor.execute("INSERT INTO kb_prepared_probe VALUES (1)")
    try:
        sql = "SELECT * FROM kb_prepared_probe WHERE a = %s"
        run(sql, [1])
        rows, sent = run(sql, [1])
        assert rows == [(1,)]
        assert sent.startswith("EXECUTE kb_prepared_")
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE kb_prepared_probe ADD COLUMN b int DEFAULT 2")

        assert run(sql, [1]) == ([(1, 2)], "SELECT * FROM kb_prepared_probe WHERE a = 1")
        assert prepared_names() == set()
        assert run(sql, [1])[1] == "SELECT * FROM kb_prepared_probe WHERE a = 1"
        assert run(sql, [1])[1].startswith("EXECUTE kb_prepared_")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE kb_prepared_probe")


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/claims/?min_credibility=2&ordering=-claimed_on",
        "/api/v1/claims/?q=callao",
        "/api/v1/contradictions/?status=open",
        "/contradictions/",
        "/entities/{entity}/",
        "/contradictions/{contradiction}/",
    ],
)
def test_pages_and_the_api_read_the_same_through_prepared_statements(
    url, client, editor, demo, settings
):
    """The rows' queries of the API and the pages run as prepared statements from the second
    request on, and show what the queries sent as text show."""
    contradiction = Contradiction.objects.order_by("pk").first()
    client.force_login(editor)
    url = url.format(entity=contradiction.subject_id, contradiction=contradiction.pk)
    settings.DATABASE_PREPARED_STATEMENTS = False
    as_text = client.get(url)
    settings.DATABASE_PREPARED_STATEMENTS = True
    client.get(url)

    with CaptureQueriesContext(connection) as sent:
        prepared_answer = client.get(url)

    assert prepared_answer.status_code == as_text.status_code == 200
    assert any(q["sql"].startswith("EXECUTE kb_prepared_") for q in sent.captured_queries)
    if url.startswith("/api/"):
        assert prepared_answer.json() == as_text.json()
    else:
        # The same page but for its CSRF token and CSP nonce.
        def plain(page: bytes) -> str:
            return re.sub(r'(nonce|value)="[^"]{20,}"', "", page.decode())

        assert plain(prepared_answer.content) == plain(as_text.content)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_statement_missing_on_the_server_is_read_as_text_then_prepared_again():
    """As behind a pooler that hands the connection another server connection: the statement
    is not there, and the query is sent as text."""
    sql = "SELECT 40 + %s"
    run(sql, [2])
    assert run(sql, [2])[1].startswith("EXECUTE kb_prepared_")
    with connection.connection.cursor() as raw:
        raw.execute("DEALLOCATE ALL")

    assert run(sql, [2]) == ([(42,)], "SELECT 40 + 2")
    assert not run(sql, [2])[1].startswith("EXECUTE")
    assert run(sql, [2])[1].startswith("EXECUTE kb_prepared_")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_each_server_connection_names_its_statements_its_own_way():
    """Two clients sharing a server connection by mistake never run each other's statement."""
    sql = "SELECT 1 + %s"
    run(sql, [1])
    first = run(sql, [1])[1].split()[1]
    connection.close()
    run(sql, [1])
    second = run(sql, [1])[1].split()[1]

    assert first.startswith("kb_prepared_") and second.startswith("kb_prepared_")
    assert first.rsplit("_", 1)[0] != second.rsplit("_", 1)[0]


def test_a_value_is_cut_out_by_its_number_among_the_placeholders():
    sql = "SELECT '5%%', %s, %s WHERE a = %s"
    assert prepared.split_at_value(sql, 1) == ("SELECT '5%%', %s, ", " WHERE a = %s")
    with pytest.raises(ValueError):
        prepared.split_at_value(sql, 3)


@pytest.mark.postgres_only
def test_constants_written_into_a_statement_keep_their_percent_signs():
    with connection.cursor() as cursor:
        written = prepared.with_values_written(
            cursor, "SELECT %s, '1%%' LIKE %s, %s", ["50% off", "1%%", "it's"]
        )
    assert written == "SELECT '50%% off', '1%%' LIKE '1%%%%', 'it''s'"
    for _ in range(3):
        assert run(written + " WHERE %s", [True])[0] == [("50% off", True, "it's")]


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    ("url", "value"),
    [
        ("/api/v1/claims/?rank=preferred", "'preferred'"),
        ("/api/v1/contradictions/?status=resolved", "'resolved'"),
        ("/api/v1/claims/?claimed_after=2030-01-01", "'2030-01-01'"),
    ],
)
def test_a_lists_ids_are_planned_for_the_requests_values_and_only_the_rows_prepared(
    url, value, demo, settings
):
    """A plan made once for any values would read every claim for a rare rank (its partial
    index serves `rank = 'preferred'`, not `rank = $1`), or a date past them all: the ids are
    sent as text with the request's values, and the prepared statement takes only ids."""
    api = APIClient()
    for _ in range(8):
        with CaptureQueriesContext(connection) as sent:
            assert api.get(url).status_code == 200

    texts = [q["sql"] for q in sent.captured_queries]
    assert any(value in sql and not sql.startswith("EXECUTE") for sql in texts)
    executed = [sql for sql in texts if sql.startswith("EXECUTE")]
    for sql in executed:
        assert re.fullmatch(r"EXECUTE kb_prepared_\w+ \(ARRAY\[[0-9, ]+\]\)", sql), sql


@pytest.mark.postgres_only
def test_a_rows_statement_holds_its_constants_and_takes_one_array_of_ids(demo):
    rows = _CompiledRows(every_contradiction_values().filter(status="open").order_by("id"), "pk")
    with connection.cursor() as cursor:
        statement = rows._by_array(cursor)

    assert "'open'" in statement
    assert statement.count("%s") == 1 and "= ANY(%s)" in statement


@pytest.mark.postgres_only
def test_the_entity_pages_claims_are_one_statement_taking_the_entitys_id(client, editor, demo):
    """Chosen by the entity's id alone, they are read in one query, a prepared statement
    whose one value is that id (one plan serves any entity)."""
    entity = Contradiction.objects.order_by("pk").first().subject
    client.force_login(editor)
    client.get(f"/entities/{entity.pk}/")
    client.get(f"/entities/{entity.pk}/")

    with CaptureQueriesContext(connection) as sent:
        page = client.get(f"/entities/{entity.pk}/").content.decode()

    executed = [q["sql"] for q in sent.captured_queries if q["sql"].startswith("EXECUTE")]
    assert any(sql.endswith(f"({entity.pk})") for sql in executed)
    assert not any("ARRAY[" in sql for sql in executed)
    assert entity.name in page


@pytest.mark.postgres_only
def test_an_entitys_facts_are_one_statement_unless_a_filter_chooses_among_its_claims(demo):
    entity = Contradiction.objects.order_by("pk").first().subject
    api = APIClient()
    url = f"/api/v1/entities/{entity.pk}/facts/"

    def sent(params: dict) -> list[str]:
        for _ in range(2):
            api.get(url, params)
        with CaptureQueriesContext(connection) as queries:
            assert api.get(url, params).status_code == 200
        return [q["sql"] for q in queries.captured_queries]

    plain = sent({})
    filtered = sent({"min_credibility": "2"})

    assert any(sql.startswith("EXECUTE") and sql.endswith(f"({entity.pk})") for sql in plain)
    assert not any("ARRAY[" in sql for sql in plain if sql.startswith("EXECUTE"))
    # Filtered, the ids are planned for the filter's value, then the rows read by those ids.
    assert any('"credibility" <= 2' in sql for sql in filtered)
    assert any(sql.startswith("EXECUTE") and "(ARRAY[" in sql for sql in filtered)


@pytest.mark.postgres_only
def test_the_queues_first_page_is_one_statement_for_each_status_and_later_pages_take_ids(
    client, editor, demo
):
    """The first page, which editors open again and again, has its status written in (a plan
    for `status = $1` would serve a rare status with the common one's); a later page reads
    its ids with its link's values, then the rows of those ids."""
    decided = Contradiction.objects.order_by("pk").first()
    decide(decided, editor)
    client.force_login(editor)

    def first_page(status):
        for _ in range(2):
            client.get("/contradictions/", {"status": status})
        with CaptureQueriesContext(connection) as sent:
            page = client.get("/contradictions/", {"status": status}).content.decode()
        return page, [q["sql"] for q in sent.captured_queries]

    opened, open_sent = first_page("open")
    resolved, resolved_sent = first_page("resolved")

    for sent in (open_sent, resolved_sent):
        executed = [sql for sql in sent if sql.startswith("EXECUTE")]
        # no ids' query of its own: the rows' statement holds it
        assert not any(sql.startswith('SELECT "claims_contradiction"."id"') for sql in sent)
        assert executed and not any("ARRAY[" in sql for sql in executed)
    assert f'id="contradiction-{decided.pk}"' in resolved
    assert f'id="contradiction-{decided.pk}"' not in opened
    assert 'id="contradiction-' in opened

    later = {"status": "open", "after": "2999-01-01T00:00:00+00:00~1"}
    client.get("/contradictions/", later)
    with CaptureQueriesContext(connection) as sent:
        client.get("/contradictions/", later)
    texts = [q["sql"] for q in sent.captured_queries]
    assert any(sql.startswith("EXECUTE") and "(ARRAY[" in sql for sql in texts)


@pytest.mark.postgres_only
def test_a_signed_in_requests_session_and_account_are_statements_prepared_on_the_connection(
    client, editor
):
    """One statement, prepared: the session with its account (kb.sessions), once the process
    has seen which account the session is signed in as."""
    client.force_login(editor)
    for _ in range(2):
        client.get("/nothing-here/")

    with CaptureQueriesContext(connection) as sent:
        page = client.get("/nothing-here/").content.decode()

    assert f'<span class="who">{editor.username} · Editor</span>' in html.unescape(page)
    texts = [q["sql"] for q in sent.captured_queries]
    assert not any("django_session" in sql or "auth_user" in sql for sql in texts), texts
    session_key = client.cookies["sessionid"].value
    assert any(
        sql.startswith("EXECUTE")
        and f"('{session_key}', " in sql
        # The account's id, and the version of the roles and permissions this connection
        # holds (migration kb.0007).
        and f", {editor.pk}, {editor.pk}, '" in sql
        for sql in texts
    ), texts


@pytest.mark.postgres_only
def test_a_queue_page_chosen_by_age_plans_its_ids_for_the_clocks_time(client, editor, demo):
    """An age is a time that moves with the clock: written into the statement, each request
    would be a text of its own, planned whole; its ids are planned for their values instead."""
    client.force_login(editor)
    for _ in range(3):
        with CaptureQueriesContext(connection) as sent:
            page = client.get("/contradictions/", {"age": "7", "status": "all"})
    assert page.status_code == 200
    texts = [q["sql"] for q in sent.captured_queries]
    assert any(sql.startswith('SELECT "claims_contradiction"."id"') for sql in texts)
    assert any(sql.startswith("EXECUTE") and "(ARRAY[" in sql for sql in texts)


@pytest.mark.postgres_only
def test_the_queues_first_page_under_each_choice_of_filters_shows_its_own_current_rows(
    client, editor, demo, monkeypatch
):
    """The first page's statement is written once per connection and choice of filters
    (queue_rows_reader): each choice keeps showing its own rows, and a decision moves a
    contradiction off the open page at once (the statement is kept, not its rows)."""
    client.force_login(editor)
    open_ones = Contradiction.objects.filter(status="open", withdrawn_at__isnull=True)
    target = open_ones.order_by("pk").first()
    attribute = target.attribute.code
    of_attribute = {c.pk for c in open_ones.filter(attribute=target.attribute)}
    assert 0 < len(of_attribute) < open_ones.count()

    def shown(params) -> set[int]:
        html = client.get("/contradictions/", params).content.decode()
        return {int(pk) for pk in re.findall(r'<tr id="contradiction-(\d+)">', html)}

    for _ in range(3):
        assert shown({}) == {c.pk for c in open_ones}
        assert shown({"attribute": attribute}) == of_attribute

    compiled = reads.compiled_sql(monkeypatch)
    assert shown({"attribute": attribute}) == of_attribute
    # The page's ids' query was not compiled again (it would read `ORDER BY GREATEST`).
    assert not any("GREATEST" in sql and "LIMIT 51" in sql for sql in compiled), compiled

    decide(target, editor)
    assert shown({"attribute": attribute}) == of_attribute - {target.pk}
    assert target.pk in shown({"attribute": attribute, "status": "resolved"})


@pytest.mark.postgres_only
def test_the_queues_kept_first_page_builds_no_queryset(client, editor, demo, monkeypatch):
    """Once the first page's statement is kept and its counts too, a request filters no
    queryset (Django's clones and lookups for each filter cost more than the statement's
    read); a later page, whose ids are planned for its link, still filters one."""
    client.force_login(editor)
    params = {"attribute": Contradiction.objects.first().attribute.code}
    for _ in range(2):
        first = client.get("/contradictions/", params)
    built = []
    original = ContradictionQueueFilter.without_status

    def counted(filterset):
        built.append(filterset)
        return original(filterset)

    monkeypatch.setattr(ContradictionQueueFilter, "without_status", counted)
    again = client.get("/contradictions/", params)
    assert again.status_code == 200 and built == []
    assert again.content.count(b'<tr id="contradiction-') == first.content.count(
        b'<tr id="contradiction-'
    )
    # A later page: past a link's place (far ahead, so it shows the same rows).
    later = client.get("/contradictions/", {**params, "after": "2999-01-01T00:00:00+00:00~1"})
    assert later.content.count(b'<tr id="contradiction-') == first.content.count(
        b'<tr id="contradiction-'
    )
    assert len(built) == 1
