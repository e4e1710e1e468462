"""Calendars as tenant data: validated per field, cached core, reachable over the API."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from sla import calendar as core
from supportdesk.models import Role
from tests.factories import CalendarFactory, UserFactory


@pytest.mark.django_db
def test_stored_configuration_builds_the_shared_core_calendar(tenant_a):
    calendar = CalendarFactory(tenant=tenant_a)
    built = calendar.core()
    assert isinstance(built, core.BusinessCalendar)
    assert calendar.core() is built  # cached by configuration
    assert CalendarFactory.build(tenant=tenant_a).core() is built


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weekly_hours": {"mon": [["08:00", "25:00"]]}}, "weekly_hours"),
        ({"weekly_hours": {"mon": [["10:00", "09:00"]]}}, "weekly_hours"),
        ({"weekly_hours": {"mon": [["08:00", "12:00"], ["11:00", "16:00"]]}}, "weekly_hours"),
        ({"weekly_hours": {"monday": [["08:00", "16:00"]]}}, "weekly_hours"),
        ({"timezone": "Europe/Kopenhagen"}, "timezone"),
        ({"holiday_country": "XX"}, "holiday_country"),
        ({"holiday_categories": ["bogus"]}, "holiday_categories"),
        ({"closed_dates": ["2026-13-01"]}, "closed_dates"),
        ({"special_hours": {"2026-12-24": [["12:00", "09:00"]]}}, "special_hours"),
        ({"weekly_hours": {}, "special_hours": {}}, "weekly_hours"),
    ],
)
@pytest.mark.django_db
def test_bad_configuration_is_reported_on_its_field(tenant_a, changes, field):
    calendar = CalendarFactory.build(tenant=tenant_a, **changes)
    with pytest.raises(ValidationError) as caught:
        calendar.full_clean()
    assert field in caught.value.message_dict, caught.value.message_dict


@pytest.mark.django_db
def test_tenant_admin_creates_a_calendar_and_bad_input_answers_400_per_field(tenant_a):
    api = APIClient()
    api.force_authenticate(UserFactory(tenant=tenant_a, role=Role.TENANT_ADMIN))
    body = {
        "key": "phone",
        "name": "Phone hours",
        "timezone": "Europe/Oslo",
        "weekly_hours": {"mon": [["09:00", "16:00"]]},
        "holiday_country": "NO",
    }
    created = api.post("/api/v1/calendars/", body, format="json")
    assert created.status_code == 201, created.data
    bad = api.post(
        "/api/v1/calendars/",
        {**body, "key": "other", "weekly_hours": {"mon": [["09:00", "25:00"]]}},
        format="json",
    )
    assert bad.status_code == 400
    assert "25:00" in str(bad.json()["weekly_hours"])
    duplicate = api.post("/api/v1/calendars/", body, format="json")
    assert duplicate.status_code == 400
    patched = api.patch(
        f"/api/v1/calendars/{created.data['id']}/", {"holiday_country": "XX"}, format="json"
    )
    assert patched.status_code == 400 and "holiday_country" in patched.json()


@pytest.mark.django_db
def test_agents_read_but_do_not_write_calendars_and_other_tenants_are_404(tenant_a, tenant_b):
    own = CalendarFactory(tenant=tenant_a)
    foreign = CalendarFactory(tenant=tenant_b)
    api = APIClient()
    api.force_authenticate(UserFactory(tenant=tenant_a, role=Role.AGENT))
    ids = [c["id"] for c in api.get("/api/v1/calendars/").json()["results"]]
    assert ids == [own.pk]
    assert api.get(f"/api/v1/calendars/{foreign.pk}/").status_code == 404
    assert (
        api.patch(f"/api/v1/calendars/{own.pk}/", {"name": "x"}, format="json").status_code == 403
    )
    admin = UserFactory(tenant=tenant_a, role=Role.TENANT_ADMIN)
    api.force_authenticate(admin)
    assert (
        api.patch(f"/api/v1/calendars/{foreign.pk}/", {"name": "x"}, format="json").status_code
        == 404
    )


@pytest.mark.django_db
def test_a_field_error_is_not_followed_by_a_misleading_calendar_error(tenant_a):
    calendar = CalendarFactory.build(tenant=tenant_a, timezone="Europe/Kopenhagen")
    with pytest.raises(ValidationError) as caught:
        calendar.full_clean()
    assert list(caught.value.message_dict) == ["timezone"]
    assert len(caught.value.message_dict["timezone"]) == 1
