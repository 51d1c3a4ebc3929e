"""The admin's consent documents: the list with every version, viewing a version, writing,
previewing and publishing a new one."""

from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.consents.models import ConsentVersion, DocumentKind
from kapcare.consents.tests.test_documents_fixtures import publish, treatment_document
from tests.factories import PASSWORD
from tests.second_factor import code_for, give_authenticator


def new_version_url(document):
    return reverse("consents:new_version", args=[document.external_id])


def test_list_makes_the_default_documents_and_shows_their_versions(client, clinic, clinic_admin):
    client.force_login(clinic_admin)

    response = client.get(reverse("consents:documents"))

    html = response.content.decode()
    assert [d.kind for d in response.context["documents"]] == [
        DocumentKind.TREATMENT,
        DocumentKind.STANDALONE,
        DocumentKind.SHARING,
    ]
    assert "KAP treatment consent" in html
    assert "Standalone infusion consent" in html
    assert "Authorisation to share with my therapist" in html
    assert "kapcare (default text)" in html
    assert '<span class="badge badge-warn">Required</span>' in html


def test_list_shows_who_published_each_version_and_what_changed(client, clinic, clinic_admin):
    publish(clinic, clinic_admin, requires_reconsent=False, summary="Fixed a typo.")
    client.force_login(clinic_admin)

    html = client.get(reverse("consents:documents")).content.decode()

    assert "Version 2" in html
    assert "Fixed a typo." in html
    assert "by Ada Admin" in html
    assert "Not required" in html


def test_new_version_form_starts_from_the_current_text(client, clinic, clinic_admin):
    document = treatment_document(clinic)
    client.force_login(clinic_admin)

    response = client.get(new_version_url(document))

    form = response.context["form"]
    assert form.initial["body_markdown"] == document.versions.get().body_markdown
    assert form.initial["requires_reconsent"] is True
    html = response.content.decode()
    assert "{{ patient_name }}" in html  # the placeholders help
    assert 'for="id_body_markdown"' in html


def test_publishing_adds_a_version_and_keeps_the_old_one_unchanged(client, clinic, clinic_admin):
    document = treatment_document(clinic)
    first = document.versions.get()
    client.force_login(clinic_admin)

    response = client.post(
        new_version_url(document),
        {
            "body_markdown": "# Consent\n\nNew text for {{ patient_name }}.",
            "change_summary": "Rewrote it.",
            "requires_reconsent": "on",
            "publish": "1",
            "reauthentication": PASSWORD,
        },
    )

    assert response.status_code == 302
    versions = list(ConsentVersion.objects.filter(document=document).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].body_markdown == first.body_markdown
    assert versions[0].published_at == first.published_at
    assert versions[1].body_markdown == "# Consent\n\nNew text for {{ patient_name }}.\n"
    assert versions[1].requires_reconsent is True
    assert versions[1].published_by_id == clinic_admin.pk
    assert versions[1].change_summary == "Rewrote it."


def test_publishing_without_the_box_does_not_ask_for_reconsent(client, clinic, clinic_admin):
    document = treatment_document(clinic)
    client.force_login(clinic_admin)

    client.post(
        new_version_url(document),
        {
            "body_markdown": "Corrected.",
            "change_summary": "Typo.",
            "publish": "1",
            "reauthentication": PASSWORD,
        },
    )

    assert document.versions.order_by("-number").first().requires_reconsent is False


