"""The ingest fetcher follows redirects itself: every hop's address is resolved once, checked
against the private ranges and connected to, and the chain is bounded.

A web server on this machine's loopback serves the chains. Where a test needs the public
internet, it says that this server's address (127.0.0.1) stands for it, and only that one.
"""

from __future__ import annotations

import http.server
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading

import pytest
from django.core.exceptions import ValidationError

from sources import ingest

DOCUMENT = b"Peru bought 24 tanks for $300 million."
LOOPBACK = ipaddress.ip_address("127.0.0.1")


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves /doc, and a redirect for every path in `redirects`; records what it was asked."""

    redirects: dict[str, str] = {}
    seen: list[tuple[str, str]] = []

    def do_GET(self):
        self.seen.append((self.path, self.headers.get("Host", "")))
        if self.path in self.redirects:
            self.send_response(302)
            self.send_header("Location", self.redirects[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith("/hop/"):
            left = int(self.path.removeprefix("/hop/"))
            self.send_response(301)
            self.send_header("Location", f"/hop/{left - 1}" if left else "/doc")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(DOCUMENT)))
        self.end_headers()
        self.wfile.write(DOCUMENT)

    def log_message(self, *args):
        pass


def serve(tls: ssl.SSLContext | None = None):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def web(settings):
    settings.KB_FETCH_TIMEOUT = 5
    Handler.redirects, Handler.seen = {}, []
    server = serve()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def loopback_is_the_internet(settings, monkeypatch):
    """Private addresses are refused, except this test server's, which stands for the web."""
    settings.KB_FETCH_ALLOW_PRIVATE = False
    private = ingest.address_is_private
    monkeypatch.setattr(ingest, "address_is_private", lambda ip: ip != LOOPBACK and private(ip))


def refusal(url: str) -> str:
    with pytest.raises(ValidationError) as refused:
        ingest.fetch(url)
    return refused.value.messages[0]


def test_with_private_addresses_allowed_a_redirect_chain_is_followed_to_the_document(web, settings):
    settings.KB_FETCH_ALLOW_PRIVATE = True

    text, final = ingest.fetch(f"{web}/hop/3")

    assert text == DOCUMENT.decode()
    assert final == f"{web}/doc"
    assert [path for path, _ in Handler.seen] == ["/hop/3", "/hop/2", "/hop/1", "/hop/0", "/doc"]


def test_by_default_an_address_inside_the_network_is_refused_naming_it(web, settings):
    settings.KB_FETCH_ALLOW_PRIVATE = False

    message = refusal(f"{web}/doc")

    assert message == ingest.PRIVATE_ADDRESS.format(host="127.0.0.1", address="127.0.0.1")
    assert Handler.seen == []


def test_a_redirect_to_an_address_inside_the_network_is_refused_naming_it(
    web, loopback_is_the_internet
):
    Handler.redirects = {"/start": "/hop/1", "/hop/0": "http://169.254.169.254/latest/meta-data/"}

    message = refusal(f"{web}/start")

    assert message == ingest.REDIRECT_REFUSED.format(
        url=f"{web}/hop/0",
        target="http://169.254.169.254/latest/meta-data/",
        reason=ingest.PRIVATE_ADDRESS.format(host="169.254.169.254", address="169.254.169.254"),
    )
    assert [path for path, _ in Handler.seen] == ["/start", "/hop/1", "/hop/0"]


def test_a_redirect_to_a_name_inside_the_network_is_refused_naming_its_address(
    web, loopback_is_the_internet, monkeypatch
):
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host == "intranet.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 80))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    Handler.redirects = {"/start": "http://intranet.example/admin"}

    message = refusal(f"{web}/start")

    assert "intranet.example is at 10.1.2.3, an address inside this server's network" in message


def test_a_chain_longer_than_the_limit_is_refused(web, settings):
    settings.KB_FETCH_ALLOW_PRIVATE = True

    message = refusal(f"{web}/hop/{ingest.MAX_REDIRECTS}")

    assert message == ingest.TOO_MANY_REDIRECTS.format(
        url=f"{web}/hop/{ingest.MAX_REDIRECTS}", limit=ingest.MAX_REDIRECTS
    )
    assert len(Handler.seen) == ingest.MAX_REDIRECTS + 1


def test_a_chain_as_long_as_the_limit_is_followed(web, settings):
    settings.KB_FETCH_ALLOW_PRIVATE = True

    text, _ = ingest.fetch(f"{web}/hop/{ingest.MAX_REDIRECTS - 1}")

    assert text == DOCUMENT.decode()


@pytest.mark.parametrize(
    "target", ["file:///etc/passwd", "ftp://example.org/doc.txt", "gopher://127.0.0.1:25/"]
)
def test_a_redirect_to_another_scheme_is_refused(web, settings, target):
    settings.KB_FETCH_ALLOW_PRIVATE = True
    Handler.redirects = {"/start": target}

    message = refusal(f"{web}/start")

    assert message == ingest.REDIRECT_REFUSED.format(
        url=f"{web}/start", target=target, reason=ingest.BAD_SCHEME.format(url=target)
    )


def test_a_name_is_resolved_once_and_the_address_checked_is_the_one_connected_to(
    web, loopback_is_the_internet, monkeypatch
):
    # DNS rebinding: the name answers a harmless address to the check, then a private one.
    port = web.rsplit(":", 1)[1]
    real, asked = socket.getaddrinfo, []

    def rebinding(host, *args, **kwargs):
        if host == "rebind.example":
            asked.append(host)
            address = "127.0.0.1" if len(asked) == 1 else "169.254.169.254"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)

    text, final = ingest.fetch(f"http://rebind.example:{port}/doc")

    assert text == DOCUMENT.decode() and final == f"http://rebind.example:{port}/doc"
    assert asked == ["rebind.example"]
    assert Handler.seen == [("/doc", f"rebind.example:{port}")]


# https: the connection goes to the address checked; SNI and the certificate are the name's.


@pytest.fixture
def certificate(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=pinned.example",
         "-addext", "subjectAltName=DNS:pinned.example"],
        check=True, capture_output=True,
    )  # fmt: skip
    return key, cert


@pytest.fixture
def secure_web(certificate, settings, monkeypatch):
    key, cert = certificate
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    names = []
    tls.sni_callback = lambda sock, name, context: names.append(name)
    Handler.redirects, Handler.seen = {}, []
    server = serve(tls)
    port = server.server_address[1]
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host in ("pinned.example", "other.example"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(ingest, "TLS_VERIFY", str(cert))
    settings.KB_FETCH_ALLOW_PRIVATE = True
    settings.KB_FETCH_TIMEOUT = 5
    yield port, names
    server.shutdown()
    server.server_close()


def test_https_is_fetched_from_the_checked_address_with_the_names_certificate(secure_web):
    port, names = secure_web

    text, _ = ingest.fetch(f"https://pinned.example:{port}/doc")

    assert text == DOCUMENT.decode()
    assert names == ["pinned.example"]
    assert Handler.seen == [("/doc", f"pinned.example:{port}")]


def test_https_refuses_a_certificate_for_another_name(secure_web):
    port, _ = secure_web

    message = refusal(f"https://other.example:{port}/doc")

    assert message == ingest.UNREACHABLE.format(
        url=f"https://other.example:{port}/doc", reason="SSLError"
    )
