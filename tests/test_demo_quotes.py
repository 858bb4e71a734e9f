"""Checks on the demo corpus bundle kb/demo/peru.json, without a database.

The bundle is checked against the five seed documents in ../shared/seeds (beside the
project): every quote is verbatim, only the US government work keeps its full text,
references resolve, and every disagreement listed in the seeds' README is present on
one subject and one attribute, either conflicting under the rules of SPEC section 3
or flagged by hand where those rules cannot apply.
"""

import json
import re
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BUNDLE_PATH = PROJECT_ROOT / "kb/demo/peru.json"
SEEDS_DIR = Path(__file__).resolve().parents[2] / "shared/seeds"

DEFENCE_TALKS = "defencetalks-2026-callao-fms"
BASE_INSIDER = "baseinsider-us-bases-peru"
WHITE_HOUSE = "wh-2024-11-fact-sheet"
AGGREGATOR = "aggregator-2025-12-15-us-troops"
OPINION = "opinion-2024-us-influence-peru"

SEED_FILES = {
    DEFENCE_TALKS: "000_2f196c5c80a02f0c.txt",
    BASE_INSIDER: "001_dd991823d8bbf8c9.txt",
    WHITE_HOUSE: "002_0e23e3ffdbdedc51.txt",
    AGGREGATOR: "003_d7c95229d486ab40.txt",
    OPINION: "004_128721682dc57924.txt",
}
PUBLIC_DOMAIN = {WHITE_HOUSE}

KEY_RE = re.compile(r"^[A-Za-z0-9._-]+$")
SOURCE_KINDS = {
    "official",
    "news",
    "analysis",
    "opinion",
    "aggregator",
    "content_site",
    "legal",
    "academic",
    "other",
}
ENTITY_KINDS = {"base", "agreement", "official", "organization", "place", "event", "program"}
VALUE_TYPES = {"money", "quantity", "count", "date", "entity", "boolean", "text"}
QUALIFIERS = {"exact", "approximately", "at_least", "at_most", "range"}
DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


# --------------------------------------------------------------------------- loading


@cache
def bundle():
    return json.loads(BUNDLE_PATH.read_text(encoding="utf-8"))


def seed_text(source_key):
    if not SEEDS_DIR.is_dir():
        pytest.skip(f"../shared/seeds is not beside the project (looked in {SEEDS_DIR})")
    return (SEEDS_DIR / SEED_FILES[source_key]).read_bytes().decode("utf-8")


def by_key(section):
    return {item["key"]: item for item in bundle()[section]}


def attributes():
    return {a["code"]: a for a in bundle()["attributes"]}


def claims_on(subject, attribute):
    return [
        c for c in bundle()["claims"] if c["subject"] == subject and c["attribute"] == attribute
    ]


def sources_of(claims):
    return {c["source"] for c in claims}


def flag_covering(claim_keys):
    for flag in bundle().get("flags", []):
        if set(claim_keys) <= set(flag["claims"]):
            return flag
    return None


# --------------------------------------------------------------------------- SPEC section 3


def date_interval(text):
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 1:
        return date(parts[0], 1, 1), date(parts[0], 12, 31)
    if len(parts) == 2:
        year, month = parts
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        return date(year, month, 1), date.fromordinal(nxt.toordinal() - 1)
    return date(*parts), date(*parts)


def numeric_interval(value, attribute):
    v = Decimal(value["amount"])
    a = Decimal(str(attribute.get("approx_tolerance", 0.1)))
    t = Decimal(str(attribute.get("tolerance", 0)))
    low, high = {
        "exact": (v, v),
        "approximately": (v * (1 - a), v * (1 + a)),
        "at_least": (v, None),
        "at_most": (Decimal(0), v),
        "range": (v, Decimal(value.get("max", v))),
    }[value.get("qualifier", "exact")]
    return low * (1 - t), None if high is None else high * (1 + t)


def disjoint(a, b):
    (lo1, hi1), (lo2, hi2) = a, b
    return (hi1 is not None and hi1 < lo2) or (hi2 is not None and hi2 < lo1)


def values_conflict(c1, c2, attribute):
    v1, v2 = c1["value"], c2["value"]
    assert isinstance(v1, dict) and isinstance(v2, dict), (
        "disagreement claims use structured values"
    )
    kind = attribute["value_type"]
    if kind in ("money", "quantity", "count"):
        measure = "currency" if kind == "money" else "unit"
        if v1.get(measure, attribute["unit"]) != v2.get(measure, attribute["unit"]):
            return False
        return disjoint(numeric_interval(v1, attribute), numeric_interval(v2, attribute))
    if kind == "date":
        return disjoint(date_interval(v1["date"]), date_interval(v2["date"]))
    if kind == "entity":
        return v1["entity"] != v2["entity"]
    if kind == "boolean":
        return v1["boolean"] != v2["boolean"]
    return bool(attribute["choices"]) and v1["text"] != v2["text"]


