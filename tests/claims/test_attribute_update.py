"""Changing an attribute moves what its claims store and which of them conflict, or is refused
naming the claims it would break: through the service, a bundle and the admin."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import values
from claims.bundles import BundleInvalid, bundle_import
from claims.models import Attribute, Claim, Contradiction
from claims.services import attribute_update, claim_create, value_parse
from claims.services.attributes import CHANGE_REASON
from kb.services import account_create
from tests.adminforms import fill
from tests.factories import AttributeFactory, EntityFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(db):
    """An analyst's account as the product makes one: staff, in the Analyst group, never a
    superuser."""
    return account_create(username="ana", email="ana@example.org", role="analyst", password="pw")


@pytest.fixture
def subject(db):
    return EntityFactory(key="callao-port", name="Callao Naval Port")


def claim(key: str, attribute: Attribute, subject, wording: str, **dates) -> Claim:
    """A claim of `subject` worded as a source would word it, through the service."""
    return claim_create(
        key=key,
        subject=subject,
        attribute=attribute,
        source=SourceFactory(),
        value=value_parse(attribute=attribute, text=wording),
        value_as_written=wording,
        quote=wording,
        credibility=3,
        **{name: values.parse_date(text) for name, text in dates.items()},
    )


def open_contradictions(attribute: Attribute):
    return Contradiction.objects.filter(attribute=attribute, withdrawn_at__isnull=True)


def stored(key: str) -> Claim:
    return Claim.objects.get(key=key)


@pytest.fixture
def costs(subject):
    """$180 million against $190 million: exact amounts, so they conflict."""
    cost = AttributeFactory(code="port_cost", value_type="money")
    claim("cost-180", cost, subject, "$180 million")
    claim("cost-190", cost, subject, "$190 million")
    assert open_contradictions(cost).count() == 1
    return cost


# The service, field by field.


def test_raising_the_tolerance_widens_the_intervals_and_withdraws_the_contradiction(costs, analyst):
    attribute_update(attribute=costs, data={"tolerance": Decimal("0.03")}, user=analyst)

    low, high = stored("cost-180").low, stored("cost-180").high
    assert (low, high) == (Decimal("174600000"), Decimal("185400000"))
    assert not open_contradictions(costs).exists()
    withdrawn = Contradiction.objects.get(attribute=costs)
    assert withdrawn.withdrawn_at is not None
    assert "tolerance" in withdrawn.withdrawn_reason and costs.code in withdrawn.withdrawn_reason
    latest = stored("cost-180").history.first()
    assert (latest.history_change_reason, latest.history_user) == (CHANGE_REASON, analyst)
    assert costs.history.first().history_change_reason == CHANGE_REASON


def test_lowering_the_tolerance_again_detects_the_same_contradiction_again(costs, analyst):
    attribute_update(attribute=costs, data={"tolerance": Decimal("0.03")}, user=analyst)

    attribute_update(attribute=costs, data={"tolerance": Decimal("0")}, user=analyst)

    assert stored("cost-180").high == Decimal("180000000")
    assert open_contradictions(costs).count() == 1
    assert Contradiction.objects.filter(attribute=costs).count() == 1  # the same one, again


def test_narrowing_about_makes_an_approximate_amount_conflict(subject, analyst):
    cost = AttributeFactory(code="port_cost", value_type="money")
    claim("about-180", cost, subject, "about $180 million")  # [162, 198] with 0.10
    claim("exact-195", cost, subject, "$195 million")
    assert not open_contradictions(cost).exists()

    attribute_update(attribute=cost, data={"approx_tolerance": Decimal("0.05")}, user=analyst)

    about = stored("about-180")
    assert (about.low, about.high) == (Decimal("171000000"), Decimal("189000000"))
    assert open_contradictions(cost).count() == 1


@pytest.fixture
def troops(subject):
    """Nine troops in 2020 and twelve in 2023, on an attribute that is not time-varying."""
    attribute = AttributeFactory(code="troops", value_type="count", unit="people")
    claim("troops-2020", attribute, subject, "nine", valid_from="2020", valid_to="2020")
    claim("troops-2023", attribute, subject, "twelve", valid_from="2023", valid_to="2023")
    assert open_contradictions(attribute).count() == 1
    return attribute


def test_turning_time_varying_on_lets_counts_of_different_years_stop_conflicting(troops):
    attribute_update(attribute=troops, data={"time_varying": True})

    assert not open_contradictions(troops).exists()


def test_turning_single_valued_off_withdraws_and_on_detects_again(troops):
    attribute_update(attribute=troops, data={"single_valued": False})
    assert not open_contradictions(troops).exists()

    attribute_update(attribute=troops, data={"single_valued": True})

    assert open_contradictions(troops).count() == 1


def test_a_count_becomes_a_quantity_and_keeps_every_claim_and_its_conflict(troops):
    attribute_update(attribute=troops, data={"value_type": "quantity"})

    nine = stored("troops-2020")
    assert (nine.value_type, nine.amount, nine.unit, nine.low) == ("quantity", 9, "people", 9)
    assert open_contradictions(troops).count() == 1


def test_money_cannot_become_a_date_and_the_refusal_names_each_claim(costs):
    versions = Claim.history.count()

    with pytest.raises(ValidationError) as refused:
        attribute_update(attribute=costs, data={"value_type": "date", "tolerance": "0.5"})

    message = " ".join(refused.value.message_dict["value_type"])
    assert "would break 2 claim(s)" in message
    assert '"cost-180" (could not read a date in "$180 million")' in message
    assert '"cost-190" (could not read a date in "$190 million")' in message
    costs.refresh_from_db()
    assert (costs.value_type, costs.tolerance) == ("money", 0)
    assert stored("cost-180").value_type == "money"
    assert Claim.history.count() == versions
    assert open_contradictions(costs).count() == 1


def test_a_claim_without_a_wording_is_read_from_its_stored_value(subject):
    """A structured value (from a bundle) has no value_as_written: its display is read."""
    count = AttributeFactory(code="helicopters", value_type="count", unit="helicopters")
    claim_create(
        key="nine-helicopters", subject=subject, attribute=count, source=SourceFactory(),
        value=values.NumericValue(kind="count", amount=9, unit="helicopters"),
        quote="nine helicopters", credibility=3,
    )  # fmt: skip

    attribute_update(attribute=count, data={"value_type": "quantity"})

    assert (stored("nine-helicopters").value_type, stored("nine-helicopters").amount) == (
        "quantity",
        9,
    )


@pytest.fixture
def statuses(subject):
    """Free text, so "planned" and "delivered" do not conflict (no choices)."""
    status = AttributeFactory(code="transfer_status", value_type="text")
    claim("status-planned", status, subject, "planned")
    claim("status-delivered", status, subject, "delivered")
    assert not open_contradictions(status).exists()
    return status


def test_choices_that_leave_out_a_stored_text_are_refused_naming_the_claim(statuses):
    with pytest.raises(ValidationError) as refused:
        attribute_update(attribute=statuses, data={"choices": ["planned", "in progress"]})

    message = " ".join(refused.value.message_dict["choices"])
    assert "would break 1 claim(s)" in message and '"status-delivered"' in message
    assert "status-planned" not in message
    statuses.refresh_from_db()
    assert statuses.choices is None


def test_choices_that_hold_every_stored_text_make_different_choices_conflict(statuses):
    attribute_update(attribute=statuses, data={"choices": ["planned", "in progress", "delivered"]})

    assert open_contradictions(statuses).count() == 1


def test_a_unit_that_conflicts_with_the_stored_units_is_refused(troops):
    with pytest.raises(ValidationError) as refused:
        attribute_update(attribute=troops, data={"unit": "soldiers"})

    message = " ".join(refused.value.message_dict["unit"])
    assert '"troops-2020" (the attribute counts "soldiers", not "people")' in message
    troops.refresh_from_db()
    assert troops.unit == "people"


def test_a_unit_set_where_claims_have_none_becomes_theirs(subject):
    staff = AttributeFactory(code="staff", value_type="count", unit="")
    claim("staff-40", staff, subject, "40")

    attribute_update(attribute=staff, data={"unit": "people"})

    assert stored("staff-40").unit == "people"


def test_a_new_label_reads_and_writes_no_claim_and_rechecks_nothing(costs):
    with CaptureQueriesContext(connection) as queries:
        attribute_update(attribute=costs, data={"label": "Cost of the port"})

    assert Attribute.objects.get(pk=costs.pk).label == "Cost of the port"
    touched = [q["sql"] for q in queries.captured_queries if "claims_claim" in q["sql"]]
    assert touched == []
    assert not any("claims_contradiction" in q["sql"] for q in queries.captured_queries)


def test_data_that_changes_nothing_writes_nothing(costs):
    versions = costs.history.count()

    attribute_update(attribute=costs, data={"value_type": "money", "tolerance": "0"})

    assert costs.history.count() == versions


def test_the_service_changes_only_the_fields_it_names(costs):
    with pytest.raises(TypeError, match="not created_at"):
        attribute_update(attribute=costs, data={"created_at": None})


# The bundle importer.


def test_a_bundle_that_raises_a_tolerance_moves_the_claims_it_does_not_carry(demo_bundle):
    bundle_import(bundle=demo_bundle)
    callao = Contradiction.objects.get(attribute__code="fms_case_value")
    changed = copy.deepcopy(demo_bundle)
    fms = next(a for a in changed["attributes"] if a["code"] == "fms_case_value")
    fms["tolerance"] = 1  # $180 million reaches $360 million, $1.5 billion down to 0
    changed["claims"] = []

    report = bundle_import(bundle=changed)

    assert report.updated["attributes"] == 1
    assert stored("wh-callao-fms-180m").high == Decimal("360000000")
    callao.refresh_from_db()
    assert callao.withdrawn_at is not None
    assert stored("wh-callao-fms-180m").history.first().history_change_reason == CHANGE_REASON


def test_a_bundle_that_turns_money_into_dates_is_refused_with_the_place(demo_bundle):
    bundle_import(bundle=demo_bundle)
    changed = copy.deepcopy(demo_bundle)
    index = next(i for i, a in enumerate(changed["attributes"]) if a["code"] == "fms_case_value")
    changed["attributes"][index]["value_type"] = "date"
    changed["claims"] = []

    with pytest.raises(BundleInvalid) as refused:
        bundle_import(bundle=changed)

    (problem,) = refused.value.problems
    assert problem.place == f"attributes[{index}].value_type"
    assert '"wh-callao-fms-180m" (could not read a date' in problem.message
    assert Attribute.objects.get(code="fms_case_value").value_type == "money"


def test_a_bundle_may_change_the_type_when_it_carries_the_claims_in_the_new_type(demo_bundle):
    bundle_import(bundle=demo_bundle)
    changed = copy.deepcopy(demo_bundle)
    fms = next(a for a in changed["attributes"] if a["code"] == "fms_case_value")
    fms["value_type"] = "date"
    carried = [c for c in changed["claims"] if c["attribute"] == "fms_case_value"]
    for carried_claim in carried:
        carried_claim["value"] = {"date": "2024-11"}
    changed["claims"] = carried

    bundle_import(bundle=changed)

    callao = stored("wh-callao-fms-180m")
    assert (callao.value_type, str(callao.date_low), callao.amount) == ("date", "2024-11-01", None)
    assert not Contradiction.objects.filter(
        attribute__code="fms_case_value", withdrawn_at__isnull=True
    ).exists()


# The admin, as an analyst's browser posts it.


def attribute_form(app, user, attribute):
    url = reverse("admin:claims_attribute_change", args=[attribute.pk])
    return app.get(url, user=user).forms["attribute_form"]


def test_an_analyst_is_shown_a_refused_change_on_its_field_and_nothing_changes(
    django_app, ana, costs
):
    form = attribute_form(django_app, ana, costs)
    fill(form, {"value_type": "date"})

    page = form.submit("_save")

    assert page.status_code == 200
    errors = " ".join(e.get_text(" ", strip=True) for e in page.html.select(".errorlist"))
    assert "would break 2 claim(s)" in errors and '"cost-180"' in errors
    assert page.html.select_one(".field-value_type .errorlist") is not None
    costs.refresh_from_db()
    assert costs.value_type == "money" and stored("cost-180").value_type == "money"


def test_an_analyst_raises_a_tolerance_and_the_contradiction_is_withdrawn(django_app, ana, costs):
    form = attribute_form(django_app, ana, costs)
    fill(form, {"tolerance": "0.03"})

    response = form.submit("_save")

    assert response.status_code == 302, response.text[:3000]
    assert stored("cost-180").high == Decimal("185400000")
    assert not open_contradictions(costs).exists()
    assert costs.history.first().history_user == ana
    assert stored("cost-190").history.first().history_user == ana


def test_an_analyst_adds_an_attribute_through_the_service(django_app, ana):
    form = django_app.get(reverse("admin:claims_attribute_add"), user=ana).forms["attribute_form"]
    fill(form, {"code": "port_depth", "label": "Port depth", "value_type": "quantity"})
    form["unit"] = "m"

    response = form.submit("_continue")

    attribute = Attribute.objects.get(code="port_depth")
    assert response.location == reverse("admin:claims_attribute_change", args=[attribute.pk])
    assert attribute.history.get().history_user == ana
