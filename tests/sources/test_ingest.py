"""Ingest: pasted text, uploaded files, fetched URLs; each refusal says what is wrong."""

from __future__ import annotations

import http.server
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from claims.views import INGEST_FORM_ROOM
from sources import ingest
from sources.models import Source
from sources.services import document_text

pytestmark = pytest.mark.django_db

TEXT = "The US approved a potential $1.5 billion Foreign Military Sale to Peru on January 15."
HTML = (
    "<html><head><title>Sale</title></head><body><nav>Home | About | Login</nav><article>"
    "<h1>US approves sale</h1><p>" + TEXT + "</p></article><footer>(c) Site</footer></body></html>"
)


def tiny_pdf(text: str) -> bytes:
    """A one-page PDF whose page shows `text` (enough for a text extractor)."""
    stream = f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


def post(client, **data):
    fields = {"title": "US approves sale", "kind": "news", "language": "en", **data}
    return client.post(reverse("ingest"), fields)


def test_pasted_text_is_stored_with_its_digest_and_leads_to_the_candidates(analyst_client):
    response = post(analyst_client, text=TEXT + "\r\n")

    source = Source.objects.get()
    assert source.text == TEXT and len(source.text_sha256) == 64
    assert response.url == reverse("candidates", args=[source.pk])
    assert source.history.first().history_user.username == "ana"


def test_the_same_text_twice_is_recognised_not_stored_again(analyst_client):
    post(analyst_client, text=TEXT)
    response = post(analyst_client, text=TEXT, title="Another title")

    assert Source.objects.count() == 1
    page = analyst_client.get(response.url).content.decode()
    assert "already stored" in page


@pytest.mark.parametrize(
    ("name", "content"),
    [("sale.txt", TEXT.encode()), ("sale.html", HTML.encode()), ("sale.pdf", tiny_pdf(TEXT))],
)
def test_uploaded_text_html_and_pdf_files_are_read_to_clean_text(analyst_client, name, content):
    post(analyst_client, upload=SimpleUploadedFile(name, content))

    text = Source.objects.get().text
    assert "$1.5 billion Foreign Military Sale to Peru" in text
    assert "Login" not in text  # the page's navigation is not the document


def test_an_upload_of_another_kind_is_refused_with_its_name(analyst_client):
    response = post(analyst_client, upload=SimpleUploadedFile("sale.docx", b"PK..."))

    assert response.status_code == 400
    assert "&quot;sale.docx&quot; is not a .txt, .html or .pdf file." in response.content.decode()
    assert not Source.objects.exists()


def test_a_text_file_that_is_not_utf8_is_refused(analyst_client):
    response = post(analyst_client, upload=SimpleUploadedFile("sale.txt", "Perú".encode("latin-1")))

    assert "is not UTF-8 text" in response.content.decode()


def test_a_reader_may_not_ingest(client, researcher):
    client.force_login(researcher)

    assert client.get(reverse("ingest")).status_code == 403


class Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}

    def do_GET(self):
        status, content_type, body, delay = self.routes[self.path]
        time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def web(settings):
    """A small web server on this machine's loopback for the fetch tests."""
    settings.KB_FETCH_ALLOW_PRIVATE = True
    settings.KB_FETCH_TIMEOUT = 1
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Handler.routes = {
        "/sale.html": (200, "text/html; charset=utf-8", HTML.encode(), 0),
        "/slow.html": (200, "text/html", HTML.encode(), 2),
        "/big.txt": (200, "text/plain", b"x" * 3000, 0),
        "/image.png": (200, "image/png", b"\x89PNG", 0),
        "/gone": (404, "text/html", b"not here", 0),
    }
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_url_is_fetched_and_stored_with_its_link(analyst_client, web):
    post(analyst_client, url=f"{web}/sale.html")

    source = Source.objects.get()
    assert "$1.5 billion Foreign Military Sale" in source.text
    assert source.url == f"{web}/sale.html"


def test_the_same_url_twice_is_recognised(analyst_client, web):
    post(analyst_client, url=f"{web}/sale.html")
    post(analyst_client, url=f"{web}/sale.html")

    assert Source.objects.count() == 1


