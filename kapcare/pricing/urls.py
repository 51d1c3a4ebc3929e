"""The clinic's price list and the whole-course estimate."""

from django.urls import path

from kapcare.pricing import views

# The namespace kept its name when the price list left `episodes`, so links keep working.
app_name = "cost"
urlpatterns = [
    path("clinic-admin/prices/", views.price_list, name="price_list"),
    path("clinic-admin/prices/<uuid:price_id>/", views.price_edit, name="price_edit"),
]
