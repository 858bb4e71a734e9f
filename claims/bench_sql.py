"""The hand-written SQL the benchmark holds the API and the pages to: the rows each shows,
fetched by one query each, as well as we could write it. Plain strings, without Django, so that
the raw WSGI handler of `kb_bench --throughput` (claims/bench_wsgi.py) runs them too."""

from __future__ import annotations

# The claim columns the API shows, joined as it joins them, with every contradiction each claim
# stands in and the sources its corroboration names: those of the claims of its subject and
# attribute giving the same value (claims.facts.value_identity), each with its grade and the
# source it repeats; {where} and {order} vary. Which of them are copies of which (the families
# of claims/corroboration.py) is worked out from these rows, as the API works it out.
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
             ORDER BY m.contradiction_id) AS contradictions,
       (SELECT COALESCE(json_agg(json_build_object(
                   'id', k.id, 'status', k.status, 'outcome', NULLIF(k.outcome, ''),
                   'withdrawn', k.withdrawn_at IS NOT NULL, 'position', m.position)
                 ORDER BY m.contradiction_id), '[]'::json)
          FROM claims_contradictionclaim m
          JOIN claims_contradiction k ON k.id = m.contradiction_id
         WHERE m.claim_id = c.id) AS all_contradictions,
       (SELECT COALESCE(json_agg(json_build_object(
                   'id', s2.id, 'key', s2.key, 'title', s2.title,
                   'grade', COALESCE(NULLIF(s2.reliability, ''), NULLIF(p2.default_reliability, ''), 'F'),
                   'repeats', CASE WHEN d2.id IS NULL THEN NULL
                              ELSE json_build_object('id', d2.id, 'key', d2.key, 'title', d2.title) END)
                 ORDER BY s2.id), '[]'::json)
          FROM (SELECT DISTINCT c2.source_id FROM claims_claim c2
                 WHERE c2.subject_id = c.subject_id AND c2.attribute_id = c.attribute_id
                   AND c2.value_type = c.value_type AND c2.qualifier = c.qualifier
                   AND c2.amount IS NOT DISTINCT FROM c.amount
                   AND c2.amount_max IS NOT DISTINCT FROM c.amount_max
                   AND c2.currency = c.currency AND c2.unit = c.unit
                   AND c2.date_value IS NOT DISTINCT FROM c.date_value
                   AND c2.date_precision = c.date_precision
                   AND c2.entity_value_id IS NOT DISTINCT FROM c.entity_value_id
                   AND c2.boolean_value IS NOT DISTINCT FROM c.boolean_value
                   AND c2.text_value = c.text_value) same
          JOIN sources_source s2 ON s2.id = same.source_id
          LEFT JOIN sources_publisher p2 ON p2.id = s2.publisher_id
          LEFT JOIN sources_source d2 ON d2.id = s2.derived_from_id) AS corroboration
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


# The contradictions API's list: a page of contradictions, each with its positions' claims.
CONTRADICTION_LIST_SQL = CLAIM_SELECT.format(
    extra=", t.id AS contradiction_id, t.status, t.outcome, t.note, t.detected_at, "
    "t.resolved_at, te.key AS contradiction_subject, te.name AS contradiction_subject_name, "
    "ta.code AS contradiction_attribute, j.position",
    tables="(SELECT * FROM claims_contradiction WHERE id > %(after)s AND withdrawn_at IS NULL "
    "ORDER BY id "
    "LIMIT %(size)s) t JOIN kb_entity te ON te.id = t.subject_id "
    "JOIN claims_attribute ta ON ta.id = t.attribute_id "
    "JOIN claims_contradictionclaim j ON j.contradiction_id = t.id "
    "JOIN claims_claim c ON c.id = j.claim_id",
    where="TRUE",
    order="t.id, j.position, c.low, c.date_low, c.id",
    limit="ALL",
)

# The side-by-side page: the contradiction's claims with their source's text (each quote is
# shown in its sentence), and its last 50 history rows.
SIDE_BY_SIDE_SQL = CONTRADICTION_SQL.replace(
    "j.position\n", "j.position, s.text AS source_text\n", 1
)
HISTORY_SQL = """
SELECT h.history_id, h.history_date, h.history_type, h.status, h.outcome, h.note, u.username
  FROM claims_historicalcontradiction h LEFT JOIN auth_user u ON u.id = h.history_user_id
 WHERE h.id = %(id)s ORDER BY h.history_date DESC, h.history_id DESC LIMIT 50
"""

# The editors' queue: the first 50 open contradictions by latest activity, with their claims
# counted (its status counts are kept in the cache, as the page's are).
LAST_ACTIVITY = (
    "GREATEST(t.detected_at, COALESCE(t.resolved_at, t.detected_at), "
    "COALESCE(t.reopened_at, t.detected_at), COALESCE(t.withdrawn_at, t.detected_at))"
)
QUEUE_SQL = f"""
SELECT t.id, t.status, t.outcome, t.note, t.origin, t.flag_note, t.reopen_reason,
       t.withdrawn_at, t.withdrawn_reason, t.detected_at, t.resolved_at, t.reopened_at,
       e.id AS subject_id, e.name AS subject_name, e.kind AS subject_kind,
       a.label AS attribute_label, f.username AS flagged_by, {LAST_ACTIVITY} AS last_activity,
       (SELECT count(*) FROM claims_contradictionclaim m WHERE m.contradiction_id = t.id)
         AS claims
  FROM claims_contradiction t
  JOIN kb_entity e ON e.id = t.subject_id
  JOIN claims_attribute a ON a.id = t.attribute_id
  LEFT JOIN auth_user f ON f.id = t.flagged_by_id
 WHERE t.status = 'open' AND t.withdrawn_at IS NULL
 ORDER BY {LAST_ACTIVITY} DESC, t.id DESC
 LIMIT 51
"""

# An entity's contradictions (the entity page and the facts show them beside its claims).
ENTITY_CONTRADICTIONS_SQL = """
SELECT t.id, t.attribute_id, t.status, t.outcome, t.note FROM claims_contradiction t
 WHERE t.subject_id = %(subject)s AND t.withdrawn_at IS NULL ORDER BY t.id
"""