def test_unknown_placeholder_is_refused_at_the_field_and_the_text_is_kept(
    client, clinic, clinic_admin
):
    document = treatment_document(clinic)
    client.force_login(clinic_admin)
    typed = "# Consent\n\nDear {{ patient_nickname }}, welcome."

    response = client.post(
        new_version_url(document),
        {
            "body_markdown": typed,
            "change_summary": "Friendlier.",
            "publish": "1",
            "reauthentication": PASSWORD,
        },
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert "Unknown placeholder {{ patient_nickname }}" in form.errors["body_markdown"][0]
    html = response.content.decode()
    assert "Dear {{ patient_nickname }}, welcome." in html
    assert 'value="Friendlier."' in html
    assert document.versions.count() == 1


def test_missing_change_summary_is_an_error_at_the_field(client, clinic, clinic_admin):
    document = treatment_document(clinic)
    client.force_login(clinic_admin)

    response = client.post(
        new_version_url(document),
        {
            "body_markdown": "Text.",
            "change_summary": "",
            "publish": "1",
            "reauthentication": PASSWORD,
        },
    )

    assert response.context["form"].errors["change_summary"] == [
        "Say in a sentence what changed in this version."
    ]
    assert "Text." in response.content.decode()
    assert document.versions.count() == 1


def test_preview_without_javascript_shows_the_page_with_the_text_kept(client, clinic, clinic_admin):
    document = treatment_document(clinic)
    client.force_login(clinic_admin)

    response = client.post(
        new_version_url(document),
        {"body_markdown": "# Heading\n\n**Bold** words", "change_summary": "", "preview": "1"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h2>Heading</h2>" in html
    assert "<strong>Bold</strong> words" in html
    assert "# Heading" in html  # still in the textarea
    assert "Please correct" not in html  # a preview is not a submission
    assert document.versions.count() == 1


def test_preview_with_htmx_answers_only_the_preview(client, clinic, clinic_admin):
    document = treatment_document(clinic)
    client.force_login(clinic_admin)

    response = client.post(
        new_version_url(document),
        {"body_markdown": "Hello {{ nickname }}\n\n<script>x</script>", "preview": "1"},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert "<html" not in html
    assert "<textarea" not in html
    assert "{{ nickname }}" in html
    assert "Unknown placeholder" in html
    assert "<script>" not in html


def test_publishing_is_logged(client, clinic, clinic_admin):
    document = treatment_document(clinic)
    client.force_login(clinic_admin)

    client.post(
        new_version_url(document),
        {
            "body_markdown": "Text.",
            "change_summary": "New.",
            "publish": "1",
            "reauthentication": PASSWORD,
        },
    )

    entry = AccessLogEntry.objects.latest("id")
    assert (entry.action, entry.object_type, entry.actor_id) == (
        AccessAction.CREATE,
        "consentversion",
        clinic_admin.pk,
    )


def test_an_old_version_can_still_be_read(client, clinic, clinic_admin):
    document = treatment_document(clinic)
    first = document.versions.get()
    publish(clinic, clinic_admin)
    client.force_login(clinic_admin)

    response = client.get(reverse("consents:version", args=[first.external_id]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Superseded" in html
    assert "<h2>Consent to ketamine-assisted psychotherapy</h2>" in html
    assert "<strong>off-label</strong>" in html


def test_publishing_without_re_entering_the_code_is_refused_at_the_field(
    client, clinic, clinic_admin
):
    document = treatment_document(clinic)
    give_authenticator(clinic_admin)
    client.force_login(clinic_admin)

    response = client.post(
        new_version_url(document),
        {"body_markdown": "Text.", "change_summary": "New.", "publish": "1"},
    )

    assert response.context["form"].errors["reauthentication"] == [
        "Re-enter your password to confirm that it is you."
    ]
    assert "Your current authenticator code" in response.content.decode()
    assert document.versions.count() == 1


def test_publishing_with_the_current_code_publishes(client, clinic, clinic_admin):
    document = treatment_document(clinic)
    device = give_authenticator(clinic_admin)
    client.force_login(clinic_admin)

    response = client.post(
        new_version_url(document),
        {
            "body_markdown": "Text.",
            "change_summary": "New.",
            "publish": "1",
            "reauthentication": PASSWORD,
            "reauthentication_code": code_for(device),
        },
    )

    assert response.status_code == 302
    assert document.versions.count() == 2


def test_a_published_version_records_how_the_admin_confirmed(client, clinic, clinic_admin):
    document = treatment_document(clinic)
    device = give_authenticator(clinic_admin)
    client.force_login(clinic_admin)

    response = client.post(
        new_version_url(document),
        {
            "body_markdown": "Text.",
            "change_summary": "New.",
            "publish": "1",
            "reauthentication": PASSWORD,
            "reauthentication_code": code_for(device),
        },
    )

    assert response.status_code == 302
    version = document.versions.order_by("-number").first()
    assert (version.number, version.published_by_id, version.published_with) == (
        2,
        clinic_admin.pk,
        "password+code",
    )
