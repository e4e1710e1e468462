"""REST API basics: tokens, /me, organisations and contacts, tenant rules."""

import pytest
from rest_framework.test import APIClient

from supportdesk.models import Role
from tests.factories import PASSWORD, ContactFactory, OrganizationFactory, UserFactory


@pytest.fixture
def api():
    return APIClient()


@pytest.mark.django_db
def test_token_for_email_and_password_then_me(api, tenant_a):
    user = UserFactory(tenant=tenant_a, role=Role.AGENT, email="agent@alpha.example")
    response = api.post(
        "/api/v1/auth/token/", {"email": "Agent@Alpha.example", "password": PASSWORD}
    )
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.data['token']}")
    me = api.get("/api/v1/me/").json()
    assert me["email"] == user.email
    assert me["role"] == "agent"
    assert me["tenant"]["slug"] == "alpha"
    assert me["organization"] is None


@pytest.mark.django_db
def test_token_refused_with_a_clear_400(api, tenant_a):
    UserFactory(tenant=tenant_a, email="agent@alpha.example")
    response = api.post("/api/v1/auth/token/", {"email": "agent@alpha.example", "password": "no"})
    assert response.status_code == 400
    assert "Unable to sign in" in str(response.data)
    assert api.post("/api/v1/auth/token/", {"email": "not-an-email"}).status_code == 400


@pytest.mark.django_db
def test_anonymous_api_access_is_refused(api):
    assert api.get("/api/v1/organizations/").status_code in (401, 403)


@pytest.mark.django_db
def test_contact_me_shows_organisation_and_training(api, tenant_a):
    contact = ContactFactory(organization=OrganizationFactory(tenant=tenant_a), trained_admin=True)
    api.force_authenticate(contact.user)
    me = api.get("/api/v1/me/").json()
    assert me["organization"]["name"] == contact.organization.name
    assert me["organization"]["trained"] is True


@pytest.mark.django_db
def test_staff_list_their_tenants_organisations_only(api, tenant_a, tenant_b):
    mine = OrganizationFactory(tenant=tenant_a)
    OrganizationFactory(tenant=tenant_b)
    api.force_authenticate(UserFactory(tenant=tenant_a))
    names = [row["name"] for row in api.get("/api/v1/organizations/").json()["results"]]
    assert names == [mine.name]


@pytest.mark.django_db
def test_contact_sees_only_its_own_organisation_and_colleagues(api, tenant_a):
    own = ContactFactory(organization=OrganizationFactory(tenant=tenant_a))
    colleague = ContactFactory(organization=own.organization)
    stranger = ContactFactory(organization=OrganizationFactory(tenant=tenant_a))
    api.force_authenticate(own.user)
    orgs = api.get("/api/v1/organizations/").json()["results"]
    assert [o["id"] for o in orgs] == [own.organization_id]
    ids = {c["id"] for c in api.get("/api/v1/contacts/").json()["results"]}
    assert ids == {own.pk, colleague.pk}
    assert api.get(f"/api/v1/organizations/{stranger.organization_id}/").status_code == 404
    assert api.get(f"/api/v1/contacts/{stranger.pk}/").status_code == 404


@pytest.mark.django_db
def test_tenant_admin_creates_an_organisation_and_bad_input_answers_400(api, tenant_a, tenant_b):
    admin = UserFactory(tenant=tenant_a, role=Role.TENANT_ADMIN)
    manager = UserFactory(tenant=tenant_a, role=Role.ACCOUNT_MANAGER)
    foreign_manager = UserFactory(tenant=tenant_b, role=Role.ACCOUNT_MANAGER)
    api.force_authenticate(admin)
    created = api.post(
        "/api/v1/organizations/", {"name": "Fjord AS", "account_manager": manager.pk}
    )
    assert created.status_code == 201, created.data
    assert created.data["name"] == "Fjord AS"

    duplicate = api.post("/api/v1/organizations/", {"name": "Fjord AS"})
    assert duplicate.status_code == 400
    assert "name" in duplicate.data or "__all__" in duplicate.data or duplicate.data

    foreign = api.post(
        "/api/v1/organizations/", {"name": "Other", "account_manager": foreign_manager.pk}
    )
    assert foreign.status_code == 400
    assert "account_manager" in foreign.data

    assert api.post("/api/v1/organizations/", {}).data["name"]


@pytest.mark.django_db
def test_agents_cannot_create_organisations(api, tenant_a):
    api.force_authenticate(UserFactory(tenant=tenant_a, role=Role.AGENT))
    assert api.post("/api/v1/organizations/", {"name": "X"}).status_code == 403


@pytest.mark.django_db
def test_openapi_schema_documents_the_endpoints(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/v1/me/", "/api/v1/organizations/", "/api/v1/contacts/{id}/"):
        assert path in paths


def test_openapi_schema_generates_without_warnings_and_validates(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/organizations/" in target.read_text()
