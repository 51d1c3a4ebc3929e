"""The DEA records beside the register: the printed register, inventories, theft or loss
reports (included in the register's URLs, under its namespace)."""

from django.urls import path

from kapcare.dosing.substances.inventory import views

urlpatterns = [
    path("controlled-substances/print/", views.register_printed, name="register_print"),
    path("controlled-substances/print/pdf/", views.register_pdf, name="register_pdf"),
    path("controlled-substances/inventories/", views.inventories, name="inventories"),
    path(
        "controlled-substances/inventories/<uuid:inventory_id>/",
        views.inventory_detail,
        name="inventory",
    ),
    path("controlled-substances/theft-loss/", views.losses, name="losses"),
    path("controlled-substances/theft-loss/<uuid:report_id>/", views.loss_detail, name="loss"),
    path(
        "controlled-substances/theft-loss/<uuid:report_id>/pdf/",
        views.loss_pdf,
        name="loss_pdf",
    ),
    path(
        "controlled-substances/theft-loss/<uuid:report_id>/submitted/",
        views.loss_submitted,
        name="loss_submitted",
    ),
]
