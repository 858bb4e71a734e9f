"""COPYs sent from a second thread while the import goes on (claims.copying.overlapped): the
transaction must see what it would without it. A query waits for the COPYs sent before it; a
COPY the database refuses raises Django's error at the next query or at the end of the block,
and nothing is kept; the block's own error is the one raised, and the connection works after."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from claims import copying
from claims.bundles import bundle_import
from claims.management.commands.synthetic_bundle import synthetic_bundle
from claims.models import Claim
from sources.models import Publisher

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.postgres_only]


def publishers(*names: str, reliability: str = "B") -> list[dict]:
    return [{"name": name, "default_reliability": reliability} for name in names]


def copied(rows: list[dict]) -> list[int]:
    return copying.rows_create(Publisher, rows, now=timezone.now(), history=(None, "test"))


def test_a_query_waits_for_the_copies_sent_before_it(monkeypatch):
    monkeypatch.setattr(copying, "CHUNK", 100)  # several COPYs in flight, in order
    names = [f"publisher {i}" for i in range(1000)]
    with transaction.atomic(), copying.overlapped():
        ids = copied(publishers(*names))
        assert Publisher.objects.count() == 1000
        assert Publisher.history.model.objects.count() == 1000
    assert dict(Publisher.objects.values_list("name", "pk")) == dict(zip(names, ids, strict=True))


def test_the_copies_are_sent_from_another_thread_and_it_ends_with_the_block(monkeypatch):
    threads = set()
    real = copying._Sender._run

    def run(self, statement, data):
        threads.add(threading.current_thread())
        return real(self, statement, data)

    monkeypatch.setattr(copying._Sender, "_run", run)
    before = threading.active_count()
    with transaction.atomic(), copying.overlapped():
        copied(publishers("one", "two"))
    assert threads and threading.current_thread() not in threads
    assert threading.active_count() == before
    assert Publisher.objects.count() == 2


def test_a_refused_copy_raises_at_the_next_query_and_leaves_nothing():
    refused = pytest.raises(IntegrityError, match="publisher_reliability_a_to_f")
    with refused, transaction.atomic(), copying.overlapped():
        copied(publishers("fine", "refused", reliability="Z"))
        Publisher.objects.count()
    assert not Publisher.objects.exists()
    assert not Publisher.history.model.objects.exists()


def test_a_refused_copy_with_no_query_after_it_raises_at_the_end_of_the_block():
    refused = pytest.raises(IntegrityError, match="publisher_reliability_a_to_f")
    with refused, transaction.atomic(), copying.overlapped():
        # rows_create's own queries come before its COPYs: nothing follows them here.
        copied(publishers("refused", reliability="Z"))
    assert not Publisher.objects.exists()


def test_the_blocks_own_error_is_raised_and_the_connection_works_after():
    with pytest.raises(LookupError), transaction.atomic(), copying.overlapped():
        copied(publishers("refused", reliability="Z"))
        raise LookupError("the block's own")
    assert not Publisher.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    copied(publishers("after"))
    assert list(Publisher.objects.values_list("name", flat=True)) == ["after"]


def test_an_import_sends_its_copies_from_the_other_thread(analyst, monkeypatch):
    sent = []
    real = copying._Sender.send

    def send(self, statement, data):
        sent.append(statement.split(" (")[0])
        return real(self, statement, data)

    monkeypatch.setattr(copying._Sender, "send", send)
    report = bundle_import(bundle=synthetic_bundle(claims=200), user=analyst)
    assert report.created["claims"] == 200 == Claim.objects.count()
    assert 'COPY "claims_claim"' in sent and 'COPY "claims_historicalclaim"' in sent
    # Outside an import a COPY is sent as before, from this thread.
    sent.clear()
    copied(publishers("outside"))
    assert sent == [] and Publisher.objects.filter(name="outside").exists()
