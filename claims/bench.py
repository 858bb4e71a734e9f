"""The benchmark's judge: each request of the API and the pages against the same rows fetched
by one hand-written query and encoded with orjson, timed in interleaved pairs.

Each pair asks for rows of its own (another subject, contradiction or cursor position, drawn
once, the same for both sides), so that neither side reads only what the pair before left in
memory; which side goes first alternates. A case's figure is the median of its pairs' ratios.
The connection is kept between requests and checked before each, as production does
(DATABASE_CONN_MAX_AGE, health checks). The shared cache is production's (kb_bench: CACHE_URL,
else the database table): it holds the throttle counts, read and written at each API request,
and the counts the pages show (kb/memo.py), which a server running without writes finds warm;
the ETag lookups are one query each time, never cached. The displays of values that a worker
keeps once worked out (claims/values/display.py) are forgotten before each request. The pages
are read by a signed-in editor, the API anonymously.
"""

from __future__ import annotations

import base64
import json
import random
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connection, connections
from django.test import Client

from claims.bench_sql import (
    CONTRADICTION_LIST_SQL,
    CONTRADICTION_SQL,
    ENTITY_CONTRADICTIONS_SQL,
    HISTORY_SQL,
    QUEUE_SQL,
    SEARCH,
    SIDE_BY_SIDE_SQL,
    claims_sql,
)
from claims.values.display import forget_shown
from kb import prepared


def cursor_after(claim_id: int, *, ordering: str = "id") -> str:
    """The API's cursor for the page after `claim_id` (kb/api/pagination.py's format)."""
    payload = {"o": ordering, "s": 0, "v": None, "i": claim_id, "r": 0}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_NAMED = re.compile(r"%\((\w+)\)s")


def positional(sql: str, params: dict) -> tuple[str, list]:
    """`sql` with its named placeholders (%(name)s) as %s, and their values in that order."""
    values = []

    def replace(match: re.Match) -> str:
        values.append(params[match[1]])
        return "%s"

    return _NAMED.sub(replace, sql), values


# The connection the hand-written queries run on when prepared (prepared_reference()).
_REFERENCE: dict[str, object] = {}


def prepared_reference():
    """A connection of its own for the hand-written queries prepared as statements, on which
    PostgreSQL chooses each one's plan as it does by default (plan_cache_mode): the app's
    connections plan theirs once for any values (kb/postgresql/base.py), which their ids
    allow and a hand-written query's limits and words do not (a page of contradictions took
    65 ms so, 13 ms planned for its values)."""
    db = _REFERENCE.get("db")
    if db is None:
        db = _REFERENCE["db"] = connections.create_connection(DEFAULT_DB_ALIAS)
        with db.cursor() as cursor:
            cursor.execute("SET plan_cache_mode TO DEFAULT")
    return db


def close_prepared_reference() -> None:
    """Close prepared_reference()'s connection, if one was opened."""
    db = _REFERENCE.pop("db", None)
    if db is not None:
        db.close()


def fetch(sql: str, params: dict, *, prepare: bool = False) -> list[dict]:
    """The rows of a hand-written query; `prepare`: as a statement prepared on a connection
    (prepared_reference()), as the app's row queries are (kb.prepared), planned once rather
    than at each request."""
    with (prepared_reference() if prepare else connection).cursor() as cursor:
        if prepare:
            prepared.execute(cursor, *positional(sql, params))
        else:
            cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _default(value):
    return str(value)


def encoded(*queries: tuple[str, dict], prepare: bool = False) -> bytes:
    """The hand-written side of a pair: each query's rows fetched and encoded with orjson."""
    return orjson.dumps(
        [fetch(sql, params, prepare=prepare) for sql, params in queries], default=_default
    )


@dataclass
class Case:
    """One request of the benchmark: for pair i, the URL and its hand-written queries."""

    label: str
    url: Callable[[int], str]
    queries: Callable[[int], list[tuple[str, dict]]]
    # How many rows the response shows, from its JSON; None for a page (HTML), which a
    # signed-in editor reads.
    rows: Callable[[dict], int] | None = None

    @property
    def page(self) -> bool:
        return self.rows is None


@dataclass
class Result:
    label: str
    rows: int
    api_ms: float
    sql_ms: float
    ratio: float


def _timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def interleaved(first, second, pairs: int, warmups: int = 2) -> tuple[list[float], list[float]]:
    """Time `first(i)` and `second(i)` in `pairs` pairs, alternating which runs first; each
    pair's i is its own. Two unmeasured pairs first. Returns the times of each side."""
    for i in range(warmups):
        first(i)
        second(i)
    ones, twos = [], []
    for i in range(pairs):
        if i % 2:
            twos.append(_timed(lambda i=i: second(i)))
            ones.append(_timed(lambda i=i: first(i)))
        else:
            ones.append(_timed(lambda i=i: first(i)))
            twos.append(_timed(lambda i=i: second(i)))
    return ones, twos


