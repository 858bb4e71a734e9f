"""python manage.py kb_load: a bounded load against the production server; fails on any 5xx."""

from __future__ import annotations

import tempfile

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from claims.models import Claim, Contradiction
from kb import loadgen


class Command(BaseCommand):
    help = (
        "Send a bounded number of requests from a bounded number of concurrent clients to the "
        "production server (gunicorn, 2 workers, DEBUG off) on the configured database, or to "
        "a running server (--url); print requests per second, latency percentiles and statuses; "
        "exit 1 on any server error or failed connection."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", help="a running server, e.g. http://127.0.0.1:8000")
        parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
        parser.add_argument("--requests", type=int, default=2000, help="requests in all")
        parser.add_argument(
            "--path", action="append", dest="paths",
            help="a path to request (repeat it); by default the API's lists, an entity's facts "
            "and the pages",
        )  # fmt: skip

    def handle(self, *args, url, clients, requests, paths, **options):
        if not 1 <= clients <= loadgen.MAX_CLIENTS:
            raise CommandError(f"--clients is from 1 to {loadgen.MAX_CLIENTS}, not {clients}.")
        if not 1 <= requests <= loadgen.MAX_REQUESTS:
            raise CommandError(f"--requests is from 1 to {loadgen.MAX_REQUESTS:,}, not {requests}.")
        if not paths:
            try:
                paths = self.default_paths()
            except DatabaseError as error:
                raise CommandError(
                    f"The database cannot be read ({error}): run `python manage.py migrate` and "
                    "load a bundle first, or give --url and --path."
                ) from error
        bad = [path for path in paths if not path.startswith("/")]
        if bad:
            raise CommandError(f"a path starts with /, not {bad[0]!r}.")
        try:
            if url:
                load = loadgen.drive(url, paths, clients=clients, requests=requests)
            else:
                load = self.against_own_server(paths, clients=clients, requests=requests)
        except loadgen.LoadError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{clients} clients over {len(paths)} paths: {load.summary()}")
        if load.server_errors or load.failures:
            raise CommandError(
                f"{load.server_errors} server errors and {sum(load.failures.values())} failed "
                "connections."
            )

    @staticmethod
    def default_paths() -> list[str]:
        claim = Claim.objects.order_by("id").values("subject_id").first()
        contradiction = Contradiction.objects.order_by("id").values_list("id", flat=True).first()
        paths = ["/api/v1/claims/", "/api/v1/contradictions/", "/", "/contradictions/"]
        if claim:
            paths += [f"/api/v1/entities/{claim['subject_id']}/facts/",
                      f"/entities/{claim['subject_id']}/"]  # fmt: skip
        if contradiction:
            paths.append(f"/contradictions/{contradiction}/")
        return paths

    @staticmethod
    def against_own_server(paths, *, clients: int, requests: int):
        if connection.vendor == "sqlite":
            database = f"sqlite:///{connection.settings_dict['NAME']}"
        else:
            database = loadgen.database_url(connection.settings_dict)
        environment = loadgen.production_environment(
            database, CACHE_URL="db://kb_cache", **loadgen.UNTHROTTLED
        )
        with tempfile.TemporaryDirectory(prefix="kb-static-") as static_root:
            prepared = loadgen.prepared(environment, static_root)
            with loadgen.gunicorn("kb.wsgi", prepared, probe=paths[0]) as url:
                return loadgen.drive(url, paths, clients=clients, requests=requests)
