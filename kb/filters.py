"""The API's filter building blocks (partial dates, full-text search) and the entity FilterSet."""

from __future__ import annotations

import copy
import itertools

import django_filters
from django import forms
from django.db import connections
from django.db.models import BooleanField, F, Func, Q, QuerySet, Value
from django.http import QueryDict
from drf_spectacular.drainage import set_override

from kb import dates
from kb.api.compiled import listed_instances
from kb.models import Entity, EntityAlias, EntityKind

QUERY_TOO_LONG = "Search for at most {limit} words."

# A search reads at most this many words: each one is a condition of its own.
MAX_SEARCH_TERMS = 8


class PartialDateField(forms.CharField):
    """A form field for "2024", "2024-11" or "2024-11-05"; cleans to a kb.dates.PartialDate."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return dates.parse_iso(value)
        except dates.ValueParseError as error:
            raise forms.ValidationError(str(error), code="invalid") from None


class DescribedFilter(django_filters.Filter):
    """A filter whose OpenAPI schema is `schema` plus its help_text as the description."""

    schema: dict = {"type": "string"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        set_override(self, "field", {**self.schema, "description": self.extra.get("help_text", "")})


class _ListedChoiceIterator(django_filters.fields.ModelChoiceIterator):
    """The choices read with one plain query, compiled once per connection
    (kb.api.compiled.listed_instances): Django's iterator() opens a server-side cursor on
    PostgreSQL (DECLARE, two FETCHes, CLOSE) to read a select's few dozen rows, four round
    trips on every page that shows the select, and compiles its query afresh each time."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if self.field.null_label is not None:
            yield (self.field.null_value, self.field.null_label)
        key, queryset = self.field.listed_key, self.queryset
        if key is None:
            yield from (self.choice(instance) for instance in queryset.all())
        else:
            yield from (self.choice(instance) for instance in listed_instances(key, queryset.all))


