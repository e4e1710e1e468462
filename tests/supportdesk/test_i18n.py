"""English by default; Danish, Norwegian Bokmål and Swedish selectable."""

import pytest
from django.conf import settings

from supportdesk.models import Role
from tests.factories import UserFactory


def test_locale_middleware_and_the_four_languages_are_wired():
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE
    assert [code for code, _name in settings.LANGUAGES] == ["en", "da", "nb", "sv"]
    assert settings.LANGUAGE_CODE == "en"


@pytest.mark.django_db
def test_english_is_the_default(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'lang="en"' in html
    assert "Sign In" in html


@pytest.mark.django_db
def test_browser_language_is_honoured_for_visitors(client):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert 'lang="sv"' in html
    assert "Logga in" in html


@pytest.mark.django_db
def test_switcher_changes_language_and_remembers_it_on_the_user(client, tenant_a):
    admin = UserFactory(tenant=tenant_a, role=Role.TENANT_ADMIN)
    client.force_login(admin)
    page = client.get("/config/").content.decode()
    assert 'name="language"' in page and "Configuration" in page

    response = client.post("/i18n/setlang/", {"language": "da", "next": "/config/"})
    assert response.status_code == 302 and response["Location"] == "/config/"
    html = client.get("/config/").content.decode()
    assert 'lang="da"' in html
    assert "Konfiguration" in html
    admin.refresh_from_db()
    assert admin.language == "da"


@pytest.mark.django_db
def test_switcher_refuses_foreign_redirects(client):
    response = client.post("/i18n/setlang/", {"language": "nb", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


@pytest.mark.django_db
def test_signed_in_user_gets_their_profile_language(client, tenant_a):
    agent = UserFactory(tenant=tenant_a, role=Role.AGENT, language="nb")
    client.force_login(agent)
    html = client.get("/queue/").content.decode()
    assert 'lang="nb"' in html
    assert "Agentkø" in html


@pytest.mark.django_db
def test_times_are_shown_in_the_viewers_time_zone(client, tenant_a):
    agent = UserFactory(tenant=tenant_a, role=Role.AGENT, timezone="America/New_York")
    client.force_login(agent)
    assert "America/New_York" in client.get("/queue/").content.decode()
    other = UserFactory(tenant=tenant_a, role=Role.AGENT)
    client.force_login(other)
    assert "Europe/Copenhagen" in client.get("/queue/").content.decode()


@pytest.mark.django_db
def test_without_a_preference_users_get_their_tenants_language(client, load_pack_tenant):
    agent = UserFactory(tenant=load_pack_tenant, role=Role.AGENT, language="")
    client.force_login(agent)
    html = client.get("/queue/").content.decode()
    assert 'lang="sv"' in html
    assert "Agentkö" in html


@pytest.fixture
def load_pack_tenant(db):
    from tests.factories import TenantFactory

    return TenantFactory(
        slug="svensk", case_prefix="SVE", language="sv", timezone="Europe/Stockholm"
    )
