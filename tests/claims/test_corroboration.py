"""Independent corroboration (claims/corroboration.py): the rule without a database, then the
selectors that read its facts on both databases."""

from __future__ import annotations

import pytest

from claims.corroboration import Corroboration, Origin, SourceFact, corroborate
from sources.selectors import derivation_chain, derivation_cycle


def fact(source_id: int, derived_from: int | None = None, grade: str = "C") -> SourceFact:
    return SourceFact(source_id, derived_from, grade)


# The chain walk both the rule and the cycle check take.


def test_a_chain_runs_from_a_source_to_the_one_that_derives_from_nothing():
    assert derivation_chain({3: 2, 2: 1, 1: None}, 3) == [3, 2, 1]


def test_a_chain_ends_where_the_links_stop_going_on():
    assert derivation_chain({3: 2}, 3) == [3, 2]


def test_a_chain_stops_before_going_round_a_cycle():
    assert derivation_chain({1: 2, 2: 3, 3: 2}, 1) == [1, 2, 3]


def test_a_cycle_is_named_from_the_source_round_to_itself():
    assert derivation_cycle({1: 3, 3: 2, 2: 1}, 1) == [1, 3, 2, 1]
    assert derivation_cycle({1: 1}, 1) == [1, 1]


def test_a_chain_that_ends_or_loops_elsewhere_is_no_cycle_of_the_source():
    assert derivation_cycle({1: 2, 2: None}, 1) is None
    assert derivation_cycle({1: 2, 2: 3, 3: 2}, 1) is None


# The rule.


def test_a_chain_inside_one_position_counts_once_naming_its_origin():
    # A <- B <- C: B repeats A, C repeats B.
    found = corroborate([fact(3, 2), fact(2, 1), fact(1)])

    assert found.independent == 1
    assert found.origins == (Origin(source=1, grade="C", copies=(2, 3), repeats=None),)


def test_two_independent_sources_count_two():
    found = corroborate([fact(1, grade="B"), fact(2, grade="D")])

    assert found.independent == 2
    assert [origin.source for origin in found.origins] == [1, 2]
    assert all(origin.copies == () for origin in found.origins)


def test_a_copy_in_another_position_leaves_each_position_its_own_count():
    # B derives from A, but A stands in one position and B in the other.
    links = {1: None}
    first, second = corroborate([fact(1)], links), corroborate([fact(2, 1)], links)

    assert first.independent == second.independent == 1
    assert second.origins == (Origin(source=2, grade="C", copies=(), repeats=1),)


def test_a_source_deriving_from_one_outside_the_position_counts_itself():
    found = corroborate([fact(2, 9, grade="B"), fact(3, grade="C")], {9: None})

    assert found.independent == 2
    assert found.origins[0] == Origin(source=2, grade="B", copies=(), repeats=9)


def test_a_chain_through_a_source_outside_the_position_still_counts_once():
    # C repeats X (outside), which repeats A: C is a copy of A.
    found = corroborate([fact(1), fact(3, 9)], {9: 1})

    assert found.independent == 1
    assert found.origins == (Origin(source=1, grade="C", copies=(3,), repeats=None),)


def test_two_copies_of_one_outside_source_count_once():
    found = corroborate([fact(2, 9, grade="D"), fact(3, 9, grade="B")], {9: None})

    assert found.independent == 1
    # Equally near the common source: the better graded one is the origin.
    assert found.origins == (Origin(source=3, grade="B", copies=(2,), repeats=9),)


def test_the_best_grade_is_the_best_among_the_independent_sources():
    found = corroborate([fact(1, grade="C"), fact(2, grade="B"), fact(3, grade="E")])

    assert found.best_grade == "B"
    assert [origin.grade for origin in found.origins] == ["B", "C", "E"]


def test_a_copy_graded_better_than_its_origin_lifts_neither_count_nor_grade():
    found = corroborate([fact(1, grade="D"), fact(2, 1, grade="A")])

    assert (found.independent, found.best_grade) == (1, "D")


def test_a_source_counted_twice_counts_once():
    assert corroborate([fact(1), fact(1)]).independent == 1


def test_no_sources_give_no_corroboration():
    assert corroborate([]) == Corroboration(independent=0, best_grade=None, origins=())


def test_sources_caught_in_an_old_cycle_still_give_an_answer():
    found = corroborate([fact(1, 2), fact(2, 1)])

    assert found.independent >= 1


# The selectors, on the database.


@pytest.fixture
def position(db):
    """Three sources: the wire story A, B repeating it, C independent; a claim from each."""
    from claims.models import Attribute
    from claims.services import claim_create, value_parse
    from tests.factories import EntityFactory, SourceFactory

    wire = SourceFactory(key="wire", title="Wire story", reliability="B")
    copy = SourceFactory(key="copy", title="Copy", reliability="A", derived_from=wire)
    other = SourceFactory(key="other", title="Other", reliability="C")
    subject = EntityFactory()
    attribute = Attribute.objects.create(code="deal", label="Deal", value_type="money")
    claims = [
        claim_create(
            key=f"claim-{source.key}",
            subject=subject,
            attribute=attribute,
            source=source,
            value=value_parse(attribute=attribute, text="$5 million"),
            quote="$5 million",
            credibility=3,
        )
        for source in (wire, copy, other)
    ]
    return claims


