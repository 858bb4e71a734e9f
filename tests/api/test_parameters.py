"""A query parameter an endpoint does not take is a 400 naming it and the ones it takes, never
a list silently left unfiltered; ids that no database can hold are a 400 too."""

from __future__ import annotations

import pytest

from kb.api.errors import DID_YOU_MEAN, NOT_A_PARAMETER, UNKNOWN_PARAMETERS
from kb.api.negotiation import UNKNOWN_FORMAT
from kb.models import Entity
from tests.api.conftest import LISTS, claim

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", LISTS)
def test_a_misspelled_parameter_on_any_list_is_a_400_that_names_it(api, small, url):
    response = api.get(url, {"atribute": "deal_value"})

    assert response.status_code == 400
    data = response.json()
    assert set(data["errors"]) == {"atribute"}
    assert "atribute" in data["detail"]
    assert {"format", "cursor", "page_size", "ordering"} <= set(data["accepted"])
    assert (
        UNKNOWN_PARAMETERS.format(names="atribute", accepted=", ".join(data["accepted"]))
        == (data["detail"])
    )


def test_the_400_suggests_the_parameter_meant(api, small):
    data = api.get("/api/v1/claims/", {"atribute": "deal_value"}).json()

    assert data["errors"]["atribute"] == [NOT_A_PARAMETER + DID_YOU_MEAN.format(name="attribute")]
    assert "attribute" in data["accepted"]
    assert "q" in data["accepted"]


def test_several_unknown_parameters_are_all_named(api, small):
    data = api.get("/api/v1/contradictions/", {"state": "open", "page": "2"}).json()

    assert set(data["errors"]) == {"page", "state"}


@pytest.mark.parametrize(
    "params",
    [
        {"format": "json"},
        {"page_size": "2"},
        {"ordering": "-id"},
        {"q": "harbour", "attribute": "deal_value", "format": "csv"},
    ],
)
def test_the_frameworks_own_parameters_and_the_filters_are_taken(api, small, params):
    assert api.get("/api/v1/claims/", params).status_code == 200


@pytest.mark.parametrize(
    "url", [*LISTS, "/api/v1/claims/{claim}/", "/api/v1/entities/{entity}/facts/", "/api/v1/"]
)
def test_an_unknown_format_is_a_404_that_names_the_formats_offered(api, small, url):
    url = url.format(claim=claim("c-motto").pk, entity=Entity.objects.get(key="port-alpha").pk)
    response = api.get(url, {"format": "xml"})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    message = response.json()["detail"]
    assert message.startswith('Unknown format "xml": this endpoint answers json, ')
    formats = message.removeprefix('Unknown format "xml": this endpoint answers ').rstrip(".")
    for offered in formats.split(", "):
        assert api.get(url, {"format": offered}).status_code == 200, offered


def test_a_list_names_csv_among_its_formats(api, small):
    data = api.get("/api/v1/claims/", {"format": "xml"}).json()

    assert data == {"detail": UNKNOWN_FORMAT.format(format="xml", formats="json, api, csv")}


def test_a_cursor_is_taken(api, small):
    following = api.get("/api/v1/claims/", {"page_size": 2}).json()["next"]

    assert api.get(following).status_code == 200


def test_an_unknown_parameter_on_a_detail_is_a_400_too(api, small):
    response = api.get(f"/api/v1/claims/{claim('c-motto').pk}/", {"fromat": "csv"})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"fromat"}


def test_the_facts_endpoint_takes_its_filters_and_refuses_the_rest(api, small):
    url = f"/api/v1/entities/{Entity.objects.get(key='port-alpha').pk}/facts/"

    assert api.get(url, {"as_of": "2021", "min_reliability": "C"}).status_code == 200
    response = api.get(url, {"as_off": "2021"})
    assert response.status_code == 400
    assert response.json()["errors"]["as_off"] == [
        NOT_A_PARAMETER + DID_YOU_MEAN.format(name="as_of")
    ]
    assert "page_size" not in response.json()["accepted"]


def test_an_unknown_parameter_in_a_csv_request_answers_json(api, small):
    response = api.get("/api/v1/claims/", {"format": "csv", "atribute": "x"})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")


def test_a_write_with_an_unknown_parameter_is_still_a_405(api, small):
    assert api.post("/api/v1/claims/?atribute=x", {}).status_code == 405


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/v1/claims/", {"subject": "99999999999999999999"}),
        ("/api/v1/claims/", {"source": "99999999999999999999"}),
        ("/api/v1/contradictions/", {"subject": "99999999999999999999"}),
        ("/api/v1/claims/", {"subject": "1.5"}),
        ("/api/v1/claims/", {"subject": "0"}),
    ],
)
def test_an_id_no_database_holds_is_a_400_that_names_it(api, small, url, params):
    response = api.get(url, params)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(params)
