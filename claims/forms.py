"""The claim form: values and dates typed as people write them, read by the value parser."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from claims import selectors, values
from claims.display import claim_value_display, date_value
from claims.models import OUTCOMES_WITH_POSITION, Attribute, Claim, Outcome, ValueType
from claims.services import (
    period_columns,
    quote_columns,
    value_columns,
    value_parse,
)
from kb.jinja2 import FormRenderer
from kb.selectors import entities_named, entity_resolve
from sources import ingest
from sources.models import Reliability, SourceKind
from sources.services import PASTED_TEXT

# The site's pages are Jinja2 templates (kb/jinja2.py); their forms write their widgets and
# errors with Django's Jinja2 copies of its form templates, in the pages' environment: the
# same HTML at half the cost of Django's template language (an include per <option>: a fifth
# of the side-by-side page). The admin's forms keep Django's renderer: the admin's widgets
# have no Jinja2 templates.
SITE_FORM_RENDERER = FormRenderer()


class SiteForm(forms.Form):
    """A form of the site's pages (not the admin's)."""

    default_renderer = SITE_FORM_RENDERER


DATE_HELP = 'e.g. "2024", "December 2023" or "May 19, 2023".'
ENTITY_VALUE_NEEDED = "This attribute takes an entity: choose it in 'Entity value'."


class ClaimForm(forms.ModelForm):
    """Edits a claim; `cleaned_data` carries the parsed value and dates for the services."""

    value_text = forms.CharField(
        label="Value",
        required=False,
        max_length=500,
        help_text='As the source words it: "$1.5 billion", "nearly 180", "May 19, 2023", "yes".',
    )
    valid_from_text = forms.CharField(label="Valid from", required=False, help_text=DATE_HELP)
    valid_to_text = forms.CharField(label="Valid to", required=False, help_text=DATE_HELP)
    claimed_on_text = forms.CharField(
        label="Claimed on",
        required=False,
        help_text="Leave empty for the source's published date. " + DATE_HELP,
    )

    class Meta:
        model = Claim
        fields = (
            "key",
            "subject",
            "attribute",
            "source",
            "entity_value",
            "quote",
            "credibility",
            "rank",
            "notes",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        claim = self.instance
        if claim.pk:
            if claim.value_type != ValueType.ENTITY:
                self.initial["value_text"] = claim.value_as_written or claim_value_display(claim)
            for name in ("valid_from", "valid_to", "claimed_on"):
                value = date_value(getattr(claim, name), getattr(claim, f"{name}_precision"))
                self.initial[f"{name}_text"] = value.iso() if value else ""

    def _date(self, name: str) -> values.DateValue | None:
        text = (self.cleaned_data.get(f"{name}_text") or "").strip()
        if not text:
            return None
        try:
            return values.parse_date(text)
        except values.ValueParseError as error:
            self.add_error(f"{name}_text", str(error))
            return None

    def _check_quote(self, cleaned: dict) -> None:
        # The services refuse a quote that is not in the source's text; say it under the field
        # before anything is saved. A claim whose quote and source are untouched keeps its
        # anchoring state (a source's new text marks it drifted rather than refusing the form).
        source, quote = cleaned.get("source"), cleaned.get("quote")
        unchanged = self.instance.pk and not {"quote", "source"} & set(self.changed_data)
        if source is None or not quote or unchanged:
            return
        try:
            quote_columns(source=source, quote=quote)
        except ValidationError as error:
            self.add_error("quote", error.message_dict.get("quote", error.messages))

    def _check_period(self, cleaned: dict) -> None:
        try:
            period_columns(valid_from=cleaned.get("valid_from"), valid_to=cleaned.get("valid_to"))
        except ValidationError as error:
            self.add_error("valid_to_text", error.message_dict.get("valid_to", error.messages))

    def clean(self):
        cleaned = super().clean()
        for name in ("valid_from", "valid_to", "claimed_on"):
            cleaned[name] = self._date(name)
        self._check_period(cleaned)
        self._check_quote(cleaned)
        attribute = cleaned.get("attribute")
        if attribute is None:
            return cleaned
        text = (cleaned.get("value_text") or "").strip()
        if attribute.value_type == ValueType.ENTITY:
            value = cleaned.get("entity_value")
            if value is None:
                self.add_error("entity_value", ENTITY_VALUE_NEEDED)
                return cleaned
        elif not text:
            self.add_error("value_text", "Give the value.")
            return cleaned
        else:
            try:
                value = value_parse(attribute=attribute, text=text)
            except values.ValueParseError as error:
                self.add_error("value_text", str(error))
                return cleaned
        try:
            value_columns(attribute=attribute, value=value)
        except ValidationError as error:
            self.add_error("value_text", error)
            return cleaned
        cleaned["value"] = value
        cleaned["value_as_written"] = text
        return cleaned


class ResolveForm(SiteForm):
    """An editor's decision on a contradiction; `version` is the one the editor read."""

    outcome = forms.ChoiceField(choices=[("", "Choose an outcome")] + Outcome.choices)
    position = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        help_text="For one_is_wrong and superseded: the position that holds.",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why. The note is required and stays on record.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, positions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].choices = [("", "—")] + [
            (p.index, f"Position {p.index + 1}: {p.display}") for p in positions
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") in OUTCOMES_WITH_POSITION and cleaned.get("position") is None:
            self.add_error("position", "Choose the position that holds.")
        return cleaned


class FlagForm(SiteForm):
    """An analyst's hand flag: claims of one attribute of an entity, and why."""

    claims = forms.ModelMultipleChoiceField(queryset=Claim.objects.none())
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, entity=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["claims"].queryset = selectors.claims_of_subject(entity)


class IngestForm(SiteForm):
    """A new source from pasted text, an uploaded .txt / .html / .pdf file, or a URL."""

    title = forms.CharField(max_length=500)
    kind = forms.ChoiceField(choices=SourceKind.choices)
    publisher = forms.CharField(max_length=300, required=False)
    reliability = forms.ChoiceField(
        choices=[("", "the publisher's default")] + Reliability.choices, required=False
    )
    published_on = forms.CharField(required=False, help_text=DATE_HELP)
    language = forms.CharField(max_length=10, initial="en")
    url = forms.URLField(
        required=False,
        max_length=2000,
        assume_scheme="https",
        help_text="Fetched when no text or file is given; kept as the source's link either way.",
    )
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}), required=False)
    upload = forms.FileField(required=False, help_text=".txt, .html or .pdf")

    def clean_published_on(self):
        text = self.cleaned_data["published_on"].strip()
        if not text:
            return None
        try:
            return values.parse_date(text)
        except values.ValueParseError as error:
            raise ValidationError(str(error)) from error

    def clean_text(self):
        # The ingest limit, in bytes as stored (UTF-8), said under the field before anything
        # is read; the ingest service checks it again for its other callers.
        text = self.cleaned_data["text"]
        ingest.refuse_too_large(len(text.encode("utf-8")), what=PASTED_TEXT)
        return text

    def clean(self):
        # Which document was given is the form's to check; reading or fetching it is the
        # ingest service's (sources.services.source_ingest), which names the field at fault.
        cleaned = super().clean()
        given = [name for name in ("text", "upload") if cleaned.get(name)]
        if len(given) > 1:
            raise ValidationError("Paste the text or upload a file, not both.")
        if not given and not cleaned.get("url"):
            raise ValidationError("Paste the text, upload a file, or give a URL to fetch.")
        return cleaned


