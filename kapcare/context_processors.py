from django.urls import reverse

from kapcare import policy
from kapcare.accounts.models import Role
from kapcare.navigation import group_navigation
from kapcare.policy import Action

HOME_URL_NAMES = {
    Role.COORDINATOR: "coordinator_home",
    Role.CLINICIAN: "clinician_home",
    Role.NURSE: "clinician_home",
    Role.ADMIN: "admin_home",
    Role.THERAPIST: "therapist_home",
    Role.PATIENT: "portal:home",
}


def navigation(request):
    """The main menu: only the places the policy lets this user go."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [("Home", reverse(HOME_URL_NAMES[user.role]))]
    if policy.can(user, Action.LIST_PATIENTS):
        items.append(("Patients", reverse("patients:list")))
    if policy.can(user, Action.VIEW_SAFETY_ALERTS):
        items.append(("Safety alerts", reverse("measures:alerts")))
    if policy.can(user, Action.VIEW_CLINIC_CALENDAR):
        items.append(("Schedule", reverse("scheduling:day")))
    if policy.can(user, Action.VIEW_CONTROLLED_SUBSTANCE_REGISTER):
        items.append(("Controlled substances", reverse("substances:register")))
    if policy.can(user, Action.VIEW_CONSULTATION_QUEUE):
        items.append(("Consultation requests", reverse("intake:queue")))
    if policy.can(user, Action.REVIEW_REFERRALS):
        items.append(("Referrals", reverse("referrals:queue")))
    if policy.can(user, Action.SEARCH_ACCESS_LOG):
        items.append(("Access log", reverse("audit:search")))
    if policy.can(user, Action.MANAGE_CLINIC_SETTINGS):
        items.append(("Clinic settings", reverse("clinics:settings")))
    if policy.can(user, Action.MANAGE_CONSENT_TEMPLATES):
        items.append(("Consent documents", reverse("consents:documents")))
    if policy.can(user, Action.MANAGE_SCREENING_CATALOGUE):
        items.append(("Screening catalogue", reverse("screening:catalogue")))
    if policy.can(user, Action.MANAGE_PRICE_LIST):
        items.append(("Prices", reverse("cost:price_list")))
    if policy.can(user, Action.MANAGE_ROOMS):
        items.append(("Rooms", reverse("scheduling:rooms")))
    if policy.can(user, Action.MANAGE_WORKING_HOURS):
        items.append(("Working hours", reverse("scheduling:working_hours")))
    if policy.can(user, Action.MANAGE_CLINIC_STAFF):
        items.append(("People", reverse("people:list")))
    if policy.can(user, Action.MANAGE_OWN_CALENDAR_FEED):
        items.append(("Calendar feed", reverse("feeds:my_feed")))
    if policy.can(user, Action.VIEW_OWN_ACCESS_LOG):
        items.append(("Who viewed my record", reverse("audit:my_access_log")))
    # --- each area adds its items below, one block per area ---
    # --- therapists directory ---
    if policy.can(user, Action.VIEW_THERAPIST_DIRECTORY):
        items.append(("Therapists", reverse("therapists:directory")))
    if policy.can(user, Action.FIND_A_THERAPIST):
        items.append(("Find a therapist", reverse("therapists:find")))
    # --- invitations ---
    if policy.can(user, Action.EDIT_OWN_THERAPIST_PROFILE):
        items.append(("Your directory entry", reverse("therapist_account:own_profile")))
    # --- therapist portal ---
    # --- messaging ---
    if policy.can(user, Action.VIEW_MESSAGES):
        from kapcare.messaging.context_processors import nav_label  # the count, once

        items.append((nav_label(request), reverse("messaging:inbox")))
    # --- portal and journal ---
    if policy.can(user, Action.USE_PATIENT_PORTAL):
        items.append(("Your results", reverse("measures:portal_measures")))
    if policy.can(user, Action.KEEP_OWN_JOURNAL):
        items.append(("Journal", reverse("journal:list")))
    # --- patient education ---
    if policy.can(user, Action.READ_OWN_EDUCATION):
        items.append(("Guides", reverse("education:portal_list")))
    if policy.can(user, Action.MANAGE_EDUCATION_PAGES):
        items.append(("Patient education", reverse("education:pages")))
    # --- money ---
    if policy.can(user, Action.VIEW_COVERAGE):
        items.append(("Good Faith Estimates", reverse("billing:clinic_estimates")))
    if policy.can(user, Action.MANAGE_CODE_TABLE):
        items.append(("Billing codes", reverse("billing:code_table")))
    if policy.can(user, Action.VIEW_MONEY_REPORTS):
        items.append(("Money reports", reverse("billing:reports")))
    # --- outcomes and evidence ---
    if policy.can(user, Action.VIEW_CLINIC_OUTCOMES):
        items.append(("Outcomes", reverse("outcomes:dashboard")))
    if policy.can(user, Action.VIEW_CONFORMANCE):
        items.append(("ASKP3 conformance", reverse("conformance:clinic")))
    if policy.can(user, Action.EXPORT_RESEARCH_DATASET):
        items.append(("Research export", reverse("research:download")))
    items.append(("Profile", reverse("accounts:profile")))
    menu, account_menu = group_navigation(items, request.path)
    return {
        "nav_items": items,
        "nav_menu": menu,
        "account_menu": account_menu,
        "can_search_patients": policy.can(user, Action.LIST_PATIENTS),
    }
