"""Two editors deciding one contradiction at the same moment, under gunicorn with two workers:
one decision is recorded, the other editor gets the "overtaken" page with their note kept, and
no request fails (on SQLite, the default, never "database is locked")."""

from __future__ import annotations

import json
import re
import threading
from html import unescape

import pytest
import requests
from django.conf import settings
from django.db import connection

from tests.deploy.server import database_url, manage, production_environment, serving

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "a long test password"
ROUNDS = 4
OVERTAKEN = "Another editor changed this contradiction while you were reading it"


def test_sqlite_takes_the_write_lock_when_a_transaction_begins():
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite options apply on SQLite; this run is on PostgreSQL")
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5


def signed_in(url: str, name: str) -> requests.Session:
    session = requests.Session()
    form = session.get(f"{url}/accounts/login/", timeout=30).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
    answer = session.post(
        f"{url}/accounts/login/",
        data={"username": name, "password": PASSWORD, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:500]
    return session


def decision_form(session: requests.Session, page: str) -> dict[str, str]:
    """What the browser posts from the decision form: its token and the version it read."""
    html = session.get(page, timeout=30).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    version = re.search(r'name="version" value="(\d+)"', html)[1]
    return {"csrfmiddlewaretoken": token, "version": version, "position": ""}


def test_two_editors_deciding_at_once_one_is_recorded_the_other_is_told(tmp_path, static_root):
    environment = production_environment(
        database_url(tmp_path), STATIC_ROOT=str(static_root), WEB_CONCURRENCY="2",
        CACHE_URL="db://kb_cache",
    )  # fmt: skip
    log = tmp_path / "server.log"
    with serving(environment, log) as url:
        manage(environment, "import_bundle", str(settings.KB_DEMO_BUNDLE))
        for name in ("eddie", "edna"):
            manage(environment, "grant_role", name, "editor", "--create", "--password-from-env",
                   KB_PASSWORD=PASSWORD)  # fmt: skip
        ids = manage(
            environment, "shell", "--verbosity", "0", "-c",
            "from claims.models import Contradiction as C; "
            f"print(*C.objects.filter(status='open').order_by('id').values_list('id', flat=True)[:{ROUNDS}])",
        ).split()  # fmt: skip
        assert len(ids) == ROUNDS
        editors = {name: signed_in(url, name) for name in ("eddie", "edna")}
        outcomes = []
        for contradiction in ids:
            page = f"{url}/contradictions/{contradiction}/"
            forms = {name: decision_form(session, page) for name, session in editors.items()}
            start = threading.Barrier(2)
            answers = {}

            def decide(name, page=page, forms=forms, start=start, answers=answers):
                note = f"{name} says both reports describe one case ({page})"
                data = {**forms[name], "outcome": "false_positive", "note": note}
                start.wait()
                answers[name] = (note, editors[name].post(page, data=data, timeout=60))

            threads = [threading.Thread(target=decide, args=(name,)) for name in editors]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            outcomes.append(answers)
        # What the database holds: one decision each, by the editor whose post was recorded.
        stored = manage(
            environment, "shell", "--verbosity", "0", "-c",
            "import json; from claims.models import Contradiction as C; print(json.dumps({"
            "str(c.pk): [c.version, c.resolved_by.username, c.note, "
            "c.history.filter(status='dismissed').count()] "
            f"for c in C.objects.filter(pk__in={[int(i) for i in ids]})}}))",
        )  # fmt: skip
        server_log = log.read_text()

    decided = json.loads(stored)
    for contradiction, answers in zip(ids, outcomes, strict=True):
        recorded = [n for n, (_, a) in answers.items() if a.status_code in (200, 302)]
        version, editor, note, dismissals = decided[contradiction]
        assert (version, dismissals) == (2, 1), "decided once, not twice"
        assert recorded == [editor] and note == answers[editor][0]

    for answers in outcomes:
        statuses = sorted(answer.status_code for _, answer in answers.values())
        # One redirect to the decided contradiction, one form again with the overtaken message.
        assert statuses == [200, 400] or statuses == [302, 400], statuses
        recorded = [n for n, (_, a) in answers.items() if a.status_code in (200, 302)]
        told = [n for n, (_, a) in answers.items() if a.status_code == 400]
        assert len(recorded) == 1 and len(told) == 1
        note, answer = answers[told[0]]
        page = unescape(answer.text)
        assert OVERTAKEN in page
        assert note in page  # their note is kept in the form
        assert "database is locked" not in page
    assert "database is locked" not in server_log
    assert "Traceback" not in server_log
    assert '" 500 ' not in server_log
