"""Writes to attributes: creating one, and changing one together with what its claims store."""

from __future__ import annotations

import copy
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone

from claims import detection, values
from claims.copying import update_with_history
from claims.display import claim_value, claim_value_display
from claims.models import (
    Attribute,
    Claim,
    Contradiction,
    ValueType,
)
from claims.services.columns import VALUE_COLUMNS, value_columns, value_parse
from kb.selectors import entity_resolve

# The fields attribute_update may change (HackSoft's model_update: the service names them).
ATTRIBUTE_FIELDS = (
    "code", "label", "description", "value_type", "unit", "single_valued", "time_varying",
    "tolerance", "approx_tolerance", "choices",
)  # fmt: skip
# The fields that decide a claim's stored value columns (its type, unit, interval, choice).
VALUE_FIELDS = ("value_type", "unit", "tolerance", "approx_tolerance", "choices")
# The fields that decide which claims conflict (SPEC section 3): a change rechecks them.
RULE_FIELDS = (*VALUE_FIELDS, "single_valued", "time_varying")
# The field a refusal is shown on: the first of these that changed is why a claim breaks.
BREAKING_FIELDS = ("value_type", "choices", "unit")

CHANGE_REASON = "attribute changed"
UNKNOWN_FIELDS = "attribute_update changes only {allowed}; not {names}."
BREAKS_CLAIMS = "This change would break {count} claim(s) of this attribute: {claims}."
BROKEN_CLAIM = '"{key}" ({why})'
NO_SUCH_ENTITY = 'no single entity is named "{text}"'
LISTED = 10  # broken claims named in a refusal; the rest are counted
BATCH = 2000


@transaction.atomic
def attribute_create(
    *,
    code: str,
    label: str,
    value_type: str,
    unit: str = "",
    single_valued: bool = True,
    time_varying: bool = False,
    tolerance: Decimal | str | int = 0,
    approx_tolerance: Decimal | str = "0.10",
    choices: list[str] | None = None,
    description: str = "",
    user=None,
) -> Attribute:
    """Create an attribute, recorded in history with `user`; raises ValidationError on bad
    fields."""
    attribute = Attribute(
        code=code,
        label=label,
        value_type=value_type,
        unit=unit,
        single_valued=single_valued,
        time_varying=time_varying,
        tolerance=Decimal(str(tolerance)),
        approx_tolerance=Decimal(str(approx_tolerance)),
        choices=choices,
        description=description,
    )
    attribute.full_clean()
    attribute._history_user = user
    attribute.save()
    return attribute


@transaction.atomic
def attribute_update(
    *,
    attribute: Attribute,
    data: dict,
    user=None,
    skip_keys: set[str] = frozenset(),
    recheck: bool = True,
) -> Attribute:
    """Change the attribute's fields named in ATTRIBUTE_FIELDS to their values in `data`.

    A change to a VALUE_FIELDS field recomputes the stored value columns (type, unit, interval)
    of the attribute's claims; a change to any RULE_FIELDS field rechecks the contradictions of
    its subjects (unless `recheck` is false: then the caller rechecks attribute_groups). All in
    this transaction, recorded in history with `user` and CHANGE_REASON. Claims whose keys are
    in `skip_keys` are left to the caller, who rewrites them in the same transaction.

    Raises ValidationError on bad fields, and, naming each claim and why, when the change would
    break claims (attribute_update_check); then nothing changes. Data that changes nothing
    writes nothing.
    """
    stored = Attribute.objects.select_for_update().get(pk=attribute.pk)
    _assign(attribute, data)
    attribute.full_clean()
    changed, recomputed = _changes(attribute, stored, skip_keys)
    if not changed:
        return attribute
    attribute._history_user = user
    attribute._change_reason = CHANGE_REASON
    attribute.save()
    update_with_history(
        Claim,
        recomputed,
        ["value_type", *VALUE_COLUMNS, "updated_at"],
        user=user,
        reason=CHANGE_REASON,
    )
    if recheck and changed & set(RULE_FIELDS):
        fields = ", ".join(sorted(changed & set(RULE_FIELDS)))
        detection.groups_recheck(
            groups=attribute_groups(attribute=attribute),
            user=user,
            cause=f'the attribute "{attribute.code}" changed ({fields})',
        )
    return attribute


