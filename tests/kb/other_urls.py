"""Another URLconf, for tests that a URL follows the URLconf in use."""

from django.http import HttpResponse
from django.urls import path

urlpatterns = [
    path("elsewhere/", lambda request: HttpResponse(), name="queue"),
    path("elsewhere/<int:pk>/", lambda request, pk: HttpResponse(), name="contradiction"),
]
