"""Pages: the home page, the search box, the editors' queue, the side-by-side contradiction
page, entities, sources, publishers, a claim's permalink, the candidate claims of a source, and
the subject autocomplete those candidates use."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods

from claims import selectors, values
from claims.api_rows import entity_fact_rows
from claims.display import claim_reading, queue_rows
from claims.filters import QUEUE_STATUS_CHOICES, QueueFilters, SourceIndexFilter
from claims.forms import (
    SUBJECT_DATALIST,
    CandidateClaimForm,
    FlagForm,
    IngestForm,
    ResolveForm,
)
from claims.models import QuoteStatus
from claims.quotes import highlight_segments, quote_in_context
from claims.selectors import candidates as candidate_selectors
from claims.services import (
    StaleDecision,
    claim_create,
    contradiction_flag,
    contradiction_resolve,
    source_ingest_with_candidates,
    value_parse,
)
from kb import selectors as kb_selectors
from kb.paging import BAD_PAGE_LINK, keyset_page
from kb.reversing import pk_url
from kb.selectors import AUTOCOMPLETE_MIN_LENGTH, entity_resolve
from sources import ingest as ingest_limits
from sources import selectors as source_selectors
from sources.services import ALREADY_STORED

RESOLVE_PERMISSION = "claims.resolve_contradiction"
FLAG_PERMISSION = "claims.flag_contradiction"
CHANGE_CLAIM_PERMISSION = "claims.change_claim"
NOT_AN_EDITOR = "Only editors may resolve or dismiss contradictions."
NOT_AN_ANALYST = "Only analysts and editors may flag contradictions."


def home(request):
    """What the knowledge base holds and who does what, with its four totals."""
    return render(request, "claims/home.html", {"totals": selectors.knowledge_base_totals()})


ENTITIES_PER_PAGE = 100


def entity_list(request):
    query = request.GET.get("q", "").strip()[:200]
    page = keyset_page(
        selectors.entities_with_claim_totals(query),
        request.GET,
        key="name",
        kind=str,
        descending=False,
        size=ENTITIES_PER_PAGE,
    )
    return render(request, "claims/entities.html", {"q": query, "page": page})


SOURCES_PER_PAGE = 25


def _source_page(sources, params):
    """A page of `sources` newest published first, the undated last (keyset paging, no count)."""
    return keyset_page(
        selectors.with_claim_totals(sources),
        params,
        key="published_on",
        kind=datetime.date,
        nulls_last=True,
        size=SOURCES_PER_PAGE,
    )


def source_index(request):
    filterset = SourceIndexFilter(request.GET, queryset=source_selectors.source_index())
    page = _source_page(filterset.qs, request.GET)
    return render(request, "claims/sources.html", {"filter": filterset, "page": page})


def publisher_detail(request, pk: int):
    publisher = get_object_or_404(source_selectors.publishers_with_source_totals(), pk=pk)
    page = _source_page(source_selectors.source_index().filter(publisher=publisher), request.GET)
    return render(request, "claims/publisher.html", {"publisher": publisher, "page": page})


def claim_detail(request, pk: int):
    """A claim's permalink: its value, source and quote, standing, contradictions and history."""
    claim = get_object_or_404(selectors.claim_for_page(), pk=pk)
    anchored = claim.quote_status == QuoteStatus.ANCHORED
    return render(
        request,
        "claims/claim.html",
        {
            "claim": claim,
            "reading": claim_reading(claim),
            "corroboration": selectors.claim_corroboration(claim),
            "context": quote_in_context(
                claim.source.text, claim.quote, claim.quote_start if anchored else None
            ),
            "contradictions": selectors.claim_contradictions(claim),
            "history": selectors.claim_history(claim),
            "can_edit": request.user.is_staff and request.user.has_perm(CHANGE_CLAIM_PERMISSION),
        },
    )


def search(request):
    """The header's search box: entities, claims and sources, each group ranked and bounded."""
    return render(
        request, "claims/search.html", {"found": selectors.site_search(request.GET.get("q", ""))}
    )


QUEUE_PER_PAGE = 50


def queue(request):
    """The editors' queue: contradictions of one status (open unless another is chosen), the
    latest activity first, with how many there are of each status under the other filters."""
    filters = QueueFilters(request.GET)
    choice = filters.choice
    page = keyset_page(
        lambda: selectors.queue_keys(filters.filterset().qs),
        request.GET,
        key="last_activity",
        kind=datetime.datetime,
        size=QUEUE_PER_PAGE,
        read=selectors.queue_rows_reader(choice),
    )
    queue_rows(page, timezone.now())
    version = selectors.queue_version(page.rows)
    totals = selectors.contradiction_status_totals(
        lambda: filters.filterset().without_status(), filters=choice.filters, version=version
    )
    attributes = selectors.attribute_options(version)
    return render(
        request,
        "claims/queue.html",
        {
            "errors": filters.errors,
            "selects": filters.selects(leave_out=("status",), options={"attribute": attributes}),
            "page": page,
            "status": choice.status,
            "statuses": [(value, label, totals[value]) for value, label in QUEUE_STATUS_CHOICES],
        },
    )


