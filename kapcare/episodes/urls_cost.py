"""The clinic's price list and the whole-course estimate."""

from django.urls import path

from kapcare.episodes import cost_views as views

app_name = "cost"
urlpatterns = [
    path("clinic-admin/prices/", views.price_list, name="price_list"),
    path("clinic-admin/prices/<uuid:price_id>/", views.price_edit, name="price_edit"),
]
