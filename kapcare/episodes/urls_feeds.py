"""Calendar feeds: the secret .ics addresses and the pages that show and regenerate them."""

from django.urls import path  # noqa: F401

app_name = "feeds"
urlpatterns: list = []
