"""Django's PostgreSQL backend (psycopg2), whose check of a kept connection before a request's
first query costs no round trip when the server has sent nothing since the last one.

With CONN_HEALTH_CHECKS Django sends `SELECT 1` at the start of every request that uses a kept
connection: a round trip of 0.13 ms, 6% of the editors' queue page (medians of five
alternating runs at a million claims). A server that ends a connection (a restart,
pg_terminate_backend, idle_session_timeout, PgBouncer closing an idle client) sends the client
a last message and closes the socket, which then has something to read; so does a notice or a
notification. An idle connection whose socket has nothing to read, whose transaction is idle
and which libpq still holds good is as usable as `SELECT 1` would find it; any other is checked
with `SELECT 1`, as Django checks it. After an error in the request before, Django's own check
runs (close_if_unusable_or_obsolete calls is_usable, which is Django's).

Neither check sees a connection whose peer vanished without a word (a host powered off, a
network cut): `SELECT 1` then waits for TCP to give up, as the request's first query would.

Where the app prepares its statements (kb.prepared), a new connection also asks PostgreSQL to
plan each of them once, for any values (plan_cache_mode = force_generic_plan): they take only
values any plan serves alike (ids, an account's, a session's key). Left to choose, PostgreSQL
kept planning the statement of a page's claims afresh at each request on a connection that had
read only small pages, its plan for any number of ids looking dearer than one for a few: 1 ms
of planning a request, the claims of one subject and attribute at 2.14 to 2.25 times the
hand-written query, where the plan made once gives 1.57 to 1.63 (alternated runs of 40 pairs).
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg2.extensions import STATUS_READY, TRANSACTION_STATUS_IDLE

from kb import prepared

# libpq's PQstatus for a good connection (CONNECTION_OK).
_CONNECTION_OK = 0


def quiet(connection) -> bool:
    """Whether a psycopg2 connection is idle and good, as far as can be known without asking
    the server: libpq holds it good, no transaction is open, and its socket has nothing to
    read (no last message from a server that ended it, no end of file)."""
    if connection.closed or connection.status != STATUS_READY:
        return False
    info = connection.info
    if info.status != _CONNECTION_OK or info.transaction_status != TRANSACTION_STATUS_IDLE:
        return False
    if not hasattr(select, "poll"):
        # Windows: no poll() of a socket's state; Django's check.
        return False
    waiting = select.poll()
    waiting.register(connection.fileno(), select.POLLIN)
    return not waiting.poll(0)


class DatabaseWrapper(base.DatabaseWrapper):
    def _configure_connection(self, connection):
        """Django's (time zone, role), and a plan made once for each statement prepared on the
        connection when the app prepares them (kb.prepared; not behind a pooler that shares
        server connections, where they are off)."""
        commit = super()._configure_connection(connection)
        if prepared.in_use(self):
            with connection.cursor() as cursor:
                cursor.execute("SET plan_cache_mode = force_generic_plan")
            commit = True
        return commit

    def close_if_health_check_failed(self):
        """Before a request's first query on a kept connection: usable at once if it is quiet
        (quiet()), else Django's check (`SELECT 1`, and a new connection if that fails)."""
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.pool
            and quiet(self.connection)
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