def test_a_positions_corroboration_names_its_origins_and_their_copies(
    position, django_assert_max_num_queries
):
    from claims.models import Claim
    from claims.selectors import position_corroboration

    claims = list(Claim.objects.select_related("source__publisher").order_by("id"))
    with django_assert_max_num_queries(1):
        found = position_corroboration(claims)

    assert found.independent == 2
    assert found.best_grade == "B"
    wire = found.origins[0]
    assert (wire.source.title, [copy.title for copy in wire.copies]) == ("Wire story", ["Copy"])
    assert found.origins[1].source.title == "Other"


def test_a_claims_corroboration_counts_the_sources_giving_the_same_value(
    position, django_assert_max_num_queries
):
    from claims.models import Claim
    from claims.selectors import claim_corroboration

    claim = Claim.objects.get(key="claim-other")
    with django_assert_max_num_queries(2):
        found = claim_corroboration(claim)

    assert found.independent == 2
    assert [origin.source.key for origin in found.origins] == ["wire", "other"]


def test_a_value_whose_sources_derive_from_none_outside_it_is_read_in_one_query(
    position, django_assert_num_queries
):
    from claims.models import Claim
    from claims.selectors import claim_corroboration

    # Every source behind the value, the wire story the copy repeats included, comes with the
    # claims giving it: nothing more to read.
    copy = Claim.objects.get(key="claim-copy")
    with django_assert_num_queries(1):
        found = claim_corroboration(copy)

    assert found.independent == 2


def test_a_source_repeating_one_that_gives_another_value_is_named_by_a_second_query(
    position, django_assert_num_queries
):
    from claims.models import Claim
    from claims.selectors import claim_corroboration
    from claims.services import claim_create, value_parse
    from tests.factories import SourceFactory

    wire = Claim.objects.get(key="claim-wire")
    rewrite = SourceFactory(key="rewrite", title="Rewrite", derived_from=wire.source)
    claim = claim_create(
        key="claim-rewrite",
        subject=wire.subject,
        attribute=wire.attribute,
        source=rewrite,
        value=value_parse(attribute=wire.attribute, text="$9 million"),
        quote="$9 million",
        credibility=3,
    )

    with django_assert_num_queries(2):  # the value's sources; then the wire story it repeats
        found = claim_corroboration(claim)

    assert found.independent == 1
    assert found.origins[0].source.key == "rewrite"
    assert found.origins[0].repeats.title == "Wire story"


def test_the_side_by_side_page_says_how_many_independent_sources_back_each_position(
    client, position
):
    from claims.models import Contradiction
    from claims.services import claim_create, value_parse
    from tests.factories import SourceFactory

    wire = position[0]
    claim_create(
        key="claim-rival", subject=wire.subject, attribute=wire.attribute,
        source=SourceFactory(key="rival", title="Rival", reliability="D", derived_from=wire.source),
        value=value_parse(attribute=wire.attribute, text="$9 million"), quote="$9 million",
        credibility=3,
    )  # fmt: skip
    contradiction = Contradiction.objects.get()

    page = client.get(f"/contradictions/{contradiction.pk}/").content.decode()

    first = page[page.index('id="corroboration-0"') : page.index('id="corroboration-1"')]
    assert "2 independent sources" in first
    assert "Wire story" in first and "repeated by" in first and "Copy" in first
    second = page[page.index('id="corroboration-1"') :]
    assert "1 independent source</strong>" in second
    assert "repeats" in second and "Wire story" in second


@pytest.mark.parametrize(
    ("value_type", "texts", "same"),
    [
        # Wording aside, the same amount is the same value; another qualifier or currency not.
        ("money", ["$5 million", "5,000,000 dollars", "USD 5 million"], [0, 1, 2]),
        ("money", ["$5 million", "about $5 million", "€5 million"], [0]),
        # A range is a value of its own, and so is the same year at another precision.
        ("money", ["$5 million", "$5-6 million"], [0]),
        ("date", ["2024", "in 2024", "2024-01", "2024-01-01"], [0, 1]),
        ("boolean", ["yes", "true", "no"], [0, 1]),
        ("text", ["Lima", "Lima", "Callao"], [0, 1]),
    ],
)
def test_a_claims_corroboration_counts_exactly_the_claims_giving_its_value(
    db, value_type, texts, same
):
    """The selector's SQL (claims.facts.same_value_sql) agrees with claims.facts.
    value_identity, the rule the entity page groups values by."""
    from claims.facts import value_identity
    from claims.models import Attribute
    from claims.selectors import attach_corroboration
    from claims.services import claim_create, value_parse
    from tests.factories import EntityFactory, SourceFactory

    subject = EntityFactory()
    attribute = Attribute.objects.create(code="fact", label="Fact", value_type=value_type)
    claims = [
        claim_create(
            key=f"claim-{index}", subject=subject, attribute=attribute,
            source=SourceFactory(key=f"source-{index}", text=text), quote=text, credibility=3,
            value=value_parse(attribute=attribute, text=text),
        )
        for index, text in enumerate(texts)
    ]  # fmt: skip
    # A claim of another subject giving the same value counts for none of them.
    claim_create(
        key="elsewhere", subject=EntityFactory(), attribute=attribute,
        source=SourceFactory(key="elsewhere", text=texts[0]), quote=texts[0], credibility=3,
        value=value_parse(attribute=attribute, text=texts[0]),
    )  # fmt: skip

    attach_corroboration(claims=claims)

    first = claims[0]
    agreeing = [i for i, c in enumerate(claims) if value_identity(c) == value_identity(first)]
    assert agreeing == same
    assert sorted(origin.source.key for origin in first.corroboration.origins) == [
        f"source-{index}" for index in same
    ]