def median_ratio(ones: list[float], twos: list[float]) -> float:
    return statistics.median(a / b for a, b in zip(ones, twos, strict=True))


def request(client: Client, url: str) -> None:
    """One measured request, made as production makes it."""
    # What the handler does at each request in production: drop a connection past its age,
    # check the kept one (CONN_HEALTH_CHECKS). The test client leaves it out.
    close_old_connections()
    # The same rows are read in every pair of some cases ((h) and (j): one entity; the first
    # page): their values' displays, which a worker keeps once worked out, are worked out
    # afresh each time.
    forget_shown()
    answer = client.get(url)
    assert answer.status_code == 200, (url, answer.status_code)


def run_case(client: Client, case: Case, pairs: int, *, prepare: bool = False) -> Result:
    """Check that the response shows the rows the queries fetch, then time the pairs; with
    `prepare`, the hand-written queries run as prepared statements."""
    response = client.get(case.url(0))
    if response.status_code != 200:
        raise RuntimeError(
            f"{case.url(0)} answered {response.status_code}: {response.content[:300]}"
        )
    fetched = [fetch(sql, params) for sql, params in case.queries(0)]
    shown = len(fetched[0])
    if case.rows is not None:
        shown = case.rows(response.json())
        if shown != len(fetched[0]):
            raise RuntimeError(
                f"{case.label}: the API shows {shown} rows, the SQL fetched {len(fetched[0])}."
            )

    def api(i):
        request(client, case.url(i))

    def sql(i):
        encoded(*case.queries(i), prepare=prepare)

    api_times, sql_times = interleaved(api, sql, pairs)
    return Result(
        case.label,
        shown,
        statistics.median(api_times) * 1000,
        statistics.median(sql_times) * 1000,
        median_ratio(api_times, sql_times),
    )


def listed(body: dict) -> int:
    return len(body["results"])


def claims_of_contradictions(body: dict) -> int:
    found = body.get("results", [body])
    return sum(len(p["claims"]) for c in found for p in c["positions"])


def fact_claims(body: dict) -> int:
    return sum(len(v["claims"]) for f in body["facts"] for v in f["values"])


@dataclass
class Sample:
    """What the pairs ask for, drawn once from the knowledge base."""

    total: int
    claim_ids: list[int]  # positions to page after, spread over the table
    deep_ids: list[int]  # positions about 90% deep
    subjects: list[int]  # subjects with claims of syn_value
    contradictions: list[int]  # open contradictions
    contradiction_after: list[int]  # positions in the contradictions list
    biggest_entity: int
    words: list[str]


