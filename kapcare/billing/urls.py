"""The money side's pages."""

from django.urls import path

from kapcare.billing import views
from kapcare.billing.ledger import views as ledger
from kapcare.billing.reports import views as reports

app_name = "billing"
urlpatterns = [
    path("patients/<uuid:patient_id>/coverage/", views.coverage, name="coverage"),
    path(
        "patients/<uuid:patient_id>/estimates/", views.patient_estimates, name="patient_estimates"
    ),
    path("estimates/", views.clinic_estimates, name="clinic_estimates"),
    path("estimates/<uuid:estimate_id>/pdf/", views.estimate_download, name="estimate_pdf"),
    path("portal/estimates/", views.portal_estimates, name="portal_estimates"),
    path("clinic-admin/billing-codes/", views.code_table, name="code_table"),
    path("clinic-admin/billing-codes/<uuid:code_id>/", views.code_edit, name="code_edit"),
    path("reports/", reports.report_list, name="reports"),
    path("reports/<slug:report_name>/", reports.report, name="report"),
    path("reports/<slug:report_name>/csv/", reports.report_csv, name="report_csv"),
    path("patients/<uuid:patient_id>/ledger/", ledger.patient_ledger, name="patient_ledger"),
    path("portal/payments/", ledger.portal_payments, name="portal_payments"),
    path("clinic-admin/packages/", ledger.package_products, name="package_products"),
]
