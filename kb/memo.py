"""Counts the pages show, kept in the shared cache until the data they count changes.

A count over a large table costs its size on every request; here it costs one indexed lookup
of the newest history rows (kb.api.caching.data_version: every write, bulk imports included,
adds one), and is counted again only after a write. The cache is the one every worker shares
(settings.CACHES), so one worker's count serves the others; each worker keeps what it read
there for that version of the data, so that it reads the shared cache once per version.
"""

from __future__ import annotations

import contextlib
import hashlib

from django.core.cache import cache

from kb.api.caching import data_version, data_version_of, data_version_sql, history_models

# Long enough to outlive a busy hour; a write changes the key long before.
COUNT_TIMEOUT = 60 * 60


def version_of(models) -> str:
    """The version of `models`' data (kb.api.caching.data_version): one query."""
    return data_version(history_models(tuple(models)))[0]


def version_sql(models) -> str:
    """version_of's query as a text expression, for a query that reads the version with its
    rows (one statement where two were): version_from gives the version from its value."""
    return data_version_sql(history_models(tuple(models)))


def version_from(text: str) -> str:
    return data_version_of(text)[0]


# counted()'s results as this process last read or counted them, by their keys, which name the
# data's version: the shared cache is read once per worker and version, not at each request
# (with production's database cache, a round trip of 0.24 ms: a tenth of the queue page).
# Beyond COUNTED_KEPT the oldest are forgotten. The results are shared: read, never changed.
COUNTED_KEPT = 4096
_COUNTED: dict[str, object] = {}


def keep_bounded(kept: dict, key, value, most: int) -> None:
    """kept[key] = value, forgetting the oldest entry first when `kept` holds `most`."""
    if len(kept) >= most:
        # The oldest; another thread may be forgetting it too.
        with contextlib.suppress(KeyError, RuntimeError, StopIteration):
            del kept[next(iter(kept))]
    kept[key] = value


def counted(name: str, models, compute, *, vary: str = "", version: str | None = None):
    """`compute()`'s result, computed once per state of `models` (whose history dates their
    data) and `vary` (what else the result depends on: the filters chosen). `version`: their
    version (version_of) when the caller has read it for something else as well."""
    if version is None:
        version = version_of(models)
    digest = hashlib.blake2b(f"{name}|{version}|{vary}".encode(), digest_size=16).hexdigest()
    key = f"kb:count:{digest}"
    found = _COUNTED.get(key)
    if found is not None:
        return found
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, COUNT_TIMEOUT)
    keep_bounded(_COUNTED, key, found, COUNTED_KEPT)
    return found


# kept(): {name: (version, result)} in this process.
_KEPT: dict[str, tuple[str, object]] = {}


def kept(name: str, version: str, compute):
    """`compute()`'s result, kept in this process for one `version` of the data it reads
    (version_of): for a small result that pages show on every request, such as a select's
    options, which a read of the shared cache would cost as much as computing."""
    found = _KEPT.get(name)
    if found is None or found[0] != version:
        found = _KEPT[name] = (version, compute())
    return found[1]


def forget_kept() -> None:
    """Forget what kept() and counted() hold in this process (the tests' databases hand out
    history ids again)."""
    _KEPT.clear()
    _COUNTED.clear()