class _ListedModelChoiceField(django_filters.fields.ModelChoiceField):
    iterator = _ListedChoiceIterator

    def __init__(self, *args, listed_key=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.listed_key = listed_key


_LISTED_KEYS = itertools.count()


class ListedModelChoiceFilter(django_filters.ModelChoiceFilter):
    """A ModelChoiceFilter for a page's select: its choices are read with one query, compiled
    once per connection when the filter's queryset is the same for every request (not a
    callable of the request)."""

    field_class = _ListedModelChoiceField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(self.extra.get("queryset"), QuerySet):
            # A key for this declaration's queryset, never another's (its copies in each
            # FilterSet share it).
            self.extra["listed_key"] = ("listed choices", next(_LISTED_KEYS))


class PartialDateFilter(DescribedFilter):
    """Compares a date column with the first day of the given date (gte, gt) or its last (lte,
    lt), so that `claimed_before=2024` keeps the whole of 2024."""

    field_class = PartialDateField
    schema = dates.ISO_SCHEMA

    def filter(self, qs, value):
        if value in ([], (), {}, "", None):
            return qs
        bound = value.start if self.lookup_expr in ("gte", "gt") else value.end
        return super().filter(qs, bound)


class PeriodOverlapFilter(DescribedFilter):
    """Rows whose [start, end] day interval (NULL ends open) overlaps the days the given date
    covers."""

    field_class = PartialDateField
    schema = dates.ISO_SCHEMA

    def __init__(self, *, start_field: str, end_field: str, **kwargs):
        super().__init__(**kwargs)
        self.start_field, self.end_field = start_field, end_field

    def filter(self, qs, value):
        if value in ([], (), {}, "", None):
            return qs
        return qs.filter(
            Q(**{f"{self.start_field}__isnull": True})
            | Q(**{f"{self.start_field}__lte": value.end}),
            Q(**{f"{self.end_field}__isnull": True}) | Q(**{f"{self.end_field}__gte": value.start}),
        )


# Full-text search.


def uses_postgres(queryset) -> bool:
    return connections[queryset.db].vendor == "postgresql"


def search_terms(text: str) -> list[str]:
    """The words of a search, each a condition that must hold; raises ValueError past the limit."""
    terms = text.split()
    if len(terms) > MAX_SEARCH_TERMS:
        raise ValueError(QUERY_TOO_LONG.format(limit=MAX_SEARCH_TERMS))
    return terms


class TextMatches(Func):
    """PostgreSQL: `to_tsvector('english', column) @@ plainto_tsquery('english', text)`.

    Written exactly as the GIN indexes of the api_search migrations are, so that they serve
    it; English stemming ("bases" finds "base"). A text of stop words only matches every row.
    """

    output_field = BooleanField()

    def __init__(self, column, text: str):
        super().__init__(column, Value(text))

    def as_sql(self, compiler, connection, **extra):
        column, column_params = compiler.compile(self.source_expressions[0])
        text, text_params = compiler.compile(self.source_expressions[1])
        query = f"plainto_tsquery('english'::regconfig, {text})"
        sql = f"(numnode({query}) = 0 OR to_tsvector('english'::regconfig, {column}) @@ {query})"
        return sql, [*text_params, *column_params, *text_params]


# A word is rare for the entity search when it is in at most this many names and aliases: then
# the entities it names are gathered first (EntityNamed), else walked in order.
RARE_ENTITIES = 250


def entity_name_places() -> tuple:
    """Where a word names entities, as rare_words reads places: names and aliases, each rare
    at RARE_ENTITIES (read when called, so that a test may change it)."""
    return (
        (Entity._meta.db_table, "name", RARE_ENTITIES),
        (EntityAlias._meta.db_table, "name", RARE_ENTITIES),
    )


def rare_words(words: list[str], places) -> list[bool]:
    """PostgreSQL: for each word, whether it is in at most `limit` rows of every place
    (table, column, limit) of `places`, by English full text. One query, each count stopping
    at its limit: a common word costs a short walk, a rare one the GIN index. A stop word (or
    punctuation: no lexeme) is in no row's text but matches every row (TextMatches), so it is
    never rare: gathering its rows first would gather the whole table."""
    connection = connections["default"]
    quote = connection.ops.quote_name
    parts, params = [], []
    for word in words:
        query = "plainto_tsquery('english'::regconfig, %s)"
        parts.append(f"numnode({query}) > 0")
        params.append(word)
        for table, column, limit in places:
            parts.append(
                f"(SELECT count(*) <= {limit} FROM (SELECT 1 FROM {quote(table)} WHERE "
                f"to_tsvector('english'::regconfig, {column}) @@ {query} LIMIT {limit + 1})"
                " AS api_n)"
            )
            params.append(word)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    size = len(places) + 1
    return [all(row[index : index + size]) for index in range(0, len(row), size)]


def entities_named_sql(connection, word_sql: str) -> str:
    """PostgreSQL: the ids of the entities whose name or an alias holds the word whose SQL is
    `word_sql` (used twice), each table read through its own GIN index (migration
    api_search)."""
    name = connection.ops.quote_name
    query = f"plainto_tsquery('english'::regconfig, {word_sql})"
    matches = f"to_tsvector('english'::regconfig, name) @@ {query}"
    return (
        f"SELECT id FROM {name(Entity._meta.db_table)} WHERE {matches} "
        f"UNION SELECT entity_id FROM {name(EntityAlias._meta.db_table)} WHERE {matches}"
    )


class EntityNamed(Func):
    """PostgreSQL: the entity whose id is in `column` has the word in its name or an alias.

    The entities the word names are gathered once, as an array, through the GIN indexes; each
    row read is then tested against it. A rare word no longer means testing every entity's name
    in id order (the planner guesses that a word it has no statistics on is in many names: 96
    ms for a word in none of 50,000 entities), and a common word's first page is still reached
    by reading few rows in order. A text of stop words only matches every row.
    """

    output_field = BooleanField()

    def __init__(self, column, word: str):
        super().__init__(F(column) if isinstance(column, str) else column, Value(word))

    def as_sql(self, compiler, connection, **extra):
        column, column_params = compiler.compile(self.source_expressions[0])
        word, word_params = compiler.compile(self.source_expressions[1])
        query = f"plainto_tsquery('english'::regconfig, {word})"
        named = entities_named_sql(connection, word)
        sql = f"(numnode({query}) = 0 OR {column} = ANY(ARRAY({named})))"
        return sql, [*word_params, *column_params, *word_params, *word_params]


def entity_search(queryset, text: str):
    """Entities whose name or an alias holds every word: full text on PostgreSQL (one query
    first, to tell rare words from common ones), substrings elsewhere."""
    terms = search_terms(text)
    if not uses_postgres(queryset):
        for term in terms:
            by_alias = EntityAlias.objects.filter(name__icontains=term)
            queryset = queryset.filter(
                Q(name__icontains=term) | Q(pk__in=by_alias.values("entity_id"))
            )
        return queryset
    places = entity_name_places()
    for term, rare in zip(terms, rare_words(terms, places) if terms else [], strict=True):
        if rare:
            queryset = queryset.filter(EntityNamed("pk", term))
        else:
            by_alias = EntityAlias.objects.filter(TextMatches("name", term))
            queryset = queryset.filter(
                Q(TextMatches("name", term)) | Q(pk__in=by_alias.values("entity_id"))
            )
    return queryset


class SearchField(forms.CharField):
    """A search text of at most MAX_SEARCH_TERMS words."""

    def validate(self, value):
        super().validate(value)
        try:
            search_terms(value or "")
        except ValueError as error:
            raise forms.ValidationError(str(error), code="invalid") from None


class SearchFilter(django_filters.CharFilter):
    """`q`: a search the FilterSet's method runs; too many words is a 400 naming `q`."""

    field_class = SearchField

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 500)
        super().__init__(**kwargs)


