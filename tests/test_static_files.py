import pytest
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.test import RequestFactory


@pytest.mark.parametrize("path", ["kapcare/kapcare.css", "kapcare/vendor/htmx-2.0.11.min.js"])
def test_base_template_assets_are_found(path):
    assert finders.find(path), f"{path} is not found by the static files finders"


def test_base_template_links_the_stylesheet_and_htmx(db):
    request = RequestFactory().get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    html = render_to_string("base.html", request=request)

    assert "/static/kapcare/kapcare.css" in html
    assert "/static/kapcare/vendor/htmx-2.0.11.min.js" in html
