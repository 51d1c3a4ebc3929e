"""Consent and sharing routes, included at the site root."""

from django.urls import include, path

urlpatterns = [
    path("", include("kapcare.consents.urls_documents")),
    path("", include("kapcare.consents.urls_sharing")),
]