def validity(claim):
    """The period a claim speaks for: valid period, else claimed_on, else everything."""
    if claim["valid_from"] or claim["valid_to"]:
        start = date_interval(claim["valid_from"])[0] if claim["valid_from"] else date.min
        end = date_interval(claim["valid_to"])[1] if claim["valid_to"] else date.max
        return start, end
    said = claim["claimed_on"] or by_key("sources")[claim["source"]]["published_on"]
    return date_interval(said) if said else (date.min, date.max)


def conflict(c1, c2):
    assert (c1["subject"], c1["attribute"]) == (c2["subject"], c2["attribute"])
    attribute = attributes()[c1["attribute"]]
    if not attribute["single_valued"] or not values_conflict(c1, c2, attribute):
        return False
    if attribute["time_varying"]:
        (s1, e1), (s2, e2) = validity(c1), validity(c2)
        return s1 <= e2 and s2 <= e1
    return True


def assert_disagreement(subject, attribute, first, second):
    """Claims `first` and `second` (keys) sit on one subject and attribute and conflict."""
    claims = {c["key"]: c for c in claims_on(subject, attribute)}
    assert first in claims and second in claims, (
        f"{first}, {second} not both on {subject}.{attribute}"
    )
    assert conflict(claims[first], claims[second]), f"{first} and {second} do not conflict"
    return claims[first], claims[second]


# --------------------------------------------------------------------------- quotes and text


def test_every_quote_occurs_verbatim_in_its_seed_file():
    missing = []
    for i, claim in enumerate(bundle()["claims"]):
        quote = claim["quote"]
        assert quote and quote == quote.strip(), f"claims[{i}] has an empty or padded quote"
        if quote not in seed_text(claim["source"]):
            missing.append(f"claims[{i}] {claim['key']}: {quote!r}")
    assert not missing, "quotes not found verbatim:\n" + "\n".join(missing)


def test_quotes_stay_short():
    for claim in bundle()["claims"]:
        assert len(claim["quote"]) <= 300, claim["key"]


def test_the_fact_sheet_stores_its_full_text_and_the_copyrighted_articles_store_none():
    sources = by_key("sources")
    assert set(sources) == set(SEED_FILES)
    for key, source in sources.items():
        if key in PUBLIC_DOMAIN:
            assert source["text"] == seed_text(key)
        else:
            assert source["text"] is None, f"{key} is copyrighted: keep quotes only"


# --------------------------------------------------------------------------- structure


def test_the_bundle_declares_its_format():
    assert bundle()["format"] == "kb-bundle/1"


def test_keys_are_unique_and_well_formed():
    for section, field in [
        ("sources", "key"),
        ("entities", "key"),
        ("attributes", "code"),
        ("claims", "key"),
        ("flags", "key"),
    ]:
        keys = [item[field] for item in bundle()[section]]
        assert len(keys) == len(set(keys)), f"duplicate {field} in {section}"
        for key in keys:
            assert KEY_RE.match(key), f"{section}: bad {field} {key!r}"


def test_claims_refer_to_sources_entities_and_attributes_in_the_bundle():
    sources, entities, attrs = by_key("sources"), by_key("entities"), attributes()
    for i, claim in enumerate(bundle()["claims"]):
        assert claim["subject"] in entities, f"claims[{i}].subject {claim['subject']!r}"
        assert claim["attribute"] in attrs, f"claims[{i}].attribute {claim['attribute']!r}"
        assert claim["source"] in sources, f"claims[{i}].source {claim['source']!r}"


def test_entity_names_and_aliases_are_unambiguous():
    owner = {}
    for entity in bundle()["entities"]:
        for name in {entity["key"], entity["name"], *entity["aliases"]}:
            folded = name.casefold()
            assert owner.setdefault(folded, entity["key"]) == entity["key"], (
                f"{name!r} names both {owner[folded]} and {entity['key']}"
            )