class StrictBooleanFilter(django_filters.TypedChoiceFilter, DescribedFilter):
    """A yes / no parameter that takes only true or false: anything else is a 400."""

    schema = {"type": "boolean"}

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(**kwargs)


class _SharedFields(dict):
    """A form class's fields, shared by its forms rather than deep-copied into each (Django
    copies every field, widget and list of choices for each form it makes: 0.4 ms of an API
    request with fifteen filters). The API's filter forms, and the queue page's, only validate
    what they are given and list their choices, which changes no field; nothing adds, removes
    or alters a field per request."""

    def __deepcopy__(self, memo):
        return dict(self)


class APIFilterSet(django_filters.FilterSet):
    """A FilterSet built cheaply per request: its filters are copied shallowly (a deep copy
    of every filter and its choices cost more than the query it shapes), and its form class
    is made once per FilterSet class, its forms sharing their fields (_SharedFields)."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # BaseFilterSet.__init__, but with shallow copies of the filters.
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {}
        for name, base in self.base_filters.items():
            filter_ = copy.copy(base)
            if filter_.method is not None:
                # Binds a FilterMethod to this copy, whose parent is this FilterSet.
                filter_.method = filter_.method
            filter_.model, filter_.parent = queryset.model, self
            self.filters[name] = filter_

    def get_form_class(self):
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            form_class = super().get_form_class()
            form_class.base_fields = _SharedFields(form_class.base_fields)
            cls._form_class = form_class
        return cls._form_class


class EntityFilter(APIFilterSet):
    kind = django_filters.ChoiceFilter(
        field_name="kind", lookup_expr="exact", choices=EntityKind.choices,
        help_text="The kind of entity.",
    )  # fmt: skip
    key = django_filters.CharFilter(
        field_name="key", lookup_expr="exact", help_text="The entity's stable key, exactly."
    )
    q = SearchFilter(
        method="filter_q",
        help_text="Words in the name or an alias, every one of them (English full-text search "
        "with stemming on PostgreSQL, case-insensitive substrings on SQLite).",
    )

    class Meta:
        model = Entity
        fields = ("kind", "key", "q")

    def filter_q(self, queryset, name, value):
        return entity_search(queryset, value)
