"""python manage.py kb_bench --claims N: the read API against hand-written SQL on a synthetic
knowledge base of N claims, built on the configured database (or reused when it is there)."""

from __future__ import annotations

import base64
import json
import re
import statistics
import time

import orjson
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import override_settings
from rest_framework.throttling import SimpleRateThrottle

from claims.bundles import bundle_import
from claims.management.commands.synthetic_bundle import synthetic_bundle
from claims.models import Claim, Contradiction, ContradictionStatus

CLAIM_PREFIX = "syn-claim-"
_NUMBERED = re.compile(r"^(syn-(?:claim|source|entity)-)([0-9]+)$")
_NUMBER_IN_TEXT = re.compile(
    r"(Synthetic (?:report|Entity|statement number) |SE-|/reports/)([0-9]+)"
)

# The claim columns the API shows, joined as it joins them; {where} and {order} vary.
CLAIM_SELECT = """
SELECT c.id, c.key, c.value_type, c.value_as_written, c.qualifier, c.amount, c.amount_max,
       c.currency, c.unit, c.date_value, c.date_precision, c.boolean_value, c.text_value,
       c.low, c.high, c.valid_from, c.valid_from_precision, c.valid_to, c.valid_to_precision,
       c.claimed_on, c.claimed_on_precision, c.quote, c.credibility, c.rank,
       e.id AS subject_id, e.key AS subject_key, e.name AS subject_name, e.kind AS subject_kind,
       a.code AS attribute_code, a.label AS attribute_label,
       s.id AS source_id, s.key AS source_key, s.title AS source_title, p.name AS publisher,
       s.url AS source_url, s.published_on, s.published_on_precision, s.kind AS source_kind,
       COALESCE(NULLIF(s.reliability, ''), NULLIF(p.default_reliability, ''), 'F') AS grade,
       v.id AS entity_id, v.key AS entity_key, v.name AS entity_name,
       ARRAY(SELECT m.contradiction_id FROM claims_contradictionclaim m
             JOIN claims_contradiction k ON k.id = m.contradiction_id
             WHERE m.claim_id = c.id AND k.status = 'open' AND k.withdrawn_at IS NULL
             ORDER BY m.contradiction_id) AS contradictions
  {extra}
  FROM {tables}
  JOIN kb_entity e ON e.id = c.subject_id
  JOIN claims_attribute a ON a.id = c.attribute_id
  JOIN sources_source s ON s.id = c.source_id
  LEFT JOIN sources_publisher p ON p.id = s.publisher_id
  LEFT JOIN kb_entity v ON v.id = c.entity_value_id
 WHERE {where}
 ORDER BY {order}
 LIMIT {limit}
"""

# The best single query we could write by hand for a rare word: the matching ids, each
# branch through its own GIN index, the first page of them, then their rows.
SEARCH = """c.id IN (SELECT id FROM (
    SELECT id FROM claims_claim
     WHERE to_tsvector('english'::regconfig, quote) @@ plainto_tsquery('english'::regconfig, %(q)s)
    UNION SELECT c2.id FROM claims_claim c2 JOIN sources_source s2 ON s2.id = c2.source_id
     WHERE to_tsvector('english'::regconfig, s2.title) @@ plainto_tsquery('english'::regconfig, %(q)s)
    UNION SELECT c3.id FROM claims_claim c3 WHERE c3.subject_id IN (
        SELECT id FROM kb_entity
         WHERE to_tsvector('english'::regconfig, name) @@ plainto_tsquery('english'::regconfig, %(q)s)
        UNION SELECT entity_id FROM kb_entityalias
         WHERE to_tsvector('english'::regconfig, name) @@ plainto_tsquery('english'::regconfig, %(q)s))
  ) AS hits ORDER BY id LIMIT 50)"""


def claims_sql(where: str, *, order: str = "c.id", limit: int = 50) -> str:
    return CLAIM_SELECT.format(
        extra="", tables="claims_claim c", where=where, order=order, limit=limit
    )


