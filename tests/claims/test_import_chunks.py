"""The import reads and writes the claims a chunk at a time (reading.CLAIMS_CHUNK), and the
import_bundle command reads a file as it streams (claims.bundles.streaming). A user must not
notice either: a problem in a late chunk still leaves nothing written and every problem is
listed with its place, a key given twice in two chunks is still found, a flag still finds
claims of earlier chunks, and a file says what is wrong with it as before."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

import claims.bundles.reading as reading
import claims.bundles.streaming as streaming
import claims.bundles.writing as writing
from claims.bundles import BundleInvalid, bundle_import, bundle_parse
from claims.bundles.reading import DUPLICATE_KEY, GIVEN_TWICE, UNKNOWN_ENTITY
from claims.bundles.schema import LONE_SURROGATE
from claims.management.commands.synthetic_bundle import synthetic_bundle
from claims.models import Claim, Contradiction
from claims.services.columns import QUOTE_NOT_IN_SOURCE
from tests.claims.test_bundles import database_state

pytestmark = pytest.mark.django_db

CHUNK = 50
CLAIMS = 4 * CHUNK + 10  # five chunks


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(reading, "CLAIMS_CHUNK", CHUNK)


def bundle() -> dict:
    return synthetic_bundle(claims=CLAIMS)


def refused(data: dict) -> list[str]:
    with pytest.raises(BundleInvalid) as raised:
        bundle_import(bundle=data)
    return [str(problem) for problem in raised.value.problems]


def test_the_claims_are_written_a_chunk_at_a_time(monkeypatch):
    sizes = []
    real = writing._Writer.write_claims

    def counted(self, rows):
        sizes.append(len(rows))
        return real(self, rows)

    monkeypatch.setattr(writing._Writer, "write_claims", counted)
    report = bundle_import(bundle=bundle())

    assert sizes == [CHUNK, CHUNK, CHUNK, CHUNK, 10]
    assert report.created["claims"] == Claim.objects.count() == CLAIMS
    assert Claim.history.model.objects.count() == CLAIMS


def test_problems_in_an_early_and_a_late_chunk_are_all_listed_and_nothing_is_written():
    data = bundle()
    data["claims"][10]["valid_from"] = "2023-02-30"
    data["claims"][CLAIMS - 5]["subject"] = "atlantis"
    before = database_state()

    assert refused(data) == [
        refused_message(data, 10),
        f"claims[{CLAIMS - 5}].subject: {UNKNOWN_ENTITY.format(ref='atlantis')}",
    ]
    assert refused_message(data, 10).startswith("claims[10].valid_from: ")
    assert database_state() == before


def refused_message(data: dict, index: int) -> str:
    """The problem the claim at `index` has when it is the bundle's only claim."""
    alone = {**data, "claims": [data["claims"][index]]}
    with pytest.raises(BundleInvalid) as raised:
        bundle_import(bundle=alone)
    (problem,) = raised.value.problems
    return str(problem).replace("claims[0]", f"claims[{index}]")


def test_a_quote_not_in_its_source_in_a_late_chunk_undoes_the_written_chunks():
    """The earlier chunks are written before the late one is checked; the transaction keeps
    none of them."""
    data = bundle()
    text = "The port's budget was approved. Its staff grew."
    data["sources"][0]["text"] = text
    for claim in data["claims"]:
        if claim["source"] == "syn-source-0":
            claim["quote"] = "The port's budget was approved."
    late = data["claims"][CLAIMS - 3]
    late["source"], late["quote"] = "syn-source-0", "words the source never says"
    before = database_state()

    assert refused(data) == [f"claims[{CLAIMS - 3}].quote: {QUOTE_NOT_IN_SOURCE}"]
    assert database_state() == before


def test_a_key_given_twice_in_two_chunks_is_found():
    data = bundle()
    data["claims"][CLAIMS - 1]["key"] = data["claims"][5]["key"]
    data["claims"][CHUNK + 1]["valid_to"] = "2023-13"  # a problem of another kind, listed first

    problems = refused(data)

    assert problems[-1] == (
        f"claims[{CLAIMS - 1}].key: "
        + DUPLICATE_KEY.format(key=data["claims"][5]["key"], first="claims[5]")
    )
    assert len(problems) == 2 and problems[0].startswith(f"claims[{CHUNK + 1}].valid_to: ")
    assert not Claim.objects.exists()


def test_a_flag_finds_claims_of_earlier_chunks():
    data = bundle()
    first, late = data["claims"][3], data["claims"][CLAIMS - 2]
    late.update(subject=first["subject"], attribute=first["attribute"], value=first["value"])
    late["value"] = data["claims"][3 + 5 * 20]["value"]  # another value of the same attribute
    data["flags"] = [{"key": "hand-1", "claims": [first["key"], late["key"]], "note": "differ"}]

    report = bundle_import(bundle=data)

    assert report.created["flags"] == 1
    flagged = Contradiction.objects.get(key="hand-1")
    assert set(flagged.claims.values_list("key", flat=True)) == {first["key"], late["key"]}


def test_a_flag_over_claims_of_two_chunks_that_differ_in_subject_is_refused():
    data = bundle()
    first, late = data["claims"][3], data["claims"][CLAIMS - 2]
    late.update(attribute=first["attribute"], value=first["value"])
    late["subject"] = next(e["key"] for e in data["entities"] if e["key"] != first["subject"])
    data["flags"] = [{"key": "hand-1", "claims": [first["key"], late["key"]], "note": "differ"}]

    assert refused(data) == [
        "flags[0].claims: the claims of a flag must share their subject and attribute"
    ]
    assert not Claim.objects.exists()