@require_http_methods(["GET", "POST"])
def contradiction_detail(request, pk: int):
    contradiction = selectors.contradiction_page(pk)
    if contradiction is None:
        raise Http404("No contradiction has that id.")
    positions = selectors.contradiction_positions(contradiction)
    form = ResolveForm(positions=positions, initial={"version": contradiction.version})
    if request.method == "POST":
        if not request.user.has_perm(RESOLVE_PERMISSION):
            raise PermissionDenied(NOT_AN_EDITOR)
        form = ResolveForm(request.POST, positions=positions)
        if form.is_valid():
            try:
                contradiction_resolve(
                    contradiction=contradiction,
                    user=request.user,
                    **form.cleaned_data,
                )
            except StaleDecision as error:
                contradiction.refresh_from_db()
                positions = selectors.contradiction_positions(contradiction)
                data = request.POST.copy()
                data["version"] = contradiction.version
                form = ResolveForm(data, positions=positions)
                form.is_valid()
                form.add_error(None, error.messages[0])
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, "The decision is recorded.")
                return redirect("contradiction", pk=contradiction.pk)
    for position in positions:
        for claim in position.claims:
            anchored = claim.quote_status == QuoteStatus.ANCHORED
            claim.context = quote_in_context(
                claim.source.text, claim.quote, claim.quote_start if anchored else None
            )
    return render(
        request,
        "claims/contradiction.html",
        {
            "contradiction": contradiction,
            "positions": positions,
            "form": form,
            "history": selectors.contradiction_history(contradiction),
            "can_resolve": request.user.has_perm(RESOLVE_PERMISSION),
            "editors_decide": _editors_decide(request.user, contradiction),
        },
        status=400 if request.method == "POST" else 200,
    )


# What an analyst, who may flag but not decide, reads on a contradiction's page.
EDITORS_DECIDE = (
    "Editors decide contradictions. As an analyst you can flag claims that disagree, by "
    'hand, on <a href="{url}">the entity\'s page</a>.'
)


def _editors_decide(user, contradiction) -> str:
    """The sentence for an analyst (may flag, may not resolve); empty for anyone else."""
    if user.has_perm(FLAG_PERMISSION) and not user.has_perm(RESOLVE_PERMISSION):
        url = reverse("entity", args=[contradiction.subject_id])
        return format_html(EDITORS_DECIDE, url=f"{url}#flag")
    return ""


@require_http_methods(["GET", "POST"])
def entity_detail(request, pk: int):
    found = kb_selectors.entity_page(pk)
    if found is None:
        raise Http404("No entity has that id.")
    entity, aliases = found
    form = FlagForm(entity=entity)
    if request.method == "POST":
        if not request.user.has_perm(FLAG_PERMISSION):
            raise PermissionDenied(NOT_AN_ANALYST)
        form = FlagForm(request.POST, entity=entity)
        if form.is_valid():
            try:
                flag = contradiction_flag(
                    claims=list(form.cleaned_data["claims"]),
                    note=form.cleaned_data["note"],
                    user=request.user,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, "The claims are flagged for the editors.")
                return redirect("contradiction", pk=flag.pk)
    facts, _ = entity_fact_rows(entity, corroborated=False)
    paging_error = _page_fact_claims(facts, request.GET)
    return render(
        request,
        "claims/entity.html",
        {
            "entity": entity,
            "aliases": aliases,
            "facts": facts,
            "paging_error": paging_error,
            "form": form,
            "can_flag": request.user.has_perm(FLAG_PERMISSION),
            # A refused flag comes back with its claims still ticked.
            "ticked": set(form["claims"].value() or ()) if form.is_bound else set(),
        },
        status=400 if request.method == "POST" else 200,
    )


# An entity page shows this many claims of each attribute, then links to the next ones.
CLAIMS_PER_FACT = 20


