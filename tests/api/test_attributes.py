"""The attributes list and detail."""

from __future__ import annotations

import pytest

from tests.api.conftest import count_queries

pytestmark = pytest.mark.django_db

ATTRIBUTES = "/api/v1/attributes/"


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


def test_an_attribute_is_found_by_its_code(api, small):
    data = api.get(f"{ATTRIBUTES}staff/").json()

    assert data["label"] == "Staff"
    assert data["value_type"] == "count"
    assert data["unit"] == "people"
    assert data["time_varying"] is True
    assert data["single_valued"] is True
    assert (data["tolerance"], data["approx_tolerance"]) == ("0", "0.1")


def test_the_attributes_list_filters_by_value_type(api, small):
    assert codes(api.get(ATTRIBUTES, {"value_type": "money"})) == ["deal_value"]
    assert codes(api.get(ATTRIBUTES, {"value_type": "boolean"})) == ["lethal"]
    assert len(codes(api.get(ATTRIBUTES))) == 6


def test_a_bad_value_type_is_a_400(api, small):
    response = api.get(ATTRIBUTES, {"value_type": "colour"})

    assert response.status_code == 400
    assert "value_type" in response.json()["errors"]


def test_the_attributes_list_costs_the_same_queries_whatever_the_page_size(api, demo):
    assert (
        count_queries(lambda: api.get(ATTRIBUTES, {"page_size": 1}))
        == count_queries(lambda: api.get(ATTRIBUTES, {"page_size": 100}))
        <= 3
    )
