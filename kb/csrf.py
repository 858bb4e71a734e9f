"""The CSRF token of the site's pages (`{{ csrf_input }}`, `{{ csrf_token }}`): Django's, masked
with a mask drawn at once.

Django masks the cookie's secret afresh for each page it writes into (so that a compressed page
does not give the secret away: BREACH), with a mask of 32 characters drawn one by one through
secrets.choice, 33 reads of the system's random source, and 64 str.index calls to add the two:
a tenth of a signed-in page of nothing but the site's frame. Here the mask comes from one read
of the same source, each byte below 248 taken modulo 62 (every character as likely as Django's
draws make it), and the sum from a table. The token is Django's in every other way: its secret,
its cookie and when that is sent again (get_token), its form and its check (CsrfViewMiddleware
unmasks any mask). The admin and the libraries' pages keep Django's own.
"""

from __future__ import annotations

import secrets

from django.middleware import csrf
from django.utils.html import format_html

_ALPHABET = csrf.CSRF_ALLOWED_CHARS
_SIZE = len(_ALPHABET)
# A random byte below this, modulo _SIZE, is each of the alphabet's characters alike.
_UNBIASED = 256 - 256 % _SIZE
_INDEX = {character: index for index, character in enumerate(_ALPHABET)}


def _mask_indexes(length: int) -> list[int]:
    """`length` indexes into the alphabet, each drawn uniformly from the system's source."""
    drawn: list[int] = []
    while len(drawn) < length:
        # One byte in 32 is set aside: 8 more than asked for make a second read rare.
        drawn += [byte % _SIZE for byte in secrets.token_bytes(length + 8) if byte < _UNBIASED]
    return drawn[:length]


def masked(secret: str) -> str:
    """`secret` (a CSRF secret: CSRF_SECRET_LENGTH characters of the alphabet) as Django's
    _mask_cipher_secret masks it: a fresh mask, then each character of the secret shifted by
    the mask's along the alphabet."""
    mask = _mask_indexes(len(secret))
    alphabet, size, index = _ALPHABET, _SIZE, _INDEX
    return "".join([alphabet[m] for m in mask]) + "".join(
        [alphabet[(index[character] + m) % size] for character, m in zip(secret, mask, strict=True)]
    )


def get_token(request) -> str:
    """Django's get_token: the request's CSRF secret, masked (with masked()); the secret's
    cookie is sent again with the response, renewing its expiry. A request without a secret
    is given one by Django, which makes it, sets its cookie and masks it."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        return csrf.get_token(request)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    return masked(secret)


class _Lazy:
    """A page's token, made only if the page writes it out (a token sends its cookie)."""

    __slots__ = ("_request",)

    def __init__(self, request):
        self._request = request

    def __str__(self) -> str:
        return self.__html__()


class _Input(_Lazy):
    __slots__ = ()

    def __html__(self) -> str:
        return format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">',
            get_token(self._request),
        )


class _Token(_Lazy):
    __slots__ = ()

    def __html__(self) -> str:
        return get_token(self._request)


def tokens(request) -> dict:
    """Context processor of the site's pages (after Django's Jinja2 backend sets its own
    `csrf_input` and `csrf_token`): the same, through get_token above."""
    return {"csrf_input": _Input(request), "csrf_token": _Token(request)}
