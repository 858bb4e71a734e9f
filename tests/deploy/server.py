"""The production server as `make serve` starts it, in a subprocess on 127.0.0.1, for tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.db import connection

# The tests' servers run in the environment the load's do (DEBUG off, plain HTTP on 127.0.0.1).
from kb import loadgen
from kb.loadgen import NOT_PASSED_ON, production_environment  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
# The ports a test server may take; KB_TEST_PORTS=FIRST-LAST picks another range (say, one given to
# this checkout on a shared machine).
_FIRST, _LAST = os.environ.get("KB_TEST_PORTS", "8200-8249").split("-")
PORTS = range(int(_FIRST), int(_LAST) + 1)
STARTUP_SECONDS = 120
PORT_ATTEMPTS = 5


def database_url(tmp_path: Path) -> str:
    """A database the server and the test both see: on PostgreSQL the test database itself (the
    test must be transactional), on SQLite a file of the test's own, migrated by `make serve`."""
    if connection.vendor == "postgresql":
        return loadgen.database_url(connection.settings_dict)
    return f"sqlite:///{tmp_path / 'db.sqlite3'}"


def manage(environment: dict[str, str], *arguments: str, **variables: str) -> str:
    """Run a management command against the server's database; its output."""
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env={**environment, **variables},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def free_port() -> int:
    return loadgen.free_port(PORTS)


@contextlib.contextmanager
def serving(environment: dict[str, str], log: Path):
    """`make serve` on a free port of 127.0.0.1; yields its base URL once it answers, and stops
    it (the whole process group: make, gunicorn's master and its workers) whatever happens.

    The port is free when chosen but is bound only after migrate and collectstatic; if another
    server took it meanwhile, gunicorn says so and this starts again on another port, so that
    the test never talks to a server that is not its own."""
    for _ in range(PORT_ATTEMPTS):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [
            "make", "--no-print-directory", "-o", ".venv/.installed", "serve",
            "HOST=127.0.0.1", f"PORT={port}", f"BIN={Path(sys.executable).parent}",
        ]  # fmt: skip
        with log.open("w") as output:
            process = subprocess.Popen(
                command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        try:
            if _wait_until_it_answers(process, url, log):
                yield url
                return
        finally:
            _stop(process)
    raise AssertionError(f"every port tried was taken before gunicorn bound it:\n{log.read_text()}")


def _wait_until_it_answers(process: subprocess.Popen, url: str, log: Path) -> bool:
    """True once our own gunicorn listens on the URL and answers; False if its port was taken."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        output = log.read_text()
        if "Connection in use" in output:
            return False
        if process.poll() is not None:
            raise AssertionError(f"`make serve` exited with {process.returncode}:\n{output}")
        if f"Listening at: {url} " in output and _answers(url):
            return True
        time.sleep(0.5)
    raise AssertionError(f"the server did not answer within {STARTUP_SECONDS} s:\n{output}")


def _answers(url: str) -> bool:
    try:
        # The sign-in page: answering it costs nothing of the API's throttle budget.
        with urllib.request.urlopen(f"{url}/accounts/login/", timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the group (gunicorn stops gracefully), SIGKILL to whatever is left after 30 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _group_alive(process):
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def _group_alive(process: subprocess.Popen) -> bool:
    process.poll()  # reap make once it has exited, so that its group id can go
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return False
    return True
