from django.db.models import Model, QuerySet


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