def test_sources_entities_and_attributes_use_the_closed_vocabularies():
    for source in bundle()["sources"]:
        assert source["kind"] in SOURCE_KINDS
        assert source["reliability"] in "ABCDEF" and len(source["reliability"]) == 1
        assert source["published_on"] is None or DATE_RE.match(source["published_on"])
        assert source["language"] == "en"
    for entity in bundle()["entities"]:
        assert entity["kind"] in ENTITY_KINDS
        assert entity["description"]
        assert entity["country"] is None or re.fullmatch(r"[A-Z]{2}", entity["country"])
        assert entity["wikidata"] is None
    for attribute in bundle()["attributes"]:
        assert attribute["value_type"] in VALUE_TYPES
        assert attribute["choices"] is None or attribute["value_type"] == "text"


def test_claim_values_dates_and_grades_fit_their_attributes():
    entities, attrs = by_key("entities"), attributes()
    for claim in bundle()["claims"]:
        key, value = claim["key"], claim["value"]
        attribute = attrs[claim["attribute"]]
        assert claim["credibility"] in range(1, 7), key
        for field in ("valid_from", "valid_to", "claimed_on"):
            assert claim[field] is None or DATE_RE.match(claim[field]), f"{key}.{field}"
        if isinstance(value, str):  # left to the project's value parser
            assert attribute["value_type"] in ("money", "quantity", "count", "date"), key
            continue
        kind = attribute["value_type"]
        if kind in ("money", "quantity", "count"):
            Decimal(value["amount"])
            assert value["qualifier"] in QUALIFIERS, key
            assert ("currency" in value) == (kind == "money"), key
        elif kind == "date":
            assert DATE_RE.match(value["date"]), key
        elif kind == "entity":
            assert value["entity"] in entities, key
        elif kind == "boolean":
            assert isinstance(value["boolean"], bool), key
        else:
            assert value["text"], key
            if attribute["choices"]:
                assert value["text"] in attribute["choices"], key


# --------------------------------------------------------------------------- disagreements


def test_callao_fms_value_has_the_180m_and_1_5bn_claims_on_one_attribute():
    wh, dt = assert_disagreement(
        "callao-fms-case", "fms_case_value", "wh-callao-fms-180m", "dt-callao-fms-1-5bn"
    )
    assert (wh["source"], dt["source"]) == (WHITE_HOUSE, DEFENCE_TALKS)
    assert wh["value"]["amount"] == "180000000" and dt["value"]["amount"] == "1500000000"
    attribute = attributes()["fms_case_value"]
    assert attribute["single_valued"] and not attribute["time_varying"]


def test_callao_projected_value_has_the_1bn_effort_and_the_1_5bn_total_on_one_attribute():
    wh, dt = assert_disagreement(
        "callao-fms-case",
        "projected_total_value",
        "wh-callao-effort-1bn",
        "dt-callao-projected-1-5bn",
    )
    assert (wh["source"], dt["source"]) == (WHITE_HOUSE, DEFENCE_TALKS)


def test_black_hawk_transfer_is_planned_in_the_fact_sheet_and_delivered_in_the_opinion_piece():
    wh, op = assert_disagreement(
        "black-hawk-transfer", "transfer_status", "wh-blackhawk-planned", "op-blackhawk-delivered"
    )
    assert (wh["source"], op["source"]) == (WHITE_HOUSE, OPINION)
    assert (wh["value"]["text"], op["value"]["text"]) == ("planned", "delivered")
    counts = claims_on("black-hawk-transfer", "helicopter_count")
    assert sources_of(counts) == {WHITE_HOUSE, OPINION}


def test_aerial_interception_agreement_is_non_lethal_in_002_and_allows_shooting_down_in_004():
    wh, op = assert_disagreement(
        "aerial-interception-agreement",
        "permits_lethal_force",
        "wh-interception-non-lethal",
        "op-interception-shoot-down",
    )
    assert (wh["source"], op["source"]) == (WHITE_HOUSE, OPINION)
    assert (wh["value"]["boolean"], op["value"]["boolean"]) == (False, True)
    ratified = claims_on("aerial-interception-agreement", "ratified_by")
    assert [c["value"]["entity"] for c in ratified] == ["lr-6672"]


def test_us_bases_in_peru_are_affirmed_by_001_and_denied_by_000_and_by_001_itself():
    bi_yes, dt_no = assert_disagreement(
        "peru",
        "hosts_permanent_us_bases",
        "bi-peru-several-us-bases",
        "dt-peru-no-permanent-basing",
    )
    assert (bi_yes["source"], dt_no["source"]) == (BASE_INSIDER, DEFENCE_TALKS)
    _, bi_no = assert_disagreement(
        "peru",
        "hosts_permanent_us_bases",
        "bi-peru-several-us-bases",
        "bi-peru-no-permanent-installations",
    )
    assert bi_no["source"] == BASE_INSIDER


