"""Ingest: a pasted text, an uploaded .txt, .html or .pdf file, or a fetched URL, made into the
clean text a source stores (trafilatura for HTML, pypdf for PDF, requests for fetching)."""

from __future__ import annotations

import io
import ipaddress
import socket
import time
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
import trafilatura
import urllib3
from django.conf import settings
from django.core.exceptions import ValidationError
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from requests.adapters import HTTPAdapter

# What each accepted kind of document is called by its content type and its file extension.
CONTENT_TYPES = {
    "text/plain": "txt",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
}
EXTENSIONS = {".txt": "txt", ".text": "txt", ".html": "html", ".htm": "html", ".pdf": "pdf"}
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
# Redirects a fetch follows; browsers allow about 20, a document link needs a few at most.
MAX_REDIRECTS = 5
# What requests checks https certificates against: True is its bundle (certifi); the tests
# point it at their own authority's certificate.
TLS_VERIFY: bool | str = True

TOO_LARGE = "{what} is {size} bytes; this server ingests documents of at most {limit} bytes ({megabytes} MB)."
TIMED_OUT = "{url} did not answer within {seconds} seconds. Try again later, or paste the text."
UNREACHABLE = "{url} could not be reached: {reason}."
BAD_STATUS = "{url} answered {status}: there is no document to ingest there."
BAD_TYPE = '{what} is of type "{content_type}"; this server ingests plain text, HTML and PDF only.'
BAD_EXTENSION = '"{name}" is not a .txt, .html or .pdf file.'
NOT_UTF8 = "{what} is not UTF-8 text: save it as UTF-8 and try again."
NO_TEXT = "No text could be read from {what}."
BAD_PDF = "{what} is not a readable PDF: {reason}."
BAD_SCHEME = 'Only http and https addresses can be fetched, not "{url}".'
BAD_URL = '"{url}" is not a web address that can be fetched.'
PRIVATE_ADDRESS = (
    "{host} is at {address}, an address inside this server's network; fetching it is not allowed."
)
REDIRECT_REFUSED = "{url} redirects to {target}, which is refused: {reason}"
TOO_MANY_REDIRECTS = "{url} redirects more than {limit} times; give the final address instead."
FETCH_DISABLED = "Fetching URLs is turned off on this server: paste the text or upload the file."


def clean_text(text: str) -> str:
    """The text as stored: line endings made \\n, trailing spaces and blank edges removed.
    Nothing else changes, so that quotes stay verbatim."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def too_large(size: int, *, what: str, at_least: bool = False) -> str:
    """TOO_LARGE for a document of `size` bytes (`at_least`: reading stopped there)."""
    limit = settings.KB_INGEST_MAX_BYTES
    return TOO_LARGE.format(
        what=what,
        size=f"more than {limit:,}" if at_least else f"{size:,}",
        limit=f"{limit:,}",
        megabytes=f"{limit / 1_000_000:g}",
    )


def refuse_too_large(size: int, *, what: str, at_least: bool = False) -> None:
    """ValidationError (too_large) when a document of `size` bytes is more than
    KB_INGEST_MAX_BYTES, the one limit of pasting, uploading and fetching."""
    if size > settings.KB_INGEST_MAX_BYTES:
        raise ValidationError(too_large(size, what=what, at_least=at_least))


def text_from_bytes(data: bytes, *, kind: str, what: str) -> str:
    """The clean text of a document of `kind` (txt, html or pdf); ValidationError if none."""
    refuse_too_large(len(data), what=what)
    if kind == "pdf":
        try:
            reader = PdfReader(io.BytesIO(data))
            text = "\n\n".join(page.extract_text() or "" for page in reader.pages)
        except (PdfReadError, ValueError, KeyError) as error:
            raise ValidationError(BAD_PDF.format(what=what, reason=error)) from error
    else:
        try:
            decoded = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ValidationError(NOT_UTF8.format(what=what)) from error
        text = (
            trafilatura.extract(decoded, favor_recall=True, include_comments=False) or ""
            if kind == "html"
            else decoded
        )
    text = clean_text(text)
    if not text.strip():
        raise ValidationError(NO_TEXT.format(what=what))
    return text


def kind_of_upload(name: str) -> str:
    """txt, html or pdf by the file's extension; ValidationError for anything else."""
    for extension, kind in EXTENSIONS.items():
        if name.lower().endswith(extension):
            return kind
    raise ValidationError(BAD_EXTENSION.format(name=name))


