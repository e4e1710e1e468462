"""Every URL that names an object answers 404 across tenants, on the web and the API."""

import pytest
from rest_framework.test import APIClient

from supportdesk.models import Role
from tests.factories import ContactFactory, OrganizationFactory, UserFactory


@pytest.fixture
def foreign_objects(tenant_b):
    contact = ContactFactory(organization=OrganizationFactory(tenant=tenant_b))
    agent = UserFactory(tenant=tenant_b, role=Role.AGENT, on_duty=True)
    return {"organization": contact.organization, "contact": contact, "agent": agent}


def object_urls(objects):
    return {
        "web": [f"/config/organizations/{objects['organization'].pk}/"],
        "api": [
            f"/api/v1/organizations/{objects['organization'].pk}/",
            f"/api/v1/contacts/{objects['contact'].pk}/",
            f"/api/v1/duty/{objects['agent'].pk}/",
        ],
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [Role.TENANT_ADMIN, Role.AGENT, Role.ACCOUNT_MANAGER, Role.CONTACT]
)
def test_another_tenants_objects_answer_404(client, tenant_a, foreign_objects, role):
    if role == Role.CONTACT:
        user = ContactFactory(organization=OrganizationFactory(tenant=tenant_a)).user
    else:
        user = UserFactory(tenant=tenant_a, role=role)
    urls = object_urls(foreign_objects)
    client.force_login(user)
    for url in urls["web"]:
        assert client.get(url).status_code == 404, url
    api = APIClient()
    api.force_authenticate(user)
    for url in urls["api"]:
        response = api.get(url)
        assert response.status_code == 404, url
        assert foreign_objects["organization"].name not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [Role.TENANT_ADMIN, Role.AGENT, Role.ACCOUNT_MANAGER, Role.CONTACT]
)
def test_another_tenants_agent_cannot_be_taken_off_duty(client, tenant_a, foreign_objects, role):
    """The duty switch names a user but only takes writes: across tenants the web answers
    404; the API refuses account managers and contacts with one 403 for every id."""
    if role == Role.CONTACT:
        user = ContactFactory(organization=OrganizationFactory(tenant=tenant_a)).user
    else:
        user = UserFactory(tenant=tenant_a, role=role)
    agent = foreign_objects["agent"]
    client.force_login(user)
    assert client.post(f"/queue/duty/{agent.pk}/", {"on_duty": "false"}).status_code == 404
    api = APIClient()
    api.force_authenticate(user)
    response = api.patch(f"/api/v1/duty/{agent.pk}/", {"on_duty": False}, format="json")
    assert response.status_code == (404 if role in (Role.TENANT_ADMIN, Role.AGENT) else 403)
    agent.refresh_from_db()
    assert agent.on_duty


@pytest.mark.django_db
def test_own_tenants_objects_are_reachable(client, tenant_a):
    admin = UserFactory(tenant=tenant_a, role=Role.TENANT_ADMIN)
    contact = ContactFactory(organization=OrganizationFactory(tenant=tenant_a, name="Own Org"))
    client.force_login(admin)
    page = client.get(f"/config/organizations/{contact.organization_id}/")
    assert page.status_code == 200
    assert "Own Org" in page.content.decode()
    assert contact.user.email in page.content.decode()


@pytest.mark.django_db
def test_platform_operator_without_tenant_sees_no_tenant_data(client, tenant_a):
    from supportdesk.models import User

    operator = User.objects.create_superuser(email="root@platform.example", password="x" * 20)
    org = OrganizationFactory(tenant=tenant_a)
    client.force_login(operator)
    assert client.get("/").url == "/admin/"
    assert client.get(f"/config/organizations/{org.pk}/").status_code == 404
    api = APIClient()
    api.force_authenticate(operator)
    assert api.get("/api/v1/organizations/").status_code == 403