# The command reads a file as it streams; what it says of a file is what it said before.


def imported_by_command(tmp_path, data: dict) -> str:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = io.StringIO()
    call_command("import_bundle", str(path), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_command_streams_a_file_to_what_importing_the_bundle_gives(tmp_path, monkeypatch):
    def not_read_whole(text):
        raise AssertionError("the file was read whole")

    monkeypatch.setattr(streaming, "bundle_parse", not_read_whole)
    data = bundle()
    notes = "tab\there, a new line\nthere, a backslash \\, an emoji 😀 and é"
    data["claims"][7]["notes"] = notes
    data["claims"][5].update(
        subject=data["claims"][0]["subject"], attribute=data["claims"][0]["attribute"]
    )
    data["flags"] = [
        {"key": "hand-1", "claims": [data["claims"][0]["key"], data["claims"][5]["key"]],
         "note": "hand"},
    ]  # fmt: skip

    out = imported_by_command(tmp_path, data)

    assert f"claims: {CLAIMS} created" in out and "flags: 1 created" in out
    assert Claim.objects.get(key=data["claims"][7]["key"]).notes == notes
    # Importing the same bundle as a dict finds everything as it would have written it.
    report = bundle_import(bundle=data)
    assert not any(report.created.values()) and not any(report.updated.values())
    assert report.unchanged["claims"] == CLAIMS


def command_errors(tmp_path, text: str) -> list[str]:
    path = tmp_path / "bundle.json"
    path.write_text(text, encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_bundle", str(path), stdout=io.StringIO(), stderr=err)
    assert not Claim.objects.exists()
    return [line.removeprefix(f"{path}: ") for line in err.getvalue().splitlines()]


def test_the_command_names_a_member_given_twice_in_a_late_claim(tmp_path):
    text = json.dumps(bundle()).replace(
        f'"key": "syn-claim-{CLAIMS - 1}",',
        f'"key": "syn-claim-{CLAIMS - 1}", "notes": "x",',
    )

    assert command_errors(tmp_path, text) == [f"claims[{CLAIMS - 1}].notes: {GIVEN_TWICE}"]


def test_the_command_gives_the_line_and_column_of_bad_json_after_the_claims(tmp_path):
    text = json.dumps(bundle(), indent=1)[:-2] + ",\n}"
    with pytest.raises(BundleInvalid) as parsed:
        bundle_parse(text)

    (error,) = command_errors(tmp_path, text)
    assert error == str(parsed.value.problems[0])
    assert error.startswith(f"line {text.count(chr(10)) + 1}, column 1: not valid JSON: ")


def test_the_command_names_a_lone_surrogate_in_a_late_claim(tmp_path):
    data = bundle()
    data["claims"][CLAIMS - 1]["notes"] = "\ud800"
    text = json.dumps(data)

    assert command_errors(tmp_path, text) == [
        f"claims[{CLAIMS - 1}].notes: " + LONE_SURROGATE.format(code="\\ud800")
    ]


@pytest.mark.parametrize(
    ("text", "unusual"),
    [
        (b'{"notes": "caf\\u00e9, an emoji \\ud83d\\ude00"}', False),
        (b'{"notes": "a NUL escaped \\u0000"}', True),
        (b'{"notes": "a lone high surrogate \\ud800 here"}', True),
        (b'{"notes": "a lone low surrogate \\uDC00 here"}', True),
        (b'{"notes": "a NUL byte \x00"}', True),
        (b'{"notes": "a surrogate in UTF-8 \xed\xa0\x80"}', True),
    ],
)
def test_the_prescan_sends_what_the_stream_misreads_to_the_whole_read(tmp_path, text, unusual):
    path = tmp_path / "bundle.json"
    # Far into the file, past the first block, where only the quick clues let the block by.
    path.write_bytes(b" " * (streaming._BLOCK + 5) + text)
    if unusual:
        with pytest.raises(streaming.Unusual):
            streaming._prescan(path)
    else:
        streaming._prescan(path)


def test_the_prescan_finds_an_escape_split_across_two_blocks(tmp_path):
    path = tmp_path / "bundle.json"
    path.write_bytes(b" " * (streaming._BLOCK - 3) + b'"\\u0000"')
    with pytest.raises(streaming.Unusual):
        streaming._prescan(path)


@pytest.mark.parametrize("where", ["claims", "entities"])
def test_nesting_beyond_reason_sends_the_file_to_the_whole_read(tmp_path, where):
    deep = "[" * (streaming.DEEPEST + 1) + "]" * (streaming.DEEPEST + 1)
    path = tmp_path / "bundle.json"
    path.write_text(f'{{"format": "kb-bundle/1", "{where}": [{{"notes": {deep}}}]}}')
    with pytest.raises(streaming.Unusual):
        streaming.StreamedBundle(path)
    shallow = "[" * 5 + "]" * 5
    path.write_text(f'{{"format": "kb-bundle/1", "{where}": [{{"notes": {shallow}}}]}}')
    assert streaming.StreamedBundle(path).head["format"] == "kb-bundle/1"
