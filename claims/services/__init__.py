"""Writes, by noun: every change to attributes, claims, contradictions and merges goes through
these services (keyword-only, typed, atomic, recorded in history).

- ``columns``: a claim's derived columns (value interval, periods, quote anchor)
- ``attributes``: attributes
- ``candidates``: the candidate claims found in a source's text, stored when it changes
- ``claims``: claims, and re-anchoring quotes when a source's text changes
- ``contradictions``: hand flags and editors' decisions
- ``merges``: merging duplicate entities and undoing it
"""

from __future__ import annotations

from claims.services.attributes import (  # noqa: F401
    attribute_create,
    attribute_update,
)
from claims.services.candidates import (  # noqa: F401
    candidates_extract,
    source_ingest_with_candidates,
)
from claims.services.claims import (  # noqa: F401
    claim_create,
    claim_delete,
    claim_update,
    claims_reanchor,
    source_save_with_quotes,
)
from claims.services.columns import (  # noqa: F401
    NOT_A_CHOICE,
    QUOTE_NOT_IN_SOURCE,
    UNIT_MISMATCH,
    VALUE_COLUMNS,
    WRONG_VALUE_TYPE,
    claimed_on_columns,
    effective_period_columns,
    empty_value_columns,
    period_columns,
    quote_columns,
    time_columns,
    value_columns,
    value_parse,
)
from claims.services.contradictions import (  # noqa: F401
    FLAG_ALL_AGREE,
    FLAG_NEEDS_TWO,
    FLAG_SAME_TARGET,
    FOUR_EYES,
    NOTE_REQUIRED,
    POSITION_REQUIRED,
    STALE_DECISION,
    WITHDRAWN,
    StaleDecision,
    contradiction_flag,
    contradiction_flag_update,
    contradiction_resolve,
)
from claims.services.merges import (  # noqa: F401
    MERGE_ALREADY,
    MERGE_ITSELF,
    UNDO_DONE,
    UNDO_LATER_MERGE,
    entity_merge,
    entity_merge_undo,
)
