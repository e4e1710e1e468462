from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from rest_framework.exceptions import ValidationError


@contextmanager
def django_errors_as_api():
    """Services raise Django's ValidationError; the API answers 400 with the same details."""
    try:
        yield
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        raise ValidationError(detail) from exc


class ScopedQuerysetMixin:
    """A viewset whose rows come from a tenant-scoped selector for the acting user.

    Subclasses set `model` and implement `scoped_queryset(user)`. Schema
    generation runs without a user; it gets an empty queryset of the model.
    """

    model: type[Model]

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return self.model._default_manager.none()
        return self.scoped_queryset(self.request.user)

    def scoped_queryset(self, user) -> QuerySet:  # pragma: no cover - abstract
        raise NotImplementedError


def request_tenant(serializer):
    """The requesting user's tenant for a serializer (DRF authenticates inside the view)."""
    request = serializer.context.get("request")
    user = getattr(request, "user", None)
    return user.tenant if user is not None and user.is_authenticated else None
