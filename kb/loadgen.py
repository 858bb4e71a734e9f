"""A bounded load driver: a fixed number of clients sending a fixed number of requests to a
server on this machine, and the figures a load test reports (requests per second, latency
percentiles, answers by status). `make load` and `kb_bench --throughput` both drive with it.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
# The ports the servers started here may take (127.0.0.1 only).
PORTS = range(18200, 18300)
MAX_CLIENTS = 64
MAX_REQUESTS = 1_000_000
STARTUP_SECONDS = 60


class LoadError(Exception):
    """The load could not be run (a server did not start, a bad argument): says why."""


@dataclass
class Load:
    """What a run of the driver measured."""

    requests: int
    seconds: float
    latencies: list[float] = field(repr=False)
    statuses: Counter
    failures: Counter  # connection errors by kind

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        """The latency (ms) under which `share` of the requests were answered."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def summary(self) -> str:
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(self.statuses.items()))
        failed = f"; connection failures: {dict(self.failures)}" if self.failures else ""
        return (
            f"{self.requests} requests in {self.seconds:.1f} s: {self.rate:.1f} req/s; latency "
            f"p50 {self.percentile(0.5):.1f} ms, p95 {self.percentile(0.95):.1f} ms, "
            f"p99 {self.percentile(0.99):.1f} ms; statuses {statuses}{failed}"
        )


def drive(base_url: str, paths: list[str], *, clients: int, requests: int, timeout: float = 60):
    """Send `requests` GET requests, cycling through `paths`, from `clients` threads at once,
    each waiting for its answer before the next. Returns a Load."""
    if not 1 <= clients <= MAX_CLIENTS:
        raise LoadError(f"clients: from 1 to {MAX_CLIENTS}, not {clients}.")
    if not 1 <= requests <= MAX_REQUESTS:
        raise LoadError(f"requests: from 1 to {MAX_REQUESTS:,}, not {requests}.")
    if not paths:
        raise LoadError("give at least one path to request.")
    parts = urlsplit(base_url)
    if parts.scheme != "http" or not parts.hostname:
        raise LoadError(f"the server's address is http://HOST:PORT, not {base_url!r}.")
    host, port = parts.hostname, parts.port or 80
    numbers = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter = Counter()
    failures: Counter = Counter()

    def client():
        while True:
            with lock:
                number = next(numbers)
            if number >= requests:
                return
            path = paths[number % len(paths)]
            start = time.perf_counter()
            try:
                connection = http.client.HTTPConnection(host, port, timeout=timeout)
                connection.request("GET", path, headers={"Accept": "*/*"})
                response = connection.getresponse()
                response.read()
                connection.close()
            except (OSError, http.client.HTTPException) as error:
                with lock:
                    failures[type(error).__name__] += 1
                continue
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                statuses[response.status] += 1

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Load(requests, time.perf_counter() - started, latencies, statuses, failures)


def free_port(ports: range = PORTS) -> int:
    """A port of `ports` free on 127.0.0.1, tried in random order: another run on this machine
    is less likely to pick the same one."""
    for port in random.sample(ports, len(ports)):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise LoadError(f"no free port on 127.0.0.1 between {ports.start} and {ports.stop - 1}")


def database_url(settings_dict: dict) -> str:
    """The URL of a Django database's settings (for a server in another process)."""
    password = f":{quote(settings_dict['PASSWORD'], safe='')}" if settings_dict["PASSWORD"] else ""
    host = settings_dict["HOST"] or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    user = quote(settings_dict["USER"], safe="")
    return f"postgres://{user}{password}@{host}{port}/{settings_dict['NAME']}"


# Variables of this process that must not leak into a server's settings.
NOT_PASSED_ON = (
    "DATABASE_URL", "CACHE_URL", "DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)  # fmt: skip
# Throttles raised so that a load is answered, not refused.
UNTHROTTLED = {"KB_API_ANON_RATE": "1000000/second", "KB_API_USER_RATE": "1000000/second"}


def production_environment(database: str, **variables: str) -> dict[str, str]:
    """The environment of a production server on plain HTTP at 127.0.0.1: DEBUG off, a fresh
    secret, and cookies allowed without TLS (its clients speak plain HTTP), then `variables`."""
    environment = {k: v for k, v in os.environ.items() if k not in NOT_PASSED_ON}
    environment.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database,
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
    )
    environment.update(variables)
    return environment


@contextlib.contextmanager
def gunicorn(app: str, environment: dict[str, str], *, workers: int = 2, probe: str = "/"):
    """gunicorn serving `app` with `workers` sync workers on a free port of 127.0.0.1, as
    `make serve` starts it; yields its base URL once `probe` answers 200, stops it after."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        str(Path(sys.executable).parent / "gunicorn"), app, "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--access-logfile", "-", "--error-logfile", "-",
        "--no-control-socket",
    ]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="kb-load-") as directory:
        log = Path(directory) / "server.log"
        with log.open("w") as output:
            process = subprocess.Popen(
                command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while not _answers(url + probe):
                if process.poll() is not None:
                    raise LoadError(f"gunicorn {app} exited:\n{log.read_text()[-3000:]}")
                if time.monotonic() > deadline:
                    raise LoadError(f"gunicorn {app} did not answer {probe} in {STARTUP_SECONDS} s")
                time.sleep(0.3)
            yield url
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        status = connection.getresponse().status
        connection.close()
    except (OSError, http.client.HTTPException):
        return False
    return status == 200


def prepared(environment: dict[str, str], static_root: str) -> dict[str, str]:
    """What `make serve` does before gunicorn starts, for a server of these variables: the
    cache table made and the static files collected (into `static_root`). The environment to
    start it with."""
    environment = {**environment, "STATIC_ROOT": static_root}
    for command in (["createcachetable"], ["collectstatic", "--noinput", "--verbosity", "0"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=environment,
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        if done.returncode:
            raise LoadError(f"manage.py {command[0]} failed:\n{done.stderr[-3000:]}")
    return environment


@dataclass
class Rates:
    app: float  # requests per second, median of the rounds
    raw: float


def compare_servers(
    path: str, settings_dict: dict, *, clients: int, requests: int, rounds: int = 3
) -> Rates:
    """Requests per second of `path` served by the app (kb.wsgi) and by the raw handler
    (claims.bench_wsgi) under the same gunicorn (2 workers), in alternating rounds. The app's
    cache is the database table it makes in production unless CACHE_URL says otherwise."""
    database = database_url(settings_dict)
    environment = production_environment(
        database,
        CACHE_URL=os.environ.get("CACHE_URL", settings.PRODUCTION_CACHE_URL),
        **UNTHROTTLED,
    )
    app_rates, raw_rates = [], []
    with (
        tempfile.TemporaryDirectory(prefix="kb-static-") as static_root,
        gunicorn("kb.wsgi", prepared(environment, static_root), probe=path) as app_url,
        gunicorn("claims.bench_wsgi:application", environment, probe=path) as raw_url,
    ):
        for round_number in range(rounds):
            order = [(app_url, app_rates), (raw_url, raw_rates)]
            if round_number % 2:
                order.reverse()
            for url, rates in order:
                load = drive(url, [path], clients=clients, requests=requests)
                if load.server_errors or load.failures or set(load.statuses) != {200}:
                    raise LoadError(f"{url}{path}: {load.summary()}")
                rates.append(load.rate)
    return Rates(statistics.median(app_rates), statistics.median(raw_rates))