def _page_fact_claims(facts, params) -> str:
    """Set `shown` (the claims of each fact this page shows, in id order, each with its `url`
    and its source's `source_url`), `more_query` (the link on) and `claims_before` (how many
    earlier ones it leaves out) on each fact, and its contradictions' `url`: the first
    CLAIMS_PER_FACT claims of each, or for the attribute named by `claims_of` those after the
    claim id `after`. The facts and their best values count every claim; the page shows a
    bounded number. An error text when the link was not one the page gave out."""
    paged, error, after = params.get("claims_of", ""), "", 0
    if paged:
        raw = params.get("after", "")
        if raw.isdigit() and len(raw) < 20:
            after = int(raw)
        else:
            error = BAD_PAGE_LINK
    claim_url, source_url, contradiction_url = map(pk_url, ("claim", "source", "contradiction"))
    for fact in facts:
        code = fact.attribute.code
        start = after if code == paged else 0
        rest = [claim for claim in fact.claims if claim.pk > start]
        fact.shown = rest[:CLAIMS_PER_FACT]
        for claim in fact.shown:
            claim.url, claim.source_url = claim_url(claim.pk), source_url(claim.source_id)
        for contradiction in fact.contradictions:
            contradiction.url = contradiction_url(contradiction.pk)
        fact.more_query = None
        if len(rest) > CLAIMS_PER_FACT:
            fact.more_query = urlencode({"claims_of": code, "after": fact.shown[-1].pk})
        fact.claims_before = len(fact.claims) - len(rest)
    return error


def source_detail(request, pk: int):
    source = get_object_or_404(source_selectors.source_for_page(), pk=pk)
    claims = selectors.claims_of_source(source)
    spans = [
        (c.quote_start, c.quote_end, c.pk)
        for c in claims
        if c.quote_status == QuoteStatus.ANCHORED and c.quote_start is not None
    ]
    return render(
        request,
        "claims/source.html",
        {
            "source": source,
            "claims": claims,
            "segments": highlight_segments(source.text, spans) if source.text else [],
        },
    )


INGEST_PERMISSION = "sources.add_source"
CLAIM_PERMISSION = "claims.add_claim"
NOT_ALLOWED_TO_INGEST = "Only analysts and editors may ingest documents."
NOT_ALLOWED_TO_CLAIM = "Only analysts and editors may record claims."


