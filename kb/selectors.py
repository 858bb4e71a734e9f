"""Reads of the entity graph: look-alike names."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from kb.models import Entity, EntityAlias

# Names at least this alike (0-100) are suggested as the same entity.
SIMILARITY = 85


@dataclass(frozen=True)
class Lookalike:
    entity: Entity
    name: str  # the name or alias that looks alike
    score: float


def _fold(name: str) -> str:
    # "NAMRU-SOUTH" and "Namru Sur" compare as "namru south" and "namru sur".
    return re.sub(r"[\\W_]+", " ", name.casefold()).strip()


def entity_lookalikes(
    name: str, *, exclude_id: int | None = None, limit: int = 5
) -> list[Lookalike]:
    """Entities whose name or an alias is close to `name`, best first: two queries."""
    names: list[tuple[str, int]] = list(
        Entity.objects.filter(merged_into__isnull=True).values_list("name", "id")
    )
    names += list(
        EntityAlias.objects.filter(entity__merged_into__isnull=True).values_list(
            "name", "entity_id"
        )
    )
    choices = [_fold(n) for n, _ in names]
    matches = process.extract(
        _fold(name), choices, scorer=fuzz.WRatio, score_cutoff=SIMILARITY, limit=limit * 3
    )
    best: dict[int, tuple[float, str]] = {}
    for _, score, index in matches:
        entity_id = names[index][1]
        if entity_id != exclude_id and score > best.get(entity_id, (0, ""))[0]:
            best[entity_id] = (score, names[index][0])
    entities = Entity.objects.in_bulk(list(best))
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
    return [Lookalike(entities[i], matched, score) for i, (score, matched) in ranked]
