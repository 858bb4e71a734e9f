"""Ingest: a pasted text, an uploaded .txt, .html or .pdf file, or a fetched URL, made into the
clean text a source stores (trafilatura for HTML, pypdf for PDF, requests for fetching)."""

from __future__ import annotations

import io
import ipaddress
import socket
from urllib.parse import urlsplit

import requests
import trafilatura
from django.conf import settings
from django.core.exceptions import ValidationError
from pypdf import PdfReader
from pypdf.errors import PdfReadError

# What each accepted kind of document is called by its content type and its file extension.
CONTENT_TYPES = {
    "text/plain": "txt",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
}
EXTENSIONS = {".txt": "txt", ".text": "txt", ".html": "html", ".htm": "html", ".pdf": "pdf"}

TOO_LARGE = "{what} is larger than {limit} MB, the most this server ingests."
TIMED_OUT = "{url} did not answer within {seconds} seconds. Try again later, or paste the text."
UNREACHABLE = "{url} could not be reached: {reason}."
BAD_STATUS = "{url} answered {status}: there is no document to ingest there."
BAD_TYPE = '{what} is of type "{content_type}"; this server ingests plain text, HTML and PDF only.'
BAD_EXTENSION = '"{name}" is not a .txt, .html or .pdf file.'
NOT_UTF8 = "{what} is not UTF-8 text: save it as UTF-8 and try again."
NO_TEXT = "No text could be read from {what}."
BAD_PDF = "{what} is not a readable PDF: {reason}."
BAD_SCHEME = "Only http and https addresses can be fetched."
PRIVATE_ADDRESS = "{host} is an address inside this server's network; fetching it is not allowed."
FETCH_DISABLED = "Fetching URLs is turned off on this server: paste the text or upload the file."


def clean_text(text: str) -> str:
    """The text as stored: line endings made \\n, trailing spaces and blank edges removed.
    Nothing else changes, so that quotes stay verbatim."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def text_from_bytes(data: bytes, *, kind: str, what: str) -> str:
    """The clean text of a document of `kind` (txt, html or pdf); ValidationError if none."""
    if len(data) > settings.KB_INGEST_MAX_BYTES:
        raise ValidationError(TOO_LARGE.format(what=what, limit=_megabytes()))
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
    """Fetch a document: (clean text, final URL). Checks the scheme, refuses addresses inside
    the server's network (unless KB_FETCH_ALLOW_PRIVATE), limits the time
    (KB_FETCH_TIMEOUT) and the size (KB_INGEST_MAX_BYTES), and accepts text, HTML and PDF."""
    if not settings.KB_FETCH_ENABLED:
        raise ValidationError(FETCH_DISABLED)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(BAD_SCHEME)
    if not settings.KB_FETCH_ALLOW_PRIVATE:
        _refuse_private(parts.hostname)
    seconds = settings.KB_FETCH_TIMEOUT
    try:
        with requests.get(
            url,
            stream=True,
            timeout=(seconds, seconds),
            headers={"User-Agent": "claim-tracking-kb/1 (+ingest)"},
            allow_redirects=True,
        ) as response:
            if response.status_code != 200:
                raise ValidationError(BAD_STATUS.format(url=url, status=response.status_code))
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            kind = CONTENT_TYPES.get(content_type)
            if kind is None:
                raise ValidationError(
                    BAD_TYPE.format(what=url, content_type=content_type or "unknown")
                )
            limit = settings.KB_INGEST_MAX_BYTES
            if int(response.headers.get("Content-Length") or 0) > limit:
                raise ValidationError(TOO_LARGE.format(what=url, limit=_megabytes()))
            body = bytearray()
            for chunk in response.iter_content(chunk_size=65536):
                body += chunk
                if len(body) > limit:
                    raise ValidationError(TOO_LARGE.format(what=url, limit=_megabytes()))
            final_url = response.url
    except requests.Timeout as error:
        raise ValidationError(TIMED_OUT.format(url=url, seconds=seconds)) from error
    except requests.RequestException as error:
        raise ValidationError(UNREACHABLE.format(url=url, reason=type(error).__name__)) from error
    return text_from_bytes(bytes(body), kind=kind, what=url), final_url


def _refuse_private(host: str) -> None:
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror as error:
        raise ValidationError(UNREACHABLE.format(url=host, reason="unknown host")) from error
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved:
            raise ValidationError(PRIVATE_ADDRESS.format(host=host))


def _megabytes() -> str:
    return f"{settings.KB_INGEST_MAX_BYTES / 1_000_000:g}"
