"""The kb-bundle/1 format (SPEC section 4), by noun: its structure as a JSON Schema (``schema``),
reading a bundle's meaning (``reading``), the all-or-nothing import (``writing``) and the export
(``export``). The package re-exports their public names."""

from __future__ import annotations

from claims.bundles.export import bundle_export  # noqa: F401
from claims.bundles.reading import NoProgress, Plan, bundle_parse, bundle_read  # noqa: F401
from claims.bundles.schema import (  # noqa: F401
    BUNDLE_SCHEMA,
    FORMAT,
    MESSAGES,
    BundleInvalid,
    Problem,
)
from claims.bundles.writing import (  # noqa: F401
    ALREADY_HOLDS_DATA,
    CHANGE_REASON,
    IMPORT_BUSY,
    IMPORT_WAITING,
    KEPT_RANK,
    DecidedRank,
    ImportBusy,
    ImportReport,
    bundle_import,
    claim_ranks_set_by_decisions,
    knowledge_base_is_empty,
)
