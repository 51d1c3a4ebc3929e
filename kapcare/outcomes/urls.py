from django.urls import path

from kapcare.outcomes import views

app_name = "outcomes"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("rates.csv", views.rates_csv, name="rates_csv"),
    path("time-to-relapse.csv", views.durability_csv, name="durability_csv"),
    path("gates-waived.csv", views.waivers_csv, name="waivers_csv"),
]
