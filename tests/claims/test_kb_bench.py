"""The benchmark and the load driver: pairs interleaved, every case run and checked against its
hand-written query, the last line the worst ratio; the load driver counts what it sees and the
load command fails on a server error."""

from __future__ import annotations

import threading
from io import StringIO
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from django.core.management import CommandError, call_command

from claims import bench
from kb import loadgen


def test_pairs_alternate_which_side_goes_first_and_each_pair_has_its_own_rows():
    calls = []

    one_times, two_times = bench.interleaved(
        lambda i: calls.append(("one", i)), lambda i: calls.append(("two", i)), 4, warmups=1
    )

    assert len(one_times) == len(two_times) == 4
    assert calls == [
        ("one", 0), ("two", 0),  # the warm-up
        ("one", 0), ("two", 0), ("two", 1), ("one", 1),
        ("one", 2), ("two", 2), ("two", 3), ("one", 3),
    ]  # fmt: skip


def test_the_ratio_is_the_median_of_the_pairs_ratios():
    assert bench.median_ratio([2.0, 30.0, 4.0], [1.0, 1.0, 1.0]) == 4.0


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def tiny_server():
    """A WSGI server on 127.0.0.1 that answers /fail with a 500 and anything else with 200."""

    def app(environ, start_response):
        failing = environ["PATH_INFO"] == "/fail"
        start_response("500 Internal Server Error" if failing else "200 OK", [])
        return [b"x"]

    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_the_driver_sends_exactly_the_requests_asked_and_counts_their_statuses(tiny_server):
    load = loadgen.drive(tiny_server, ["/a", "/a", "/fail"], clients=3, requests=30)

    assert load.statuses == {200: 20, 500: 10}
    assert load.server_errors == 10 and not load.failures
    assert len(load.latencies) == 30 and load.rate > 0
    assert "p95" in load.summary()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"clients": 0, "requests": 1}, "clients"),
        ({"clients": 65, "requests": 1}, "clients"),
        ({"clients": 1, "requests": 0}, "requests"),
    ],
)
def test_the_driver_stays_bounded(arguments, message):
    with pytest.raises(loadgen.LoadError, match=message):
        loadgen.drive("http://127.0.0.1:1", ["/"], **arguments)


def test_the_load_command_fails_on_a_server_error_and_passes_without(tiny_server):
    output = StringIO()
    call_command("kb_load", url=tiny_server, paths=["/a"], requests=20, clients=2, stdout=output)
    assert "statuses 200: 20" in output.getvalue()

    with pytest.raises(CommandError, match="1 server errors"):
        call_command("kb_load", url=tiny_server, paths=["/a", "/fail"], requests=2, clients=1,
                     stdout=StringIO())  # fmt: skip


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_benchmark_runs_every_case_and_ends_with_the_worst_ratio():
    output = StringIO()

    call_command("kb_bench", claims=600, chunk=600, repeat=2, stdout=output)

    lines = output.getvalue().splitlines()
    assert lines[-1].startswith("worst ratio: ")
    worst = float(lines[-1].split(": ")[1])
    ratios = [
        float(line.split()[-1]) for line in lines if line.startswith("(") and "ETag" not in line
    ]
    assert len(ratios) == 13 and worst == max(ratios)
    assert any(line.startswith("claims page 90% deep against the first page") for line in lines)
    assert "the hand-written queries sent as text" in output.getvalue()
    # Production's shared cache, not one inside the process.
    assert "shared cache: kb.cache.DatabaseCache kb_cache" in lines

    # Against hand-written queries prepared as the app's are: the same cases, on the same build.
    prepared = StringIO()
    call_command("kb_bench", claims=600, chunk=600, repeat=2, prepared_reference=True,
                 stdout=prepared)  # fmt: skip
    lines = prepared.getvalue().splitlines()
    assert "reusing 600 synthetic claims" in lines[0]
    assert "prepared on a connection of their own, planned as PostgreSQL chooses" in (
        prepared.getvalue()
    )
    assert len([line for line in lines if line.startswith("(") and "ETag" not in line]) == 13


def test_the_benchmark_refuses_a_cache_inside_the_process(monkeypatch):
    monkeypatch.setenv("CACHE_URL", "locmem://")

    with pytest.raises(CommandError, match="keeps the cache inside each process"):
        call_command("kb_bench", claims=600, chunk=600, repeat=2, stdout=StringIO())


def test_named_placeholders_become_positional_in_order():
    sql, values = bench.positional(
        "SELECT %(b)s, %(a)s WHERE x LIKE 'a%%' AND y = %(b)s", {"a": 1, "b": "two"}
    )
    assert sql == "SELECT %s, %s WHERE x LIKE 'a%%' AND y = %s"
    assert values == ["two", 1, "two"]


def test_the_deep_page_and_the_first_are_each_requested_as_a_case_is(monkeypatch):
    """Both sides of the deep-page figure forget the values' displays and check the connection
    before each request, as run_case does: otherwise the first page, the same rows each time,
    finds its displays kept from the pair before and the deep page does not."""
    events = []
    monkeypatch.setattr(bench, "forget_shown", lambda: events.append("forget"))
    monkeypatch.setattr(bench, "close_old_connections", lambda: events.append("check"))

    class Client:
        def get(self, url):
            events.append(url)
            return type("Answer", (), {"status_code": 200})()

    found = bench.Sample(
        total=10, claim_ids=[1], deep_ids=[9, 8], subjects=[1], contradictions=[1],
        contradiction_after=[1], biggest_entity=1, words=["x"],
    )  # fmt: skip

    bench.deep_against_first(Client(), found, pairs=2)

    requests = [event for event in events if event.startswith("/")]
    pairs = 2 * bench.DEEP_PAIRS_FACTOR + 2  # with the two warm-up pairs
    assert len(requests) == 2 * pairs
    assert requests.count("/api/v1/claims/") == pairs
    assert {request for request in requests if "cursor" in request} == {
        f"/api/v1/claims/?cursor={bench.cursor_after(9)}",
        f"/api/v1/claims/?cursor={bench.cursor_after(8)}",
    }
    # Each request comes after a check of the connection and its displays forgotten.
    for at, event in enumerate(events):
        if event.startswith("/"):
            assert events[at - 2 : at] == ["check", "forget"]