# The attribute value types a kind of candidate can fill.
CANDIDATE_TYPES = {
    "money": [ValueType.MONEY],
    "count": [ValueType.COUNT, ValueType.QUANTITY],
    "date": [ValueType.DATE],
    "entity": [ValueType.ENTITY],
}


# The subject field's errors; `names` lists the entities one name fits, with their keys.
UNKNOWN_SUBJECT = 'No entity is called "{name}": give the key, name or alias of a known entity.'
AMBIGUOUS_SUBJECT = '"{name}" fits several entities ({names}): give the key of the one you mean.'
# The browser's suggestions for the subject field (templates/claims/candidates.html fills it).
SUBJECT_DATALIST = "entity-names"


class CandidateClaimForm(SiteForm):
    """Accept one candidate as a claim: subject, attribute, value (corrected if need be), quote.

    `cleaned_data["subject"]` is the Entity the subject names by key, name or alias.
    """

    subject = forms.CharField(
        max_length=300,
        help_text="Key, name or alias of the entity the claim is about.",
        widget=forms.TextInput(attrs={"list": SUBJECT_DATALIST, "autocomplete": "off"}),
    )
    attribute = forms.ModelChoiceField(queryset=Attribute.objects.none(), to_field_name="code")
    value = forms.CharField(max_length=500)
    quote = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    credibility = forms.IntegerField(min_value=1, max_value=6, initial=3)
    start = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, kind: str = "money", attributes_by_type=None, **kwargs):
        """`attributes_by_type` ({value type: [Attribute, ...]}, see
        claims.selectors.attributes_by_value_type) spares a page of forms a query per form."""
        super().__init__(*args, **kwargs)
        types = CANDIDATE_TYPES.get(kind, [])
        field = self.fields["attribute"]
        field.queryset = selectors.attributes_of_types(types)
        if attributes_by_type is not None:
            fitting = sorted(
                (a for t in types for a in attributes_by_type.get(t, [])),
                key=lambda a: (a.label, a.pk),
            )
            field.choices = [("", field.empty_label)] + [
                (a.code, field.label_from_instance(a)) for a in fitting
            ]

    def clean_subject(self):
        name = self.cleaned_data["subject"].strip()
        entity = entity_resolve(name)
        if entity is not None:
            return entity
        fits = list(entities_named(name, limit=5))
        if len(fits) > 1:
            names = ", ".join(f"{e.name} [{e.key}]" for e in fits)
            raise ValidationError(AMBIGUOUS_SUBJECT.format(name=name, names=names))
        raise ValidationError(UNKNOWN_SUBJECT.format(name=name))
