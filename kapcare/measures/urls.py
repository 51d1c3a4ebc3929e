"""Measures routes, one module per area so each can grow on its own:
completion (portal, single-purpose link, staff entry), alerts, the chart's records, and the
patient's own results in the portal."""

from django.urls import include, path

from kapcare.measures import portal_views

app_name = "measures"
urlpatterns = [
    path("", include("kapcare.measures.urls_completion")),
    path("", include("kapcare.measures.urls_alerts")),
    path("", include("kapcare.measures.urls_records")),
    path("portal/measures/", portal_views.portal_measures, name="portal_measures"),
]
