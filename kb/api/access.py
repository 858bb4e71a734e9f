"""Who may read the API and who a client is: everyone may read unless KB_API_PUBLIC is false, and a
client is the address the trusted proxies report (authentication and throttles are DRF's)."""

from __future__ import annotations

from django.conf import settings
from rest_framework import permissions
from rest_framework.throttling import BaseThrottle, UserRateThrottle

# A message clients see; tests assert on it.
NOT_SIGNED_IN = "The API is open to signed-in users and API tokens only: sign in or send a token."


class ReadAccess(permissions.BasePermission):
    """Reads are public unless KB_API_PUBLIC is false; then they need a session or a token.

    Unsafe methods pass, so that the read-only views answer them 405 rather than 401.
    """

    message = NOT_SIGNED_IN

    def has_permission(self, request, view) -> bool:
        if request.method not in permissions.SAFE_METHODS:
            return True
        return settings.KB_API_PUBLIC or bool(request.user and request.user.is_authenticated)


def client_address(request) -> str | None:
    """The client's address: the connection's, or with KB_TRUSTED_PROXIES=N the one the N-th
    proxy from the server wrote into X-Forwarded-For. The API's throttles and the sign-in
    lockout (django-axes) both count by it, so neither can be reset with a made-up header."""
    return BaseThrottle().get_ident(request)


class SignedInRateThrottle(UserRateThrottle):
    """The budget of signed-in users and token holders (KB_API_USER_RATE). DRF's own counts an
    anonymous client too, by address, on top of its anonymous budget (AnonRateThrottle), which
    is already the smaller: a second count in the shared cache per request that refuses
    nothing."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None  # counted by the anonymous budget alone
        return super().get_cache_key(request, view)
