from django.urls import reverse


def test_the_phq9_page_carries_the_crisis_box_for_item_9(client, patient_user, patient):
    client.force_login(patient_user)

    html = client.get(reverse("measures:portal_questionnaire", args=["phq9"]) + "?all=1")

    text = html.content.decode()
    assert 'data-crisis-item="item_9"' in text
    assert "kapcare/portal.js" in text


def test_other_questionnaires_have_no_crisis_box(client, patient_user, patient):
    client.force_login(patient_user)

    html = client.get(reverse("measures:portal_questionnaire", args=["gad7"]) + "?all=1")

    assert "data-crisis-item" not in html.content.decode()
