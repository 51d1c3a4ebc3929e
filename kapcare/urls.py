from django.contrib import admin
from django.urls import include, path

from kapcare import views
from kapcare.api import api
from kapcare.deployment.views import healthz
from kapcare.referrals.fhir_views import transaction as fhir_transaction

urlpatterns = [
    path("", views.index, name="index"),
    path("home/", views.home, name="home"),
    path("desk/", views.coordinator_home, name="coordinator_home"),
    path("clinical/", views.clinician_home, name="clinician_home"),
    path("clinical/outcomes/", include("kapcare.outcomes.urls")),
    path("clinic-admin/", views.admin_home, name="admin_home"),
    path("therapist/", views.therapist_home, name="therapist_home"),
    path("accounts/", include("kapcare.accounts.urls")),
    path("accounts/two-factor/", include("kapcare.accounts.second_factor_urls")),
    path("clinic-admin/settings/", include("kapcare.clinics.urls")),
    path("clinic-admin/people/", include("kapcare.accounts.people_urls")),
    path("patients/", include("kapcare.patients.urls")),
    path("portal/", include("kapcare.patients.portal_urls")),
    path("", include("kapcare.intake.urls")),
    path("access-log/", include("kapcare.audit.urls")),
    path("", include("kapcare.measures.urls")),
    path("", include("kapcare.screening.urls")),
    path("", include("kapcare.consents.urls")),
    path("", include("kapcare.episodes.urls")),
    path("", include("kapcare.episodes.gates.urls")),
    path("", include("kapcare.episodes.series.urls")),
    path("", include("kapcare.scheduling.urls_feeds")),
    path("", include("kapcare.pricing.urls")),
    path("", include("kapcare.scheduling.urls")),
    path("", include("kapcare.dosing.urls")),
    path("", include("kapcare.dosing.dose.urls")),
    path("", include("kapcare.dosing.vitals.urls")),
    path("", include("kapcare.dosing.events.urls")),
    path("", include("kapcare.dosing.substances.urls")),
    path("", include("kapcare.dosing.discharge.urls")),
    path("", include("kapcare.dosing.signing.urls")),
    path("", include("kapcare.dosing.esketamine.urls")),
    path("", include("kapcare.dosing.today.urls")),  # the Today board
    path("", include("kapcare.episodes.check_in.urls")),  # checking patients in
    # --- each area includes its urls below ---
    # --- therapists directory ---
    path("", include("kapcare.therapists.urls")),
    # --- invitations ---
    path("", include("kapcare.therapists.urls_invitations")),
    # --- therapist portal ---
    path("", include("kapcare.therapists.urls_portal")),
    # --- messaging ---
    path("", include("kapcare.messaging.urls")),
    # --- long-term follow-up ---
    path("", include("kapcare.follow_up.urls")),
    path("", include("kapcare.billing.urls")),
    path("", include("kapcare.conformance.urls")),
    path("", include("kapcare.research.urls")),
    # --- portal and journal ---
    path("", include("kapcare.journal.urls")),
    # --- referrals from other systems ---
    path("", include("kapcare.referrals.urls")),
    # --- patient education ---
    path("", include("kapcare.education.urls")),
    # --- the clinic's logo (patient-facing pages) ---
    path("", include("kapcare.clinics.urls_logo")),
    path("api/v1/", api.urls),
    # FHIR R4: a referring system's transaction Bundle, posted to the base. Before any
    # include of the FHIR read and search paths, so that the base's POST always lands here.
    path("fhir/r4/", fhir_transaction, name="fhir_transaction"),
    path("fhir/r4/", include("kapcare.fhir.urls")),
    path("django-admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]

handler404 = "kapcare.views.not_found"
handler500 = "kapcare.views.server_error"
