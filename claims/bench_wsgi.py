"""The raw handler `kb_bench --throughput` holds the app to: a bare WSGI application that runs
the benchmark's hand-written SQL (claims/bench_sql.py) for the claims list and the
contradictions list through psycopg2 and answers its rows encoded with orjson. Served by the
same gunicorn as the app, it is what the same rows cost without Django.

    DATABASE_URL=postgres://... gunicorn claims.bench_wsgi:application
"""

from __future__ import annotations

import os

import orjson
import psycopg2
import psycopg2.extras

from claims.bench_sql import CONTRADICTION_LIST_SQL, claims_sql

QUERIES = {
    "/api/v1/claims/": (claims_sql("TRUE"), {}),
    "/api/v1/contradictions/": (CONTRADICTION_LIST_SQL, {"after": 0, "size": 50}),
}
_connection = None


def _cursor():
    # One connection per worker process, kept, as the app keeps its own (CONN_MAX_AGE).
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg2.connect(os.environ["DATABASE_URL"])
        _connection.autocommit = True
    return _connection.cursor(cursor_factory=psycopg2.extras.RealDictCursor)


def application(environ, start_response):
    query = QUERIES.get(environ.get("PATH_INFO", ""))
    if query is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    with _cursor() as cursor:
        cursor.execute(*query)
        body = orjson.dumps({"results": cursor.fetchall()}, default=str)
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