@require_http_methods(["GET", "POST"])
def ingest(request):
    if not request.user.has_perm(INGEST_PERMISSION):
        raise PermissionDenied(NOT_ALLOWED_TO_INGEST)
    form = IngestForm()
    if request.method == "POST":
        refusal = _too_large_to_ingest(request)
        if refusal:
            messages.error(request, refusal)
            return render(request, "claims/ingest.html", {"form": form}, status=413)
        form = IngestForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            published = data["published_on"]
            try:
                source, created = source_ingest_with_candidates(
                    title=data["title"],
                    kind=data["kind"],
                    text=data["text"],
                    upload=data["upload"],
                    url=data["url"],
                    publisher=data["publisher"],
                    reliability=data["reliability"],
                    published_on=published.date if published else None,
                    published_on_precision=published.precision if published else "day",
                    language=data["language"],
                    user=request.user,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                if created:
                    messages.success(request, "The document is stored. Pick the claims it makes.")
                else:
                    messages.info(request, ALREADY_STORED.format(title=source.title))
                return redirect("candidates", pk=source.pk)
    return render(request, "claims/ingest.html", {"form": form}, status=400 if form.errors else 200)


# Bytes an ingest request may carry beyond the document: the form's other fields and the
# multipart framing (kb/settings.py's DATA_UPLOAD_MAX_MEMORY_SIZE allows as much).
INGEST_FORM_ROOM = 1_000_000
SENT = "What was sent"


def _too_large_to_ingest(request) -> str:
    """The ingest limit's sentence for a request too large to hold a document within it, else
    "": by its declared size before its body is read, or when Django's own limit on the form's
    fields (DATA_UPLOAD_MAX_MEMORY_SIZE) stops reading it."""
    declared = request.META.get("CONTENT_LENGTH", "")
    declared = int(declared) if declared.isdigit() else 0
    if declared > settings.KB_INGEST_MAX_BYTES + INGEST_FORM_ROOM:
        return ingest_limits.too_large(declared, what=SENT)
    try:
        request.POST  # noqa: B018 (reads the body)
    except RequestDataTooBig:
        return ingest_limits.too_large(declared, what=SENT)
    return ""


# The candidates page's messages.
CANDIDATE_SAVED = 'Claim {key} recorded. <a href="{url}">See it on the source page</a>.'
CANDIDATE_ALREADY_SAVED = "This candidate is already saved as claim {key}: nothing was recorded."
CANDIDATE_GONE = "That candidate is no longer in the source's text: nothing was recorded."


NOT_ALLOWED_TO_SEE_CANDIDATES = "Only analysts and editors may see a source's candidate claims."


def _candidates_url(source, start: int | None = None, page: int = 1) -> str:
    url = reverse("candidates", args=[source.pk])
    if page > 1:
        url = f"{url}?page={page}"
    return url if start is None else f"{url}#candidate-{start}"


@require_http_methods(["GET", "POST"])
def source_candidates(request, pk: int):
    """Analysts turn a source's amounts, counts and dates into claims, one form per candidate,
    a page of them at a time; after a save the page comes back, scrolled to the candidate, now
    marked as saved. The candidates were found when the text was stored: this page reads them
    and never runs the extractor, whatever the length of the text."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.has_perm(CLAIM_PERMISSION):
        raise PermissionDenied(
            NOT_ALLOWED_TO_CLAIM if request.method == "POST" else NOT_ALLOWED_TO_SEE_CANDIDATES
        )
    source = get_object_or_404(candidate_selectors.source_for_candidates(), pk=pk)
    page = request.GET.get("page")
    posted = None
    if request.method == "POST":
        posted = candidate_selectors.source_candidate(source, request.POST.get("start"))
        if posted is None:
            messages.error(request, CANDIDATE_GONE)
            return redirect(_candidates_url(source))
        candidate = posted.candidate
        page = candidate_selectors.candidate_page_number(source, candidate)
        if posted.saved:
            messages.info(request, CANDIDATE_ALREADY_SAVED.format(key=posted.saved[0].key))
            return redirect(_candidates_url(source, candidate.start, page))
        posted.form = _candidate_form(posted, data=request.POST)
        claim = _accept_candidate(request, posted.form, source, candidate)
        if claim is not None:
            url = f"{reverse('source', args=[source.pk])}#claim-{claim.pk}"
            messages.success(request, format_html(CANDIDATE_SAVED, key=claim.key, url=url))
            return redirect(_candidates_url(source, candidate.start, page))
    found = candidate_selectors.source_candidates(source, page=page)
    attributes = selectors.attributes_by_value_type()
    for row in found.rows:
        if posted is not None and row.candidate.pk == posted.candidate.pk:
            row.form = posted.form
        elif not row.saved:
            row.form = _candidate_form(row, attributes_by_type=attributes)
    return render(
        request,
        "claims/candidates.html",
        {
            "source": source,
            "rows": found.rows,
            "page": found.page,
            "can_claim": True,
            "mentioned": found.mentioned,
            "datalist": SUBJECT_DATALIST,
            "suggest_url": reverse("entity_autocomplete"),
            "suggest_min_length": AUTOCOMPLETE_MIN_LENGTH,
        },
        status=400 if posted is not None else 200,
    )


def _candidate_form(row, data=None, attributes_by_type=None) -> CandidateClaimForm:
    candidate = row.candidate
    return CandidateClaimForm(
        data,
        prefix=f"c{candidate.start}",
        kind=candidate.kind,
        attributes_by_type=attributes_by_type,
        initial={
            "subject": row.subject,
            "value": candidate.text,
            "quote": candidate.sentence.strip(),
            "start": candidate.start,
            "credibility": 3,
        },
    )


def _accept_candidate(request, form, source, candidate):
    """Save the candidate as a claim through the services; errors go on the form."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    attribute = data["attribute"]
    try:
        value = (
            entity_resolve(data["value"])
            if attribute.value_type == "entity"
            else value_parse(attribute=attribute, text=data["value"])
        )
        if value is None:
            raise ValidationError({"value": f'No single entity is called "{data["value"]}".'})
        key = selectors.candidate_claim_key(source, candidate, attribute.code)
        return claim_create(
            key=selectors.unused_claim_key(key),
            subject=data["subject"],
            attribute=attribute,
            source=source,
            value=value,
            value_as_written=data["value"],
            quote=data["quote"],
            credibility=data["credibility"],
            quote_near=candidate.start,
            user=request.user,
        )
    except values.ValueParseError as error:
        form.add_error("value", str(error))
    except ValidationError as error:
        _add_errors(form, error)
    return None


NOT_SIGNED_IN_AS_ANALYST = "Sign in as an analyst or an editor to look up entities."


@require_http_methods(["GET"])
def entity_autocomplete(request):
    """The subject field's suggestions as JSON: up to 20 entities whose key, name or alias
    contains `q` (two characters at least), for analysts and editors only."""
    if not request.user.has_perm(CLAIM_PERMISSION):
        return JsonResponse({"error": NOT_SIGNED_IN_AS_ANALYST}, status=403)
    found = kb_selectors.entity_autocomplete(request.GET.get("q", "")[:300])
    return JsonResponse(
        {
            "results": [
                {
                    "key": entity.key,
                    "name": entity.name,
                    "alias": entity.matched_alias,
                    "kind": entity.get_kind_display(),
                }
                for entity in found
            ]
        }
    )


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
