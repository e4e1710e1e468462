"""Support desk project package and core app (tenants, users, roles, scoping)."""

from supportdesk.celery import app as celery_app

__all__ = ("celery_app",)
