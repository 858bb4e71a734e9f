"""Helpers to fill admin forms in WebTest as a browser would, JavaScript buttons included."""

from __future__ import annotations

import copy


def choose(form, name: str, value) -> None:
    """Pick a value in a select, including the autocomplete ones whose options the browser
    loads by script (the page itself lists only the current choice)."""
    field = form[name]
    if hasattr(field, "force_value"):
        field.force_value(str(value))
    else:
        field.value = str(value)


def fill(form, values: dict) -> None:
    """Type each value into its field; entities, sources and attributes are given as objects."""
    for name, value in values.items():
        if hasattr(value, "pk"):
            choose(form, name, value.pk)
        elif isinstance(value, bool):
            form[name] = value
        else:
            field = form[name]
            if field.tag == "select":
                choose(form, name, value)
            else:
                field.value = str(value)


def add_inline_form(form, prefix: str, values: dict) -> int:
    """What the admin's "Add another …" link does: copy the inline's empty form (its fields are
    named ``PREFIX-__prefix__-NAME`` in the page) as the next form, count it in TOTAL_FORMS,
    and fill it. Returns the new form's index."""
    total = form[f"{prefix}-TOTAL_FORMS"]
    index = int(total.value)
    template = f"{prefix}-__prefix__-"
    for name, fields in list(form.fields.items()):
        if not name or not name.startswith(template):
            continue
        new_name = name.replace("__prefix__", str(index))
        clone = copy.copy(fields[0])
        clone.name = new_name
        form.fields.setdefault(new_name, []).append(clone)
        form.field_order.append((new_name, clone))
    total.value = str(index + 1)
    fill(form, {f"{prefix}-{index}-{name}": value for name, value in values.items()})
    return index
