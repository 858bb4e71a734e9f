"""Who may read the API: everyone, unless KB_API_PUBLIC is false; then signed-in users and
token holders (authentication and throttles are DRF's, chosen in settings.REST_FRAMEWORK)."""

from __future__ import annotations

from django.conf import settings
from rest_framework import permissions

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
