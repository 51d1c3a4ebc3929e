"""The clinic's catalogue: seeded on first need, edited by the admin only, never deleted."""

import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from kapcare.audit.models import AccessLogEntry
from kapcare.screening import rules, services
from kapcare.screening.models import Contraindication, MedicationInteraction

URL = reverse("screening:catalogue")


def formset_data(prefix, queryset, fields, *, changes=None, new=None):
    """POST data for one catalogue formset: every stored row as it is, with `changes`
    (pk -> {field: value}) applied, and one extra row with `new` (or left blank)."""
    rows = list(queryset)
    data = {
        "section": prefix,
        f"{prefix}-TOTAL_FORMS": str(len(rows) + 1),
        f"{prefix}-INITIAL_FORMS": str(len(rows)),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        values = {name: getattr(row, name) for name in fields}
        values.update((changes or {}).get(row.pk, {}))
        data[f"{prefix}-{index}-id"] = str(row.pk)
        for name, value in values.items():
            if isinstance(value, bool):
                if value:
                    data[f"{prefix}-{index}-{name}"] = "on"
            else:
                data[f"{prefix}-{index}-{name}"] = str(value)
    extra = len(rows)
    blank = dict.fromkeys(fields, "")
    blank.update({"order": "100", "is_active": True})  # as the browser sends the blank row
    for name, value in {**blank, **(new or {})}.items():
        if isinstance(value, bool):
            if value:
                data[f"{prefix}-{extra}-{name}"] = "on"
        else:
            data[f"{prefix}-{extra}-{name}"] = str(value)
    return data


CONTRAINDICATION_FIELDS = ["name", "severity", "description", "source", "is_active", "order"]
INTERACTION_FIELDS = ["name", "keywords", "note", "source", "is_active", "order"]


def contraindication_data(clinic, **kwargs):
    queryset = Contraindication.objects.filter(clinic=clinic)
    return formset_data("contraindications", queryset, CONTRAINDICATION_FIELDS, **kwargs)


def interaction_data(clinic, **kwargs):
    queryset = MedicationInteraction.objects.filter(clinic=clinic)
    return formset_data("interactions", queryset, INTERACTION_FIELDS, **kwargs)


# --- Seeding ----------------------------------------------------------------------------------


def test_a_clinic_gets_the_default_catalogue_when_first_needed(clinic):
    assert not Contraindication.objects.filter(clinic=clinic).exists()

    services.ensure_default_catalogue(clinic)

    names = list(Contraindication.objects.filter(clinic=clinic).values_list("name", flat=True))
    assert names == [c.name for c in rules.DEFAULT_CONTRAINDICATIONS]
    assert MedicationInteraction.objects.filter(clinic=clinic).count() == len(
        rules.DEFAULT_MEDICATION_INTERACTIONS
    )
    psychosis = Contraindication.objects.get(clinic=clinic, code="active_psychosis")
    assert psychosis.severity == rules.ABSOLUTE
    assert "Sanacora 2017" in psychosis.source


def test_seeding_twice_adds_nothing(clinic):
    services.ensure_default_catalogue(clinic)
    services.ensure_default_catalogue(clinic)

    assert Contraindication.objects.filter(clinic=clinic).count() == len(
        rules.DEFAULT_CONTRAINDICATIONS
    )


def test_deactivated_and_renamed_defaults_are_not_brought_back(clinic):
    services.ensure_default_catalogue(clinic)
    Contraindication.objects.filter(clinic=clinic).update(is_active=False)
    entry = Contraindication.objects.get(clinic=clinic, code="aneurysm")
    entry.name = "Aneurysm (any)"
    entry.save()

    services.ensure_default_catalogue(clinic)

    assert not Contraindication.objects.filter(clinic=clinic, is_active=True).exists()
    assert not Contraindication.objects.filter(
        clinic=clinic, name="Aneurysm or arteriovenous malformation"
    ).exists()


def test_each_clinic_has_its_own_catalogue(clinic, other_clinic):
    services.ensure_default_catalogue(clinic)
    services.ensure_default_catalogue(other_clinic)
    Contraindication.objects.filter(clinic=clinic, code="aneurysm").update(severity="relative")

    assert Contraindication.objects.get(clinic=other_clinic, code="aneurysm").severity == "absolute"


def test_a_used_entry_cannot_be_deleted(clinic, patient, submit_history):
    submit_history(patient)
    entry = Contraindication.objects.get(clinic=clinic, code="active_psychosis")

    with pytest.raises(ProtectedError):
        entry.delete()


# --- The admin's page -------------------------------------------------------------------------


def test_admin_sees_every_entry_with_its_source(client, clinic_admin):
    client.force_login(clinic_admin)

    response = client.get(URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert "Active psychosis" in html
    assert "Spravato label §4 Contraindications" in html
    assert "Benzodiazepines" in html
    assert "alprazolam" in html


def test_admin_changes_a_severity_and_deactivates_an_entry(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    client.get(URL)
    aneurysm = Contraindication.objects.get(clinic=clinic, code="aneurysm")
    hepatic = Contraindication.objects.get(clinic=clinic, code="severe_hepatic_impairment")

    response = client.post(
        URL,
        contraindication_data(
            clinic,
            changes={aneurysm.pk: {"severity": "relative"}, hepatic.pk: {"is_active": False}},
        ),
    )

    assert response.status_code == 302
    aneurysm.refresh_from_db()
    hepatic.refresh_from_db()
    assert aneurysm.severity == "relative"
    assert not hepatic.is_active
    logged = AccessLogEntry.objects.filter(object_type="contraindication")
    assert logged.count() == 2
    assert all(row.actor_id == clinic_admin.pk and row.patient_id is None for row in logged)


def test_admin_adds_a_contraindication(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    client.get(URL)

    client.post(
        URL,
        contraindication_data(
            clinic,
            new={
                "name": "Uncontrolled hyperthyroidism",
                "severity": "relative",
                "description": "Untreated overactive thyroid.",
                "source": "Spravato EU SmPC §4.4",
                "order": "200",
                "is_active": True,
            },
        ),
    )

    added = Contraindication.objects.get(clinic=clinic, name="Uncontrolled hyperthyroidism")
    assert added.severity == "relative"
    assert added.is_active
    assert added.code == ""


def test_admin_edits_an_interacting_class_and_its_keywords(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    client.get(URL)
    stimulants = MedicationInteraction.objects.get(clinic=clinic, code="stimulants")

    client.post(
        URL,
        interaction_data(
            clinic, changes={stimulants.pk: {"keywords": "Adderall,  armodafinil\nsolriamfetol"}}
        ),
    )

    stimulants.refresh_from_db()
    assert stimulants.keywords == "adderall, armodafinil, solriamfetol"


def test_duplicate_name_is_refused_at_the_field_and_nothing_is_lost(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    client.get(URL)

    response = client.post(
        URL,
        contraindication_data(
            clinic,
            new={"name": "active PSYCHOSIS", "severity": "absolute", "order": "5"},
        ),
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Another entry already has this name." in html
    assert 'value="active PSYCHOSIS"' in html
    assert Contraindication.objects.filter(clinic=clinic).count() == len(
        rules.DEFAULT_CONTRAINDICATIONS
    )


def test_interacting_class_needs_a_keyword(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    client.get(URL)
    lamotrigine = MedicationInteraction.objects.get(clinic=clinic, code="lamotrigine")

    response = client.post(
        URL, interaction_data(clinic, changes={lamotrigine.pk: {"keywords": " , "}})
    )

    assert "Enter at least one name to recognise" in response.content.decode()


def test_admin_cannot_edit_another_clinics_entry(client, clinic_admin, clinic, other_clinic):
    services.ensure_default_catalogue(other_clinic)
    foreign = Contraindication.objects.get(clinic=other_clinic, code="aneurysm")
    client.force_login(clinic_admin)
    client.get(URL)
    data = contraindication_data(clinic)
    data["contraindications-0-id"] = str(foreign.pk)
    data["contraindications-0-severity"] = "relative"

    response = client.post(URL, data)

    foreign.refresh_from_db()
    assert foreign.severity == "absolute"
    assert response.status_code == 200
    assert Contraindication.objects.filter(clinic=clinic).count() == len(
        rules.DEFAULT_CONTRAINDICATIONS
    )


def test_admin_page_shows_only_their_clinics_entries(client, clinic_admin, other_clinic):
    services.ensure_default_catalogue(other_clinic)
    Contraindication.objects.create(
        clinic=other_clinic, name="Cumberland-only rule", severity="relative"
    )
    client.force_login(clinic_admin)

    response = client.get(URL)

    assert "Cumberland-only rule" not in response.content.decode()


@pytest.mark.parametrize(
    "persona", ["coordinator", "clinician", "therapist", "patient_user", "outsider"]
)
def test_only_the_clinic_admin_may_edit_the_catalogue(client, request, clinic, persona):
    client.force_login(request.getfixturevalue(persona))
    services.ensure_default_catalogue(clinic)

    assert client.get(URL).status_code == 403
    assert client.post(URL, contraindication_data(clinic)).status_code == 403


def test_catalogue_page_query_count_does_not_depend_on_its_size(
    client, clinic_admin, clinic, django_assert_max_num_queries
):
    client.force_login(clinic_admin)
    client.get(URL)
    for n in range(20):
        Contraindication.objects.create(clinic=clinic, name=f"Extra {n}", severity="relative")

    # One more for the menu's count of unread messages.
    with django_assert_max_num_queries(11):
        response = client.get(URL)

    assert response.status_code == 200
