"""factory_boy factories for the knowledge base's models."""

from __future__ import annotations

import datetime

import factory

from kb.models import DatePrecision, Entity
from sources.models import Publisher, Source
from sources.services import text_digest


class PublisherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Publisher
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Publisher {n}")


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    key = factory.Sequence(lambda n: f"source-{n}")
    title = factory.Sequence(lambda n: f"Source {n}")
    publisher = factory.SubFactory(PublisherFactory)
    kind = Source.Kind.NEWS
    reliability = "C"
    published_on = datetime.date(2024, 11, 1)
    published_on_precision = DatePrecision.MONTH
    text = ""
    text_sha256 = factory.LazyAttribute(lambda source: text_digest(source.text))


class EntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entity

    key = factory.Sequence(lambda n: f"entity-{n}")
    kind = Entity.Kind.BASE
    name = factory.Sequence(lambda n: f"Entity {n}")


class AttributeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "claims.Attribute"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"attribute_{n}")
    label = factory.Sequence(lambda n: f"Attribute {n}")
    value_type = "money"
