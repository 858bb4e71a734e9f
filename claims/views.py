"""Pages: the editors' queue, the side-by-side contradiction page and the entity page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from claims import selectors
from claims.filters import ContradictionQueueFilter
from claims.forms import FlagForm, ResolveForm
from claims.models import Contradiction, QuoteStatus
from claims.quotes import highlight_segments, quote_in_context
from claims.services import StaleDecision, contradiction_flag, contradiction_resolve
from kb.models import Entity
from sources.models import Source

RESOLVE_PERMISSION = "claims.resolve_contradiction"
FLAG_PERMISSION = "claims.flag_contradiction"
NOT_AN_EDITOR = "Only editors may resolve or dismiss contradictions."
NOT_AN_ANALYST = "Only analysts and editors may flag contradictions."


def home(request):
    query = request.GET.get("q", "").strip()
    entities = (
        Entity.objects.filter(merged_into__isnull=True)
        .annotate(claim_total=Count("claims"))
        .order_by("name", "id")
    )
    if query:
        entities = entities.filter(Q(name__icontains=query) | Q(aliases__name__icontains=query))
    return render(
        request,
        "claims/home.html",
        {
            "q": query,
            "entities": entities.distinct()[:200],
            "open_total": selectors.contradiction_queue().count(),
        },
    )


def queue(request):
    filterset = ContradictionQueueFilter(request.GET, queryset=selectors.contradiction_queue())
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(request, "claims/queue.html", {"filter": filterset, "page": page})


@require_http_methods(["GET", "POST"])
def contradiction_detail(request, pk: int):
    contradiction = get_object_or_404(
        Contradiction.objects.select_related("subject", "attribute", "resolved_by", "flagged_by"),
        pk=pk,
    )
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
            claim.context = quote_in_context(claim.source.text, claim.quote)
    return render(
        request,
        "claims/contradiction.html",
        {
            "contradiction": contradiction,
            "positions": positions,
            "form": form,
            "history": selectors.contradiction_history(contradiction)[:50],
            "can_resolve": request.user.has_perm(RESOLVE_PERMISSION),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def entity_detail(request, pk: int):
    entity = get_object_or_404(Entity.objects.prefetch_related("aliases"), pk=pk)
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
    return render(
        request,
        "claims/entity.html",
        {
            "entity": entity,
            "facts": selectors.entity_facts(entity),
            "form": form,
            "can_flag": request.user.has_perm(FLAG_PERMISSION),
        },
        status=400 if request.method == "POST" else 200,
    )


def source_detail(request, pk: int):
    source = get_object_or_404(Source.objects.select_related("publisher", "derived_from"), pk=pk)
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


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
