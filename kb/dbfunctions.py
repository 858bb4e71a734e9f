"""Whether the database has the functions that the project's migrations make on PostgreSQL.

Some reads call a PL/pgSQL function of a migration (kb.0004, kb.0006) instead of sending its
query: PostgreSQL keeps a function's plan for the connection, where it plans a query afresh each
time it is sent. Those reads send the plain query where the functions are not there (SQLite, a
database not yet migrated), so they ask first: once per connection and set of functions, and
again after migrate, which may have made or dropped them (forget_functions, kb.apps).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import DEFAULT_DB_ALIAS, connections

_FOUND = "_kb_functions"


def have_functions(names: Sequence[str]) -> bool:
    """Whether the default database is PostgreSQL and has every function of `names` in its
    current schema."""
    db = connections[DEFAULT_DB_ALIAS]
    known = db.__dict__.setdefault(_FOUND, {})
    key = tuple(names)
    found = known.get(key)
    if found is None:
        found = False
        if db.vendor == "postgresql":
            with db.cursor() as cursor:
                cursor.execute(
                    "SELECT count(DISTINCT proname) FROM pg_proc "
                    "WHERE proname = ANY(%s) AND pronamespace = to_regnamespace(current_schema())",
                    [list(key)],
                )
                found = cursor.fetchone()[0] == len(set(key))
        known[key] = found
    return found


def forget_functions(*, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate: the functions may have been made or dropped since."""
    connections[using].__dict__.pop(_FOUND, None)
