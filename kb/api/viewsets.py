"""The API's base viewset: a read-only list and detail over a selector, with the API's access,
pagination, formats, errors and HTTP caching."""

from __future__ import annotations

import functools

from rest_framework import permissions, viewsets
from rest_framework.exceptions import NotAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings

from kb.api.access import NOT_SIGNED_IN, ReadAccess
from kb.api.caching import conditional_response, must_revalidate
from kb.api.errors import UnknownParameters, render_errors_as_json
from kb.api.pagination import KeysetPagination, orderings
from kb.api.renderers import RENDERER_CLASSES
from kb.api.schema import APISchema


class ReadOnlyAPIViewSet(viewsets.ReadOnlyModelViewSet):
    """A list and a detail over a selector, with ETag / Last-Modified and 304s.

    Subclasses set `version_models` (the models whose rows they show; their history tables
    date the data), `orderings`, `default_ordering` and optionally `csv_header`. A query
    parameter the endpoint does not take is a 400 (accepted_parameters says which it takes).

    `represent` and `represent_one` write rows out as plain data: by default through the
    serializer; a viewset whose queryset gives values() dicts writes them out itself, and its
    `serializer_class` is then the OpenAPI schema and the CSV columns only.

    A list's filters apply to `filter_base()` (the model's rows, no columns chosen), and its
    page reads its rows by id from `get_queryset()` (KeysetPagination), with a query compiled
    once per connection and ordering (kb.api.compiled): `get_queryset()` chooses columns only,
    the same whatever the request; what narrows the rows goes in `filter_queryset`.
    """

    permission_classes = (ReadAccess,)
    schema = APISchema()
    pagination_class = KeysetPagination
    renderer_classes = RENDERER_CLASSES
    version_models: tuple = ()
    orderings = orderings("id")
    default_ordering = "id"
    csv_header: tuple | None = None

    def permission_denied(self, request, message=None, code=None):
        if request.authenticators and not request.successful_authenticator:
            raise NotAuthenticated(NOT_SIGNED_IN)
        super().permission_denied(request, message=message, code=code)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in ("GET", "HEAD"):
            accepted = self.accepted_parameters()
            unknown = set(request.query_params) - accepted
            if unknown:
                raise UnknownParameters(unknown, accepted)

    def accepted_parameters(self) -> set[str]:
        """The query parameters this endpoint takes: its filters, its pagination's and the
        format."""
        names = {api_settings.URL_FORMAT_OVERRIDE}
        if self.filterset_class is not None:
            names |= set(self.filterset_class.base_filters)
        if self.paginator is not None:
            for setting in ("cursor_query_param", "page_size_query_param", "ordering_query_param"):
                if getattr(self.paginator, setting, None):
                    names.add(getattr(self.paginator, setting))
        return names

    def get_renderer_context(self):
        context = super().get_renderer_context()
        if self.csv_header:
            context["header"] = self.csv_header
        return context

    def represent(self, rows: list) -> list:
        """The representation of each row of a page."""
        return self.get_serializer(rows, many=True).data

    def represent_one(self, row):
        """The representation of a detail's object."""
        return self.get_serializer(row).data

    def list(self, request, *args, **kwargs):
        respond = functools.partial(self._list, request)
        return conditional_response(request, version_models=self.version_models, respond=respond)

    def retrieve(self, request, *args, **kwargs):
        respond = functools.partial(self._retrieve, request)
        return conditional_response(request, version_models=self.version_models, respond=respond)

    def filter_base(self):
        """What a list's filters apply to: the rows of get_queryset()'s model, all of them, with
        no column chosen, so that the ids of a page are taken with no join but the filters'
        (its rows are then read by id from get_queryset(): KeysetPagination)."""
        return self.get_queryset().model._default_manager.all()

    def _list(self, request):
        if self.paginator is None:
            return Response(self.represent(list(self.filter_queryset(self.get_queryset()))))
        page = self.paginate_queryset(self.filter_queryset(self.filter_base()))
        return self.get_paginated_response(self.represent(page))

    def _retrieve(self, request):
        return Response(self.represent_one(self.get_object()))

    def finalize_response(self, request, response, *args, **kwargs):
        render_errors_as_json(request, response)
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in permissions.SAFE_METHODS:
            must_revalidate(response)
        return response