def attribute_update_check(*, attribute: Attribute, data: dict) -> None:
    """Raise the ValidationError attribute_update would raise for the claims `data` breaks.

    For forms, which validate before the service runs; writes nothing, changes no argument.
    Fields that are themselves invalid are left to the model's full_clean, which says why.
    """
    stored = Attribute.objects.get(pk=attribute.pk)
    candidate = copy.copy(stored)
    _assign(candidate, data)
    try:
        candidate.full_clean(validate_unique=False)
    except ValidationError:
        return
    _changes(candidate, stored, frozenset())


def attribute_groups(*, attribute: Attribute) -> set[detection.Group]:
    """The (subject id, attribute id) groups of the attribute's claims and contradictions:
    what a change to its rules rechecks. Two queries."""
    claims = Claim.objects.filter(attribute=attribute)
    contradictions = Contradiction.objects.filter(attribute=attribute)
    return {
        *claims.values_list("subject_id", "attribute_id").distinct(),
        *contradictions.values_list("subject_id", "attribute_id").distinct(),
    }


def _assign(attribute: Attribute, data: dict) -> None:
    unknown = sorted(set(data) - set(ATTRIBUTE_FIELDS))
    if unknown:
        raise TypeError(
            UNKNOWN_FIELDS.format(allowed=", ".join(ATTRIBUTE_FIELDS), names=", ".join(unknown))
        )
    for name, value in data.items():
        setattr(attribute, name, value)


def _changes(
    attribute: Attribute, stored: Attribute, skip_keys: set[str]
) -> tuple[set[str], list[Claim]]:
    """The fields `attribute` changes from `stored`, and the claims it moves (their new columns
    set); raises the ValidationError naming the claims it would break."""
    changed = {
        name for name in ATTRIBUTE_FIELDS if getattr(attribute, name) != getattr(stored, name)
    }
    recomputed, broken = _recompute(attribute, changed, skip_keys)
    if broken:
        raise _refusal(broken, changed)
    return changed, recomputed


def _recompute(
    attribute: Attribute, changed: set[str], skip_keys: set[str]
) -> tuple[list[Claim], list[tuple[str, str]]]:
    """The claims whose value columns the changed attribute moves, with the new columns set,
    and the (key, why) of each claim whose value it cannot hold."""
    if not changed & set(VALUE_FIELDS):
        return [], []
    recomputed, broken = [], []
    now = timezone.now()
    claims = Claim.objects.filter(attribute_id=attribute.pk).select_related("entity_value")
    for claim in claims.order_by("key").iterator(chunk_size=BATCH):
        if claim.key in skip_keys:
            continue
        try:
            columns = value_columns(attribute=attribute, value=_value_read(claim, attribute))
        except values.ValueParseError as error:
            broken.append((claim.key, str(error)))
            continue
        except ValidationError as error:
            broken.append((claim.key, "; ".join(error.messages)))
            continue
        columns["value_type"] = attribute.value_type
        before = [getattr(claim, name) for name in columns]
        for name, column in columns.items():
            setattr(claim, name, column)
        if [getattr(claim, name) for name in columns] != before:
            claim.updated_at = now
            recomputed.append(claim)
    return recomputed, broken


def _value_read(claim: Claim, attribute: Attribute):
    """The claim's value as the attribute will type it: the stored value when the type stays,
    else its wording (as written, or as the stored value reads) read as the new type."""
    if claim.value_type == attribute.value_type:
        return claim_value(claim)
    text = claim.value_as_written or claim_value_display(claim)
    if attribute.value_type == ValueType.ENTITY:
        entity = entity_resolve(text)
        if entity is None:
            raise values.ValueParseError(NO_SUCH_ENTITY.format(text=text))
        return entity
    return value_parse(attribute=attribute, text=text)


def _refusal(broken: list[tuple[str, str]], changed: set[str]) -> ValidationError:
    listed = "; ".join(BROKEN_CLAIM.format(key=key, why=why) for key, why in broken[:LISTED])
    if len(broken) > LISTED:
        listed += f"; and {len(broken) - LISTED} more"
    field = next((name for name in BREAKING_FIELDS if name in changed), NON_FIELD_ERRORS)
    return ValidationError({field: BREAKS_CLAIMS.format(count=len(broken), claims=listed)})