CONTRADICTION_SQL = CLAIM_SELECT.format(
    extra=", t.id AS contradiction_id, t.status, t.outcome, t.note, t.detected_at, "
    "t.resolved_at, te.key AS contradiction_subject, te.name AS contradiction_subject_name, "
    "ta.code AS contradiction_attribute, j.position",
    tables="claims_contradiction t JOIN kb_entity te ON te.id = t.subject_id "
    "JOIN claims_attribute ta ON ta.id = t.attribute_id "
    "JOIN claims_contradictionclaim j ON j.contradiction_id = t.id "
    "JOIN claims_claim c ON c.id = j.claim_id",
    where="t.id = %(id)s",
    order="j.position, c.low, c.date_low, c.id",
    limit="ALL",
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


def median_ms(run, repeat: int) -> float:
    for _ in range(3):
        run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _default(value):
    return str(value)


class Command(BaseCommand):
    help = (
        "Build (or reuse) a synthetic knowledge base of N claims, then time five API requests "
        "against the same rows fetched by hand-written SQL and encoded with orjson."
    )

    def add_arguments(self, parser):
        parser.add_argument("--claims", type=int, default=100_000, help="how many claims")
        parser.add_argument(
            "--chunk", type=int, default=100_000,
            help="claims per import (keep it the same to extend an existing build)",
        )  # fmt: skip
        parser.add_argument("--repeat", type=int, default=30, help="timed runs per request")

    def handle(self, *args, claims, chunk, repeat, **options):
        if claims < 1 or chunk < 1 or repeat < 1:
            raise CommandError("--claims, --chunk and --repeat must be at least 1.")
        if connection.vendor != "postgresql":
            raise CommandError(
                "kb_bench compares against hand-written PostgreSQL (full-text search); set "
                "DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1/kb_bench."
            )
        self.build(claims, chunk)
        # The benchmark measures requests, not the throttle's refusals.
        SimpleRateThrottle.THROTTLE_RATES = {"anon": "1000000/second", "user": "1000000/second"}
        with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
            self.measure(repeat)

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

    # Measuring.

    def measure(self, repeat: int) -> None:
        client = Client()
        total = Claim.objects.count()
        deep_id = Claim.objects.order_by("id").values_list("id", flat=True)[total * 9 // 10]
        group = (
            Claim.objects.filter(key__startswith=CLAIM_PREFIX, attribute__code="syn_value")
            .order_by("-id")
            .values_list("subject_id", flat=True)
            .first()
        )
        contradiction = (
            Contradiction.objects.filter(status=ContradictionStatus.OPEN, withdrawn_at__isnull=True)
            .order_by("-id")
            .values_list("id", flat=True)
            .first()
        )
        # A word in one claim's quote, one source's title and one entity's name: a full page.
        word = "1234"
        cursor_token = base64.urlsafe_b64encode(
            json.dumps({"o": "id", "s": 0, "v": None, "i": deep_id, "r": 0}, separators=(",", ":")).encode()
        ).decode().rstrip("=")  # fmt: skip
        cases = [
            ("(a) claims list", "/api/v1/claims/", claims_sql("TRUE"), {}),
            (
                "(b) claims by subject and attribute",
                f"/api/v1/claims/?subject={group}&attribute=syn_value",
                claims_sql("c.subject_id = %(subject)s AND a.code = %(attribute)s"),
                {"subject": group, "attribute": "syn_value"},
            ),
            (
                f'(c) full-text search "{word}"',
                f"/api/v1/claims/?q={word}",
                claims_sql(SEARCH),
                {"q": word},
            ),
            (
                "(d) contradiction detail",
                f"/api/v1/contradictions/{contradiction}/",
                CONTRADICTION_SQL,
                {"id": contradiction},
            ),
            (
                "(e) claims page 90% deep",
                f"/api/v1/claims/?cursor={cursor_token}",
                claims_sql("c.id > %(after)s"),
                {"after": deep_id},
            ),
        ]
        self.stdout.write(
            f"\n{total:,} claims on PostgreSQL; median of {repeat} runs each after 3 warm-ups\n"
        )
        self.stdout.write(f"{'request':<40} {'rows':>5} {'API ms':>8} {'SQL ms':>8} {'ratio':>6}")
        worst = 0.0
        for label, url, sql, params in cases:
            response = client.get(url)
            if response.status_code != 200:
                raise CommandError(
                    f"{url} answered {response.status_code}: {response.content[:300]}"
                )
            body = response.json()
            rows = body["results"] if "results" in body else body["positions"]
            count = len(rows) if "results" in body else sum(len(p["claims"]) for p in rows)
            fetched = self.fetch(sql, params)
            if len(fetched) != count:
                raise CommandError(f"{label}: the API gave {count} rows, the SQL {len(fetched)}.")

            def api_call(url=url):
                client.get(url)

            def sql_call(sql=sql, params=params):
                orjson.dumps(self.fetch(sql, params), default=_default)

            api_ms = median_ms(api_call, repeat)
            sql_ms = median_ms(sql_call, repeat)
            ratio = api_ms / sql_ms
            worst = max(worst, ratio)
            self.stdout.write(f"{label:<40} {count:>5} {api_ms:>8.2f} {sql_ms:>8.2f} {ratio:>6.2f}")
        # What HTTP caching buys a researcher who asks again: a 304, no rows read or rendered.
        etag = client.get(cases[0][1])["ETag"]
        not_modified_ms = median_ms(
            lambda: client.get(cases[0][1], HTTP_IF_NONE_MATCH=etag), repeat
        )
        self.stdout.write(
            f"(a) again with its ETag: 304 in {not_modified_ms:.2f} ms (not in the ratios)"
        )
        self.stdout.write(f"worst ratio: {worst:.2f}")

    @staticmethod
    def fetch(sql: str, params: dict) -> list[dict]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
