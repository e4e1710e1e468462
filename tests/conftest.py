"""Suite-wide fixtures. Factories live in tests/factories.py."""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "desk", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.register_profile("ci", parent=settings.get_profile("desk"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "desk")


def _django_settings(request):
    """pytest-django's `settings`, or None when the pure suites run with -p no:django."""
    if not request.config.pluginmanager.hasplugin("django"):
        return None
    return request.getfixturevalue("settings")


@pytest.fixture(autouse=True)
def _test_settings(request, tmp_path):
    settings = _django_settings(request)
    if settings is not None:
        settings.MEDIA_ROOT = tmp_path / "media"
        # Production hashing costs ~0.3 s a password; tests create hundreds of users.
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache(request):
    """A private in-process cache per test: rate limits must not leak between tests,
    and the suite must never flush a Redis that a running desk uses."""
    settings = _django_settings(request)
    if settings is None:
        yield
        return
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
