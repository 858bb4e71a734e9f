"""Counts kept until the data they count changes (kb/memo.py): counted once per version of the
data in the shared cache, which serves every worker, and read there once per worker and
version. What an editor would notice if it broke: the queue's tabs counting what was there
before a decision, or every page paying a round trip to the shared cache."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.core.cache import cache
from django.urls import reverse

from claims.bundles import bundle_import
from claims.management.commands.synthetic_bundle import synthetic_bundle
from claims.models import Contradiction
from claims.services import contradiction_resolve
from kb import memo
from kb.services import account_create

pytestmark = pytest.mark.django_db


def open_count(html: str) -> int:
    return int(re.search(r'data-status="open">Open <span class="count">(\d+)</span>', html)[1])


@pytest.fixture
def editor_client(client):
    editor = account_create(username="eddie", email="", role="editor", password="x-Sturdy-9")
    client.force_login(editor)
    client.editor = editor
    return client


def test_a_worker_reads_the_shared_cache_once_per_version_and_counts_again_after_a_write(
    editor_client,
):
    bundle_import(bundle=synthetic_bundle(claims=120, seed=5))
    before = Contradiction.objects.filter(status="open", withdrawn_at__isnull=True).count()
    assert before > 1

    with mock.patch.object(memo.cache, "get", wraps=memo.cache.get) as reads:
        first = editor_client.get(reverse("queue")).content.decode()
        again = editor_client.get(reverse("queue")).content.decode()
    assert open_count(first) == open_count(again) == before
    # The first page's counts from the shared cache (or counted and kept there); the second's
    # from what this process kept for the same version.
    assert reads.call_count == 1

    decided = Contradiction.objects.filter(status="open", withdrawn_at__isnull=True).first()
    contradiction_resolve(
        contradiction=decided,
        user=editor_client.editor,
        outcome="sources_disagree",
        note="Both figures stand in their sources.",
        version=decided.version,
    )
    with mock.patch.object(memo.cache, "get", wraps=memo.cache.get) as reads:
        after = editor_client.get(reverse("queue")).content.decode()

    assert open_count(after) == before - 1
    assert reads.call_count == 1


def test_a_count_another_worker_kept_is_read_from_the_shared_cache_not_counted_again():
    calls = []

    def compute():
        calls.append(1)
        return {"open": 7}

    assert memo.counted("a test's count", (Contradiction,), compute) == {"open": 7}
    # Another worker: nothing kept in its process, the shared cache holds the count.
    memo._COUNTED.clear()

    assert memo.counted("a test's count", (Contradiction,), compute) == {"open": 7}
    assert calls == [1]
    # And with the shared cache emptied too (a restart of it), counted again.
    memo._COUNTED.clear()
    cache.clear()
    assert memo.counted("a test's count", (Contradiction,), compute) == {"open": 7}
    assert calls == [1, 1]


def test_what_a_process_keeps_is_bounded(monkeypatch):
    monkeypatch.setattr(memo, "COUNTED_KEPT", 3)
    for number in range(10):
        memo.counted("bounded", (Contradiction,), lambda number=number: number, vary=str(number))

    assert len(memo._COUNTED) == 3
    # The newest are kept.
    assert sorted(memo._COUNTED.values()) == [7, 8, 9]
