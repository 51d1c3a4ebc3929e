"""The clinic's price list and the whole-course estimate."""

from django.urls import path  # noqa: F401

app_name = "cost"
urlpatterns: list = []
