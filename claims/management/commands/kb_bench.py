"""python manage.py kb_bench --claims N: the read API against hand-written SQL on a synthetic
knowledge base of N claims, built on the configured database (or reused when it is there)."""

from __future__ import annotations

import re
import secrets
import statistics
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import override_settings
from rest_framework.throttling import SimpleRateThrottle

from claims import bench
from claims.bundles import bundle_import
from claims.management.commands.synthetic_bundle import synthetic_bundle
from claims.models import Claim
from kb import loadgen
from kb import settings as project_settings
from kb.runtime import freeze_loaded_objects
from kb.services import account_create

CLAIM_PREFIX = "syn-claim-"
PLAIN_STATIC_FILES = "django.contrib.staticfiles.storage.StaticFilesStorage"
BENCH_EDITOR = "kb-bench-editor"
# A page 90% deep may cost at most this much more than the first (keyset pagination).
DEEP_PAGE_LIMIT = 1.2
_NUMBERED = re.compile(r"^(syn-(?:claim|source|entity)-)([0-9]+)$")
_NUMBER_IN_TEXT = re.compile(
    r"(Synthetic (?:report|Entity|statement number) |SE-|/reports/)([0-9]+)"
)


def _renumber(text: str, offsets: dict[str, int]) -> str:
    match = _NUMBERED.match(text)
    if match:
        return f"{match[1]}{int(match[2]) + offsets[match[1]]}"
    return text


def bench_chunk(index: int, size: int) -> dict:
    """Chunk `index` of the synthetic knowledge base: synthetic_bundle(claims=size) with its
    claims, sources and entities renumbered after those of the chunks before it, so that N
    claims always come with N/50 sources and N/20 entities, and chunk 0 is exactly
    synthetic_bundle(claims=size)."""
    bundle = synthetic_bundle(claims=size, seed=1 + index)
    offsets = {
        "syn-claim-": index * size,
        "syn-source-": index * len(bundle["sources"]),
        "syn-entity-": index * len(bundle["entities"]),
    }

    def text(value: str, prefix: str) -> str:
        return _NUMBER_IN_TEXT.sub(lambda m: f"{m[1]}{int(m[2]) + offsets[prefix]}", value)

    for source in bundle["sources"]:
        source["key"] = _renumber(source["key"], offsets)
        source["title"] = text(source["title"], "syn-source-")
        source["url"] = text(source["url"], "syn-source-")
    for entity in bundle["entities"]:
        entity["key"] = _renumber(entity["key"], offsets)
        entity["name"] = text(entity["name"], "syn-entity-")
        entity["aliases"] = [text(alias, "syn-entity-") for alias in entity["aliases"]]
    for claim in bundle["claims"]:
        for name in ("key", "subject", "source"):
            claim[name] = _renumber(claim[name], offsets)
        if isinstance(claim["value"], dict) and "entity" in claim["value"]:
            claim["value"]["entity"] = _renumber(claim["value"]["entity"], offsets)
        claim["quote"] = text(claim["quote"], "syn-claim-")
    return bundle