def sample(pairs: int, seed: int = 7) -> Sample:
    rng = random.Random(seed)
    count = pairs + 4
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id), count(*) FROM claims_claim")
        low, high, total = cursor.fetchone()
        cursor.execute("SELECT min(id), max(id) FROM claims_contradiction")
        c_low, c_high = cursor.fetchone()
        cursor.execute(
            "SELECT DISTINCT c.subject_id FROM claims_claim c JOIN claims_attribute a "
            "ON a.id = c.attribute_id WHERE a.code = 'syn_value' AND c.id > %s LIMIT %s",
            [high - 5000, count],
        )
        subjects = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT id FROM claims_contradiction WHERE status = 'open' AND withdrawn_at IS NULL "
            "AND id > %s ORDER BY id LIMIT %s",
            [c_low + (c_high - c_low) // 2, count],
        )
        contradictions = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT subject_id FROM claims_claim GROUP BY subject_id ORDER BY count(*) DESC, "
            "subject_id LIMIT 1"
        )
        (biggest,) = cursor.fetchone()
    span = high - low
    return Sample(
        total=total,
        claim_ids=[low + rng.randrange(span // 2) for _ in range(count)],
        deep_ids=[low + span * 9 // 10 + rng.randrange(max(1, span // 100)) for _ in range(count)],
        subjects=subjects,
        contradictions=contradictions,
        contradiction_after=[
            c_low + rng.randrange(max(1, (c_high - c_low) // 2)) for _ in range(count)
        ],
        biggest_entity=biggest,
        # A number in one claim's quote, one source's title and one entity's name.
        words=[str(rng.randrange(1000, 9999)) for _ in range(count)],
    )


def cases(found: Sample) -> list[Case]:
    def pick(values, i):
        return values[i % len(values)]

    def claims_page(size: int):
        return Case(
            f"(f) claims, page_size={size}",
            lambda i: (
                f"/api/v1/claims/?page_size={size}&cursor={cursor_after(pick(found.claim_ids, i))}"
            ),
            lambda i: [
                (claims_sql("c.id > %(after)s", limit=size), {"after": pick(found.claim_ids, i)})
            ],
            listed,
        )

    def contradictions_page(size: int):
        return Case(
            f"(g) contradictions, page_size={size}",
            lambda i: (
                f"/api/v1/contradictions/?page_size={size}&cursor="
                f"{cursor_after(pick(found.contradiction_after, i))}"
            ),
            lambda i: [
                (
                    CONTRADICTION_LIST_SQL,
                    {"after": pick(found.contradiction_after, i), "size": size},
                )
            ],
            claims_of_contradictions,
        )

    entity = found.biggest_entity
    return [
        Case(
            "(a) claims list",
            lambda i: "/api/v1/claims/",
            lambda i: [(claims_sql("TRUE"), {})],
            listed,
        ),
        Case(
            "(b) claims by subject and attribute",
            lambda i: f"/api/v1/claims/?subject={pick(found.subjects, i)}&attribute=syn_value",
            lambda i: [
                (
                    claims_sql("c.subject_id = %(subject)s AND a.code = %(attribute)s"),
                    {"subject": pick(found.subjects, i), "attribute": "syn_value"},
                )
            ],
            listed,
        ),
        Case(
            "(c) full-text search",
            lambda i: f"/api/v1/claims/?q={pick(found.words, i)}",
            lambda i: [(claims_sql(SEARCH), {"q": pick(found.words, i)})],
            listed,
        ),
        Case(
            "(d) contradiction detail",
            lambda i: f"/api/v1/contradictions/{pick(found.contradictions, i)}/",
            lambda i: [(CONTRADICTION_SQL, {"id": pick(found.contradictions, i)})],
            claims_of_contradictions,
        ),
        Case(
            "(e) claims page 90% deep",
            lambda i: f"/api/v1/claims/?cursor={cursor_after(pick(found.deep_ids, i))}",
            lambda i: [(claims_sql("c.id > %(after)s"), {"after": pick(found.deep_ids, i)})],
            listed,
        ),
        claims_page(500),
        claims_page(1000),
        contradictions_page(50),
        contradictions_page(500),
        Case(
            "(h) facts of the biggest entity",
            lambda i: f"/api/v1/entities/{entity}/facts/",
            lambda i: [
                (
                    claims_sql("c.subject_id = %(subject)s", order="a.label, c.id", limit="ALL"),
                    {"subject": entity},
                ),
                (ENTITY_CONTRADICTIONS_SQL, {"subject": entity}),
            ],
            fact_claims,
        ),
        Case("(i) page: editors' queue", lambda i: "/contradictions/", lambda i: [(QUEUE_SQL, {})]),
        Case(
            "(j) page: the biggest entity",
            lambda i: f"/entities/{entity}/",
            lambda i: [
                (
                    claims_sql("c.subject_id = %(subject)s", order="a.label, c.id", limit="ALL"),
                    {"subject": entity},
                ),
                (ENTITY_CONTRADICTIONS_SQL, {"subject": entity}),
            ],
        ),
        Case(
            "(k) page: side by side",
            lambda i: f"/contradictions/{pick(found.contradictions, i)}/",
            lambda i: [
                (SIDE_BY_SIDE_SQL, {"id": pick(found.contradictions, i)}),
                (HISTORY_SQL, {"id": pick(found.contradictions, i)}),
            ],
        ),
    ]


# The deep page's figure is one ratio of two requests of a few milliseconds against a limit of
# 1.2: it takes this many times a case's pairs, so that its median moves less between runs.
DEEP_PAIRS_FACTOR = 3


def deep_against_first(client: Client, found: Sample, pairs: int) -> float:
    """The API's claims page 90% deep against its first page: the median of the pairs' ratios
    (keyset pagination: the same cost at any depth). Each request is made as the cases' are
    (request()), so that the first page, the same rows each time, does not find its displays
    kept from the pair before."""

    def deep(i):
        cursor = cursor_after(found.deep_ids[i % len(found.deep_ids)])
        request(client, f"/api/v1/claims/?cursor={cursor}")

    def first(i):
        request(client, "/api/v1/claims/")

    deep_times, first_times = interleaved(deep, first, pairs * DEEP_PAIRS_FACTOR)
    return median_ratio(deep_times, first_times)
