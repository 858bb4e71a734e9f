"""Reads, by noun (claims, contradictions, search, attributes, the candidates page, history,
site search, sources, totals), each public name given here too so that
`from claims.selectors import ...` finds it."""

from __future__ import annotations

from claims.selectors.attributes import (
    attribute_list,
    attributes_by_value_type,
    attributes_of_types,
    attributes_with_claim_totals,
)
from claims.selectors.candidates import (
    CandidateRow,
    SourceCandidates,
    candidate_claim_key,
    source_candidates,
    unused_claim_key,
)
from claims.selectors.claims import (
    OpenContradictionIds,
    claim_conflicts,
    claim_for_page,
    claim_for_update,
    claim_list,
    claims_for_inline,
    claims_held_on,
    claims_of_source,
    claims_of_subject,
    entities_with_claim_totals,
    in_open_contradiction,
)
from claims.selectors.contradictions import (
    QUEUE_STATUSES,
    Decision,
    Position,
    attach_decisions,
    attach_positions,
    claim_contradictions,
    contradiction_for_page,
    contradiction_history,
    contradiction_list,
    contradiction_page,
    contradiction_positions,
    contradiction_queue,
    contradiction_status_totals,
    contradictions_by_activity,
    contradictions_for_queue,
    current_contradictions_of,
    queue_filters_chosen,
    queue_keys,
    queue_rows_of,
    queue_rows_reader,
    with_memberships,
)
from claims.selectors.corroboration import (
    attach_corroboration,
    claim_corroboration,
    position_corroboration,
)
from claims.selectors.history import claim_history
from claims.selectors.search import claim_rare_words, claim_search
from claims.selectors.site_search import site_search
from claims.selectors.sources import with_claim_totals
from claims.selectors.totals import knowledge_base_totals

__all__ = [
    "CandidateRow",
    "Decision",
    "OpenContradictionIds",
    "Position",
    "QUEUE_STATUSES",
    "SourceCandidates",
    "attach_corroboration",
    "attach_decisions",
    "attach_positions",
    "attribute_list",
    "attributes_by_value_type",
    "attributes_of_types",
    "attributes_with_claim_totals",
    "candidate_claim_key",
    "claim_conflicts",
    "claim_corroboration",
    "claim_contradictions",
    "claim_for_page",
    "claim_history",
    "claim_list",
    "claim_search",
    "claims_held_on",
    "claim_for_update",
    "claims_for_inline",
    "claims_of_source",
    "claims_of_subject",
    "contradiction_history",
    "contradiction_for_page",
    "contradiction_page",
    "contradiction_list",
    "contradiction_positions",
    "contradiction_queue",
    "contradiction_status_totals",
    "contradictions_by_activity",
    "queue_filters_chosen",
    "queue_keys",
    "queue_rows_of",
    "queue_rows_reader",
    "contradictions_for_queue",
    "current_contradictions_of",
    "entities_with_claim_totals",
    "in_open_contradiction",
    "knowledge_base_totals",
    "position_corroboration",
    "claim_rare_words",
    "site_search",
    "source_candidates",
    "unused_claim_key",
    "with_memberships",
    "with_claim_totals",
]