class Command(BaseCommand):
    help = (
        "Build (or reuse) a synthetic knowledge base of N claims, then time the API's requests "
        "and the pages against the same rows fetched by hand-written SQL and encoded with "
        "orjson, in interleaved pairs; --throughput compares gunicorn serving the app with a "
        "raw handler running the same SQL."
    )

    def add_arguments(self, parser):
        parser.add_argument("--claims", type=int, default=100_000, help="how many claims")
        parser.add_argument(
            "--chunk", type=int, default=100_000,
            help="claims per import (keep it the same to extend an existing build)",
        )  # fmt: skip
        parser.add_argument("--repeat", type=int, default=30, help="timed pairs per request")
        parser.add_argument(
            "--throughput", action="store_true",
            help="instead: requests per second of gunicorn (2 workers) against a raw handler",
        )  # fmt: skip
        parser.add_argument(
            "--prepared-reference", action="store_true",
            help="run the hand-written queries as prepared statements, as the app's are",
        )  # fmt: skip
        parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
        parser.add_argument(
            "--requests", type=int, default=2000, help="requests per server and round"
        )

    def handle(
        self, *args, claims, chunk, repeat, throughput, prepared_reference, clients, requests,
        **options,
    ):  # fmt: skip
        if min(claims, chunk, repeat, clients, requests) < 1:
            raise CommandError(
                "--claims, --chunk, --repeat, --clients and --requests must be at least 1."
            )
        if clients > 64:
            raise CommandError("--clients is at most 64: the benchmark stays bounded.")
        try:
            shared = project_settings.envcache("CACHE_URL", production=True)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        if connection.vendor != "postgresql":
            raise CommandError(
                "kb_bench compares against hand-written PostgreSQL (full-text search); set "
                "DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1/kb_bench."
            )
        self.build(claims, chunk)
        # The benchmark measures requests, not the throttle's refusals.
        SimpleRateThrottle.THROTTLE_RATES = {"anon": "1000000/second", "user": "1000000/second"}
        if throughput:
            self.throughput(clients=clients, requests=requests)
            return
        # Production's settings, but static files named as they are on disk (the pages link
        # to them; collectstatic's manifest is not made for a benchmark). Production's shared
        # cache (CACHE_URL, else the database table `make serve` makes), which the throttles
        # and the pages' counts read at each request: a cache inside the process would spare
        # the app the round trips production makes.
        storages = {**settings.STORAGES, "staticfiles": {"BACKEND": PLAIN_STATIC_FILES}}
        self.stdout.write(f"shared cache: {shared['BACKEND']} {shared.get('LOCATION', '')}")
        with override_settings(
            ALLOWED_HOSTS=["testserver"], DEBUG=False, STORAGES=storages, CACHES={"default": shared}
        ):
            call_command("createcachetable", verbosity=0)
            self.measure(repeat, prepare=prepared_reference)

    # Building.

    def build(self, claims: int, chunk: int) -> None:
        have = Claim.objects.filter(key__startswith=CLAIM_PREFIX).count()
        if have >= claims:
            self.stdout.write(f"reusing {have:,} synthetic claims (asked for {claims:,})")
            return
        if have % chunk:
            raise CommandError(
                f"{have:,} synthetic claims exist, not a whole number of chunks of {chunk:,}: "
                "use the --chunk of the build that made them."
            )
        started = time.perf_counter()
        for index in range(have // chunk, -(-claims // chunk)):
            size = min(chunk, claims - index * chunk)
            if size != chunk:
                raise CommandError(f"--claims must be a multiple of --chunk ({chunk:,}).")
            chunk_started = time.perf_counter()
            report = bundle_import(bundle=bench_chunk(index, size))
            self.stdout.write(
                f"chunk {index + 1}: {size:,} claims in {time.perf_counter() - chunk_started:.0f} s "
                f"({report.summary()})"
            )
        with connection.cursor() as cursor:
            # VACUUM also merges the GIN indexes' pending lists, which every search would scan.
            cursor.execute("VACUUM ANALYZE")
        self.stdout.write(
            f"built {claims - have:,} claims in {time.perf_counter() - started:.0f} s"
        )

    # Measuring: claims/bench.py.

    def measure(self, repeat: int, *, prepare: bool) -> None:
        # Connections as production keeps them: for a minute, checked before each request.
        connection.settings_dict.update(CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True)
        client, editor = Client(), Client()
        editor.force_login(self.editor())
        found = bench.sample(repeat)
        # As a production worker starts (kb/wsgi.py): what is loaded stays out of the garbage
        # collector's passes.
        freeze_loaded_objects()
        self.stdout.write(
            f"\n{found.total:,} claims on PostgreSQL; {repeat} interleaved pairs per request "
            "(2 more to warm up), each pair on rows of its own; the hand-written queries "
            + (
                "prepared on a connection of their own, planned as PostgreSQL chooses\n"
                if prepare
                else "sent as text\n"
            )
        )
        self.stdout.write(f"{'request':<40} {'rows':>5} {'API ms':>8} {'SQL ms':>8} {'ratio':>6}")
        try:
            self.measure_cases(client, editor, found, repeat, prepare=prepare)
        finally:
            bench.close_prepared_reference()

    def measure_cases(self, client, editor, found, repeat: int, *, prepare: bool) -> None:
        worst = 0.0
        for case in bench.cases(found):
            try:
                result = bench.run_case(
                    editor if case.page else client, case, repeat, prepare=prepare
                )
            except RuntimeError as error:
                raise CommandError(str(error)) from error
            worst = max(worst, result.ratio)
            self.stdout.write(
                f"{result.label:<40} {result.rows:>5} {result.api_ms:>8.2f} "
                f"{result.sql_ms:>8.2f} {result.ratio:>6.2f}"
            )
        deep = bench.deep_against_first(client, found, repeat)
        verdict = "within" if deep <= DEEP_PAGE_LIMIT else "OVER"
        self.stdout.write(
            f"claims page 90% deep against the first page: {deep:.2f} ({verdict} the "
            f"{DEEP_PAGE_LIMIT} limit)"
        )
        # What HTTP caching buys a researcher who asks again: a 304, no rows read or rendered.
        etag = client.get("/api/v1/claims/")["ETag"]
        again, _ = bench.interleaved(
            lambda i: client.get("/api/v1/claims/", HTTP_IF_NONE_MATCH=etag),
            lambda i: None,
            repeat,
        )
        self.stdout.write(
            f"(a) again with its ETag: 304 in {statistics.median(again) * 1000:.2f} ms "
            "(not in the ratios)"
        )
        self.stdout.write(f"worst ratio: {worst:.2f}")

    @staticmethod
    def editor():
        """The editor who reads the pages: made once, with an unusable password."""
        user = get_user_model().objects.filter(username=BENCH_EDITOR).first()
        if user is None:
            user = account_create(
                username=BENCH_EDITOR, email="", role="editor", password=secrets.token_urlsafe()
            )
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return user

    def throughput(self, *, clients: int, requests: int) -> None:
        found = bench.sample(1)
        database = connection.settings_dict
        self.stdout.write(
            f"\n{found.total:,} claims; gunicorn, 2 sync workers each, {clients} clients, "
            f"{requests} requests per server and round, 3 rounds alternating the servers"
        )
        self.stdout.write(f"{'request':<32} {'app req/s':>10} {'raw req/s':>10} {'ratio':>6}")
        worst = 0.0
        for label, path in (
            ("claims list", "/api/v1/claims/"),
            ("contradictions list", "/api/v1/contradictions/"),
        ):
            try:
                rates = loadgen.compare_servers(path, database, clients=clients, requests=requests)
            except loadgen.LoadError as error:
                raise CommandError(str(error)) from error
            ratio = rates.raw / rates.app
            worst = max(worst, ratio)
            self.stdout.write(f"{label:<32} {rates.app:>10.1f} {rates.raw:>10.1f} {ratio:>6.2f}")
        self.stdout.write(f"worst ratio: {worst:.2f}")