def test_a_fetch_that_times_out_fails_with_a_clear_message(analyst_client, web):
    response = post(analyst_client, url=f"{web}/slow.html")

    assert response.status_code == 400
    assert "did not answer within 1 seconds" in response.content.decode()
    assert not Source.objects.exists()


# One limit, KB_INGEST_MAX_BYTES, for pasting, uploading and fetching, and one sentence.
LIMIT_SAID = "bytes; this server ingests documents of at most 1,000 bytes (0.001 MB)."


def test_a_fetched_document_too_large_is_refused_with_its_size(analyst_client, web, settings):
    settings.KB_INGEST_MAX_BYTES = 1000

    response = post(analyst_client, url=f"{web}/big.txt")

    assert response.status_code == 400
    assert f"{web}/big.txt is 3,000 {LIMIT_SAID}" in response.content.decode()
    assert not Source.objects.exists()


def test_a_pasted_text_too_large_is_refused_with_its_size(analyst_client, settings):
    settings.KB_INGEST_MAX_BYTES = 1000

    response = post(analyst_client, text="é" * 501)  # 1,002 bytes in UTF-8

    assert response.status_code == 400
    assert f"The pasted text is 1,002 {LIMIT_SAID}" in response.content.decode()
    assert not Source.objects.exists()


def test_an_upload_too_large_is_refused_with_its_size(analyst_client, settings):
    settings.KB_INGEST_MAX_BYTES = 1000

    response = post(analyst_client, upload=SimpleUploadedFile("big.txt", b"x" * 1500))

    assert response.status_code == 400
    assert f"&quot;big.txt&quot; is 1,500 {LIMIT_SAID}" in response.content.decode()
    assert not Source.objects.exists()


class UnreadableUpload:
    """An upload that says its size and may not be read."""

    name, size = "big.pdf", 50_000_000

    def read(self, *args):
        raise AssertionError("the upload was read")


def test_an_upload_is_measured_before_it_is_read(settings):
    with pytest.raises(ValidationError) as refused:
        document_text(upload=UnreadableUpload())

    assert refused.value.message_dict == {
        "upload": [
            '"big.pdf" is 50,000,000 bytes; this server ingests documents of at most '
            "10,000,000 bytes (10 MB)."
        ]
    }


def test_a_request_far_larger_than_the_limit_is_refused_before_it_is_read(analyst_client, settings):
    settings.KB_INGEST_MAX_BYTES = 1000
    body = b"x" * (1000 + INGEST_FORM_ROOM + 1)

    response = analyst_client.generic(
        "POST", reverse("ingest"), body, content_type="application/octet-stream"
    )

    assert response.status_code == 413
    assert f"What was sent is {len(body):,} {LIMIT_SAID}" in response.content.decode()
    assert not Source.objects.exists()


def test_a_pasted_text_at_the_limit_is_stored(analyst_client, settings):
    settings.KB_INGEST_MAX_BYTES = 3_000_000  # beyond Django's 2.5 MB default for a form field

    post(analyst_client, text="The talks went on without a word to the press. " * 60_000)

    assert len(Source.objects.get().text) > 2_800_000


@pytest.mark.parametrize(
    ("path", "message"),
    [("/image.png", "is of type &quot;image/png&quot;"), ("/gone", "answered 404")],
)
def test_a_url_without_a_document_is_refused_saying_why(analyst_client, web, path, message):
    response = post(analyst_client, url=f"{web}{path}")

    assert message in response.content.decode()


def test_addresses_inside_the_servers_network_are_refused_by_default(analyst_client, settings):
    settings.KB_FETCH_ALLOW_PRIVATE = False

    response = post(analyst_client, url="http://127.0.0.1:9/secret")

    assert (
        "127.0.0.1 is at 127.0.0.1, an address inside this server&#x27;s network"
        in response.content.decode()
    )


def test_clean_text_only_normalises_line_ends_and_trailing_spaces():
    assert (
        ingest.clean_text("\r\nA line.  \r\nB “quoted” — line.\r\n\r\n")
        == "A line.\nB “quoted” — line."
    )
