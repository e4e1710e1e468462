"""Support desk project package and core app (tenants, users, roles, scoping)."""

from .celery import app as celery_app

__all__ = ("celery_app",)