def test_jtf_bravo_is_placed_in_iquitos_and_jtf_southern_in_arequipa_only_by_001():
    for subject, place in [("jtf-bravo", "iquitos"), ("jtf-southern", "arequipa")]:
        claims = claims_on(subject, "location")
        assert [(c["source"], c["value"]["entity"]) for c in claims] == [(BASE_INSIDER, place)]
        assert claims[0]["credibility"] >= 5


def test_namru_south_location_differs_between_002_and_004_and_is_flagged():
    claims = {c["key"]: c for c in claims_on("namru-south", "location")}
    assert {k: (c["source"], c["value"]["entity"]) for k, c in claims.items()} == {
        "wh-namru-callao": (WHITE_HOUSE, "callao-naval-base"),
        "wh-namru-iquitos": (WHITE_HOUSE, "iquitos-naval-base"),
        "op-namru-amazon": (OPINION, "peruvian-amazon"),
    }
    assert not attributes()["location"]["single_valued"]
    assert flag_covering(claims) is not None
    staff = {
        a: claims_on("namru-south", a)[0]["value"]
        for a in ("us_military_personnel", "us_civilian_personnel", "local_personnel")
    }
    assert staff == {
        "us_military_personnel": "15",
        "us_civilian_personnel": "five",
        "local_personnel": "nearly 180",
    }


def test_first_authorisation_of_us_troops_is_2019_in_003_and_may_19_2023_in_004():
    ag, op = assert_disagreement(
        "us-troop-presence-peru",
        "first_authorized_on",
        "ag-troops-first-authorized-2019",
        "op-troops-first-authorized-2023-05-19",
    )
    assert (ag["source"], op["source"]) == (AGGREGATOR, OPINION)
    assert (ag["value"]["date"], op["value"]["date"]) == ("2019", "2023-05-19")


def test_legal_bases_for_us_troops_are_the_2019_law_lr_4766_and_the_2026_resolution_flagged():
    claims = {c["value"]["entity"]: c for c in claims_on("us-troop-presence-peru", "legal_basis")}
    assert {k: c["source"] for k, c in claims.items()} == {
        "peru-2019-law-us-exercises": AGGREGATOR,
        "lr-4766": OPINION,
        "resolution-2026-us-troops": AGGREGATOR,
    }
    assert flag_covering([c["key"] for c in claims.values()]) is not None


def test_troop_authorisations_to_december_2024_and_to_december_2026_do_not_overlap():
    claims = {c["key"]: c for c in claims_on("us-troop-presence-peru", "authorized_until")}
    assert sources_of(claims.values()) == {OPINION, AGGREGATOR}
    assert attributes()["authorized_until"]["time_varying"]
    assert not conflict(claims["op-troops-until-2024-12"], claims["ag-troops-until-2026-12-31"])


def test_boluarte_is_president_in_002_and_de_facto_president_in_004():
    wh, op = assert_disagreement(
        "dina-boluarte",
        "presidential_status",
        "wh-boluarte-president",
        "op-boluarte-de-facto-president",
    )
    assert (wh["source"], op["source"]) == (WHITE_HOUSE, OPINION)
    assert attributes()["presidential_status"]["time_varying"]


def test_decree_014_2014_number_and_date_disagree_within_004():
    dated, numbered = assert_disagreement(
        "decree-014-2014",
        "approved_on",
        "op-decree-issued-2024-09-27",
        "op-decree-number-implies-2014",
    )
    assert dated["source"] == numbered["source"] == OPINION
    assert (dated["value"]["date"], numbered["value"]["date"]) == ("2024-09-27", "2014")


# --------------------------------------------------------------------------- flags


def test_every_flag_names_existing_claims_that_share_subject_and_attribute():
    claims = by_key("claims")
    for flag in bundle()["flags"]:
        assert len(flag["claims"]) >= 2 and flag["note"], flag["key"]
        assert all(k in claims for k in flag["claims"]), flag["key"]
        pairs = {(claims[k]["subject"], claims[k]["attribute"]) for k in flag["claims"]}
        assert len(pairs) == 1, f"{flag['key']} mixes subjects or attributes: {pairs}"


def test_flags_are_kept_for_what_the_rules_cannot_compare():
    claims, attrs = by_key("claims"), attributes()
    for flag in bundle()["flags"]:
        attribute = attrs[claims[flag["claims"][0]]["attribute"]]
        free_text = attribute["value_type"] == "text" and not attribute["choices"]
        assert not attribute["single_valued"] or free_text, flag["key"]
