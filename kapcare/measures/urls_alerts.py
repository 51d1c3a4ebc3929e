from django.urls import path

from kapcare.measures import alert_views

urlpatterns = [
    path("safety-alerts/", alert_views.alert_list, name="alerts"),
    path("safety-alerts/<uuid:alert_id>/", alert_views.alert_detail, name="alert"),
]
