"""Suite-wide fixtures. Factories live in tests/factories.py."""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "desk", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.register_profile("ci", parent=settings.get_profile("desk"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "desk")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """A private in-process cache per test: rate limits must not leak between tests,
    and the suite must never flush a Redis that a running desk uses."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    }
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tenant_a(db):
    from tests.factories import TenantFactory

    return TenantFactory(name="Alpha Support", slug="alpha", case_prefix="ALP")


@pytest.fixture
def tenant_b(db):
    from tests.factories import TenantFactory

    return TenantFactory(name="Beta Support", slug="beta", case_prefix="BET")
