"""Measures routes, one module per area so each can grow on its own:
completion (portal, single-purpose link, staff entry), alerts, and the chart's records."""

from django.urls import include, path

app_name = "measures"
urlpatterns = [
    path("", include("kapcare.measures.urls_completion")),
    path("", include("kapcare.measures.urls_alerts")),
    path("", include("kapcare.measures.urls_records")),
]
