"""Counts the pages show, kept in the shared cache until the data they count changes.

A count over a large table costs its size on every request; here it costs one indexed lookup
of the newest history rows (kb.api.caching.data_version: every write, bulk imports included,
adds one) and a cache read, and is counted again only after a write. The cache is the one
every worker shares (settings.CACHES), so one worker's count serves the others.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache

from kb.api.caching import data_version, history_models

# Long enough to outlive a busy hour; a write changes the key long before.
COUNT_TIMEOUT = 60 * 60


def counted(name: str, models, compute, *, vary: str = ""):
    """`compute()`'s result, computed once per state of `models` (whose history dates their
    data) and `vary` (what else the result depends on: the filters chosen)."""
    version, _ = data_version(history_models(tuple(models)))
    digest = hashlib.blake2b(f"{name}|{version}|{vary}".encode(), digest_size=16).hexdigest()
    key = f"kb:count:{digest}"
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, COUNT_TIMEOUT)
    return found
