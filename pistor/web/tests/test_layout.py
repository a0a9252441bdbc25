"""The shared layout: no third-party assets, nothing inline the CSP would block."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.template.loader import get_template
from django.urls import reverse

from conftest import signed_in_client

WEB = Path(__file__).resolve().parent.parent
BASE_TEMPLATE = WEB / "templates" / "web" / "base.html"
STATIC = WEB / "static" / "pistor"

_EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["'](?:https?:)?//""", re.I)
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
_INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)
_INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def _assert_csp_clean(html: str) -> None:
    assert not _EXTERNAL.search(html), "an asset or link leaves the site"
    assert not _INLINE_SCRIPT.search(html), "inline <script> is blocked by the CSP"
    assert not _INLINE_STYLE.search(html), "inline styles are blocked by the CSP"
    assert not _INLINE_HANDLER.search(html), "inline event handlers are blocked by the CSP"


def test_base_template_source_has_no_external_url_and_nothing_inline():
    _assert_csp_clean(BASE_TEMPLATE.read_text())


def test_htmx_is_told_not_to_inject_its_indicator_styles():
    source = BASE_TEMPLATE.read_text()
    assert '<meta name="htmx-config"' in source
    assert '"includeIndicatorStyles": false' in source
    assert ".htmx-indicator" in (STATIC / "pistor.css").read_text()


def test_htmx_is_vendored_not_a_placeholder():
    htmx = (STATIC / "htmx.min.js").read_text()
    assert len(htmx) > 10_000
    assert "htmx" in htmx
    notes = (STATIC / "VENDORED.md").read_text()
    assert "2.0.11" in notes and "0BSD" in notes


@pytest.mark.django_db
def test_rendered_home_page_is_csp_clean_and_says_where_you_are(client, manager, clinic):
    response = signed_in_client(client, manager).get(reverse("web:home"))
    assert response.status_code == 200
    html = response.content.decode()
    _assert_csp_clean(html)
    assert clinic.name in html
    assert 'action="/accounts/logout/"' in html or reverse("accounts:logout") in html
    assert "Content-Security-Policy" in response.headers
    assert "style-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.django_db
def test_navigation_shows_audit_to_managers_only(client, manager, practitioner):
    html = signed_in_client(client, manager).get(reverse("web:home")).content.decode()
    assert 'id="nav-audit"' in html
    client.logout()
    html = signed_in_client(client, practitioner).get(reverse("web:home")).content.decode()
    assert 'id="nav-audit"' not in html
    assert 'id="nav-catalog"' in html


@pytest.mark.django_db
def test_switch_clinic_is_offered_only_to_people_at_several_clinics(
    client, practitioner, clinic, other_clinic
):
    from pistor.testing.factories import MembershipFactory

    html = signed_in_client(client, practitioner).get(reverse("web:home")).content.decode()
    assert 'id="switch-clinic"' not in html
    MembershipFactory(user=practitioner, clinic=other_clinic, role="nurse")
    session = client.session
    session["pistor_clinic_id"] = clinic.pk
    session.save()
    html = client.get(reverse("web:home")).content.decode()
    assert 'id="switch-clinic"' in html
    assert reverse("clinics:choose") in html


@pytest.mark.django_db
def test_home_sends_a_signed_out_visitor_to_sign_in(client):
    response = client.get(reverse("web:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_home_has_a_patient_search_box_that_searches_patients(client, receptionist):
    html = signed_in_client(client, receptionist).get(reverse("web:home")).content.decode()
    form = re.search(
        r'<form method="get" action="([^"]+)"[^>]*role="search">(.*?)</form>', html, re.S
    )
    assert form is not None
    assert form.group(1) == "/patients/"
    assert 'name="q"' in form.group(2)


@pytest.mark.django_db
def test_unknown_page_says_so_in_plain_words(client, practitioner):
    response = signed_in_client(client, practitioner).get("/no-such-page/")
    assert response.status_code == 404
    assert b"We couldn't find that page" in response.content


def test_error_pages_render_without_any_context():
    html = get_template("500.html").render({})
    assert "Something went wrong" in html
    _assert_csp_clean(html)
    # Django renders 500.html with a bare Context: it must not need request or user.
    assert "Something went wrong" in Template((WEB / "templates" / "500.html").read_text()).render(
        Context()
    )
    for name in ("403.html", "404.html", "400.html"):
        _assert_csp_clean(get_template(name).render({}))