def fetch(url: str) -> tuple[str, str]:
    """Fetch a document: (clean text, final URL).

    Follows at most MAX_REDIRECTS redirects itself. At every hop it checks the scheme (http or
    https), resolves the host once, refuses an address inside the server's network (unless
    KB_FETCH_ALLOW_PRIVATE), and connects to exactly the address it checked: a name that
    resolves elsewhere a second time (DNS rebinding) changes nothing. For https, the TLS
    server name and the certificate are the host name's. The whole fetch takes at most
    KB_FETCH_TIMEOUT seconds and KB_INGEST_MAX_BYTES bytes; text, HTML and PDF only.
    """
    if not settings.KB_FETCH_ENABLED:
        raise ValidationError(FETCH_DISABLED)
    seconds = settings.KB_FETCH_TIMEOUT
    deadline = time.monotonic() + seconds
    current, previous = url, None
    try:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                target = _Target.checked(current)
            except ValidationError as error:
                if previous is None:
                    raise
                raise ValidationError(
                    REDIRECT_REFUSED.format(url=previous, target=current, reason=error.messages[0])
                ) from error
            with target.get(timeout=_remaining(deadline, seconds)) as response:
                location = response.headers.get("Location")
                if response.status_code in REDIRECT_STATUSES and location:
                    previous, current = current, urljoin(current, location.strip())
                    continue
                return _document(response, current, deadline, seconds), current
        raise ValidationError(TOO_MANY_REDIRECTS.format(url=url, limit=MAX_REDIRECTS))
    except (requests.Timeout, urllib3.exceptions.TimeoutError) as error:
        raise ValidationError(TIMED_OUT.format(url=url, seconds=f"{seconds:g}")) from error
    except (requests.RequestException, urllib3.exceptions.HTTPError) as error:
        raise ValidationError(
            UNREACHABLE.format(url=current, reason=type(error).__name__)
        ) from error


def _remaining(deadline: float, seconds: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise requests.Timeout(f"more than {seconds} seconds")
    return left


def _document(response, url: str, deadline: float, seconds: float) -> str:
    """The clean text of a final (non-redirect) answer, read within the time and size limits."""
    if response.status_code != 200:
        raise ValidationError(BAD_STATUS.format(url=url, status=response.status_code))
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    kind = CONTENT_TYPES.get(content_type)
    if kind is None:
        raise ValidationError(BAD_TYPE.format(what=url, content_type=content_type or "unknown"))
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit():
        refuse_too_large(int(declared), what=url)
    body = bytearray()
    # One socket read at a time (read1), each within the read timeout, and the deadline checked
    # between them: a server that drips its answer cannot hold the fetch past the deadline.
    while chunk := response.raw.read1(65536, decode_content=True):
        body += chunk
        refuse_too_large(len(body), what=url, at_least=True)
        _remaining(deadline, seconds)
    return text_from_bytes(bytes(body), kind=kind, what=url)


def address_is_private(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether an address is inside a private network, this machine, a link or any range the
    internet does not route (RFC 6890 and its updates): what a fetch may not reach."""
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


class _PinnedHost(HTTPAdapter):
    """An https transport that connects to the address in the URL (the one checked) while the
    TLS server name (SNI) and the certificate check are the host name's."""

    def __init__(self, hostname: str):
        self.hostname = hostname
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        pool_kwargs.update(server_hostname=self.hostname, assert_hostname=self.hostname)
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)


@dataclass(frozen=True)
class _Target:
    """One hop of a fetch: its URL, host name, port, and the one address it connects to."""

    url: str
    scheme: str
    hostname: str
    port: int
    address: str

    @classmethod
    def checked(cls, url: str) -> _Target:
        """Check the URL's scheme and resolve its host once; ValidationError for a scheme
        other than http or https, an unknown host, or (unless KB_FETCH_ALLOW_PRIVATE) an
        address inside the server's network, named."""
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as error:
            raise ValidationError(BAD_URL.format(url=url)) from error
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError(BAD_SCHEME.format(url=url))
        host = parts.hostname
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as error:
            raise ValidationError(UNREACHABLE.format(url=url, reason="unknown host")) from error
        addresses = list(dict.fromkeys(info[4][0].split("%")[0] for info in found))
        if not settings.KB_FETCH_ALLOW_PRIVATE:
            # Every address the name has is checked: the connection takes the first.
            for address in addresses:
                if address_is_private(ipaddress.ip_address(address)):
                    raise ValidationError(PRIVATE_ADDRESS.format(host=host, address=address))
        return cls(url, parts.scheme, host, port, addresses[0])

    @contextmanager
    def get(self, *, timeout: float):
        """GET the URL from the checked address, without following redirects; streamed."""
        parts = urlsplit(self.url)
        ip = f"[{self.address}]" if ":" in self.address else self.address
        pinned = urlunsplit((self.scheme, f"{ip}:{self.port}", parts.path or "/", parts.query, ""))
        default_port = {"http": 80, "https": 443}[self.scheme]
        host = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        with requests.Session() as session:
            # No proxy or .netrc from the environment: the request goes to the address checked.
            session.trust_env = False
            if self.scheme == "https":
                session.mount("https://", _PinnedHost(self.hostname))
            headers = {
                "Host": host if self.port == default_port else f"{host}:{self.port}",
                "User-Agent": "claim-tracking-kb/1 (+ingest)",
            }
            with session.get(
                pinned,
                stream=True,
                timeout=(timeout, timeout),
                allow_redirects=False,
                verify=TLS_VERIFY,
                headers=headers,
            ) as response:
                yield response
